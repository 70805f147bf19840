// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// revokePods is how many injected pods TestTokenRevoke starts; revokeProbes is how many runs
// of each pod's exec probe it waits for.
const (
	revokePods   = 3
	revokeProbes = 3
)

// Every injector run (a container start, and each exec probe with mutate-probes) logs in to
// the store and revokes its token before it executes the command: once the pods run and their
// probes have run a few times, no token of their role is left on the store.
func TestTokenRevoke(t *testing.T) {
	setupModule(t)
	ctx := t.Context()
	pass := secretValue("revoke-pass")
	role := secretWithRole(t, "revoke", "revoke-secret", map[string]any{"PASS": pass})
	before := liveTokens(t, role)

	ref := "secrets-store:" + seedKV + "/data/revoke-secret#PASS"
	for i := range revokePods {
		name := fmt.Sprintf("revoke-%d", i)
		// The probe counts its runs in a file and succeeds only with the secret; the app
		// prints the count every second.
		pod := stack.HostPod(seedNS, name, seedSA, stack.BusyboxImage, "sh", "-c",
			`while sleep 1; do echo "probes=$(cat /tmp/probes 2>/dev/null | wc -l)"; done`)
		pod.Annotations = map[string]string{annPrefix + "role": role, annPrefix + "mutate-probes": "true"}
		pod.Spec.Containers[0].Env = []corev1.EnvVar{env("PASS", ref)}
		pod.Spec.Containers[0].ReadinessProbe = &corev1.Probe{
			ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{
				// The probe's command is in the pod's spec and in kubelet's log lines about
				// the probe: it compares a digest, never the value.
				"sh", "-c", `echo run >> /tmp/probes && test "$(printf %s "$PASS" | sha256sum | cut -c1-64)" = "` + sha256Hex(pass) + `"`,
			}}},
			PeriodSeconds: 1, TimeoutSeconds: 5,
		}
		if err := stack.DeletePod(ctx, kube, seedNS, name); err != nil {
			t.Fatal(err)
		}
		if _, err := kube.CoreV1().Pods(seedNS).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create pod %s: %v", name, err)
		}
		t.Cleanup(func() { _ = stack.DeletePod(context.WithoutCancel(ctx), kube, seedNS, name) })
	}
	for i := range revokePods {
		waitProbes(t, fmt.Sprintf("revoke-%d", i), revokeProbes)
	}
	runs := revokePods * (1 + revokeProbes) // at least: one start and the probe runs per pod
	first := liveTokens(t, role)
	after := first
	err := stack.Poll(ctx, 30*time.Second, func(context.Context) (bool, error) {
		// A probe may hold its token for the moment between login and revocation.
		after = liveTokens(t, role)
		return after == before, nil
	})
	t.Logf("live store tokens of role %s: %d before; %d once %d pods had started and run their exec probe %d times each "+
		"(%d injector runs at least), %d at the end of the wait", role, before, first, revokePods, revokeProbes, runs, after)
	if err != nil {
		t.Errorf("got %d live tokens of role %s left after %d injector runs, want %d (as before)", after, role, runs, before)
	}
}

// sha256Hex is the hex SHA-256 digest of s, as busybox sha256sum prints it.
func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

var probesLine = regexp.MustCompile(`(?m)^probes=(\d+)$`)

// waitProbes waits until the pod is ready and its log shows at least n probe runs.
func waitProbes(t *testing.T, name string, n int) {
	t.Helper()
	var got int
	err := stack.Poll(t.Context(), 2*time.Minute, func(ctx context.Context) (bool, error) {
		p, err := kube.CoreV1().Pods(seedNS).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		if p.Status.Phase != corev1.PodRunning {
			return p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded, nil
		}
		logs, err := stack.PodLogs(ctx, kube, seedNS, name)
		if err != nil {
			return false, nil //nolint:nilerr // the log may not be there yet
		}
		if m := probesLine.FindAllStringSubmatch(logs, -1); len(m) > 0 {
			got, _ = strconv.Atoi(m[len(m)-1][1])
		}
		return got >= n && podReady(p), nil
	})
	if err != nil || got < n {
		logs, _ := stack.PodLogs(t.Context(), kube, seedNS, name)
		t.Fatalf("pod %s: got %d probe runs (%v), want %d and the pod ready; log:\n%s", name, got, err, n, logs)
	}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// liveTokens counts the live tokens on the store whose kubernetes auth role is role: every
// accessor under auth/token/accessors, looked up with the root token.
func liveTokens(t *testing.T, role string) int {
	t.Helper()
	ctx := t.Context()
	var list struct {
		Data struct {
			Keys []string `json:"keys"`
		} `json:"data"`
	}
	if err := stk.StoreAPI(ctx, "LIST", "auth/token/accessors", nil, &list); err != nil {
		t.Fatalf("list token accessors: %v", err)
	}
	n := 0
	for _, acc := range list.Data.Keys {
		var tok struct {
			Data struct {
				Meta map[string]string `json:"meta"`
			} `json:"data"`
		}
		if err := stk.StoreAPI(ctx, http.MethodPost, "auth/token/lookup-accessor", map[string]any{"accessor": acc}, &tok); err != nil {
			continue // revoked or expired since the list
		}
		if tok.Data.Meta["role"] == role {
			n++
		}
	}
	return n
}
