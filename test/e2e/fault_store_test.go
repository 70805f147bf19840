// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// Faults of the store, as the pods and their users see them. Each test leaves the store
// running and unsealed, whatever happens.

// restoreStore brings the store back (continued if frozen, started and unsealed if
// stopped) at the end of a test.
func restoreStore(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		_ = stk.SignalProcess("openbao", syscall.SIGCONT)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 2*time.Minute)
		defer cancel()
		if stk.StoreAPI(ctx, http.MethodGet, "sys/health", nil, nil) == nil {
			return
		}
		startStore(ctx, t)
	})
}

func startStore(ctx context.Context, t *testing.T) {
	t.Helper()
	if err := stk.StartStore(ctx, ""); err != nil {
		t.Fatalf("restart store: %v", err)
	}
	if err := stk.Unseal(ctx); err != nil {
		t.Fatalf("unseal store: %v", err)
	}
}

// The store is down when the pods start: the CSI pod waits in ContainerCreating with an
// Event that names the SecretsStoreImport, its file and the request that failed and says
// the store is unavailable, then starts by
// itself once the store is back (kubelet retries the mount); the injected pod exits with a
// message naming the reference, and with ignore-missing-secrets it starts without it.
func TestFaultStoreDownAtPodStart(t *testing.T) {
	setupModule(t)
	ctx := t.Context()
	restoreStore(t)
	if err := applySSI(ctx, seedNS, "fault-start-ssi", seedRole, ssiFile{Name: "db-password", Path: seedKV + "/data/myapp-secret", Key: "DB_PASS"}); err != nil {
		t.Fatal(err)
	}
	csi := csiPod("fault-start-csi", "fault-start-ssi", "cat", "/mnt/secrets/db-password")
	if err := stack.DeletePod(ctx, kube, seedNS, csi.Name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.DeletePod(context.WithoutCancel(t.Context()), kube, seedNS, csi.Name) })

	stk.StopStore()
	if _, err := kube.CoreV1().Pods(seedNS).Create(ctx, csi, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, csi.Name, "FailedMount", "fault-start-ssi")
	for _, want := range []string{"store unavailable", `file "db-password"`, "retry"} {
		if !strings.Contains(ev, want) {
			t.Errorf("FailedMount event %q does not say %q", ev, want)
		}
	}
	// The login, or the read when the plugin holds a token for this identity already.
	if !strings.Contains(ev, `login as role "`+seedRole+`"`) && !strings.Contains(ev, `read secret "`+seedKV+`/data/myapp-secret"`) {
		t.Errorf("FailedMount event %q names neither the login nor the read that failed", ev)
	}

	t.Run("injected pod exits with a message naming the reference", func(t *testing.T) {
		pod := injectedPod("fault-start-inject", nil, env("DB_PASS", "secrets-store:"+seedKV+"/data/myapp-secret#DB_PASS"))
		phase, logs := runInjected(t, pod)
		if phase != corev1.PodFailed {
			t.Fatalf("phase %s, want Failed; log:\n%s", phase, logs)
		}
		for _, want := range []string{"DB_PASS", "myapp-secret", "unavailable"} {
			if !strings.Contains(logs, want) {
				t.Errorf("log lacks %q; log:\n%s", want, logs)
			}
		}
		if strings.Contains(logs, "\nDB_PASS=") {
			t.Errorf("the app ran with DB_PASS set; log:\n%s", logs)
		}
	})
	t.Run("ignore-missing-secrets starts the app without the variable", func(t *testing.T) {
		pod := injectedPod("fault-start-ignore", map[string]string{"ignore-missing-secrets": "true"},
			env("DB_PASS", "secrets-store:"+seedKV+"/data/myapp-secret#DB_PASS"), env("PLAIN", "left-alone"))
		phase, logs := runInjected(t, pod)
		if phase != corev1.PodSucceeded {
			t.Fatalf("phase %s, want Succeeded; log:\n%s", phase, logs)
		}
		if !strings.Contains(logs, "PLAIN=left-alone") || strings.Contains(logs, "DB_PASS=") || !strings.Contains(logs, "DB_PASS") {
			t.Errorf("want PLAIN set, DB_PASS unset and named in a warning; log:\n%s", logs)
		}
	})

	// Still waiting, never started with an empty volume.
	p, err := kube.CoreV1().Pods(seedNS).Get(ctx, csi.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status.Phase != corev1.PodPending {
		t.Fatalf("CSI pod phase %s with the store down, want Pending", p.Status.Phase)
	}
	startStore(ctx, t)
	t0 := time.Now()
	phase, err := stack.WaitPodDone(ctx, kube, seedNS, csi.Name, 4*time.Minute)
	if err != nil {
		t.Fatalf("CSI pod after the store came back: %v", err)
	}
	logs, err := stack.PodLogs(ctx, kube, seedNS, csi.Name)
	if err != nil {
		t.Fatal(err)
	}
	if phase != corev1.PodSucceeded || strings.TrimSpace(logs) != "secret-password" {
		t.Fatalf("CSI pod %s, log %q: want Succeeded with the secret", phase, logs)
	}
	t.Logf("the CSI pod started %s after the store came back, without any action", time.Since(t0).Round(time.Second))
}

// rotatingPod starts a CSI pod that prints the file every second, for the secret at
// seedKV/data/<secret> key VALUE, readable by role through a policy of its own, and waits
// until it prints first.
func rotatingPod(t *testing.T, name, secret, first string) *corev1.Pod {
	t.Helper()
	ctx := t.Context()
	role := secretWithRole(t, name, secret, map[string]any{"VALUE": secretValue(first)})
	if err := applySSI(ctx, seedNS, name+"-ssi", role, ssiFile{Name: "value", Path: seedKV + "/data/" + secret, Key: "VALUE"}); err != nil {
		t.Fatal(err)
	}
	pod := csiPod(name, name+"-ssi", "sh", "-c", "while true; do echo \"value=$(cat /mnt/secrets/value)\"; sleep 1; done")
	if err := stack.DeletePod(ctx, kube, seedNS, pod.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.CoreV1().Pods(seedNS).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.DeletePod(context.WithoutCancel(t.Context()), kube, seedNS, pod.Name) })
	waitLog(t, pod.Name, "value="+first, time.Minute)
	return pod
}

// secretWithRole writes data to seedKV/data/<secret> and returns the role <name>-role, bound
// to myapp-sa, whose policy <name>-read reads that secret alone.
func secretWithRole(t *testing.T, name, secret string, data map[string]any) string {
	t.Helper()
	ctx := t.Context()
	if _, err := stk.PutKV2(ctx, seedKV, secret, data); err != nil {
		t.Fatal(err)
	}
	if err := stk.WritePolicy(ctx, name+"-read", stack.ReadPolicy(seedKV+"/data/"+secret)); err != nil {
		t.Fatal(err)
	}
	if err := stk.WriteRole(ctx, AuthMount, name+"-role", seedNS, seedSA, "", name+"-read"); err != nil {
		t.Fatal(err)
	}
	return name + "-role"
}

// onlyValues fails unless every line is one of the allowed values: a reader never sees an
// empty, partial or unknown file.
func onlyValues(t *testing.T, lines []string, allowed ...string) {
	t.Helper()
	for _, l := range lines {
		ok := false
		for _, a := range allowed {
			ok = ok || l == "value="+a
		}
		if !ok {
			t.Fatalf("the pod read %q, want one of %q", l, allowed)
		}
	}
}

// A store that accepts connections and answers nothing (frozen with SIGSTOP, beyond the
// client timeout), then flaps between down and up: the files stay whole, Events say the
// rotation failed, and rotation resumes by itself.
func TestFaultStoreHungAndFlappingDuringRotation(t *testing.T) {
	setupModule(t)
	ctx := t.Context()
	restoreStore(t)
	pod := rotatingPod(t, "fault-hung", "fault-hung-secret", "before-hang")
	seen := len(logLines(t, pod.Name))

	if err := stk.SignalProcess("openbao", syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, pod.Name, "SecretRotationFailed", "fault-hung-ssi")
	if !strings.Contains(ev, "unavailable") {
		t.Errorf("rotation event %q does not say the store is unavailable", ev)
	}
	if err := stk.SignalProcess("openbao", syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	// Flapping: down and up twice, with a change written while it is up.
	for i, v := range []string{"flap-1", "flap-2"} {
		stk.StopStore()
		time.Sleep(2 * csiRotation)
		startStore(ctx, t)
		if _, err := stk.PutKV2(ctx, seedKV, "fault-hung-secret", map[string]any{"VALUE": secretValue(v)}); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			waitLog(t, pod.Name, "value="+v, 2*time.Minute)
		}
	}
	waitLog(t, pod.Name, "value=flap-2", 2*time.Minute)
	onlyValues(t, logLines(t, pod.Name)[seen:], "before-hang", "flap-1", "flap-2")
	if restarts := containerRestarts(t, pod.Name); restarts != 0 {
		t.Fatalf("the pod's container restarted %d times", restarts)
	}
}

// Every token the store issued through the kubernetes auth method is revoked between two
// rotations: the plugin's cached token is refused (403), it logs in again and the new value
// arrives.
func TestFaultStoreTokenRevokedBetweenRotations(t *testing.T) {
	setupModule(t)
	ctx := t.Context()
	pod := rotatingPod(t, "fault-revoke", "fault-revoke-secret", "before-revoke")
	seen := len(logLines(t, pod.Name))
	if err := stk.StoreAPI(ctx, http.MethodPut, "sys/leases/revoke-prefix/auth/"+AuthMount, nil, nil); err != nil {
		t.Fatalf("revoke the tokens of auth/%s: %v", AuthMount, err)
	}
	if _, err := stk.PutKV2(ctx, seedKV, "fault-revoke-secret", map[string]any{"VALUE": secretValue("after-revoke")}); err != nil {
		t.Fatal(err)
	}
	waitLog(t, pod.Name, "value=after-revoke", 2*time.Minute)
	onlyValues(t, logLines(t, pod.Name)[seen:], "before-revoke", "after-revoke")
}

func containerRestarts(t *testing.T, pod string) int32 {
	t.Helper()
	p, err := kube.CoreV1().Pods(seedNS).Get(t.Context(), pod, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var n int32
	for _, s := range p.Status.ContainerStatuses {
		n += s.RestartCount
	}
	return n
}
