// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package stack

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// letGroupTraverse opens a private directory to one group for search only, and leaves a
// directory alone that the group (or everyone) may already pass through.
func TestLetGroupTraverse(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing a directory's group to another one needs root")
	}
	const gid = 4242 // any group: the test only reads the directory's metadata back
	cases := []struct {
		name      string
		mode      os.FileMode
		wantMode  os.FileMode
		wantGroup bool // the directory's group becomes gid
	}{
		{"private", 0o700, 0o710, true},
		{"group readable", 0o750, 0o710, true},
		{"world searchable", 0o711, 0o711, false},
		{"world readable", 0o755, 0o755, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "d")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, c.mode); err != nil {
				t.Fatal(err)
			}
			if err := letGroupTraverse(dir, gid); err != nil {
				t.Fatalf("letGroupTraverse: %v", err)
			}
			st, err := os.Stat(dir)
			if err != nil {
				t.Fatal(err)
			}
			sys, ok := st.Sys().(*syscall.Stat_t)
			if !ok {
				t.Fatal("no stat_t")
			}
			if got := st.Mode().Perm(); got != c.wantMode {
				t.Errorf("mode %o, want %o", got, c.wantMode)
			}
			if got := int(sys.Gid) == gid; got != c.wantGroup {
				t.Errorf("group %d, want gid %d: %v", sys.Gid, gid, c.wantGroup)
			}
			// once open, a second call changes nothing
			if err := letGroupTraverse(dir, gid); err != nil {
				t.Fatal(err)
			}
			if st2, _ := os.Stat(dir); st2.Mode() != st.Mode() {
				t.Errorf("second call changed the mode to %o", st2.Mode().Perm())
			}
		})
	}
}

func TestPostgresBinDir(t *testing.T) {
	dir, err := PostgresBinDir()
	if err != nil {
		t.Skipf("no PostgreSQL installed (make deps): %v", err)
	}
	for _, p := range []string{"postgres", "initdb", "psql"} {
		if !isExecutable(filepath.Join(dir, p)) {
			t.Errorf("%s has no executable %s", dir, p)
		}
	}
}
