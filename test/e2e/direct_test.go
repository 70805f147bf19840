// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// Delivery mode "the application reads the store itself": a pod of a real ServiceAccount
// logs in with its projected token (a real TokenReview by the store) and reads its secret.
func TestPodReadsStoreItself(t *testing.T) {
	setupStore(t)
	ctx := t.Context()
	const image = "stack.local/store-reader:e2e"
	if err := stk.BuildGoImage(ctx, image, "./test/apps/store-reader", "store-reader"); err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "store-ca", Namespace: itNS},
		Data:       map[string]string{"ca.crt": string(mustRead(t, stk.Env.CAFile))},
	}
	if _, err := kube.CoreV1().ConfigMaps(itNS).Create(ctx, cm, metav1.CreateOptions{}); err != nil && !strings.Contains(err.Error(), "already exists") {
		t.Fatal(err)
	}
	tests := []struct {
		name, sa, role, want string
		phase                corev1.PodPhase
	}{
		{name: "bound service account", sa: itReader, role: "it-reader", phase: corev1.PodSucceeded, want: "it-pass-v2"},
		{name: "role of another service account", sa: itReader, role: "it-other", phase: corev1.PodFailed, want: "login: 403"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := stack.HostPod(itNS, "direct-"+string(rune('a'+i)), tt.sa, image)
			c := &pod.Spec.Containers[0]
			c.Env = []corev1.EnvVar{
				{Name: "STORE_ADDR", Value: stk.Env.StoreAddr},
				{Name: "STORE_AUTH_PATH", Value: AuthMount},
				{Name: "STORE_ROLE", Value: tt.role},
				{Name: "SECRET_PATH", Value: itKV2 + "/data/app"},
				{Name: "SECRET_KEY", Value: "DB_PASS"},
			}
			c.VolumeMounts = []corev1.VolumeMount{{Name: "store-ca", MountPath: "/etc/store-ca", ReadOnly: true}}
			pod.Spec.Volumes = []corev1.Volume{{Name: "store-ca", VolumeSource: corev1.VolumeSource{
				ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "store-ca"}},
			}}}
			t.Cleanup(func() { _ = kube.CoreV1().Pods(itNS).Delete(ctx, pod.Name, metav1.DeleteOptions{}) })
			phase, logs, err := stack.RunPod(ctx, kube, pod, 2*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if phase != tt.phase || !strings.Contains(logs, tt.want) {
				t.Fatalf("got phase %s and log %q, want %s and a log containing %q", phase, logs, tt.phase, tt.want)
			}
		})
	}
}
