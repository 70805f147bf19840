// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package execfile writes executables so that a reader never sees half of one: the
// destination is absent, the old file or the complete new one. It depends on nothing but
// the standard library (the injector imports it and is size-bound).
package execfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// Copy writes what src holds to a temporary file next to dst, gives it mode (whatever the
// umask), syncs it, renames it to dst and syncs dst's directory. On error the temporary
// file is removed and dst is left as it was.
func Copy(src io.Reader, dst string, mode os.FileMode) (err error) {
	dir := filepath.Dir(dst)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return fmt.Errorf("copy to %q: %w", dst, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = io.Copy(tmp, src); err != nil {
		return fmt.Errorf("copy to %q: %w", dst, err)
	}
	// CreateTemp makes the file 0600.
	if err = tmp.Chmod(mode); err != nil {
		return fmt.Errorf("copy to %q: %w", dst, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("copy to %q: %w", dst, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("copy to %q: %w", dst, err)
	}
	if err = os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("copy to %q: %w", dst, err)
	}
	return SyncDir(dir)
}

// SyncDir makes a rename in dir durable; a file system that cannot sync directories
// (EINVAL) is not an error.
func SyncDir(dir string) error {
	d, err := os.Open(dir) //nolint:gosec // a directory the caller writes to
	if err != nil {
		return fmt.Errorf("sync %q: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("sync %q: %w", dir, err)
	}
	return nil
}
