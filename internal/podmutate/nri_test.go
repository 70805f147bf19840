// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package podmutate

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/internal/nriplugin"
)

func nriPod() *corev1.Pod {
	pod := simplePod(map[string]string{EnvDeliveryAnnotation: "NRI", SkipMutateContainersAnnotation: "sidecar"})
	// No command: an NRI pod needs no image configuration.
	pod.Spec.Containers[0].Command = nil
	pod.Spec.Containers[0].Image = "registry.example.com/private/no-such-image:1"
	pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: "sidecar", Image: "alpine:3.20", Env: refEnv()})
	pod.Spec.InitContainers = []corev1.Container{{
		Name: "migrate", Image: "registry.example.com/team/migrate:2",
		EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "refs"}}}},
	}}
	return pod
}

func TestMutateNRI(t *testing.T) {
	images := &fakeResolver{}
	m := &Mutator{Defaults: testDefaults(), Images: images}
	pod := nriPod()
	orig := pod.DeepCopy()
	changed, err := m.Mutate(t.Context(), pod)
	if err != nil || !changed {
		t.Fatalf("Mutate: %v, %v", changed, err)
	}
	if len(images.calls) != 0 {
		t.Errorf("%d registry lookups, want none", len(images.calls))
	}
	if len(pod.Spec.InitContainers) != 1 {
		t.Errorf("init containers %d, want the pod's one only", len(pod.Spec.InitContainers))
	}
	for i, c := range append(slices.Clone(pod.Spec.InitContainers), pod.Spec.Containers...) {
		o := append(slices.Clone(orig.Spec.InitContainers), orig.Spec.Containers...)[i]
		if !reflect.DeepEqual(c.Command, o.Command) || !reflect.DeepEqual(c.Args, o.Args) || !reflect.DeepEqual(c.Env, o.Env) {
			t.Errorf("container %s: command, args or env changed", c.Name)
		}
	}
	// The volume, mounted by the containers resolved (kubelet publishes only mounted volumes).
	var vol *corev1.Volume
	for i := range pod.Spec.Volumes {
		if pod.Spec.Volumes[i].Name == envcontract.EnvVolumeName {
			vol = &pod.Spec.Volumes[i]
		}
	}
	if vol == nil || vol.CSI == nil || vol.CSI.Driver != testDefaults().CSIDriver || vol.CSI.VolumeAttributes[envcontract.EnvVolumeAttribute] != "true" {
		t.Fatalf("environment volume: %+v", vol)
	}
	if len(pod.Spec.Volumes) != 1 {
		t.Errorf("volumes %d, want only the environment volume (no token, no injector)", len(pod.Spec.Volumes))
	}
	mounted := func(c corev1.Container) bool {
		return slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
			return m.Name == envcontract.EnvVolumeName && m.ReadOnly && m.MountPath == EnvMountPath
		})
	}
	if !mounted(pod.Spec.Containers[0]) || !mounted(pod.Spec.InitContainers[0]) || mounted(pod.Spec.Containers[1]) {
		t.Error("the volume is not mounted in exactly the resolved containers")
	}
	// The settings the node plugin reads, in its own parser.
	st, err := nriplugin.ParseSettings(pod.Annotations[envcontract.NRISettingsAnnotation])
	if err != nil {
		t.Fatalf("settings annotation: %v", err)
	}
	if !slices.Equal(st.Containers, []string{"migrate", "app"}) {
		t.Errorf("containers %q", st.Containers)
	}
	for _, want := range []string{
		"SECRETS_STORE_ROLE=myapp-role", "SECRETS_STORE_ADDR=" + testDefaults().Addr,
		"SECRETS_STORE_SERVICE_ACCOUNT=myapp-namespace/default",
	} {
		if !slices.Contains(st.Env, want) {
			t.Errorf("settings lack %s: %q", want, st.Env)
		}
	}
	for _, kv := range st.Env {
		if strings.HasPrefix(kv, envcontract.TokenFile+"=") || strings.HasPrefix(kv, envcontract.CAFile+"=") {
			t.Errorf("settings hold %s", kv)
		}
	}
	var req []string
	if err := json.Unmarshal([]byte(pod.Annotations["required-plugins.noderesource.dev/container.app"]), &req); err != nil ||
		!slices.Equal(req, []string{nriplugin.Name}) {
		t.Errorf("required-plugins of app: %v, %v", req, err)
	}
	if _, ok := pod.Annotations["required-plugins.noderesource.dev/container.sidecar"]; ok {
		t.Error("the skipped container requires the plugin")
	}
	// Sent again (reinvocation): unchanged.
	again := pod.DeepCopy()
	if changed, err := m.Mutate(t.Context(), again); err != nil || changed {
		t.Errorf("second Mutate: %v, %v", changed, err)
	}
}

func TestMutateNRIRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		annotations map[string]string
		want        string
	}{
		"tls-secret":   {map[string]string{TLSSecretAnnotation: "store-ca"}, TLSSecretAnnotation},
		"watch mode":   {map[string]string{RestartOnSecretChangeAnnotation: "watch-for-data"}, RestartOnSecretChangeAnnotation},
		"token path":   {map[string]string{ServiceAccountTokenPathAnnotation: "/var/run/secrets/tokens/store-token"}, ServiceAccountTokenPathAnnotation},
		"bad delivery": {map[string]string{EnvDeliveryAnnotation: "Kernel"}, EnvDeliveryAnnotation},
	} {
		t.Run(name, func(t *testing.T) {
			pod := nriPod()
			for k, v := range tc.annotations {
				pod.Annotations[k] = v
			}
			m := &Mutator{Defaults: testDefaults(), Images: &fakeResolver{}}
			if _, err := m.Mutate(t.Context(), pod); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Mutate: %v, want an error naming %s", err, tc.want)
			}
		})
	}
	d := testDefaults()
	d.CSIDriver = ""
	d.Delivery = DeliveryInitContainer
	m := &Mutator{Defaults: d}
	if _, err := m.Mutate(t.Context(), nriPod()); err == nil || !strings.Contains(err.Error(), "CSI driver") {
		t.Errorf("NRI without a CSI driver: %v", err)
	}
}

// The module's default can be NRI; a pod can go back to the entrypoint.
func TestEnvDeliveryDefault(t *testing.T) {
	d := testDefaults()
	d.EnvDelivery = EnvDeliveryNRI
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	s, err := ParseAnnotations(map[string]string{RoleAnnotation: "r"}, d)
	if err != nil || s.EnvDelivery != EnvDeliveryNRI {
		t.Errorf("default: %v, %v", s.EnvDelivery, err)
	}
	s, err = ParseAnnotations(map[string]string{RoleAnnotation: "r", EnvDeliveryAnnotation: "Entrypoint"}, d)
	if err != nil || s.EnvDelivery != EnvDeliveryEntrypoint {
		t.Errorf("annotation: %v, %v", s.EnvDelivery, err)
	}
	d.EnvDelivery = "Other"
	if err := d.Validate(); err == nil {
		t.Error("an unknown default passed Validate")
	}
}
