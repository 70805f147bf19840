// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// The CSI volume as the pod sees it: a tmpfs mounted nosuid,nodev,noexec; files readable by
// the owner and the pod's fsGroup and by nobody else; a user outside that group cannot read
// them.
func TestCSIVolumeIsLockedDown(t *testing.T) {
	setupModule(t)
	ctx := t.Context()
	if err := applySSI(ctx, seedNS, "myapp-ssi", seedRole, ssiFile{Name: "db-password", Path: seedKV + "/data/myapp-secret", Key: "DB_PASS"}); err != nil {
		t.Fatal(err)
	}

	pod := csiPod("locked-down", "myapp-ssi", "sh", "-c",
		"grep ' /mnt/secrets ' /proc/mounts; stat -L -c 'mode=%a gid=%g' /mnt/secrets/db-password; stat -c 'dir=%a' /mnt/secrets")
	pod.Spec.SecurityContext = &corev1.PodSecurityContext{FSGroup: ptr.To(int64(2000))}
	phase, logs := runInjected(t, pod)
	if phase != corev1.PodSucceeded {
		t.Fatalf("phase %s; log:\n%s", phase, logs)
	}
	var mount string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, " /mnt/secrets ") {
			mount = l
		}
	}
	fields := strings.Fields(mount)
	if len(fields) < 4 || fields[2] != "tmpfs" {
		t.Fatalf("/mnt/secrets is not a tmpfs: %q; log:\n%s", mount, logs)
	}
	opts := "," + fields[3] + ","
	for _, o := range []string{"nosuid", "nodev", "noexec"} {
		if !strings.Contains(opts, ","+o+",") {
			t.Errorf("mount options %s lack %s", fields[3], o)
		}
	}
	if !strings.Contains(opts, ",size=") {
		t.Errorf("mount options %s have no explicit size", fields[3])
	}
	if !strings.Contains(logs, "gid=2000") {
		t.Errorf("the file does not belong to the fsGroup 2000; log:\n%s", logs)
	}
	for _, l := range strings.Split(logs, "\n") {
		if mode, ok := strings.CutPrefix(l, "mode="); ok {
			if m := strings.Fields(mode)[0]; !strings.HasSuffix(m, "0") {
				t.Errorf("file mode %s is readable by others", m)
			}
		}
		if mode, ok := strings.CutPrefix(l, "dir="); ok && !strings.HasSuffix(mode, "0") {
			t.Errorf("volume directory mode %s is open to others", mode)
		}
	}

	t.Run("a user outside the fsGroup cannot read the file", func(t *testing.T) {
		p := csiPod("locked-out", "myapp-ssi", "sh", "-c", "cat /mnt/secrets/db-password && echo READ")
		p.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsUser: ptr.To(int64(1000)), RunAsGroup: ptr.To(int64(1000))}
		phase, logs := runInjected(t, p)
		if phase != corev1.PodFailed || strings.Contains(logs, "READ") || strings.Contains(logs, "secret-password") {
			t.Fatalf("phase %s, want Failed without the secret; log:\n%s", phase, logs)
		}
		if !strings.Contains(logs, "Permission denied") {
			t.Errorf("want Permission denied; log:\n%s", logs)
		}
	})
}
