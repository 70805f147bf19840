package csinode

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// tmpfsMode is the mode of the tmpfs root: the owner (root, the writer) and
// the pod's fsGroup; nothing for others.
const tmpfsMode os.FileMode = 0o750

// TmpfsOptions describe the tmpfs of one volume.
type TmpfsOptions struct {
	Size int64       // bytes
	Mode os.FileMode // of the root directory
	GID  *int64      // group of the root directory; nil leaves root's
}

// data is the mount(2) data string, e.g. "size=4194304,mode=750,gid=1000".
func (o TmpfsOptions) data() string {
	d := "size=" + strconv.FormatInt(o.Size, 10) + ",mode=" + strconv.FormatUint(uint64(o.Mode.Perm()), 8)
	if o.GID != nil {
		d += ",gid=" + strconv.FormatInt(*o.GID, 10)
	}
	return d
}

// Mounter mounts the volumes' tmpfs. Implementations are safe for concurrent
// use on different targets.
type Mounter interface {
	// IsMounted reports whether target is a mount point. A missing target
	// is not mounted.
	IsMounted(target string) (bool, error)
	// MountTmpfs mounts a tmpfs on the existing directory target with
	// nosuid, nodev and noexec.
	MountTmpfs(target string, opt TmpfsOptions) error
	// Unmount unmounts target, which is a mount point.
	Unmount(target string) error
}

// Tmpfs is the Mounter of the running plugin: mount(2) and umount(2).
type Tmpfs struct{}

// IsMounted compares the device of target with that of its parent; a tmpfs
// always has a device of its own. Any other file system mounted there is an
// error: the plugin only ever mounts tmpfs.
func (Tmpfs) IsMounted(target string) (bool, error) {
	var st, parent unix.Stat_t
	if err := unix.Lstat(target, &st); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, fmt.Errorf("stat %s: %w", target, err)
	}
	if err := unix.Lstat(filepath.Dir(target), &parent); err != nil {
		return false, fmt.Errorf("stat %s: %w", filepath.Dir(target), err)
	}
	if st.Dev == parent.Dev {
		return false, nil
	}
	var sfs unix.Statfs_t
	if err := unix.Statfs(target, &sfs); err != nil {
		return false, fmt.Errorf("statfs %s: %w", target, err)
	}
	if sfs.Type != unix.TMPFS_MAGIC {
		return false, fmt.Errorf("%s is a mount point of another file system (type %#x): unmount it", target, sfs.Type)
	}
	return true, nil
}

// MountTmpfs mounts a tmpfs with an explicit size and mode.
func (Tmpfs) MountTmpfs(target string, opt TmpfsOptions) error {
	flags := uintptr(unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	if err := unix.Mount("tmpfs", target, "tmpfs", flags, opt.data()); err != nil {
		return fmt.Errorf("mount tmpfs (%s) on %s: %w", opt.data(), target, err)
	}
	return nil
}

// Unmount unmounts target; a target that is not mounted is not an error.
func (Tmpfs) Unmount(target string) error {
	err := unix.Unmount(target, 0)
	if err == nil || errors.Is(err, syscall.EINVAL) || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return fmt.Errorf("unmount %s: %w", target, err)
}
