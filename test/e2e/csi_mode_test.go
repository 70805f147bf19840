// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// A container that runs as a non-root user in a pod without fsGroup reads a file with mode
// 0444, and is refused the file of the same volume with the default mode 0440.
func TestCSIFileModeNonRootWithoutFSGroup(t *testing.T) {
	setupModule(t)
	ctx := t.Context()
	value := secretValue("mode-public-value")
	path, role, _ := csiSecret(t, "mode-secret", map[string]any{"k": value})
	if err := applySSI(ctx, seedNS, "mode-ssi", role,
		ssiFile{Name: "public", Path: path, Key: "k", Mode: 0o444},
		ssiFile{Name: "private", Path: path, Key: "k"},
	); err != nil {
		t.Fatal(err)
	}
	script := `id -u; stat -L -c '%a %n' /mnt/secrets/public /mnt/secrets/.; echo public=$(cat /mnt/secrets/public); ` +
		`if cat /mnt/secrets/private >/dev/null 2>&1; then echo PRIVATE-READABLE; else echo PRIVATE-REFUSED; fi`
	pod := csiPod("mode-nonroot", "mode-ssi", "sh", "-c", script)
	pod.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsUser: ptr.To(int64(1234)), RunAsGroup: ptr.To(int64(1234))}
	phase, logs := runInjected(t, pod)
	for _, want := range []string{"1234\n", "444 /mnt/secrets/public", "755 /mnt/secrets/.", "public=" + value, "PRIVATE-REFUSED"} {
		if phase != corev1.PodSucceeded || !strings.Contains(logs, want) {
			t.Errorf("phase %s, want %q in the log:\n%s", phase, want, logs)
		}
	}
}

// Every key of a secret becomes a file through spec.filesFrom, with its mode; an entry of
// spec.files of the same name wins.
func TestCSIFilesFrom(t *testing.T) {
	setupModule(t)
	ctx := t.Context()
	a, b := secretValue("from-a-value"), secretValue("from-b-value")
	path, role, _ := csiSecret(t, "from-secret", map[string]any{"alpha": a, "beta": b, "gamma": "g"})
	if err := stk.ApplySSIFrom(ctx, seedNS, "from-ssi", role,
		[]stack.SSIFilesFrom{{Path: path, Mode: 0o444}},
		ssiFile{Name: "gamma", Path: path, Key: "alpha"},
	); err != nil {
		t.Fatal(err)
	}
	script := `ls /mnt/secrets | tr '\n' ' '; echo; for f in alpha beta gamma; do echo "$f=$(cat /mnt/secrets/$f) $(stat -L -c %a /mnt/secrets/$f)"; done`
	phase, logs := runInjected(t, csiPod("from-files", "from-ssi", "sh", "-c", script))
	for _, want := range []string{"alpha beta gamma \n", "alpha=" + a + " 444", "beta=" + b + " 444", "gamma=" + a + " 440"} {
		if phase != corev1.PodSucceeded || !strings.Contains(logs, want) {
			t.Errorf("phase %s, want %q in the log:\n%s", phase, want, logs)
		}
	}
}
