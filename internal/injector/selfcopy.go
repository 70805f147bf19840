// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// selfExe is the running executable. Opening it, rather than the path the
// process was started by, copies exactly what runs.
const selfExe = "/proc/self/exe"

// SelfCopy copies the running executable to dst with mode 0755 (the init
// container's job: its image has no shell). See copyExecutable.
func SelfCopy(dst string) error {
	return copyExecutable(selfExe, dst)
}

// copyExecutable writes src to a temporary file next to dst, sets mode 0755,
// syncs it and renames it to dst, so that dst is either absent, the old file
// or the complete new one, never a partial executable. Other users (the
// application containers may run as any UID) can read and execute it.
func copyExecutable(src, dst string) (err error) {
	in, err := os.Open(src) //nolint:gosec // src is this executable
	if err != nil {
		return fmt.Errorf("self-copy: %w", err)
	}
	defer in.Close() // read-only: a close error loses nothing

	dir := filepath.Dir(dst)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return fmt.Errorf("self-copy to %q: %w", dst, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = io.Copy(tmp, in); err != nil {
		return fmt.Errorf("self-copy to %q: %w", dst, err)
	}
	// CreateTemp makes the file 0600, readable by this user only.
	if err = tmp.Chmod(0o755); err != nil { // an executable for every container's user
		return fmt.Errorf("self-copy to %q: %w", dst, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("self-copy to %q: %w", dst, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("self-copy to %q: %w", dst, err)
	}
	if err = os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("self-copy to %q: %w", dst, err)
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable; a file system that cannot sync
// directories (EINVAL) is not an error.
func syncDir(dir string) error {
	d, err := os.Open(dir) //nolint:gosec // the destination's own directory
	if err != nil {
		return fmt.Errorf("self-copy: sync %q: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("self-copy: sync %q: %w", dir, err)
	}
	return nil
}
