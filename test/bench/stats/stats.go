// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package stats holds the statistics the measurements of make bench share.
package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// Percentile is the nearest-rank percentile p (0–100) of ds (durations, counts such as
// page faults, or ratios), or 0 when ds is empty. ds is not changed.
func Percentile[T ~int64 | ~float64](ds []T, p float64) T {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

// RatioInterval is a bootstrap interval, at level (0.9 for 90%), of the ratio of medians
// median(a) / median(b), where a[i] and b[i] were measured side by side (round i): the
// rounds are drawn with replacement, resamples times, and the ratio of each draw's medians
// is taken; lo and hi are the percentiles (1-level)/2 and (1+level)/2 of those ratios. The
// draws come from a fixed seed, so that the same samples give the same interval. It is 0,
// 0 when a and b are empty, differ in length, or b's median is 0.
func RatioInterval(a, b []time.Duration, level float64, resamples int) (lo, hi float64) {
	n := len(a)
	if n == 0 || len(b) != n || resamples <= 0 || Percentile(b, 50) <= 0 {
		return 0, 0
	}
	rng := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // G404: a fixed seed, so that a run's interval can be computed again; nothing secret
	ratios := make([]float64, 0, resamples)
	da, db := make([]time.Duration, n), make([]time.Duration, n)
	for range resamples {
		for i := range n {
			k := rng.IntN(n)
			da[i], db[i] = a[k], b[k]
		}
		if m := Percentile(db, 50); m > 0 {
			ratios = append(ratios, float64(Percentile(da, 50))/float64(m))
		}
	}
	if len(ratios) == 0 {
		return 0, 0
	}
	return Percentile(ratios, (1-level)/2*100), Percentile(ratios, (1+level)/2*100)
}
