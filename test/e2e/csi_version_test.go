// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// A file pinned to a KV version 2 version holds that version's value against the real store;
// a file of the same path without a version holds the current one.
func TestCSIVersionPinned(t *testing.T) {
	setupModule(t)
	ctx := t.Context()
	first, current := secretValue("pinned-first-value"), secretValue("pinned-current-value")
	path, role, versions := csiSecret(t, "pinned-secret", map[string]any{"k": first}, map[string]any{"k": current})
	if err := applySSI(ctx, seedNS, "pinned-ssi", role,
		ssiFile{Name: "current", Path: path, Key: "k"},
		ssiFile{Name: "first", Path: path, Key: "k", Version: versions[0]},
	); err != nil {
		t.Fatal(err)
	}
	phase, logs := runInjected(t, csiPod("pinned", "pinned-ssi", "sh", "-c", "echo first=$(cat /mnt/secrets/first) current=$(cat /mnt/secrets/current)"))
	if want := "first=" + first + " current=" + current; phase != corev1.PodSucceeded || !strings.Contains(logs, want) {
		t.Fatalf("phase %s, want %q in the log:\n%s", phase, want, logs)
	}
}
