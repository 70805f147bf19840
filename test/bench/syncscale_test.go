// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/deckhouse/secrets-store-integration/test/bench/syncscale"
)

// goodSync is a run that meets every target.
func goodSync() syncscale.Result {
	r := syncscale.Result{
		Resources: 1000, Identities: 10, Interval: 30 * time.Second, TokenTTL: 10 * time.Minute, CreateConcurrency: 16,
		Creates: 8 * time.Second, FirstSecret: time.Second, AllReady: 50 * time.Second,
		Steady: []syncscale.Window{
			{Span: 30 * time.Second, Store: syncscale.Requests{Read: 10}, API: syncscale.Writes{Status: 1000}},
			{Span: 30 * time.Second, Store: syncscale.Requests{Read: 10}, API: syncscale.Writes{Status: 990}},
		},
		Run: 4 * time.Minute, Logins: 10, Syncs: map[string]int{"StoreError": 2, "Synced": 4000, "InvalidData": 1},
		IdleRSS: 20 << 20, RSS: 40 << 20, AnonRSS: 30 << 20, SyncedPeakRSS: 50 << 20, PeakRSS: 60 << 20,
	}
	for i := range r.Resources {
		r.Aligned.Latency = append(r.Aligned.Latency, 30*time.Second+time.Duration(i%100)*10*time.Millisecond)
		r.Aligned.AfterRead = append(r.Aligned.AfterRead, time.Duration(i%100)*10*time.Millisecond)
		r.Change.Latency = append(r.Change.Latency, time.Duration(i)*30*time.Millisecond)
	}
	r.Aligned.WaveReads, r.Aligned.WriteDelay = 10, 80*time.Millisecond
	return r
}

// met is the met column of each row with a target, by the start of its English wording.
func metByRow(rs []result) map[string]bool {
	out := map[string]bool{}
	for _, r := range rs {
		if r.target != "" {
			out[strings.Fields(r.what)[0]+" "+strings.Fields(r.what)[1]] = r.met
		}
	}
	return out
}

func TestSyncScaleResults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*syncscale.Result)
		missed string // the row that misses its target; "" for none
	}{
		{"every target met", func(*syncscale.Result) {}, ""},
		{"11 reads in an interval", func(r *syncscale.Result) { r.Steady[1].Store.Read = 11 }, "store reads"},
		{"a single interval", func(r *syncscale.Result) { r.Steady = r.Steady[:1] }, "store reads"},
		{"11 logins in one token lifetime", func(r *syncscale.Result) { r.Logins = 11 }, "store logins"},
		{"20 logins over two lifetimes", func(r *syncscale.Result) { r.Logins, r.Run = 20, 12*time.Minute }, ""},
		{"memory over 64 MiB while synced", func(r *syncscale.Result) { r.SyncedPeakRSS = 65 << 20 }, "sync controller"},
		{"p99 over interval + 2s", func(r *syncscale.Result) {
			for i := 989; i < 1000; i++ { // the nearest-rank p99 of 1,000 is the 990th
				r.Aligned.Latency[i] = 33 * time.Second
			}
		}, "store change"},
		{"only the max over interval + 2s", func(r *syncscale.Result) { r.Aligned.Latency[999] = time.Minute }, ""},
		{"a Secret never updated", func(r *syncscale.Result) { r.Aligned.Latency = r.Aligned.Latency[:999] }, "store change"},
		{"the unaligned change is not judged", func(r *syncscale.Result) { r.Change.Latency = r.Change.Latency[:10] }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := goodSync()
			tc.change(&r)
			got := metByRow(syncScaleResults(r))
			if len(got) != 4 {
				t.Fatalf("got %d rows with a target, want 4: %v", len(got), got)
			}
			for row, met := range got {
				if want := row != tc.missed; met != want {
					t.Errorf("%s: met %t, want %t", row, met, want)
				}
			}
		})
	}
}

// TestSyncScalePage renders the rows and the method in both languages: every format verb
// has its argument, and the reconciles are listed Synced first.
func TestSyncScalePage(t *testing.T) {
	r := goodSync()
	r.Initial.API = syncscale.Writes{Secrets: 1000, Status: 1000, Events: 1000, Tokens: 10, Failed: 3}
	m := pageMethods{ss: &r}
	for _, ru := range []bool{false, true} {
		page := render(syncScaleResults(r), nil, m, ru)
		if strings.Contains(page, "%!") {
			t.Errorf("ru=%t: a format verb without its argument:\n%s", ru, page)
		}
		if !strings.Contains(page, "Synced 4000, InvalidData 1, StoreError 2") {
			t.Errorf("ru=%t: reconciles by result missing or out of order:\n%s", ru, page)
		}
		if !strings.Contains(page, "≤ 10 × 1 = 10") || !strings.Contains(page, "≤ 30s + 2s = 32s") {
			t.Errorf("ru=%t: targets missing:\n%s", ru, page)
		}
	}
}
