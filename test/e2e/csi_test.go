// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/utils/ptr"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// Seed myapp3: SecretsStoreImport myapp-ssi and a pod reading /mnt/secrets/db-password.
func TestCSIMountsSecretFile(t *testing.T) {
	setupModule(t)
	ctx := t.Context()
	if err := applySSI(ctx, seedNS, "myapp-ssi", seedRole, ssiFile{Name: "db-password", Path: seedKV + "/data/myapp-secret", Key: "DB_PASS"}); err != nil {
		t.Fatal(err)
	}
	pod := csiPod("myapp3", "myapp-ssi", "sh", "-c", "cat /mnt/secrets/db-password; echo; ls -ln /mnt/secrets/; grep ' /mnt/secrets ' /proc/mounts")
	phase, logs := runInjected(t, pod)
	if phase != corev1.PodSucceeded {
		t.Fatalf("phase %s, log:\n%s", phase, logs)
	}
	for _, want := range []string{"secret-password", "tmpfs /mnt/secrets tmpfs", "nosuid", "nodev", "noexec"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

// A base64 keytab in the store arrives as a byte-identical binary file.
func TestCSIBinaryFile(t *testing.T) {
	setupModule(t)
	ctx := t.Context()
	keytab := make([]byte, 3000)
	if _, err := rand.Read(keytab); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(keytab)
	if _, err := stk.PutKV2(ctx, seedKV, "keytab-secret", map[string]any{"keytab": secretValue(base64.StdEncoding.EncodeToString(keytab))}); err != nil {
		t.Fatal(err)
	}
	if err := stk.WritePolicy(ctx, "keytab-read", stack.ReadPolicy(seedKV+"/data/keytab-secret")); err != nil {
		t.Fatal(err)
	}
	if err := stk.WriteRole(ctx, AuthMount, "keytab-role", seedNS, seedSA, "", "keytab-read"); err != nil {
		t.Fatal(err)
	}
	if err := applySSI(ctx, seedNS, "keytab-ssi", "keytab-role", ssiFile{Name: "keytab", Path: seedKV + "/data/keytab-secret", Key: "keytab", DecodeBase64: true}); err != nil {
		t.Fatal(err)
	}
	phase, logs := runInjected(t, csiPod("keytab", "keytab-ssi", "sha256sum", "/mnt/secrets/keytab"))
	if phase != corev1.PodSucceeded || !strings.Contains(logs, hex.EncodeToString(sum[:])) {
		t.Fatalf("phase %s, want sha256 %x; log:\n%s", phase, sum, logs)
	}
}

// A non-root pod with fsGroup reads its file; others cannot.
func TestCSINonRootWithFSGroup(t *testing.T) {
	setupModule(t)
	ctx := t.Context()
	if err := applySSI(ctx, seedNS, "myapp-ssi", seedRole, ssiFile{Name: "db-password", Path: seedKV + "/data/myapp-secret", Key: "DB_PASS"}); err != nil {
		t.Fatal(err)
	}
	pod := csiPod("nonroot", "myapp-ssi", "sh", "-c", "id; cat /mnt/secrets/db-password")
	pod.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsUser: ptr.To(int64(1000)), RunAsGroup: ptr.To(int64(1000)), FSGroup: ptr.To(int64(2000))}
	phase, logs := runInjected(t, pod)
	if phase != corev1.PodSucceeded || !strings.Contains(logs, "secret-password") {
		t.Fatalf("phase %s; log:\n%s", phase, logs)
	}
}

// Invalid base64 keeps the container from starting, with an event that says why.
func TestCSIInvalidBase64(t *testing.T) {
	setupModule(t)
	ctx := t.Context()
	if err := applySSI(ctx, seedNS, "bad-b64", seedRole, ssiFile{Name: "db-password", Path: seedKV + "/data/myapp-secret", Key: "DB_PASS", DecodeBase64: true}); err != nil {
		t.Fatal(err)
	}
	pod := csiPod("bad-b64", "bad-b64", "cat", "/mnt/secrets/db-password")
	if err := stack.DeletePod(ctx, kube, seedNS, pod.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.CoreV1().Pods(seedNS).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.DeletePod(context.WithoutCancel(t.Context()), kube, seedNS, pod.Name) })
	ev := waitEvent(t, pod.Name, "FailedMount", "base64")
	for _, want := range []string{"bad-b64", "db-password", "DB_PASS"} {
		if !strings.Contains(ev, want) {
			t.Errorf("event %q does not name %q", ev, want)
		}
	}
	if strings.Contains(ev, "secret-password") {
		t.Error("the event contains the secret value")
	}
	p, err := kube.CoreV1().Pods(seedNS).Get(ctx, pod.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status.Phase != corev1.PodPending {
		t.Fatalf("pod phase %s, want Pending (container never started)", p.Status.Phase)
	}
}

// waitEvent waits for an event on the pod with reason whose message contains substr and
// returns the message.
func waitEvent(t *testing.T, pod, reason, substr string) string {
	t.Helper()
	var msg string
	// Only this pod's events: a pod of the same name from an earlier run has its own UID.
	p, err := kube.CoreV1().Pods(seedNS).Get(t.Context(), pod, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get pod %s: %v", pod, err)
	}
	sel := fields.AndSelectors(fields.OneTermEqualSelector("involvedObject.name", pod),
		fields.OneTermEqualSelector("involvedObject.uid", string(p.UID)), fields.OneTermEqualSelector("reason", reason)).String()
	err = stack.Poll(t.Context(), 2*time.Minute, func(ctx context.Context) (bool, error) {
		evs, err := kube.CoreV1().Events(seedNS).List(ctx, metav1.ListOptions{FieldSelector: sel})
		if err != nil {
			return false, err
		}
		for _, e := range evs.Items {
			if strings.Contains(e.Message, substr) {
				msg = e.Message
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("no %s event containing %q on pod %s: %v", reason, substr, pod, err)
	}
	return msg
}
