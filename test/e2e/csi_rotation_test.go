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

// Rotation: a secret changed in the store appears in the running pod; with the store
// stopped the files stay intact and the pod gets an Event; when the store is back, rotation
// resumes without restarting anything.
func TestCSIRotation(t *testing.T) {
	setupModule(t)
	ctx := t.Context()
	const name = "rotating-secret"
	put := func(v string) {
		t.Helper()
		if _, err := stk.PutKV2(ctx, seedKV, name, map[string]any{"VALUE": secretValue(v)}); err != nil {
			t.Fatal(err)
		}
	}
	put("generation-1")
	if err := stk.WritePolicy(ctx, "rotation-read", stack.ReadPolicy(seedKV+"/data/"+name)); err != nil {
		t.Fatal(err)
	}
	if err := stk.WriteRole(ctx, AuthMount, "rotation-role", seedNS, seedSA, "", "rotation-read"); err != nil {
		t.Fatal(err)
	}
	if err := applySSI(ctx, seedNS, "rotation-ssi", "rotation-role", ssiFile{Name: "value", Path: seedKV + "/data/" + name, Key: "VALUE"}); err != nil {
		t.Fatal(err)
	}
	pod := csiPod("rotation", "rotation-ssi", "sh", "-c", "while true; do echo \"value=$(cat /mnt/secrets/value)\"; sleep 1; done")
	if err := stack.DeletePod(ctx, kube, seedNS, pod.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.CoreV1().Pods(seedNS).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.DeletePod(context.WithoutCancel(t.Context()), kube, seedNS, pod.Name) })
	waitLog(t, pod.Name, "value=generation-1", time.Minute)

	put("generation-2")
	t0 := time.Now()
	waitLog(t, pod.Name, "value=generation-2", 2*time.Minute)
	t.Logf("rotation seen in the pod %s after the store changed", time.Since(t0).Round(time.Second))

	t.Run("store down keeps the files", func(t *testing.T) {
		stk.StopStore()
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 2*time.Minute)
			defer cancel()
			if err := stk.StartStore(ctx, ""); err != nil {
				t.Fatalf("restart store: %v", err)
			}
			if err := stk.Unseal(ctx); err != nil {
				t.Fatalf("unseal store: %v", err)
			}
		})
		waitEvent(t, pod.Name, "SecretRotationFailed", "rotation-ssi")
		logs, err := stack.PodLogs(ctx, kube, seedNS, pod.Name)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(logs), "\n")
		if last := lines[len(lines)-1]; last != "value=generation-2" {
			t.Fatalf("last line with the store down: got %q, want value=generation-2", last)
		}
	})
	t.Run("plugin killed and restarted keeps the files and resumes rotation", func(t *testing.T) {
		seen := len(logLines(t, pod.Name))
		if err := mod.KillCSIPlugin(ctx); err != nil {
			t.Fatal(err)
		}
		// The volume stays mounted without the plugin: the pod keeps reading the last value.
		var lines []string
		if err := stack.Poll(ctx, time.Minute, func(context.Context) (bool, error) {
			lines = logLines(t, pod.Name)
			return len(lines) >= seen+3, nil
		}); err != nil {
			t.Fatalf("pod stopped logging after the plugin was killed: %v", err)
		}
		for _, l := range lines[seen:] {
			if l != "value=generation-2" {
				t.Fatalf("line after the plugin was killed: got %q, want value=generation-2", l)
			}
		}
		if err := mod.WaitCSIPlugin(ctx); err != nil {
			t.Fatal(err)
		}
		put("generation-after-crash")
		waitLog(t, pod.Name, "value=generation-after-crash", 2*time.Minute)
	})
	t.Run("rotation resumes when the store is back", func(t *testing.T) {
		put("generation-3")
		waitLog(t, pod.Name, "value=generation-3", 2*time.Minute)
		p, err := kube.CoreV1().Pods(seedNS).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Status.Phase != corev1.PodRunning || p.Status.ContainerStatuses[0].RestartCount != 0 {
			t.Fatalf("pod %s with %d restarts, want Running without restarts", p.Status.Phase, p.Status.ContainerStatuses[0].RestartCount)
		}
	})
}

func waitLog(t *testing.T, pod, want string, timeout time.Duration) {
	t.Helper()
	var logs string
	err := stack.Poll(t.Context(), timeout, func(ctx context.Context) (bool, error) {
		var err error
		logs, err = stack.PodLogs(ctx, kube, seedNS, pod)
		return err == nil && strings.Contains(logs, want), nil
	})
	if err != nil {
		t.Fatalf("pod %s never logged %q: %v; log:\n%s", pod, want, err, logs)
	}
}

// logLines returns the pod's log lines so far.
func logLines(t *testing.T, pod string) []string {
	t.Helper()
	logs, err := stack.PodLogs(t.Context(), kube, seedNS, pod)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(logs), "\n")
}
