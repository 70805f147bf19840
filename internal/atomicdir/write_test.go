// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package atomicdir

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name        string
		before      [][]File // written first, in order
		files       []File
		wantChanged bool
	}{
		{name: "first write", files: set("a", "1", "b", "2"), wantChanged: true},
		{name: "unchanged", before: [][]File{set("a", "1", "b", "2")}, files: set("a", "1", "b", "2")},
		{name: "unchanged in another order", before: [][]File{set("b", "2", "a", "1")}, files: set("a", "1", "b", "2")},
		{name: "content changed", before: [][]File{set("a", "1", "b", "2")}, files: set("a", "1", "b", "3"), wantChanged: true},
		{name: "same length content changed", before: [][]File{set("a", "xy")}, files: set("a", "yx"), wantChanged: true},
		{name: "content emptied", before: [][]File{set("a", "1")}, files: set("a", ""), wantChanged: true},
		{name: "file removed", before: [][]File{set("a", "1", "b", "2")}, files: set("a", "1"), wantChanged: true},
		{name: "file added", before: [][]File{set("a", "1")}, files: set("a", "1", "b", "2"), wantChanged: true},
		{name: "file renamed", before: [][]File{set("a", "1")}, files: set("b", "1"), wantChanged: true},
		{name: "all files removed", before: [][]File{set("a", "1")}, files: nil, wantChanged: true},
		{name: "back to an earlier set", before: [][]File{set("a", "1"), set("a", "2")}, files: set("a", "1"), wantChanged: true},
		{name: "long and unusual names", files: set(strings.Repeat("n", 255), "x", "tls.crt", "y", "\u0438\u043c\u044f \u0444\u0430\u0439\u043b\u0430", "z"), wantChanged: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, files := range tt.before {
				mustWrite(t, dir, files, Options{})
			}
			var oldTarget string
			var oldInfo fs.FileInfo
			if len(tt.before) > 0 {
				var err error
				oldTarget, err = os.Readlink(filepath.Join(dir, dataLink))
				if err != nil {
					t.Fatal(err)
				}
				if oldInfo, err = os.Lstat(filepath.Join(dir, dataLink)); err != nil {
					t.Fatal(err)
				}
			}

			if got := mustWrite(t, dir, tt.files, Options{}); got != tt.wantChanged {
				t.Errorf("changed: got %v, want %v", got, tt.wantChanged)
			}
			checkVisible(t, dir, tt.files)

			target, err := os.Readlink(filepath.Join(dir, dataLink))
			if err != nil {
				t.Fatal(err)
			}
			info, err := os.Lstat(filepath.Join(dir, dataLink))
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case oldTarget == "":
			case tt.wantChanged:
				if target == oldTarget {
					t.Errorf("%s: still points to %s after a change", dataLink, oldTarget)
				}
				if _, err := os.Lstat(filepath.Join(dir, oldTarget)); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("old payload %s: got %v, want it removed", oldTarget, err)
				}
			default:
				if target != oldTarget {
					t.Errorf("%s: got %s, want unchanged %s", dataLink, target, oldTarget)
				}
				if !info.ModTime().Equal(oldInfo.ModTime()) || !os.SameFile(info, oldInfo) {
					t.Errorf("%s was replaced by an unchanged write", dataLink)
				}
			}
		})
	}
}

func TestWriteDoesNotModifyInput(t *testing.T) {
	files := set("b", "2", "a", "1")
	mustWrite(t, t.TempDir(), files, Options{})
	if got := names(files); !slices.Equal(got, []string{"b", "a"}) {
		t.Errorf("caller's slice: got %q, want [b a]", got)
	}
}

func TestWriteClockRepeats(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 23, 19, 30, 0, 123456789, time.UTC)
	opt := Options{Clock: func() time.Time { return now }}
	for i, want := range []string{
		"..2026_11_23_19_30_00.123456789",
		"..2026_11_23_19_30_00.123456789_1",
		"..2026_11_23_19_30_00.123456789", // free again once the first is removed
	} {
		files := set("a", strconv.Itoa(i))
		mustWrite(t, dir, files, opt)
		checkVisible(t, dir, files)
		if got, err := os.Readlink(filepath.Join(dir, dataLink)); err != nil || got != want {
			t.Errorf("write %d: %s: got %s, %v, want %s", i, dataLink, got, err, want)
		}
	}
}

func TestWriteInvalidNames(t *testing.T) {
	tests := []struct {
		name  string
		files []File
	}{
		{"empty", set("ok", "x", "", "x")},
		{"leading dot", set(".hidden", "x")},
		{"data link", set("..data", "x")},
		{"payload-like", set("..2026_01_01_00_00_00.000000000", "x")},
		{"dot", set(".", "x")},
		{"dot dot", set("..", "x")},
		{"slash", set("a/b", "x")},
		{"escape", set("../outside", "x")},
		{"absolute", set("/etc/passwd", "x")},
		{"NUL", set("a\x00b", "x")},
		{"newline", set("a\nb", "x")},
		{"invalid UTF-8", set("a\xffb", "x")},
		{"too long", set(strings.Repeat("n", 256), "x")},
		{"duplicate", set("a", "1", "b", "2", "a", "3")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, prior := range [][]File{nil, set("keep", "old")} {
				parent := t.TempDir()
				dir := filepath.Join(parent, "vol")
				if err := os.Mkdir(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				if prior != nil {
					mustWrite(t, dir, prior, Options{})
				}
				before := snapshot(t, parent)
				changed, err := Write(dir, tt.files, Options{})
				if err == nil || changed {
					t.Fatalf("Write(%q): got changed=%v, err=%v, want an error", names(tt.files), changed, err)
				}
				if d := diffSnapshots(before, snapshot(t, parent)); d != "" {
					t.Errorf("a rejected write changed the directory:\n%s", d)
				}
			}
		})
	}
}

func TestWriteModes(t *testing.T) {
	gid := int64(os.Getgid())
	if os.Geteuid() == 0 {
		gid = 4242 // root may give any group; prove the chown happens
	}
	tests := []struct {
		name     string
		opt      Options
		wantFile os.FileMode
		wantDir  os.FileMode
		wantGID  int64 // -1: the writer's group
	}{
		{name: "defaults", wantFile: 0o440, wantDir: 0o750, wantGID: -1},
		{name: "owner only", opt: Options{FileMode: 0o400, DirMode: 0o700}, wantFile: 0o400, wantDir: 0o700, wantGID: -1},
		{name: "group", opt: Options{GID: &gid}, wantFile: 0o440, wantDir: 0o750, wantGID: gid},
		{name: "group writable", opt: Options{FileMode: 0o660, DirMode: 0o770, GID: &gid}, wantFile: 0o660, wantDir: 0o770, wantGID: gid},
		{name: "world-readable", opt: Options{FileMode: 0o444, DirMode: 0o755}, wantFile: 0o444, wantDir: 0o755, wantGID: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			mustWrite(t, dir, set("a", "1", "b", "2"), tt.opt)
			payload, err := os.Readlink(filepath.Join(dir, dataLink))
			if err != nil {
				t.Fatal(err)
			}
			wantGID := tt.wantGID
			if wantGID < 0 {
				wantGID = int64(os.Getegid())
			}
			check := func(rel string, want os.FileMode) {
				t.Helper()
				fi, err := os.Lstat(filepath.Join(dir, rel))
				if err != nil {
					t.Fatal(err)
				}
				if got := fi.Mode() &^ fs.ModeDir; got != want {
					t.Errorf("mode of %s: got %v, want %v", rel, got, want)
				}
				st, ok := fi.Sys().(*syscall.Stat_t)
				if !ok {
					t.Fatalf("stat %s: no owner information", rel)
				}
				if got := int64(st.Gid); got != wantGID {
					t.Errorf("group of %s: got %d, want %d", rel, got, wantGID)
				}
			}
			check(".", tt.wantDir)
			check(payload, tt.wantDir)
			check(filepath.Join(payload, "a"), tt.wantFile)
			check(filepath.Join(payload, "b"), tt.wantFile)

			// Another mode or group is a change even with the same bytes.
			other := tt.opt
			other.FileMode = 0o600
			if !mustWrite(t, dir, set("a", "1", "b", "2"), other) {
				t.Errorf("changed: got false after a mode change, want true")
			}
		})
	}
}

func TestWriteInvalidOptions(t *testing.T) {
	neg, big := int64(-1), int64(1)<<32
	tests := []struct {
		name string
		opt  Options
	}{
		{"world-writable file", Options{FileMode: 0o442}},
		{"world-executable file", Options{FileMode: 0o445}},
		{"file without owner read", Options{FileMode: 0o040}},
		{"setuid file", Options{FileMode: 0o440 | os.ModeSetuid}},
		{"world-writable directory", Options{DirMode: 0o757}},
		{"directory without owner write", Options{DirMode: 0o550}},
		{"negative group", Options{GID: &neg}},
		{"group out of range", Options{GID: &big}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			before := snapshot(t, dir)
			if _, err := Write(dir, set("a", "1"), tt.opt); err == nil {
				t.Fatal("Write: got no error, want one")
			}
			if d := diffSnapshots(before, snapshot(t, dir)); d != "" {
				t.Errorf("a rejected write changed the directory:\n%s", d)
			}
		})
	}
}

func TestWriteMissingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	if _, err := Write(dir, set("a", "1"), Options{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Write: got %v, want an error matching fs.ErrNotExist", err)
	}
}

func TestCurrentWithoutPayload(t *testing.T) {
	if _, err := Current(t.TempDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Current: got %v, want an error matching fs.ErrNotExist", err)
	}
}

func TestClear(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "other"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, dir, set("a", "1", "b", "2"), Options{})
	if _, err := Write(dir, set("a", "1", "c", "3"), Options{fail: failOn(stepPrune, 1)}); !errors.Is(err, errInjected) {
		t.Fatalf("Write: got %v, want the injected failure that leaves the old payload", err)
	}
	if err := os.Symlink("..2020_01_01_00_00_00.000000000", filepath.Join(dir, tmpDataLink)); err != nil {
		t.Fatal(err)
	}

	if err := Clear(dir); err != nil {
		t.Fatalf("Clear: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "other" {
		t.Errorf("entries after Clear: got %v, want only [other]", entries)
	}
	if err := Clear(dir); err != nil {
		t.Errorf("second Clear: %v", err)
	}
	if err := Clear(filepath.Join(dir, "missing")); err != nil {
		t.Errorf("Clear of a missing directory: %v", err)
	}
	mustWrite(t, dir, set("a", "1"), Options{})
}

// A file's own mode wins over Options.FileMode; changing it alone is a change; an invalid
// one is refused before anything is written.
func TestWritePerFileMode(t *testing.T) {
	dir := t.TempDir()
	files := []File{{Name: "a", Data: []byte("1"), Mode: 0o444}, {Name: "b", Data: []byte("2")}}
	mustWrite(t, dir, files, Options{DirMode: 0o755})
	for name, want := range map[string]os.FileMode{"a": 0o444, "b": 0o440} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("mode of %s: got %v, want %v", name, got, want)
		}
	}
	if mustWrite(t, dir, files, Options{DirMode: 0o755}) {
		t.Error("changed: got true for the same files and modes, want false")
	}
	files[1].Mode = 0o400
	if !mustWrite(t, dir, files, Options{DirMode: 0o755}) {
		t.Error("changed: got false after a file's mode changed, want true")
	}
	before := snapshot(t, dir)
	bad := []File{{Name: "a", Data: []byte("1"), Mode: 0o555}}
	if _, err := Write(dir, bad, Options{}); err == nil || !strings.Contains(err.Error(), `file "a": file mode 0555`) {
		t.Errorf("executable file: got %v, want a refusal naming the file", err)
	}
	if after := snapshot(t, dir); !maps.Equal(before, after) {
		t.Error("a refused write changed the directory")
	}
}
