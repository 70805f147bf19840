// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package stack

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// tarDir archives a tree with slash-separated relative names, directories marked with a
// trailing slash, file contents intact, and a link as a link entry: it never follows one
// out of the tree.
func TestTarDir(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "tree")
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o750); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(base, "outside")
	if err := os.WriteFile(outside, []byte("not for the archive"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.json"), []byte(`{"schemaVersion":2}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "blobs", "sha256", "abc"), []byte("blob"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(base, "out.tar")
	if err := tarDir(dir, dst); err != nil {
		t.Fatalf("tarDir: %v", err)
	}

	got := readTar(t, dst)
	want := map[string]string{
		"blobs/":           "dir",
		"blobs/sha256/":    "dir",
		"blobs/sha256/abc": "blob",
		"index.json":       `{"schemaVersion":2}`,
		"link":             "symlink",
	}
	if len(got) != len(want) {
		t.Errorf("got entries %v, want %v", got, want)
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("entry %q: got %q, want %q", name, got[name], w)
		}
	}
	if _, err := os.Stat(dst + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary archive left behind: %v", err)
	}
}

// readTar returns the archive's entries: content for files, "dir" for directories and
// "symlink" for links.
func readTar(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			out[h.Name] = "dir"
		case tar.TypeSymlink:
			out[h.Name] = "symlink"
		default:
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			out[h.Name] = string(b)
		}
	}
}
