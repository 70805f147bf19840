// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/internal/execfile"
)

// selfExe is the running executable. Opening it, rather than the path the
// process was started by, copies exactly what runs.
const selfExe = "/proc/self/exe"

// SelfCopy copies the running executable to dst with mode 0755 (the init
// container's job: its image has no shell), so that dst is either absent, the
// old file or the complete new one, never a partial executable. Other users
// (the application containers may run as any UID) can read and execute it.
// The watcher next to the running executable, when there is one, is copied
// first next to dst, so that an injector is never there without it.
func SelfCopy(dst string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("self-copy: %w", err)
	}
	watcher := filepath.Join(filepath.Dir(exe), envcontract.WatcherBinaryName)
	switch err := copyExecutable(watcher, filepath.Join(filepath.Dir(dst), envcontract.WatcherBinaryName)); {
	case errors.Is(err, fs.ErrNotExist):
		// An image without the watcher: the injector watches itself.
	case err != nil:
		return fmt.Errorf("self-copy the watcher: %w", err)
	}
	if err := copyExecutable(selfExe, dst); err != nil {
		return fmt.Errorf("self-copy: %w", err)
	}
	return nil
}

func copyExecutable(src, dst string) error {
	in, err := os.Open(src) //nolint:gosec // G304: the running executable or the watcher next to it
	if err != nil {
		return err
	}
	defer in.Close() // read-only: a close error loses nothing
	return execfile.Copy(in, dst, 0o755)
}
