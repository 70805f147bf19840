package csinode

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestTmpfs mounts a real tmpfs; it needs root and is skipped otherwise.
func TestTmpfs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	target := filepath.Join(t.TempDir(), "mount")
	if err := os.Mkdir(target, 0o750); err != nil {
		t.Fatal(err)
	}
	var m Tmpfs
	if mounted, err := m.IsMounted(target); err != nil || mounted {
		t.Fatalf("before mount: got %v, %v, want not mounted", mounted, err)
	}
	gid := int64(4242)
	if err := m.MountTmpfs(target, TmpfsOptions{Size: 1 << 20, Mode: tmpfsMode, GID: &gid}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Unmount(target, unix.MNT_DETACH) })
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
	var sfs unix.Statfs_t
	if err := unix.Statfs(target, &sfs); err != nil {
		t.Fatal(err)
	}
	if sfs.Flags&unix.ST_NOSUID == 0 || sfs.Flags&unix.ST_NODEV == 0 || sfs.Flags&unix.ST_NOEXEC == 0 {
		t.Errorf("mount flags %#x: want nosuid, nodev, noexec", sfs.Flags)
	}
	if size := int64(sfs.Blocks) * sfs.Bsize; size != 1<<20 {
		t.Errorf("size: got %d, want %d", size, 1<<20)
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
