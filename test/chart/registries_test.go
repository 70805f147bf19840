// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package chart_test

import (
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/deckhouse/secrets-store-integration/internal/registry"
	"github.com/deckhouse/secrets-store-integration/test/modulechart"
)

const registriesConfigMap = "secrets-store-integration-webhook-registries"

// The imageRegistries settings reach the webhook as the document its --registry-config reads:
// what the chart renders must parse with the webhook's own strict parser and keep every
// setting, and a change must roll the webhook's pods.
func TestImageRegistriesReachTheWebhook(t *testing.T) {
	forEachCase(t, func(t *testing.T, c renderCase, objs []object) {
		cm := one[*corev1.ConfigMap](t, objs, registriesConfigMap)
		trust, err := registry.ParseTrust([]byte(cm.Data["registries.json"]))
		if err != nil {
			t.Fatalf("the webhook refuses the rendered document: %v\n%s", err, cm.Data["registries.json"])
		}
		if c.name == "manual" {
			if got := trust.InsecureRegistries; !slices.Equal(got, []string{"registry.lab:5000"}) {
				t.Errorf("insecureRegistries = %v, want [registry.lab:5000]", got)
			}
			if len(trust.Mirrors) != 1 || trust.Mirrors[0].Registry != "docker.io" || len(trust.Mirrors[0].Endpoints) != 2 {
				t.Fatalf("mirrors = %+v, want docker.io with two endpoints", trust.Mirrors)
			}
			if e := trust.Mirrors[0].Endpoints[0]; e.URL != "https://nexus.example.com/repository/dockerhub" || !e.OverridePath {
				t.Errorf("first endpoint = %+v, want the nexus URL with overridePath", e)
			}
		}
		dep := one[*appsv1.Deployment](t, objs, webhookDeployment)
		ctr := dep.Spec.Template.Spec.Containers[0]
		const flag = "--registry-config=/etc/secrets-store/registries/registries.json"
		if !slices.Contains(ctr.Args, flag) {
			t.Errorf("webhook args %v lack %s", ctr.Args, flag)
		}
		if !slices.ContainsFunc(ctr.VolumeMounts, func(m corev1.VolumeMount) bool {
			return m.MountPath == "/etc/secrets-store/registries" && m.ReadOnly
		}) {
			t.Errorf("webhook mounts %v lack the registries ConfigMap", ctr.VolumeMounts)
		}
		if !slices.ContainsFunc(dep.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool {
			return v.ConfigMap != nil && v.ConfigMap.Name == registriesConfigMap
		}) {
			t.Errorf("webhook volumes lack the ConfigMap %s", registriesConfigMap)
		}
	})
}

func TestImageRegistriesChangeRollsTheWebhook(t *testing.T) {
	c := renderCases[0]
	checksum := func(values map[string]any) string {
		ms, err := render(t, loadChart(t), values, c.monitoring)
		if err != nil {
			t.Fatal(err)
		}
		return one[*appsv1.Deployment](t, decode(t, ms), webhookDeployment).Spec.Template.Annotations["checksum/registries"]
	}
	before := checksum(caseValues(t, c))
	after := checksum(modulechart.Merge(caseValues(t, c), map[string]any{
		"secretsStoreIntegration": map[string]any{"imageRegistries": map[string]any{"insecureRegistries": []any{"registry.lab:5000"}}},
	}))
	if before == "" || before == after {
		t.Fatalf("checksum/registries %q before and %q after a change: the webhook would keep the old settings", before, after)
	}
}
