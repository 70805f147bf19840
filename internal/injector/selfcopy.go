// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"fmt"
	"os"

	"github.com/deckhouse/secrets-store-integration/internal/execfile"
)

// selfExe is the running executable. Opening it, rather than the path the
// process was started by, copies exactly what runs.
const selfExe = "/proc/self/exe"

// SelfCopy copies the running executable to dst with mode 0755 (the init
// container's job: its image has no shell), so that dst is either absent, the
// old file or the complete new one, never a partial executable. Other users
// (the application containers may run as any UID) can read and execute it.
func SelfCopy(dst string) error {
	in, err := os.Open(selfExe)
	if err != nil {
		return fmt.Errorf("self-copy: %w", err)
	}
	defer in.Close() // read-only: a close error loses nothing
	if err := execfile.Copy(in, dst, 0o755); err != nil {
		return fmt.Errorf("self-copy: %w", err)
	}
	return nil
}
