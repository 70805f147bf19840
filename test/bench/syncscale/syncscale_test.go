// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncscale

import (
	"testing"
	"time"
)

func TestLoginLimit(t *testing.T) {
	for _, tc := range []struct {
		name      string
		run, ttl  time.Duration
		lifetimes int
	}{
		{"short run", 5 * time.Minute, 10 * time.Minute, 1},
		{"up to the reuse", 9*time.Minute + 30*time.Second, 10 * time.Minute, 1},
		{"past the reuse", 9*time.Minute + 31*time.Second, 10 * time.Minute, 2},
		{"short TTL", 5 * time.Minute, time.Minute, 6}, // reused 54s
		{"no run", 0, 10 * time.Minute, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Result{Identities: 10, Run: tc.run, TokenTTL: tc.ttl}
			if got := r.Lifetimes(); got != tc.lifetimes {
				t.Errorf("lifetimes: got %d, want %d", got, tc.lifetimes)
			}
			if got := r.LoginLimit(); got != 10*tc.lifetimes {
				t.Errorf("login limit: got %d, want %d", got, 10*tc.lifetimes)
			}
		})
	}
}

func TestMaxPerInterval(t *testing.T) {
	r := Result{Steady: []Window{
		{Span: 30 * time.Second, Store: Requests{Read: 10}},
		{Span: 31 * time.Second, Store: Requests{Read: 12, Login: 1}},
		{Span: 30 * time.Second, Store: Requests{Read: 9}},
	}}
	if got := r.MaxPerInterval(); got.Store.Read != 12 || got.Span != 31*time.Second {
		t.Errorf("got %+v, want the window of 12 reads", got)
	}
	if got := (Result{}).MaxPerInterval(); got.Store.Read != 0 {
		t.Errorf("no interval: got %+v", got)
	}
}
