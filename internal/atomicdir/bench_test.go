// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package atomicdir

import (
	"bytes"
	"strconv"
	"testing"
)

// BenchmarkWrite writes 10 files of 1 KiB each: "changed" alternates two
// payloads so every write publishes, "unchanged" repeats one so every write
// only compares. Both run on tmpfs, where payloads live, when /dev/shm is one.
func BenchmarkWrite(b *testing.B) {
	payload := func(fill byte) []File {
		files := make([]File, 10)
		for i := range files {
			files[i] = File{Name: "file-" + strconv.Itoa(i), Data: bytes.Repeat([]byte{fill}, 1024)}
		}
		return files
	}
	sets := [2][]File{payload('a'), payload('b')}
	b.Run("changed", func(b *testing.B) {
		dir := tmpfsDir(b)
		mustWrite(b, dir, sets[1], Options{})
		i := 0
		for b.Loop() {
			if !mustWrite(b, dir, sets[i%2], Options{}) {
				b.Fatal("changed: got false, want true")
			}
			i++
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		dir := tmpfsDir(b)
		mustWrite(b, dir, sets[0], Options{})
		for b.Loop() {
			if mustWrite(b, dir, sets[0], Options{}) {
				b.Fatal("changed: got true, want false")
			}
		}
	})
}
