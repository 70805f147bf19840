// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package chart_test

import (
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	"github.com/deckhouse/secrets-store-integration/test/modulechart"
)

// webhook.injectorDelivery reaches the webhook as its default, and the CSI plugin always gets
// the injector that the DaemonSet's init container leaves in the shared volume, so that a pod
// can ask for the CSI volume whatever the module's default.
func TestInjectorDelivery(t *testing.T) {
	ch := loadChart(t)
	for settings, want := range map[string]string{
		`{}`: "--injector-delivery=CSIVolume",
		`{"webhook": {"injectorDelivery": "InitContainer"}}`: "--injector-delivery=InitContainer",
	} {
		t.Run(want, func(t *testing.T) {
			var s map[string]any
			if err := yaml.Unmarshal([]byte(settings), &s); err != nil {
				t.Fatal(err)
			}
			values := modulechart.Merge(caseValues(t, renderCases[0]), map[string]any{"secretsStoreIntegration": s})
			ms, err := render(t, ch, values, false)
			if err != nil {
				t.Fatal(err)
			}
			objs := decode(t, ms)
			wh := one[*appsv1.Deployment](t, objs, webhookDeployment).Spec.Template.Spec.Containers[0].Args
			for _, a := range []string{want, "--csi-driver=secrets-store.csi.deckhouse.io"} {
				if !slices.Contains(wh, a) {
					t.Errorf("webhook args %q lack %s", wh, a)
				}
			}
			ds := one[*appsv1.DaemonSet](t, objs, "csi-driver").Spec.Template.Spec
			if !slices.Contains(ds.Containers[0].Args, "--injector-file=/prepull/injector") {
				t.Errorf("csi-driver args %q lack --injector-file=/prepull/injector", ds.Containers[0].Args)
			}
			var copies, mounted bool
			for _, c := range ds.InitContainers {
				copies = copies || slices.Equal(c.Command, []string{"/injector", "--self-copy", "/prepull/injector"})
			}
			for _, m := range ds.Containers[0].VolumeMounts {
				mounted = mounted || m.Name == "prepull" && m.MountPath == "/prepull" && m.ReadOnly
			}
			if !copies || !mounted {
				t.Errorf("the injector reaches the plugin: copied by an init container %v, mounted read-only at /prepull %v", copies, mounted)
			}
		})
	}
}
