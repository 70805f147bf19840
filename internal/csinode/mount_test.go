// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// needRoot skips a test that mounts for real.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
}

// mountDir creates dir and unmounts everything left on it at the end.
func mountDir(t *testing.T, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range maxStacked {
			if unix.Unmount(dir, unix.MNT_DETACH) != nil {
				return
			}
		}
	})
	return dir
}

func statfs(t *testing.T, p string) unix.Statfs_t {
	t.Helper()
	var sfs unix.Statfs_t
	if err := unix.Statfs(p, &sfs); err != nil {
		t.Fatal(err)
	}
	return sfs
}

func emptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("%s: got %d entries, want none left", dir, len(entries))
	}
}

// peerDirs returns three directories under root, as the plugin's container has them:
// plugin, a shared mount (the pods directory with Bidirectional propagation); kubelet, its
// peer in the host's view; staging, for the mounter's private directory.
func peerDirs(t *testing.T, root string) (plugin, kubelet, staging string) {
	t.Helper()
	plugin = mountDir(t, filepath.Join(root, "plugin"))
	kubelet = mountDir(t, filepath.Join(root, "kubelet"))
	staging = mountDir(t, filepath.Join(root, "staging"))
	for _, step := range []struct {
		src, dst string
		flags    uintptr
	}{
		{plugin, plugin, unix.MS_BIND},
		{"", plugin, unix.MS_SHARED},
		{plugin, kubelet, unix.MS_BIND},
	} {
		if err := unix.Mount(step.src, step.dst, "", step.flags, ""); err != nil {
			t.Fatalf("mount %q on %s: %v", step.src, step.dst, err)
		}
	}
	return plugin, kubelet, staging
}

// TestTmpfs mounts a real tmpfs read-only, writes through a writable view,
// and unmounts; it needs root and is skipped otherwise.
func TestTmpfs(t *testing.T) {
	needRoot(t)
	root := t.TempDir()
	staging := mountDir(t, filepath.Join(root, "staging"))
	target := mountDir(t, filepath.Join(root, "target"))
	m := NewTmpfs(staging)
	if mounted, err := m.IsMounted(target); err != nil || mounted {
		t.Fatalf("before mount: got %v, %v, want not mounted", mounted, err)
	}
	gid := int64(4242)
	write := func(name, data string) func(string) error {
		return func(dir string) error { return os.WriteFile(filepath.Join(dir, name), []byte(data), 0o440) }
	}
	if err := m.MountReadOnly(target, TmpfsOptions{Size: 1 << 20, Mode: tmpfsMode, GID: &gid}, write("a", "1")); err != nil {
		t.Fatal(err)
	}
	if mounted, err := m.IsMounted(target); err != nil || !mounted {
		t.Fatalf("after mount: got %v, %v, want mounted", mounted, err)
	}
	var st unix.Stat_t
	if err := unix.Stat(target, &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode&0o777 != 0o750 || st.Gid != uint32(gid) {
		t.Errorf("tmpfs root: got mode %o gid %d, want 750 and %d", st.Mode&0o777, st.Gid, gid)
	}
	sfs := statfs(t, target)
	for _, f := range []struct {
		flag int64
		name string
	}{{unix.ST_RDONLY, "ro"}, {unix.ST_NOSUID, "nosuid"}, {unix.ST_NODEV, "nodev"}, {unix.ST_NOEXEC, "noexec"}} {
		if sfs.Flags&f.flag == 0 {
			t.Errorf("mount flags %#x: want %s", sfs.Flags, f.name)
		}
	}
	if size := int64(sfs.Blocks) * sfs.Bsize; size != 1<<20 {
		t.Errorf("size: got %d, want %d", size, 1<<20)
	}
	if err := os.WriteFile(filepath.Join(target, "b"), nil, 0o600); !errors.Is(err, unix.EROFS) {
		t.Errorf("write through the target: got %v, want EROFS", err)
	}
	emptyDir(t, staging)

	// An update, also by a new process (nothing of the first one's staging
	// is needed).
	for i, mm := range []*Tmpfs{m, NewTmpfs(staging)} {
		if err := mm.Writable(target, write("a", "v"+string(rune('2'+i)))); err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
		if b, err := os.ReadFile(filepath.Join(target, "a")); err != nil || string(b) != "v"+string(rune('2'+i)) {
			t.Errorf("after update %d: got %q, %v", i, b, err)
		}
		if statfs(t, target).Flags&unix.ST_RDONLY == 0 {
			t.Errorf("after update %d: the target is writable", i)
		}
		emptyDir(t, staging)
	}

	if err := m.Unmount(target); err != nil {
		t.Fatal(err)
	}
	if mounted, err := m.IsMounted(target); err != nil || mounted {
		t.Fatalf("after unmount: got %v, %v, want not mounted", mounted, err)
	}
	if err := m.Unmount(target); err != nil {
		t.Errorf("second unmount: got %v, want nil", err)
	}
}

// A failed fill leaves nothing mounted and nothing in the staging directory.
func TestTmpfsFillFails(t *testing.T) {
	needRoot(t)
	root := t.TempDir()
	staging := mountDir(t, filepath.Join(root, "staging"))
	target := mountDir(t, filepath.Join(root, "target"))
	m := NewTmpfs(staging)
	boom := errors.New("boom")
	err := m.MountReadOnly(target, TmpfsOptions{Size: 1 << 20, Mode: tmpfsMode}, func(string) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the fill's error", err)
	}
	if mounted, err := m.IsMounted(target); err != nil || mounted {
		t.Errorf("target: got mounted %v, %v, want not mounted", mounted, err)
	}
	emptyDir(t, staging)
	if err := m.Writable(target, func(string) error { return nil }); err == nil {
		t.Error("writable view of a target without tmpfs: got nil, want an error")
	}
	emptyDir(t, staging)
}

// kubelet and the containers see the volume through a peer of the plugin's
// mount of the pods directory (mountPropagation: Bidirectional). Per-mount
// flags do not propagate, so the volume must reach the peer read-only.
func TestTmpfsReadOnlyPropagates(t *testing.T) {
	needRoot(t)
	root := t.TempDir()
	plugin, kubelet, staging := peerDirs(t, root)
	if err := os.Mkdir(filepath.Join(plugin, "vol"), 0o750); err != nil {
		t.Fatal(err)
	}
	target, seen := filepath.Join(plugin, "vol"), filepath.Join(kubelet, "vol")
	t.Cleanup(func() { _ = unix.Unmount(seen, unix.MNT_DETACH); _ = unix.Unmount(target, unix.MNT_DETACH) })
	m := NewTmpfs(staging)
	fill := func(dir string) error { return os.WriteFile(filepath.Join(dir, "a"), []byte("1"), 0o440) }
	if err := m.MountReadOnly(target, TmpfsOptions{Size: 1 << 20, Mode: tmpfsMode}, fill); err != nil {
		t.Fatal(err)
	}
	if sfs := statfs(t, seen); sfs.Type != unix.TMPFS_MAGIC || sfs.Flags&unix.ST_RDONLY == 0 {
		t.Fatalf("the peer's view: type %#x flags %#x, want a read-only tmpfs", sfs.Type, sfs.Flags)
	}
	if err := os.WriteFile(filepath.Join(seen, "a"), []byte("x"), 0o600); !errors.Is(err, unix.EROFS) {
		t.Errorf("write through the peer's view: got %v, want EROFS", err)
	}
	// A bind made from the peer's view, as the container runtime makes, is
	// read-only too.
	ctr := mountDir(t, filepath.Join(root, "container"))
	if err := unix.Mount(seen, ctr, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ctr, "a"), []byte("x"), 0o600); !errors.Is(err, unix.EROFS) {
		t.Errorf("write through the container's bind: got %v, want EROFS", err)
	}
	update := func(dir string) error { return os.WriteFile(filepath.Join(dir, "a"), []byte("2"), 0o440) }
	if err := m.Writable(target, update); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(ctr, "a")); err != nil || string(b) != "2" {
		t.Errorf("the container after an update: got %q, %v, want the new content", b, err)
	}
	if statfs(t, seen).Flags&unix.ST_RDONLY == 0 {
		t.Error("the peer's view is writable after an update")
	}
	if err := m.Unmount(target); err != nil {
		t.Fatal(err)
	}
	if mounted, _ := m.IsMounted(seen); mounted {
		t.Error("the peer's view is still mounted after unmount")
	}
}

// A view left mounted in the staging directory by a plugin that stopped
// during an update is removed on first use by the next one.
func TestTmpfsRemovesLeftovers(t *testing.T) {
	needRoot(t)
	root := t.TempDir()
	staging := mountDir(t, filepath.Join(root, "staging"))
	target := mountDir(t, filepath.Join(root, "target"))
	fill := func(string) error { return nil }
	if err := NewTmpfs(staging).MountReadOnly(target, TmpfsOptions{Size: 1 << 20, Mode: tmpfsMode}, fill); err != nil {
		t.Fatal(err)
	}
	left := mountDir(t, filepath.Join(staging, "left-behind"))
	if err := unix.Mount(target, left, "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	if err := NewTmpfs(staging).Writable(target, fill); err != nil {
		t.Fatal(err)
	}
	emptyDir(t, staging)
}
