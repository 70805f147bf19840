// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// tmpfsMode is the mode of the tmpfs root: the owner (root, the writer) and
// the pod's fsGroup; nothing for others.
const tmpfsMode os.FileMode = 0o750

// volumeFlags are the flags of every mount of a volume. A remount replaces
// the per-mount flags, so each remount repeats them.
const volumeFlags = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC

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

// Mounter mounts the volumes' tmpfs. A volume is read-only for everyone who
// reaches it through its target path (kubelet, the pod's containers); only
// the plugin writes, through a path of its own. Implementations are safe for
// concurrent use on different targets.
type Mounter interface {
	// IsMounted reports whether target is a mount point. A missing target
	// is not mounted.
	IsMounted(target string) (bool, error)
	// MountReadOnly mounts a new tmpfs with nosuid, nodev and noexec on the
	// existing directory target, read-only, after fill has written its
	// first content through a writable path. When fill or a mount fails,
	// nothing is mounted on target and fill's error is returned as it is.
	MountReadOnly(target string, opt TmpfsOptions, fill func(dir string) error) error
	// Writable calls fn with a writable path to the tmpfs mounted on
	// target. The path exists during the call only.
	Writable(target string, fn func(dir string) error) error
	// BindReadOnly binds the directory src onto the existing directory
	// target, read-only, with nosuid and nodev (programs in it can run).
	BindReadOnly(src, target string) error
	// Unmount unmounts target, which is a mount point.
	Unmount(target string) error
}

// Tmpfs is the Mounter of the running plugin (mount(2), umount(2)).
//
// Per-mount flags such as read-only do not propagate: remounting a target
// read-only in the plugin's mount namespace would leave kubelet's copy, from
// which the containers' mounts are made, writable. A mount created read-only
// propagates read-only, though, and a bind mount starts with the flags of its
// source. So a volume's tmpfs is mounted and filled in the staging directory,
// made read-only there, and bind-mounted onto the target; its staging mount
// is then removed. An update binds the target into the staging directory
// again, makes that one view writable and removes it afterwards. The staging
// directory is a private mount: nothing below it reaches kubelet or a pod,
// and after a restart of the plugin's container nothing of it is left.
type Tmpfs struct {
	staging string
	once    sync.Once
	err     error
}

// NewTmpfs returns the Mounter whose staging directory is staging. The
// directory is prepared on first use (see prepare).
func NewTmpfs(staging string) *Tmpfs {
	return &Tmpfs{staging: staging}
}

// prepare creates the staging directory if needed, makes it a private mount
// point and removes what a plugin stopped during an update left there.
// It runs once; its error is every later call's.
func (t *Tmpfs) prepare() error {
	t.once.Do(func() { t.err = prepareStaging(t.staging) })
	return t.err
}

func prepareStaging(staging string) error {
	if staging == "" || !filepath.IsAbs(staging) {
		return fmt.Errorf("staging directory %q is not an absolute path", staging)
	}
	if err := os.MkdirAll(staging, 0o700); err != nil {
		return fmt.Errorf("create staging directory: %w", err)
	}
	err := unix.Mount("", staging, "", unix.MS_PRIVATE, "")
	if errors.Is(err, unix.EINVAL) { // not a mount point yet
		if err = unix.Mount(staging, staging, "", unix.MS_BIND, ""); err == nil {
			err = unix.Mount("", staging, "", unix.MS_PRIVATE, "")
		}
	}
	if err != nil {
		return fmt.Errorf("make staging directory %s a private mount: %w", staging, err)
	}
	entries, err := os.ReadDir(staging)
	if err != nil {
		return fmt.Errorf("read staging directory: %w", err)
	}
	// Best effort: a leftover that cannot be removed fails only the volume
	// whose scratch name it has, with a message naming it.
	for _, e := range entries {
		_ = release(filepath.Join(staging, e.Name()))
	}
	return nil
}

// IsMounted compares the device of target with that of its parent; a tmpfs
// always has a device of its own. Any other file system mounted there is an
// error: the plugin only ever mounts tmpfs.
func (*Tmpfs) IsMounted(target string) (bool, error) {
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

// MountReadOnly mounts and fills the tmpfs in the staging directory, makes
// that mount read-only and binds it onto target.
func (t *Tmpfs) MountReadOnly(target string, opt TmpfsOptions, fill func(dir string) error) (err error) {
	dir, err := t.scratch(target)
	if err != nil {
		return err
	}
	defer func() { err = joinRelease(err, dir) }()
	if err := unix.Mount("tmpfs", dir, "tmpfs", volumeFlags, opt.data()); err != nil {
		return fmt.Errorf("mount tmpfs (%s) on %s: %w", opt.data(), dir, err)
	}
	if err := fill(dir); err != nil {
		return err
	}
	if err := unix.Mount("", dir, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|volumeFlags, ""); err != nil {
		return fmt.Errorf("make %s read-only: %w", dir, err)
	}
	if err := unix.Mount(dir, target, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s on %s: %w", dir, target, err)
	}
	return nil
}

// BindReadOnly binds src into the staging directory, makes that mount
// private and read-only and binds it onto target, which so starts
// read-only for kubelet and the pod as well (see Tmpfs).
func (t *Tmpfs) BindReadOnly(src, target string) (err error) {
	dir, err := t.scratch(target)
	if err != nil {
		return err
	}
	defer func() { err = joinRelease(err, dir) }()
	if err := unix.Mount(src, dir, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s on %s: %w", src, dir, err)
	}
	if err := unix.Mount("", dir, "", unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make %s private: %w", dir, err)
	}
	if err := unix.Mount("", dir, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
		return fmt.Errorf("make %s read-only: %w", dir, err)
	}
	if err := unix.Mount(dir, target, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s on %s: %w", dir, target, err)
	}
	return nil
}

// Writable binds target into the staging directory, makes that view
// private and writable, checks that it is the volume's tmpfs (so that
// nothing is ever written to the node's disk) and calls fn with it.
func (t *Tmpfs) Writable(target string, fn func(dir string) error) (err error) {
	dir, err := t.scratch(target)
	if err != nil {
		return err
	}
	defer func() { err = joinRelease(err, dir) }()
	if err := unix.Mount(target, dir, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s on %s: %w", target, dir, err)
	}
	if err := unix.Mount("", dir, "", unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make %s private: %w", dir, err)
	}
	if err := unix.Mount("", dir, "", unix.MS_REMOUNT|unix.MS_BIND|volumeFlags, ""); err != nil {
		return fmt.Errorf("make %s writable: %w", dir, err)
	}
	var sfs unix.Statfs_t
	if err := unix.Statfs(dir, &sfs); err != nil {
		return fmt.Errorf("statfs %s: %w", dir, err)
	}
	if sfs.Type != unix.TMPFS_MAGIC || sfs.Flags&unix.ST_RDONLY != 0 {
		return fmt.Errorf("%s is not a writable tmpfs (type %#x, flags %#x)", dir, sfs.Type, sfs.Flags)
	}
	return fn(dir)
}

// Unmount unmounts target; a target that is not mounted is not an error.
func (*Tmpfs) Unmount(target string) error {
	err := unix.Unmount(target, 0)
	if err == nil || errors.Is(err, syscall.EINVAL) || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return fmt.Errorf("unmount %s: %w", target, err)
}

// scratch returns an empty directory of the staging directory for target.
// Calls for one target are serialized by the caller, so its name, a hash of
// the target path, is never in use twice.
func (t *Tmpfs) scratch(target string) (string, error) {
	if err := t.prepare(); err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(target))
	dir := filepath.Join(t.staging, hex.EncodeToString(sum[:16]))
	if err := release(dir); err != nil {
		return "", err
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", fmt.Errorf("create staging directory for %s: %w", target, err)
	}
	return dir, nil
}

// maxStacked bounds the mounts release removes from one directory.
const maxStacked = 8

// release unmounts whatever is mounted on dir (lazily: a reader still in it
// keeps its view) and removes dir. A missing dir is not an error.
func release(dir string) error {
	for range maxStacked {
		err := unix.Unmount(dir, unix.MNT_DETACH)
		if errors.Is(err, unix.EINVAL) || errors.Is(err, fs.ErrNotExist) {
			break // not (or no longer) a mount point
		}
		if err != nil {
			return fmt.Errorf("unmount %s: %w", dir, err)
		}
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	return nil
}

// joinRelease releases dir and adds its failure, if any, to err.
func joinRelease(err error, dir string) error {
	if rerr := release(dir); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}
