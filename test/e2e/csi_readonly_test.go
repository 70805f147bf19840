// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// A container running as root tries to create, overwrite and unlink files in its secret
// volume, with and without readOnly on the csi volume source: the volume is read-only either
// way, like a Kubernetes Secret volume, and the files stay as the plugin wrote them.
func TestCSIVolumeReadOnly(t *testing.T) {
	setupModule(t)
	if err := applySSI(t.Context(), seedNS, "myapp-ssi", seedRole, ssiFile{Name: "db-password", Path: seedKV + "/data/myapp-secret", Key: "DB_PASS"}); err != nil {
		t.Fatal(err)
	}
	script := `grep ' /mnt/secrets ' /proc/mounts
try() { if sh -c "$2" 2>&1; then echo "$1: written"; else echo "$1: refused"; fi; }
try create 'echo x > /mnt/secrets/new'
try overwrite 'echo x > /mnt/secrets/db-password'
try unlink 'rm /mnt/secrets/..data'
try chmod 'chmod 666 /mnt/secrets/db-password'
echo "content=$(cat /mnt/secrets/db-password)"`
	for _, tt := range []struct {
		name     string
		readOnly *bool
	}{
		{name: "readOnly true", readOnly: ptr.To(true)},
		{name: "readOnly unset"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pod := csiPod("read-only-"+map[bool]string{true: "set", false: "unset"}[tt.readOnly != nil], "myapp-ssi", "sh", "-c", script)
			pod.Spec.Volumes[0].CSI.ReadOnly = tt.readOnly
			phase, logs := runInjected(t, pod)
			t.Logf("%s:\n%s", tt.name, logs)
			if phase != corev1.PodSucceeded {
				t.Fatalf("phase %s; log:\n%s", phase, logs)
			}
			for _, op := range []string{"create", "overwrite", "unlink", "chmod"} {
				if !strings.Contains(logs, op+": refused") {
					t.Errorf("%s was not refused; log:\n%s", op, logs)
				}
			}
			if !strings.Contains(logs, "Read-only file system") {
				t.Errorf("no write failed with EROFS; log:\n%s", logs)
			}
			if !strings.Contains(logs, "content=secret-password") {
				t.Errorf("the file lost its content; log:\n%s", logs)
			}
			for _, l := range strings.Split(logs, "\n") {
				if f := strings.Fields(l); len(f) > 3 && f[1] == "/mnt/secrets" && !strings.HasPrefix(f[3], "ro,") {
					t.Errorf("mount options %s, want ro", f[3])
				}
			}
		})
	}
}
