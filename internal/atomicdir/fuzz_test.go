// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package atomicdir

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzWriteNames writes sets of arbitrary file names. Write must never panic,
// never create or change anything outside dir, publish exactly the set it
// accepts, and leave dir untouched when it rejects a set.
func FuzzWriteNames(f *testing.F) {
	for _, seed := range []struct {
		joined string
		sep    byte
	}{
		{"a,b,c", ','},
		{"tls.crt\ntls.key", '\n'},
		{"../x,y", ','},
		{"/etc/passwd", ','},
		{"..data,a", ','},
		{".., ., ...", ','},
		{"a/b/c", ','},
		{"a,a", ','},
		{"x\x00y,z", ','},
		{"", ','},
		{strings.Repeat("n", 255) + "," + strings.Repeat("n", 256), ','},
		{"\u0438\u043c\u044f,\xff\xfe", ','},
	} {
		f.Add(seed.joined, seed.sep)
	}
	f.Fuzz(func(t *testing.T, joined string, sep byte) {
		parent := tmpfsDir(t)
		dir := filepath.Join(parent, "vol")
		outside := filepath.Join(parent, "outside")
		for _, d := range []string{dir, outside} {
			if err := os.Mkdir(d, 0o700); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(outside, "keep"), []byte("keep"), 0o600); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, parent)

		var files []File
		for _, name := range strings.Split(joined, string(sep)) {
			files = append(files, File{Name: name, Data: []byte("content of " + name)})
		}
		changed, err := Write(dir, files, Options{})
		after := snapshot(t, parent)
		if err != nil {
			if changed {
				t.Fatalf("Write: changed with error %v", err)
			}
			if d := diffSnapshots(before, after); d != "" {
				t.Fatalf("rejected write changed the tree:\n%s", d)
			}
			return
		}
		for p := range after {
			if p != "." && p != "vol" && !strings.HasPrefix(p, "vol/") && !strings.HasPrefix(p, "outside") {
				t.Fatalf("entry %q created outside dir", p)
			}
		}
		for p, desc := range before {
			if strings.HasPrefix(p, "outside") && after[p] != desc {
				t.Fatalf("entry %q outside dir changed", p)
			}
		}
		checkVisible(t, dir, files)

		// Replacing the set removes every link of it.
		mustWrite(t, dir, set("fixed", "x"), Options{})
		checkVisible(t, dir, set("fixed", "x"))
		if got := payloadDirs(t, dir); len(got) != 1 || slices.Contains(got, "") {
			t.Fatalf("payload directories: got %q, want one", got)
		}
	})
}
