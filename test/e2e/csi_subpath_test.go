// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/deckhouse/secrets-store-integration/test/modulechart"
)

// warnings records the API server's warnings (the Warning headers kubectl prints).
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) HandleWarningHeader(_ int, _, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, text)
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.msgs
	w.msgs = nil
	return out
}

// The real API server returns the module's subPath warning for a Deployment and for a pod that
// mount the driver's volume with subPath, creates them all the same, and says nothing for a
// directory mount.
func TestCSISubPathWarning(t *testing.T) {
	setupModule(t)
	if _, ok := mod.(*modulechart.Module); !ok {
		t.Skip("needs the module installed from its chart (E2E_MODULE=chart): the warning is the chart's admission policy")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cfg, err := clientcmd.BuildConfigFromFlags("", stk.Env.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	w := &warnings{}
	cfg.WarningHandler = w
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const want = "mounts a secrets-store.csi.deckhouse.io volume with subPath: kubelet never updates a subPath mount"

	// A pod that is never scheduled: admission alone is under test.
	pod := csiPod("subpath-warning", "no-such-import", "sleep", "3600")
	pod.Spec.SchedulerName = "no-such-scheduler"
	pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "secrets", MountPath: "/etc/app/password", SubPath: "password"}}
	created, err := client.CoreV1().Pods(seedNS).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create the pod (a warning must not refuse it): %v", err)
	}
	t.Cleanup(func() {
		_ = kube.CoreV1().Pods(seedNS).Delete(context.WithoutCancel(ctx), created.Name, metav1.DeleteOptions{})
	})
	checkWarned(t, w.take(), "pod", "container "+pod.Spec.Containers[0].Name+" "+want)

	replicas := int32(0)
	template := *pod.Spec.DeepCopy()
	template.RestartPolicy = corev1.RestartPolicyAlways
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "subpath-warning", Namespace: seedNS},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "subpath-warning"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "subpath-warning"}},
				Spec:       template,
			},
		},
	}
	if _, err := client.AppsV1().Deployments(seedNS).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create the Deployment: %v", err)
	}
	t.Cleanup(func() {
		_ = kube.AppsV1().Deployments(seedNS).Delete(context.WithoutCancel(ctx), dep.Name, metav1.DeleteOptions{})
	})
	checkWarned(t, w.take(), "Deployment", want)

	plain := csiPod("subpath-none", "no-such-import", "sleep", "3600")
	plain.Spec.SchedulerName = "no-such-scheduler"
	if _, err := client.CoreV1().Pods(seedNS).Create(ctx, plain, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create the pod with a directory mount: %v", err)
	}
	t.Cleanup(func() {
		_ = kube.CoreV1().Pods(seedNS).Delete(context.WithoutCancel(ctx), plain.Name, metav1.DeleteOptions{})
	})
	for _, m := range w.take() {
		if strings.Contains(m, "subPath") {
			t.Errorf("a directory mount was warned of: %q", m)
		}
	}
}

func checkWarned(t *testing.T, got []string, what, want string) {
	t.Helper()
	for _, m := range got {
		if strings.Contains(m, want) {
			return
		}
	}
	t.Errorf("%s: warnings %q, want one containing %q", what, got, want)
}
