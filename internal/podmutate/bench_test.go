// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package podmutate

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// benchPod is a typical opted-in pod: one app container with a command,
// templates in env, probes and a volume, plus env-from-path.
func benchPod() *corev1.Pod {
	pod := simplePod(map[string]string{
		EnvFromPathAnnotation:               "demo-kv/data/common-secret,demo-kv/data/myapp-secret",
		"kubectl.kubernetes.io/restartedAt": "2025-01-01T00:00:00Z",
	})
	pod.Spec.ServiceAccountName = "myapp-sa"
	c := &pod.Spec.Containers[0]
	c.Command = []string{"/app/server"}
	c.Args = []string{"--listen=:8080", "--config=/etc/app/config.yaml"}
	c.Env = []corev1.EnvVar{
		{Name: "DB_USER", Value: "secrets-store:demo-kv/data/myapp-secret#DB_USER"},
		{Name: "DB_PASS", Value: "secrets-store:demo-kv/data/myapp-secret#DB_PASS#4"},
		{Name: "LOG_FORMAT", Value: "json"},
	}
	c.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromInt32(8080)}}}
	c.VolumeMounts = []corev1.VolumeMount{{Name: "config", MountPath: "/etc/app"}}
	pod.Spec.Volumes = []corev1.Volume{{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: "app-config"},
	}}}}
	return pod
}

// BenchmarkMutate measures one mutation including the DeepCopy the
// admission handler makes to diff against; DeepCopy alone is the baseline.
func BenchmarkMutate(b *testing.B) {
	m := &Mutator{Defaults: testDefaults(), Images: &fakeResolver{}}
	in := benchPod()
	b.Run("with-command", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			pod := in.DeepCopy()
			if _, err := m.Mutate(b.Context(), pod); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("deepcopy-only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = in.DeepCopy()
		}
	})
}
