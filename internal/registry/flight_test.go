// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"context"
	"errors"
	"testing"
	"time"
)

func noCache() (any, bool) { return nil, false }

// TestFlightsRecheckCache: a caller that missed the cache while a flight
// was ending finds the flight's result in the cache instead of starting a
// second request.
func TestFlightsRecheckCache(t *testing.T) {
	g := newFlights(1, time.Minute)
	checks := 0
	cached := func() (any, bool) {
		checks++
		return "from cache", checks > 1 // the first check runs just before the flight stored its result
	}
	v, err := g.do(t.Context(), "k", cached, func(context.Context) (any, error) {
		t.Error("started a lookup although the cache holds the result")
		return nil, nil
	})
	if err != nil || v != "from cache" {
		t.Errorf("got %v, %v, want the cached value", v, err)
	}
}

// TestFlightsCancelledWhenAbandoned: a flight outlives a caller that gives
// up while another still waits, and is canceled when the last one does.
func TestFlightsCancelledWhenAbandoned(t *testing.T) {
	g := newFlights(1, time.Minute)
	started, stopped := make(chan struct{}), make(chan struct{})
	fn := func(ctx context.Context) (any, error) {
		close(started)
		<-ctx.Done()
		close(stopped)
		return nil, ctx.Err()
	}
	first, cancelFirst := context.WithCancel(t.Context())
	second, cancelSecond := context.WithCancel(t.Context())
	defer cancelSecond()
	done := make(chan error, 2)
	go func() { _, err := g.do(first, "k", noCache, fn); done <- err }()
	<-started
	go func() {
		_, err := g.do(second, "k", noCache, func(context.Context) (any, error) {
			t.Error("started a second flight for a key in flight")
			return nil, nil
		})
		done <- err
	}()
	eventually(t, "the second caller to join", func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.calls["k"] != nil && g.calls["k"].waiters == 2
	})
	cancelFirst()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v for the caller that gave up, want context.Canceled", err)
	}
	select {
	case <-stopped:
		t.Fatal("the flight stopped while a caller still waited")
	default:
	}
	cancelSecond()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("got %v for the last caller, want context.Canceled", err)
	}
	<-stopped // blocks forever if the abandoned flight kept running
	eventually(t, "the slot to be released", func() bool { return len(g.slots) == 0 })
}

// TestFlightsBusy: a caller that cannot get a slot before its context ends
// is refused with the limit.
func TestFlightsBusy(t *testing.T) {
	g := newFlights(1, time.Minute)
	g.slots <- struct{}{} // the only slot is taken
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := g.do(ctx, "k", noCache, func(context.Context) (any, error) { return nil, nil })
	var busy *busyError
	if !errors.As(err, &busy) || busy.limit != 1 || !errors.Is(err, ErrBusy) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want a busy error naming the limit 1", err)
	}
}
