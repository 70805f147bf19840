// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// Bad input on the real cluster: what the API server refuses before anything runs, and what
// the CSI plugin and the injector refuse with a message, never with a half-written volume or
// a secret from somewhere it should not come from.

// The SecretsStoreImport schema refuses names and paths that could escape the volume, more
// files than a volume holds, and keys with spaces, at the API server, with a message that
// names the field.
func TestBadInputSSIRefusedByAPIServer(t *testing.T) {
	setupModule(t)
	ctx := t.Context()
	many := make([]ssiFile, 257)
	for i := range many {
		many[i] = ssiFile{Name: fmt.Sprintf("f%03d", i), Path: seedKV + "/data/myapp-secret", Key: "DB_PASS"}
	}
	tests := []struct {
		name  string
		files []ssiFile
		want  string // in the API server's message
	}{
		{"traversal in the file name", []ssiFile{{Name: "../../etc/passwd", Path: seedKV + "/data/myapp-secret", Key: "DB_PASS"}}, "spec.files[0].name"},
		{"slash in the file name", []ssiFile{{Name: "dir/file", Path: seedKV + "/data/myapp-secret", Key: "DB_PASS"}}, "spec.files[0].name"},
		{"hidden file name (..data is the plugin's)", []ssiFile{{Name: "..data", Path: seedKV + "/data/myapp-secret", Key: "DB_PASS"}}, "spec.files[0].name"},
		{"control character in the file name", []ssiFile{{Name: "a\nb", Path: seedKV + "/data/myapp-secret", Key: "DB_PASS"}}, "spec.files[0].name"},
		{"dot-dot segment in the path", []ssiFile{{Name: "x", Path: seedKV + "/data/../../sys/raw", Key: "DB_PASS"}}, "spec.files[0].source.path"},
		{"space in the key", []ssiFile{{Name: "x", Path: seedKV + "/data/myapp-secret", Key: "DB PASS"}}, "spec.files[0].source.key"},
		{"duplicate file names", []ssiFile{
			{Name: "x", Path: seedKV + "/data/myapp-secret", Key: "DB_PASS"},
			{Name: "x", Path: seedKV + "/data/myapp-secret", Key: "DB_USER"},
		}, "spec.files"},
		{"257 files", many, "spec.files"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := applySSI(ctx, seedNS, fmt.Sprintf("refused-%d", i), seedRole, tt.files...)
			if err == nil {
				t.Fatal("the API server accepted it")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("refusal %q does not name %s", err, tt.want)
			}
		})
	}
}

// createPendingCSIPod creates a CSI pod and returns it once it exists.
func createPendingCSIPod(t *testing.T, name, ssiName string) *corev1.Pod {
	t.Helper()
	ctx := t.Context()
	pod := csiPod(name, ssiName, "cat", "/mnt/secrets/value")
	if err := stack.DeletePod(ctx, kube, seedNS, pod.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.CoreV1().Pods(seedNS).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.DeletePod(context.WithoutCancel(t.Context()), kube, seedNS, pod.Name) })
	return pod
}

// requirePending fails unless the pod's container never started.
func requirePending(t *testing.T, name string) {
	t.Helper()
	p, err := kube.CoreV1().Pods(seedNS).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status.Phase != corev1.PodPending {
		t.Fatalf("pod %s is %s, want Pending: the container must not start without its files", name, p.Status.Phase)
	}
}

// A pod names a SecretsStoreImport that exists only in another namespace, with a role that
// could read its secret: the plugin looks only in the pod's own namespace.
func TestBadInputSSIOfAnotherNamespace(t *testing.T) {
	setupModule(t)
	ctx := t.Context()
	const other = "other-team"
	if err := stack.EnsureNamespace(ctx, kube, other); err != nil {
		t.Fatal(err)
	}
	if err := applySSIIn(ctx, other, "foreign-ssi"); err != nil {
		t.Fatal(err)
	}
	pod := createPendingCSIPod(t, "foreign-ssi", "foreign-ssi")
	ev := waitEvent(t, pod.Name, "FailedMount", "foreign-ssi")
	if !strings.Contains(ev, seedNS) || !strings.Contains(ev, "not found") {
		t.Errorf("event %q does not say the SecretsStoreImport is not found in %s", ev, seedNS)
	}
	requirePending(t, pod.Name)
}

func applySSIIn(ctx context.Context, ns, name string) error {
	return stk.ApplySSI(ctx, ns, name, seedRole, ssiFile{Name: "value", Path: seedKV + "/data/myapp-secret", Key: "DB_PASS"})
}

// A value larger than the volume's tmpfs (4 MiB by default): the publish is refused before
// anything is written, with a message that names the file and the size to set.
func TestBadInputValueLargerThanTheVolume(t *testing.T) {
	setupModule(t)
	ctx := t.Context()
	role := secretWithRole(t, "huge", "huge-secret", map[string]any{"VALUE": strings.Repeat("h", 5<<20)})
	if err := applySSI(ctx, seedNS, "huge-ssi", role, ssiFile{Name: "value", Path: seedKV + "/data/huge-secret", Key: "VALUE"}); err != nil {
		t.Fatal(err)
	}
	pod := createPendingCSIPod(t, "huge-value", "huge-ssi")
	ev := waitEvent(t, pod.Name, "FailedMount", "huge-ssi")
	for _, want := range []string{`file "value"`, "csiDriver.volumeSize"} {
		if !strings.Contains(ev, want) {
			t.Errorf("event %q does not say %q", ev, want)
		}
	}
	if strings.Contains(ev, "hhhhhhhh") {
		t.Error("the event quotes the value")
	}
	requirePending(t, pod.Name)
}

// Keys that are no portable variable names (a dash, Cyrillic letters, a leading digit) in a
// path imported with env-from-path: the injector skips each with a warning that names it and
// what to do, and starts the app with the valid keys.
func TestBadInputKeysThatAreNoVariableNames(t *testing.T) {
	setupModule(t)
	role := secretWithRole(t, "odd", "odd-keys", map[string]any{"GOOD": "fine", "bad-name": "x", "\u043a\u043b\u044e\u0447": "y", "1ST": "z"})
	pod := injectedPod("odd-keys", map[string]string{"env-from-path": seedKV + "/data/odd-keys"})
	pod.Annotations[annPrefix+"role"] = role
	phase, logs := runInjected(t, pod)
	if phase != corev1.PodSucceeded {
		t.Fatalf("phase %s, want Succeeded; log:\n%s", phase, logs)
	}
	for _, want := range []string{"GOOD=fine", "bad-name", "\u043a\u043b\u044e\u0447", "1ST", "explicit reference"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q; log:\n%s", want, logs)
		}
	}
	for _, l := range strings.Split(logs, "\n") {
		for _, bad := range []string{"bad-name=", "\u043a\u043b\u044e\u0447=", "1ST="} {
			if strings.HasPrefix(l, bad) {
				t.Errorf("the app got %s; log:\n%s", bad, logs)
			}
		}
	}
}
