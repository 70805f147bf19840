// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package atomicdir

import (
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// tmpfsDir returns t.TempDir(), placed on tmpfs when /dev/shm is one.
// Payloads live on tmpfs in production; on a disk file system every write
// waits for several fsyncs, which makes tests that swap thousands of times
// I/O-bound.
func tmpfsDir(t testing.TB) string {
	t.Helper()
	const shm, tmpfsMagic = "/dev/shm", 0x01021994
	var st syscall.Statfs_t
	if err := syscall.Statfs(shm, &st); err == nil && st.Type == tmpfsMagic && syscall.Access(shm, 0o2|0o1) == nil {
		t.Setenv("TMPDIR", shm)
	}
	return t.TempDir()
}

// set builds a payload from name/content pairs.
func set(pairs ...string) []File {
	files := make([]File, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		files = append(files, File{Name: pairs[i], Data: []byte(pairs[i+1])})
	}
	return files
}

func mustWrite(t testing.TB, dir string, files []File, opt Options) bool {
	t.Helper()
	changed, err := Write(dir, files, opt)
	if err != nil {
		t.Fatalf("Write(%v): %v", names(files), err)
	}
	return changed
}

func names(files []File) []string {
	out := make([]string, 0, len(files))
	for _, f := range files {
		out = append(out, f.Name)
	}
	return out
}

// snapshot describes everything under dir: type, mode, link target and
// content of every entry, keyed by relative path.
func snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		desc := fi.Mode().String()
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			desc += " -> " + target
		case fi.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += " " + string(data)
		}
		out[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatalf("snapshot %s: %v", dir, err)
	}
	return out
}

func diffSnapshots(before, after map[string]string) string {
	var b strings.Builder
	keys := slices.Sorted(maps.Keys(before))
	for k := range after {
		if _, ok := before[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if before[k] != after[k] {
			fmt.Fprintf(&b, "%s: got %q, want %q\n", k, after[k], before[k])
		}
	}
	return b.String()
}

// payloadDirs lists the payload directories in dir.
func payloadDirs(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if isPayloadName(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

// checkVisible checks that dir shows exactly files: through Current, through
// every top-level link, and with nothing else in dir but ..data and one
// payload directory.
func checkVisible(t testing.TB, dir string, files []File) {
	t.Helper()
	got, err := Current(dir)
	if err != nil {
		t.Fatalf("Current: %v", err)
	}
	want := slices.Clone(files)
	slices.SortFunc(want, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Current: got %q, want %q", got, want)
	}
	wantTop := []string{dataLink}
	for _, f := range want {
		data, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			t.Errorf("read link %s: %v", f.Name, err)
		} else if string(data) != string(f.Data) {
			t.Errorf("read link %s: got %q, want %q", f.Name, data, f.Data)
		}
		wantTop = append(wantTop, f.Name)
	}
	target, err := os.Readlink(filepath.Join(dir, dataLink))
	if err != nil {
		t.Fatalf("readlink %s: %v", dataLink, err)
	}
	wantTop = append(wantTop, target)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var gotTop []string
	for _, e := range entries {
		gotTop = append(gotTop, e.Name())
	}
	slices.Sort(gotTop)
	slices.Sort(wantTop)
	if !slices.Equal(gotTop, wantTop) {
		t.Errorf("entries of dir: got %q, want %q", gotTop, wantTop)
	}
}
