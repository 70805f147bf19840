// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// ssiFile is one entry of spec.files.
type ssiFile = stack.SSIFile

// applySSI creates or replaces a SecretsStoreImport.
func applySSI(ctx context.Context, ns, name, role string, files ...ssiFile) error {
	return stk.ApplySSI(ctx, ns, name, role, files...)
}

// csiPod is a busybox pod of myapp-sa with the seed's inline CSI volume at /mnt/secrets.
func csiPod(name, ssiName string, command ...string) *corev1.Pod {
	return stack.CSIPod(seedNS, name, seedSA, ssiName, command...)
}

// csiSecret writes the secret name under the seed's KV mount, one KV version per data in
// order, with a read policy and a role of its own for the seed's ServiceAccount. It returns
// the path for sources, the role and the versions written.
func csiSecret(t *testing.T, name string, data ...map[string]any) (path, role string, versions []int) {
	t.Helper()
	ctx := t.Context()
	path, role = seedKV+"/data/"+name, name+"-role"
	for _, d := range data {
		v, err := stk.PutKV2(ctx, seedKV, name, d)
		if err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	if err := stk.WritePolicy(ctx, name+"-read", stack.ReadPolicy(path)); err != nil {
		t.Fatal(err)
	}
	if err := stk.WriteRole(ctx, AuthMount, role, seedNS, seedSA, "", name+"-read"); err != nil {
		t.Fatal(err)
	}
	return path, role, versions
}
