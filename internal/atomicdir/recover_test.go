// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package atomicdir

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var errInjected = errors.New("injected failure")

// failOn returns a hook that fails the nth (from 1) occurrence of step.
func failOn(step string, nth int) func(string) error {
	seen := 0
	return func(s string) error {
		if s != step {
			return nil
		}
		seen++
		if seen == nth {
			return errInjected
		}
		return nil
	}
}

func TestWriteFailureKeepsPrevious(t *testing.T) {
	const oldSecret, newSecret = "old-s3cret-value", "new-s3cret-value"
	prev := set("a", oldSecret+"a", "b", oldSecret+"b")
	next := set("a", newSecret+"a", "c", newSecret+"c", "d", newSecret+"d")
	tests := []struct {
		step string
		nth  int
	}{
		{stepMkdir, 1},
		{stepWrite, 1},
		{stepWrite, 3},
		{stepSeal, 1},
		{stepLink, 1},
		{stepLink, 2},
		{stepSwap, 1},
	}
	for _, tt := range tests {
		t.Run(tt.step, func(t *testing.T) {
			dir := t.TempDir()
			mustWrite(t, dir, prev, Options{})
			before := snapshot(t, dir)

			changed, err := Write(dir, next, Options{fail: failOn(tt.step, tt.nth)})
			if !errors.Is(err, errInjected) || changed {
				t.Fatalf("Write: got changed=%v, err=%v, want the injected failure", changed, err)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q quotes file contents", err)
			}
			if d := diffSnapshots(before, snapshot(t, dir)); d != "" {
				t.Errorf("a failed write changed the directory:\n%s", d)
			}
			checkVisible(t, dir, prev)

			// The next write succeeds as if nothing had happened.
			if !mustWrite(t, dir, next, Options{}) {
				t.Error("changed: got false, want true")
			}
			checkVisible(t, dir, next)
		})
	}
}

func TestWriteCleanupFailure(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir, set("a", "1", "b", "2"), Options{})
	old := payloadDirs(t, dir)

	changed, err := Write(dir, set("a", "3"), Options{fail: failOn(stepPrune, 1)})
	if !errors.Is(err, errInjected) || !changed {
		t.Fatalf("Write: got changed=%v, err=%v, want changed and the injected failure", changed, err)
	}
	got, err := Current(dir)
	if err != nil || len(got) != 1 || string(got[0].Data) != "3" {
		t.Fatalf("Current after a failed clean-up: got %q, %v, want the new payload", got, err)
	}
	if dirs := payloadDirs(t, dir); len(dirs) != 2 || !slices.Contains(dirs, old[0]) {
		t.Fatalf("payload directories: got %q, want the old one kept by the failed clean-up", dirs)
	}

	if mustWrite(t, dir, set("a", "3"), Options{}) {
		t.Error("changed: got true, want false")
	}
	checkVisible(t, dir, set("a", "3"))
}

func TestWriteRepairsLinks(t *testing.T) {
	dir := t.TempDir()
	files := set("a", "1", "b", "2")
	mustWrite(t, dir, files, Options{})
	if err := os.Remove(filepath.Join(dir, "a")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(linkTarget("gone"), filepath.Join(dir, "gone")); err != nil {
		t.Fatal(err)
	}
	if mustWrite(t, dir, files, Options{}) {
		t.Error("changed: got true, want false")
	}
	checkVisible(t, dir, files)
}

func TestWriteRemovesCrashLeftovers(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir, set("a", "1"), Options{})
	for _, p := range []string{"..2020_01_01_00_00_00.000000000", "..2020_01_01_00_00_00.000000001"} {
		if err := os.Mkdir(filepath.Join(dir, p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p, "a"), []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("..2020_01_01_00_00_00.000000000", filepath.Join(dir, tmpDataLink)); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, dir, set("a", "1"), Options{})
	checkVisible(t, dir, set("a", "1"))
}

func TestWriteForeignEntry(t *testing.T) {
	tests := []struct {
		name  string
		setup func(path string) error
	}{
		{"regular file", func(p string) error { return os.WriteFile(p, []byte("mine"), 0o600) }},
		{"directory", func(p string) error { return os.Mkdir(p, 0o700) }},
		{"link elsewhere", func(p string) error { return os.Symlink("/etc/hostname", p) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			mustWrite(t, dir, set("a", "1"), Options{})
			if err := tt.setup(filepath.Join(dir, "b")); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, dir)
			if changed, err := Write(dir, set("a", "1", "b", "2"), Options{}); err == nil || changed {
				t.Fatalf("Write: got changed=%v, err=%v, want an error", changed, err)
			}
			if d := diffSnapshots(before, snapshot(t, dir)); d != "" {
				t.Errorf("a failed write changed the directory:\n%s", d)
			}
		})
	}
}

func TestWriteReplacesForeignPayload(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, dir, payload string)
	}{
		{"data link points outside", func(t *testing.T, dir, _ string) {
			if err := os.Remove(filepath.Join(dir, dataLink)); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("/etc", filepath.Join(dir, dataLink)); err != nil {
				t.Fatal(err)
			}
		}},
		{"symlink inside the payload", func(t *testing.T, dir, payload string) {
			p := filepath.Join(dir, payload)
			if err := os.Chmod(p, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("/etc/hostname", filepath.Join(p, "extra")); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files := set("a", "1")
			mustWrite(t, dir, files, Options{})
			payload, err := os.Readlink(filepath.Join(dir, dataLink))
			if err != nil {
				t.Fatal(err)
			}
			tt.tamper(t, dir, payload)
			if _, err := Current(dir); err == nil {
				t.Error("Current of a tampered directory: got no error, want one")
			}
			if !mustWrite(t, dir, files, Options{}) {
				t.Error("changed: got false, want true")
			}
			checkVisible(t, dir, files)
		})
	}
}
