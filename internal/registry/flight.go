// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// flights runs registry lookups: at most one per key at a time, shared by
// every caller asking for that key meanwhile, and at most cap(slots) in
// all, whatever the keys.
//
// Locking: mu guards calls and each flight's waiters; a cache's own mutex
// may be taken while mu is held, never the other way round.
type flights struct {
	mu      sync.Mutex
	calls   map[string]*flight
	slots   chan struct{}
	timeout time.Duration
}

type flight struct {
	done    chan struct{} // closed once val and err are set
	val     any
	err     error
	waiters int // callers still waiting; guarded by flights.mu
	cancel  context.CancelFunc
}

func newFlights(maxConcurrent int, timeout time.Duration) *flights {
	return &flights{
		calls:   map[string]*flight{},
		slots:   make(chan struct{}, maxConcurrent),
		timeout: timeout,
	}
}

// do returns the value for key from cached, from the flight in progress, or
// from a new flight of fn.
//
// The cache is checked under the same lock as the flights, and a flight
// stores its result in the cache before it leaves calls: a caller either
// joins the flight or finds its result, never starts a second request
// because it looked just as the first one ended.
//
// A new flight needs a slot; the wait for one ends with ctx, as a
// *busyError naming the limit. The flight runs detached from any one
// caller's cancellation (one pod's timeout must not fail the others),
// bounded by the timeout, and is canceled once every caller waiting for it
// has given up: nobody is left to use its result.
func (g *flights) do(ctx context.Context, key string, cached func() (any, bool),
	fn func(context.Context) (any, error),
) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f, v, hit := g.find(key, cached); hit {
		return v, nil
	} else if f != nil {
		return g.wait(ctx, key, f)
	}
	if err := g.acquire(ctx); err != nil {
		return nil, err
	}
	g.mu.Lock()
	if f := g.calls[key]; f != nil {
		f.waiters++
		g.mu.Unlock()
		g.release()
		return g.wait(ctx, key, f)
	}
	if v, ok := cached(); ok {
		g.mu.Unlock()
		g.release()
		return v, nil
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.timeout)
	f := &flight{done: make(chan struct{}), waiters: 1, cancel: cancel}
	g.calls[key] = f
	g.mu.Unlock()
	go g.run(fctx, key, f, fn)
	return g.wait(ctx, key, f)
}

// find returns a cached value (hit), or the flight in progress with the
// caller counted as its waiter, or neither.
func (g *flights) find(key string, cached func() (any, bool)) (f *flight, v any, hit bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if f = g.calls[key]; f != nil {
		f.waiters++
		return f, nil, false
	}
	v, hit = cached()
	return nil, v, hit
}

func (g *flights) run(ctx context.Context, key string, f *flight, fn func(context.Context) (any, error)) {
	defer g.release()
	v, err := fn(ctx)
	f.cancel()
	g.mu.Lock()
	if g.calls[key] == f {
		delete(g.calls, key)
	}
	f.val, f.err = v, err
	g.mu.Unlock()
	close(f.done)
}

// wait returns f's result, or ctx's error if that comes first; the last
// waiter to leave cancels the flight and forgets it, so that a later caller
// starts afresh instead of joining a canceled flight.
func (g *flights) wait(ctx context.Context, key string, f *flight) (any, error) {
	select {
	case <-f.done:
		return f.val, f.err
	case <-ctx.Done():
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-f.done:
		return f.val, f.err
	default:
	}
	f.waiters--
	if f.waiters == 0 {
		f.cancel()
		if g.calls[key] == f {
			delete(g.calls, key)
		}
	}
	return nil, ctx.Err()
}

// acquire takes a slot, waiting at most as long as ctx lasts.
func (g *flights) acquire(ctx context.Context) error {
	select {
	case g.slots <- struct{}{}:
		return nil
	default:
	}
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return &busyError{limit: cap(g.slots), err: ctx.Err()}
	}
}

func (g *flights) release() { <-g.slots }

// shared runs fn through r's flights for key and returns its typed result.
func shared[T any](ctx context.Context, r *Resolver, key string, cached func() (T, bool),
	fn func(context.Context) (T, error),
) (T, error) {
	var zero T
	v, err := r.flights.do(ctx, key,
		func() (any, bool) { return cached() },
		func(ctx context.Context) (any, error) { return fn(ctx) })
	if err != nil {
		return zero, err
	}
	// Every flight of a key runs an fn of the same T.
	t, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("shared lookup %q: unexpected result %T", key, v)
	}
	return t, nil
}
