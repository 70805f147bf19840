// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A fresh publish mounts and writes in one step; a refresh with unchanged
// content opens no writable view; a changed one opens exactly one.
func TestWritableViews(t *testing.T) {
	h, r := published(t)
	if got := h.mounter.writes(); got != 0 {
		t.Fatalf("writable views after the first publish: got %d, want 0", got)
	}
	h.clock.advance(DefaultRotationInterval)
	h.mustPublish(r)
	if got := h.mounter.writes(); got != 0 {
		t.Errorf("writable views after an unchanged refresh: got %d, want 0", got)
	}
	h.store.setValue(secretPath, "DB_PASS", valueNew)
	h.clock.advance(DefaultRotationInterval)
	h.mustPublish(r)
	if got := h.mounter.writes(); got != 1 {
		t.Errorf("writable views after a changed refresh: got %d, want 1", got)
	}
	// After a restart the version is unknown: the files are compared
	// through a view, and nothing changes.
	h.start()
	link := dataLink(t, r.TargetPath)
	h.clock.advance(DefaultRotationInterval)
	h.mustPublish(r)
	if got := h.mounter.writes(); got != 2 || dataLink(t, r.TargetPath) != link {
		t.Errorf("after a restart: got %d views and ..data %q, want 2 and %q", got, dataLink(t, r.TargetPath), link)
	}
}

// A failed mount after the files were written leaves no target behind.
func TestPublishMountFails(t *testing.T) {
	h := newHarness(t)
	h.mounter.failMount = errors.New("bind: operation not permitted")
	r := h.request()
	err := h.publish(r)
	if status.Code(err) != codes.Internal || !strings.Contains(err.Error(), "mount: bind") {
		t.Fatalf("got %v, want Internal naming the mount", err)
	}
	if _, err := os.Lstat(r.TargetPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("target: got %v, want it removed", err)
	}
}

// With real mounts (root only): the pod's view of the volume is read-only
// from the first publish on, rotation writes through a view of its own, and
// both survive a restart of the plugin.
func TestReadOnlyVolume(t *testing.T) {
	needRoot(t)
	h := newHarness(t)
	h.tmpfs = NewTmpfs(h.cfg.StagingDir)
	h.start()
	mountDir(t, h.cfg.StagingDir)
	r := h.request()
	mountDir(t, r.TargetPath)
	h.mustPublish(r)
	checkReadOnly := func(when string) {
		t.Helper()
		if statfs(t, r.TargetPath).Flags&unix.ST_RDONLY == 0 {
			t.Errorf("%s: the volume is writable", when)
		}
		if err := os.WriteFile(filepath.Join(r.TargetPath, "db-password"), []byte("x"), 0o600); !errors.Is(err, unix.EROFS) {
			t.Errorf("%s: overwriting a file: got %v, want EROFS", when, err)
		}
		if err := os.Remove(filepath.Join(r.TargetPath, "..data")); !errors.Is(err, unix.EROFS) {
			t.Errorf("%s: removing ..data: got %v, want EROFS", when, err)
		}
		emptyDir(t, h.cfg.StagingDir)
	}
	checkReadOnly("after publish")

	for i, value := range []string{valueNew, valuePass} {
		if i == 1 {
			h.tmpfs = NewTmpfs(h.cfg.StagingDir) // a restarted plugin
			h.start()
		}
		h.store.setValue(secretPath, "DB_PASS", value)
		h.clock.advance(DefaultRotationInterval)
		h.mustPublish(r)
		if got := readFile(t, r.TargetPath, "db-password"); got != value {
			t.Errorf("rotation %d: got %q, want the new value", i, got)
		}
		checkReadOnly("after rotation")
	}
	if err := h.unpublish(r); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(r.TargetPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("target after unpublish: got %v, want it removed", err)
	}
}
