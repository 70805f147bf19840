// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package stats

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ds := make([]time.Duration, 0, 100)
	for i := 100; i >= 1; i-- { // unsorted on purpose
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for _, tt := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0, time.Millisecond}} {
		if got := Percentile(ds, tt.p); got != tt.want {
			t.Errorf("Percentile(1..100 ms, %v) = %v, want %v", tt.p, got, tt.want)
		}
	}
	if ds[0] != 100*time.Millisecond {
		t.Error("Percentile sorted its argument")
	}
	if got := Percentile[time.Duration](nil, 50); got != 0 {
		t.Errorf("Percentile(nil) = %v, want 0", got)
	}
	if got := Percentile([]int64{7, 3, 5, 9}, 50); got != 5 {
		t.Errorf("Percentile(7 3 5 9, 50) = %d, want 5", got)
	}
}

func TestRatioInterval(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		ds := make([]time.Duration, len(vs))
		for i, v := range vs {
			ds[i] = time.Duration(v) * time.Millisecond
		}
		return ds
	}
	// Every round the same ratio: the interval is that ratio.
	a, b := ms(30, 40, 50, 60, 70), ms(60, 80, 100, 120, 140)
	if lo, hi := RatioInterval(a, b, 0.9, 1000); lo != 0.5 || hi != 0.5 {
		t.Errorf("b twice a: got [%v, %v], want [0.5, 0.5]", lo, hi)
	}
	// A spread: the interval holds the ratio of the medians and is not a point.
	a = ms(45, 52, 48, 61, 50, 47, 55, 49, 51, 70, 46, 53)
	b = ms(66, 70, 64, 72, 68, 90, 67, 69, 71, 65, 73, 68)
	lo, hi := RatioInterval(a, b, 0.9, 2000)
	point := float64(Percentile(a, 50)) / float64(Percentile(b, 50))
	if !(lo < point && point < hi) || lo <= 0 || hi >= 1 {
		t.Errorf("got [%v, %v] around %v, want an interval inside (0, 1) around it", lo, hi, point)
	}
	// The same samples give the same interval; a wider level a wider one.
	if lo2, hi2 := RatioInterval(a, b, 0.9, 2000); lo2 != lo || hi2 != hi {
		t.Errorf("second call: [%v, %v], want [%v, %v]", lo2, hi2, lo, hi)
	}
	if lo3, hi3 := RatioInterval(a, b, 0.99, 2000); lo3 > lo || hi3 < hi {
		t.Errorf("99%%: [%v, %v] inside 90%% [%v, %v]", lo3, hi3, lo, hi)
	}
	for _, c := range [][2][]time.Duration{{nil, nil}, {a, b[:3]}, {a, make([]time.Duration, len(a))}} {
		if lo, hi := RatioInterval(c[0], c[1], 0.9, 100); lo != 0 || hi != 0 {
			t.Errorf("got [%v, %v], want 0, 0", lo, hi)
		}
	}
}
