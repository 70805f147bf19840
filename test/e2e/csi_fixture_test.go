// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"

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
