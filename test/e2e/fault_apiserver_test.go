// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// kube-apiserver restarted under a running module: nobody is restarted by hand, yet a running
// CSI pod keeps rotating, a new opted-in pod is mutated and gets its variables, and a new CSI
// pod mounts its volume (the plugin reads the SecretsStoreImport through a reconnected client).
func TestFaultAPIServerRestart(t *testing.T) {
	setupModule(t)
	ctx := t.Context()
	pod := rotatingPod(t, "fault-apiserver", "fault-apiserver-secret", "before-restart")
	seen := len(logLines(t, pod.Name))

	t0 := time.Now()
	if err := stk.RestartAPIServer(ctx); err != nil {
		t.Fatalf("restart kube-apiserver: %v", err)
	}
	t.Logf("kube-apiserver restarted in %s", time.Since(t0).Round(time.Millisecond))
	// The node reports to the new apiserver before pods are created on it.
	if err := stack.Poll(ctx, 2*time.Minute, func(ctx context.Context) (bool, error) {
		_, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{Limit: 1})
		return err == nil, nil
	}); err != nil {
		t.Fatalf("apiserver not answering after the restart: %v", err)
	}

	if _, err := stk.PutKV2(ctx, seedKV, "fault-apiserver-secret", map[string]any{"VALUE": secretValue("after-restart")}); err != nil {
		t.Fatal(err)
	}
	waitLog(t, pod.Name, "value=after-restart", 2*time.Minute)
	onlyValues(t, logLines(t, pod.Name)[seen:], "before-restart", "after-restart")

	t.Run("a new opted-in pod is mutated", func(t *testing.T) {
		p := injectedPod("after-apiserver-restart", nil, env("DB_PASS", "secrets-store:"+seedKV+"/data/myapp-secret#DB_PASS"))
		phase, logs := runInjected(t, p)
		if phase != corev1.PodSucceeded || !strings.Contains(logs, "DB_PASS=secret-password") {
			t.Fatalf("phase %s, want Succeeded with DB_PASS; log:\n%s", phase, logs)
		}
	})
	t.Run("a new CSI pod mounts its volume", func(t *testing.T) {
		p := csiPod("csi-after-apiserver-restart", "fault-apiserver-ssi", "cat", "/mnt/secrets/value")
		phase, logs := runInjected(t, p)
		if phase != corev1.PodSucceeded || strings.TrimSpace(logs) != "after-restart" {
			t.Fatalf("phase %s, log %q: want Succeeded with the current value", phase, logs)
		}
	})
}
