// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

const annPrefix = "secrets-store.deckhouse.io/"

// injectedPod is a busybox pod of myapp-sa that prints its environment, with annotations.
func injectedPod(name string, ann map[string]string, env ...corev1.EnvVar) *corev1.Pod {
	pod := stack.HostPod(seedNS, name, seedSA, stack.BusyboxImage, "sh", "-c", "env | sort")
	pod.Annotations = map[string]string{annPrefix + "role": seedRole}
	for k, v := range ann {
		pod.Annotations[annPrefix+k] = v
	}
	pod.Spec.Containers[0].Env = env
	return pod
}

func runInjected(t *testing.T, pod *corev1.Pod) (corev1.PodPhase, string) {
	t.Helper()
	ctx := t.Context()
	// t.Context is canceled by the time cleanups run.
	t.Cleanup(func() {
		_ = kube.CoreV1().Pods(pod.Namespace).Delete(context.WithoutCancel(ctx), pod.Name, metav1.DeleteOptions{})
	})
	phase, logs, err := stack.RunPod(ctx, kube, pod, 2*time.Minute)
	if err != nil {
		t.Fatalf("run pod %s: %v", pod.Name, err)
	}
	return phase, logs
}

func env(name, value string) corev1.EnvVar { return corev1.EnvVar{Name: name, Value: value} }

func TestInjection(t *testing.T) {
	setupModule(t)
	tests := []struct {
		name      string
		pod       *corev1.Pod
		wantPhase corev1.PodPhase
		want      []string // lines the log must contain
		absent    []string // substrings the log must not contain
	}{
		{
			name: "seed myapp1: env-from-path with two paths, later path wins",
			pod: injectedPod("myapp1", map[string]string{
				"env-from-path": seedKV + "/data/common-secret," + seedKV + "/data/myapp-secret",
			}),
			wantPhase: corev1.PodSucceeded,
			want:      []string{"COMMON_SETTING=shared", "DB_USER=username", "DB_PASS=secret-password"},
			absent:    []string{"SECRETS_STORE_", "common-user"},
		},
		{
			name: "seed myapp2: explicit templates",
			pod: injectedPod("myapp2", nil,
				env("DB_USER", "secrets-store:"+seedKV+"/data/myapp-secret#DB_USER"),
				env("DB_PASS", "secrets-store:"+seedKV+"/data/myapp-secret#DB_PASS"),
				env("PLAIN", "left-alone")),
			wantPhase: corev1.PodSucceeded,
			want:      []string{"DB_USER=username", "DB_PASS=secret-password", "PLAIN=left-alone"},
			absent:    []string{"secrets-store:"},
		},
		{
			name: "version pin",
			pod: injectedPod("pinned", nil,
				env("OLD_PASS", fmt.Sprintf("secrets-store:%s/data/myapp-secret#DB_PASS#%d", seedKV, 1))),
			wantPhase: corev1.PodSucceeded,
			want:      []string{"OLD_PASS=old-password"},
		},
		{
			name: "env-from-path wins over a template of the same name",
			pod: injectedPod("precedence", map[string]string{"env-from-path": seedKV + "/data/common-secret"},
				env("DB_USER", "secrets-store:"+seedKV+"/data/myapp-secret#DB_USER")),
			wantPhase: corev1.PodSucceeded,
			want:      []string{"DB_USER=common-user"},
		},
		{
			name:      "missing key fails the container with a readable message",
			pod:       injectedPod("missing", nil, env("NOPE", "secrets-store:"+seedKV+"/data/myapp-secret#NOPE")),
			wantPhase: corev1.PodFailed,
			want:      []string{"NOPE", "not found"},
		},
		{
			name: "ignore-missing-secrets starts the app without the variable",
			pod: injectedPod("ignore-missing", map[string]string{"ignore-missing-secrets": "true"},
				env("NOPE", "secrets-store:"+seedKV+"/data/myapp-secret#NOPE"),
				env("DB_PASS", "secrets-store:"+seedKV+"/data/myapp-secret#DB_PASS")),
			wantPhase: corev1.PodSucceeded,
			want:      []string{"DB_PASS=secret-password", "var=NOPE"},
			absent:    []string{"NOPE=secrets-store:", "\nNOPE="},
		},
		{
			name: "role the service account is not bound to",
			pod: func() *corev1.Pod {
				p := injectedPod("denied", nil, env("DB_PASS", "secrets-store:"+seedKV+"/data/myapp-secret#DB_PASS"))
				p.Annotations[annPrefix+"role"] = "it-reader" // bound to store-it/reader only
				return p
			}(),
			wantPhase: corev1.PodFailed,
			want:      []string{"it-reader", "login"},
			absent:    []string{"secret-password"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			phase, logs := runInjected(t, tt.pod)
			if phase != tt.wantPhase {
				t.Fatalf("phase: got %s, want %s; log:\n%s", phase, tt.wantPhase, logs)
			}
			for _, w := range tt.want {
				if !strings.Contains(logs, w) {
					t.Errorf("log lacks %q; log:\n%s", w, logs)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(logs, a) {
					t.Errorf("log contains %q; log:\n%s", a, logs)
				}
			}
		})
	}
}

// Templates may come from a ConfigMap through envFrom: only the container's environment at
// start matters.
func TestInjectionEnvFromConfigMap(t *testing.T) {
	setupModule(t)
	ctx := t.Context()
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "app-env", Namespace: seedNS},
		Data:       map[string]string{"FROM_CM": "secrets-store:" + seedKV + "/data/myapp-secret#DB_PASS"},
	}
	_ = kube.CoreV1().ConfigMaps(seedNS).Delete(ctx, cm.Name, metav1.DeleteOptions{})
	if _, err := kube.CoreV1().ConfigMaps(seedNS).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := injectedPod("envfrom", nil)
	pod.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: "app-env"},
	}}}
	phase, logs := runInjected(t, pod)
	if phase != corev1.PodSucceeded || !strings.Contains(logs, "FROM_CM=secret-password") {
		t.Fatalf("got phase %s, log:\n%s", phase, logs)
	}
}

// An invalid annotation is refused at admission with a message naming it.
func TestInjectionRefusesInvalidAnnotation(t *testing.T) {
	setupModule(t)
	pod := injectedPod("bad-timeout", map[string]string{"client-timeout": "ten"})
	_, err := kube.CoreV1().Pods(seedNS).Create(t.Context(), pod, metav1.CreateOptions{})
	if err == nil {
		_ = kube.CoreV1().Pods(seedNS).Delete(t.Context(), pod.Name, metav1.DeleteOptions{})
		t.Fatal("pod with client-timeout \"ten\" was admitted")
	}
	if !strings.Contains(err.Error(), annPrefix+"client-timeout") {
		t.Fatalf("refusal %q does not name the annotation", err)
	}
}
