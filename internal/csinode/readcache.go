// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/deckhouse/secrets-store-integration/internal/store"
)

// maxErrorTTL bounds how long a failed read is reused: long enough to spare a
// failing store the retries of many volumes, short enough that a pod starts
// soon after its secret is fixed.
const maxErrorTTL = 10 * time.Second

// readCache shares secret reads between the volumes of one node. Keys name
// the store identity and the path (see readKey); an entry is used for one
// rotation interval after it was read, so a volume refreshed one interval
// after its previous read always gets a newer read than before. Concurrent
// misses of one key share one read.
//
// Secrets in entries are shared between callers and must not be modified.
// mu guards entries only; it is never held during a read.
type readCache struct {
	ttl    time.Duration
	errTTL time.Duration
	now    func() time.Time

	flights singleflight.Group
	mu      sync.Mutex
	entries map[string]readEntry
}

type readEntry struct {
	secret *store.Secret
	err    error
	at     time.Time
}

func newReadCache(ttl time.Duration, now func() time.Time) *readCache {
	return &readCache{ttl: ttl, errTTL: min(ttl, maxErrorTTL), now: now, entries: make(map[string]readEntry)}
}

// get returns the cached result of key, or runs read once for all concurrent
// callers. hit reports that this call caused no store request.
func (c *readCache) get(ctx context.Context, key string,
	read func(context.Context) (*store.Secret, error),
) (s *store.Secret, hit bool, err error) {
	if e, ok := c.lookup(key); ok {
		return e.secret, true, e.err
	}
	led := false
	ch := c.flights.DoChan(key, func() (any, error) {
		if e, ok := c.lookup(key); ok {
			return e, nil // filled while this flight was being set up
		}
		led = true
		// Detached: a caller giving up must not fail the others; the store
		// client bounds every request with its own timeout.
		s, err := read(context.WithoutCancel(ctx))
		e := readEntry{secret: s, err: err, at: c.now()}
		if !errors.Is(err, context.Canceled) {
			c.put(key, e)
		}
		return e, nil
	})
	select {
	case <-ctx.Done():
		return nil, false, ctx.Err()
	case r := <-ch:
		e, _ := r.Val.(readEntry) // the flight returns a readEntry, never an error
		return e.secret, !led, e.err
	}
}

func (c *readCache) lookup(key string) (readEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !c.fresh(e, c.now()) {
		return readEntry{}, false
	}
	return e, true
}

func (c *readCache) fresh(e readEntry, now time.Time) bool {
	ttl := c.ttl
	if e.err != nil {
		ttl = c.errTTL
	}
	return now.Sub(e.at) < ttl && !now.Before(e.at)
}

// put stores e and drops expired entries, which bounds the map by the
// (identity, path) pairs read within one interval.
func (c *readCache) put(key string, e readEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, old := range c.entries {
		if !c.fresh(old, e.at) {
			delete(c.entries, k)
		}
	}
	c.entries[key] = e
}

// len is the number of entries, for tests.
func (c *readCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
