// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package execfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestCopy(t *testing.T) {
	old := syscall.Umask(0o077) // a strict umask must not change the mode asked for
	t.Cleanup(func() { syscall.Umask(old) })
	dir := t.TempDir()
	dst := filepath.Join(dir, "bin")
	for _, tc := range []struct {
		content string
		mode    os.FileMode
	}{{"#!first", 0o755}, {"#!second", 0o555}} {
		if err := Copy(strings.NewReader(tc.content), dst, tc.mode); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(dst)
		if err != nil || string(b) != tc.content {
			t.Fatalf("content %q, %v, want %q", b, err, tc.content)
		}
		if st, _ := os.Stat(dst); st.Mode().Perm() != tc.mode {
			t.Errorf("mode %v, want %v", st.Mode().Perm(), tc.mode)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d entries in the directory, want the file alone", len(entries))
	}
}

// A failed read leaves the old file and no temporary one.
func TestCopyFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	dst := filepath.Join(dir, "bin")
	if err := Copy(strings.NewReader("old"), dst, 0o755); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("read failed")
	if err := Copy(failingReader{boom}, dst, 0o755); !errors.Is(err, boom) {
		t.Fatalf("got %v, want the read error", err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "old" {
		t.Errorf("dst holds %q after a failed copy, want the old content", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d entries in the directory, want the old file alone", len(entries))
	}
	if err := Copy(strings.NewReader("x"), filepath.Join(dir, "missing", "bin"), 0o755); err == nil {
		t.Error("copy into a missing directory succeeded")
	}
}

type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }
