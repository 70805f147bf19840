// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package stats holds the statistics the measurements of make bench share.
package stats

import (
	"math"
	"slices"
	"time"
)

// Percentile is the nearest-rank percentile p (0–100) of ds, or 0 when ds is empty. ds is
// not changed.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}
