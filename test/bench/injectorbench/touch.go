// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injectorbench

import (
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/deckhouse/secrets-store-integration/test/bench/stats"
)

// touchCost is the median, over rounds, of the time a first write to a page of a fresh
// anonymous mapping of pages pages takes: the page fault, the zeroed page, and whatever
// the machine's virtualisation adds to both. A process pays it for every page of heap,
// stack and writable data it touches for the first time, so it tells how much of a start
// is memory being touched rather than work being done.
func touchCost(rounds, pages int) (time.Duration, error) {
	if rounds <= 0 || pages <= 0 {
		return 0, fmt.Errorf("touch cost: %d rounds of %d pages: both must be positive", rounds, pages)
	}
	size := os.Getpagesize()
	per := make([]time.Duration, 0, rounds)
	for range rounds {
		b, err := syscall.Mmap(-1, 0, pages*size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
		if err != nil {
			return 0, fmt.Errorf("touch cost: map %d pages: %w", pages, err)
		}
		t0 := time.Now()
		for i := 0; i < len(b); i += size {
			b[i] = 1
		}
		per = append(per, time.Since(t0)/time.Duration(pages))
		if err := syscall.Munmap(b); err != nil {
			return 0, fmt.Errorf("touch cost: unmap: %w", err)
		}
	}
	return stats.Percentile(per, 50), nil
}
