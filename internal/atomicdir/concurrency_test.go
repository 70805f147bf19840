// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package atomicdir

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// generation builds payload number gen: every file's content names gen and
// the file, repeated to a size that varies with both, so that a torn,
// truncated or mixed read cannot pass for a good one.
func generation(gen int, fileNames []string) []File {
	files := make([]File, len(fileNames))
	for i, name := range fileNames {
		files[i] = File{Name: name, Data: content(gen, name, i)}
	}
	return files
}

func content(gen int, name string, i int) []byte {
	unit := fmt.Sprintf("gen=%08d file=%s;", gen, name)
	return bytes.Repeat([]byte(unit), 16+(gen+i)%64)
}

// genOf returns the generation a file's content belongs to, or false when the
// content is not exactly one generation's content for that file.
func genOf(data []byte, name string, i int) (int, bool) {
	const prefix = "gen="
	if len(data) < len(prefix)+8 || string(data[:len(prefix)]) != prefix {
		return 0, false
	}
	gen, err := strconv.Atoi(string(data[len(prefix) : len(prefix)+8]))
	if err != nil {
		return 0, false
	}
	return gen, bytes.Equal(data, content(gen, name, i))
}

// readStats counts what readers saw; every field is updated atomically.
type readStats struct {
	consistentPasses, retriedPasses atomic.Int64 // ..data resolved once
	linkPasses, mixedLinkPasses     atomic.Int64 // top-level links one by one
	missingLinkReads                atomic.Int64 // ENOENT through a link during a swap

	mu       sync.Mutex
	failures []string
}

func (s *readStats) fail(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failures) < 10 {
		s.failures = append(s.failures, fmt.Sprintf(format, args...))
	}
}

// readResolved reads every file through the payload ..data points to,
// resolving ..data once. It checks the set is from one generation, not older
// than last, and returns that generation (last when the pass was retried).
func readResolved(dir string, fileNames []string, last int, s *readStats) int {
	payload, err := os.Readlink(filepath.Join(dir, dataLink))
	if err != nil {
		s.fail("readlink %s: %v (it must never be missing)", dataLink, err)
		return last
	}
	gen := -1
	for i, name := range fileNames {
		data, err := os.ReadFile(filepath.Join(dir, payload, name))
		if errors.Is(err, fs.ErrNotExist) {
			s.retriedPasses.Add(1) // the payload was replaced and removed meanwhile
			return last
		}
		if err != nil {
			s.fail("read %s/%s: %v", payload, name, err)
			return last
		}
		g, ok := genOf(data, name, i)
		switch {
		case !ok:
			s.fail("read %s/%s: torn or foreign content of %d bytes", payload, name, len(data))
			return last
		case gen >= 0 && g != gen:
			s.fail("read %s: mixed generations %d and %d in one payload", payload, gen, g)
			return last
		}
		gen = g
	}
	if gen < last {
		s.fail("read %s: generation %d after %d: ..data went back", payload, gen, last)
	}
	s.consistentPasses.Add(1)
	return gen
}

// readLinks reads every file through its top-level link, one after another.
// Each file must be complete; the set may mix generations.
func readLinks(dir string, fileNames []string, s *readStats) {
	gens := map[int]bool{}
	for i, name := range fileNames {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			s.missingLinkReads.Add(1)
			continue
		}
		if err != nil {
			s.fail("read %s: %v", name, err)
			return
		}
		g, ok := genOf(data, name, i)
		if !ok {
			s.fail("read %s: torn or foreign content of %d bytes", name, len(data))
			return
		}
		gens[g] = true
	}
	s.linkPasses.Add(1)
	if len(gens) > 1 {
		s.mixedLinkPasses.Add(1)
	}
}

func TestConcurrentReaders(t *testing.T) {
	swaps := 10_000
	if testing.Short() {
		swaps = 500
	}
	const readers = 3
	fileNames := []string{"ca.crt", "tls.crt", "tls.key", "token"}
	dir := tmpfsDir(t)
	mustWrite(t, dir, generation(0, fileNames), Options{})

	var (
		stats readStats
		done  = make(chan struct{})
		wg    sync.WaitGroup
	)
	for range readers {
		wg.Go(func() {
			last := 0
			for {
				select {
				case <-done:
					return
				default:
				}
				last = readResolved(dir, fileNames, last, &stats)
				readLinks(dir, fileNames, &stats)
			}
		})
	}
	for gen := 1; gen <= swaps; gen++ {
		changed, err := Write(dir, generation(gen, fileNames), Options{})
		if err != nil || !changed {
			close(done)
			wg.Wait()
			t.Fatalf("write generation %d: changed=%v, err=%v", gen, changed, err)
		}
	}
	close(done)
	wg.Wait()

	for _, f := range stats.failures {
		t.Error(f)
	}
	t.Logf("%d swaps; consistent passes %d (retried %d); link passes %d (mixed %d, ENOENT reads %d)",
		swaps, stats.consistentPasses.Load(), stats.retriedPasses.Load(),
		stats.linkPasses.Load(), stats.mixedLinkPasses.Load(), stats.missingLinkReads.Load())
	if stats.consistentPasses.Load() == 0 {
		t.Error("no reader completed a consistent pass")
	}
	checkVisible(t, dir, generation(swaps, fileNames))
}
