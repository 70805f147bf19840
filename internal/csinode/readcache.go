// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/deckhouse/secrets-store-integration/internal/store"
)

// maxErrorTTL bounds how long a failed read is reused: long enough to spare a
// failing store the retries of many volumes, short enough that a pod starts
// soon after its secret is fixed.
const maxErrorTTL = 10 * time.Second

// maxWriteAge is how long the answer to a write that says nothing of its
// validity (no lease, no expiration) is used before the write is repeated.
const maxWriteAge = 24 * time.Hour

// readCache shares secret reads between the volumes of one node. Keys name
// the store identity and the source (see Service.read). Concurrent misses of
// one key share one read. How long an entry is used depends on what it holds:
//
//   - a secret without a lease (KV): one rotation interval after it was
//     read, so a volume refreshed one interval after its previous read always
//     gets a newer read than before;
//   - a secret with a lease (database credentials, …): until the lease is
//     close to its end (see schedule). A renewable lease is renewed by the
//     first lookup after half its duration, and read again only when the
//     store stops extending it (its max TTL) or refuses a renewal. So the
//     volumes keep their credentials as long as the store allows, and get
//     new ones before the old ones end;
//   - the answer to a write (PKI issue, …): until its lease or its
//     "expiration" is close, as above, or maxWriteAge when it has neither.
//
// Secrets in entries are shared between callers and must not be modified.
// mu guards entries only; it is never held during a store request.
type readCache struct {
	ttl    time.Duration
	tick   time.Duration
	errTTL time.Duration
	now    func() time.Time

	flights singleflight.Group
	mu      sync.Mutex
	entries map[string]readEntry
}

type readEntry struct {
	secret *store.Secret
	err    error
	at     time.Time // when it was read
	until  time.Time // used before this time

	// Of a lease; zero without one.
	leaseID string
	granted time.Duration // the first duration: the increment asked by renewals
	expires time.Time
	renewAt time.Time // zero: not renewed (again)

	// src is how the entry was read, with the latest caller's login: the
	// background maintenance renews and re-reads with it.
	src source
}

// timed reports whether e ends at a time of its own (a lease, or a write's
// expiration), rather than being used for one rotation interval.
func (e readEntry) timed() bool { return e.err == nil && !e.expires.IsZero() }

// source is how to obtain and renew one entry.
type source struct {
	read func(context.Context) (*store.Secret, error)
	// renew extends a lease; nil renews nothing.
	renew func(ctx context.Context, leaseID string, increment time.Duration) (store.Lease, error)
	// write: the answer of a write, whose "expiration" bounds its use.
	write bool
}

// newReadCache returns a cache whose plain entries are used for ttl (the
// rotation interval) and whose timed entries are looked after every tick
// (see maintain).
func newReadCache(ttl, tick time.Duration, now func() time.Time) *readCache {
	return &readCache{ttl: ttl, tick: tick, errTTL: min(ttl, maxErrorTTL), now: now, entries: make(map[string]readEntry)}
}

// get returns the cached result of key, renewing its lease when due, or
// runs src.read once for all concurrent callers. hit reports that the call
// read nothing from the store (a renewal may still have been sent).
func (c *readCache) get(ctx context.Context, key string, src source) (s *store.Secret, hit bool, err error) {
	if e, ok := c.peek(key); ok && src.renew != nil && !e.renewAt.IsZero() && !c.now().Before(e.renewAt) {
		// Due for renewal; also when past its time of use while the lease
		// still runs (an earlier renewal failed): a renewal then spares new
		// credentials.
		if fresh(e, c.now()) || c.now().Before(e.expires) {
			c.renew(ctx, key, e, src)
		}
	}
	if e, ok := c.lookup(key); ok {
		c.touch(key, e, src)
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
		s, err := src.read(context.WithoutCancel(ctx))
		e := c.entry(s, err, c.now(), src)
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

// entry is the cache entry of a read done at at.
func (c *readCache) entry(s *store.Secret, err error, at time.Time, src source) readEntry {
	e := readEntry{secret: s, err: err, at: at, until: at.Add(c.ttl), src: src}
	switch {
	case err != nil:
		e.until = at.Add(c.errTTL)
	case s.LeaseID != "" && s.LeaseDuration > 0:
		e.leaseID, e.granted = s.LeaseID, s.LeaseDuration
		c.schedule(&e, at, s.LeaseDuration, s.Renewable)
	case src.write:
		if exp, ok := expiration(s); ok && exp.After(at) {
			e.granted = exp.Sub(at)
			c.schedule(&e, at, e.granted, false)
		} else {
			e.until = at.Add(maxWriteAge)
		}
	}
	return e
}

// schedule sets the times of e for a validity of d from now: it ends at
// expires, and is read again a margin before: a third of the first validity
// (e.granted), so that applications take the new secret while the old one
// still works, and at least two maintenance ticks, so that a failed read is
// tried again in time. When renew, it is renewed at half its validity, and
// at least two ticks before it would be read again. It is used for at least
// min(rotation interval, d/2), so that volumes published one after the other
// share one read even of a short-lived secret.
func (c *readCache) schedule(e *readEntry, now time.Time, d time.Duration, renew bool) {
	e.expires = now.Add(d)
	e.until = e.expires.Add(-max(e.granted/3, 2*c.tick))
	if floor := now.Add(min(c.ttl, d/2)); e.until.Before(floor) {
		e.until = floor
	}
	e.renewAt = time.Time{}
	if renew {
		e.renewAt = now.Add(d / 2)
		if byTick := e.until.Add(-2 * c.tick); byTick.Before(e.renewAt) {
			e.renewAt = latest(now, byTick)
		}
	}
}

// renew extends the lease of e once for all concurrent callers and updates
// the entry. A renewal the store refuses, or one that grants less than
// asked (the max TTL is near), ends the renewals: the entry is then read
// again a margin before the lease ends. A store that cannot be reached is
// asked again after a few seconds; the entry stays in use.
func (c *readCache) renew(ctx context.Context, key string, e readEntry, src source) {
	ch := c.flights.DoChan("renew "+key, func() (any, error) {
		lease, err := src.renew(context.WithoutCancel(ctx), e.leaseID, e.granted)
		now := c.now()
		c.mu.Lock()
		defer c.mu.Unlock()
		cur, ok := c.entries[key]
		if !ok || cur.leaseID != e.leaseID {
			return nil, nil //nolint:nilnil // read again meanwhile: nothing to update
		}
		switch {
		case err != nil && (errors.Is(err, store.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded)):
			cur.renewAt = now.Add(c.errTTL) // the entry stays in use until it is due
		case err != nil:
			// Refused (the lease is gone or may not be renewed): read again
			// at the next lookup.
			cur.renewAt, cur.until = time.Time{}, now
		default:
			// Less than asked means the max TTL is near: the last renewal.
			more := lease.Renewable && lease.Duration+time.Second >= cur.granted
			c.schedule(&cur, now, lease.Duration, more)
		}
		c.entries[key] = cur
		return nil, nil //nolint:nilnil // the entry is updated in place
	})
	select {
	case <-ctx.Done():
	case <-ch:
	}
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// expiration is the "expiration" of an answer (PKI: the certificate's end,
// in Unix seconds).
func expiration(s *store.Secret) (time.Time, bool) {
	v, ok := s.Data["expiration"]
	if !ok {
		return time.Time{}, false
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil || sec <= 0 {
		return time.Time{}, false
	}
	return time.Unix(sec, 0), true
}

// touch keeps src as the way to renew and re-read the entry e of key, so
// that the background maintenance uses the latest login.
func (c *readCache) touch(key string, e readEntry, src source) {
	if !e.timed() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, ok := c.entries[key]; ok && cur.leaseID == e.leaseID && cur.at.Equal(e.at) {
		cur.src = src
		c.entries[key] = cur
	}
}

// maintain renews the leases that are due and reads again the timed
// entries whose time of use has ended, without waiting for a volume to ask:
// kubelet republishes a volume only at its pod's sync, which may come too
// late for a short lease. Only entries that used reports in use (by a
// published volume) are kept alive; the others end with their lease. It
// returns the keys read again, whose volumes should take the new content
// now, and the errors of the reads that failed by key. A failed read keeps
// the entry (it is still valid until it expires) and is tried again at the
// next call.
func (c *readCache) maintain(ctx context.Context, used func(key string) bool) (reread []string, failed map[string]error) {
	now := c.now()
	type item struct {
		key string
		e   readEntry
	}
	var renew, read []item
	c.mu.Lock()
	for k, e := range c.entries {
		switch {
		case !e.timed() || !used(k):
		case e.src.renew != nil && !e.renewAt.IsZero() && !now.Before(e.renewAt) && now.Before(e.expires):
			renew = append(renew, item{k, e})
		case !fresh(e, now) && e.src.read != nil:
			read = append(read, item{k, e})
		}
	}
	c.mu.Unlock()
	for _, it := range renew {
		c.renew(ctx, it.key, it.e, it.e.src)
		if cur, ok := c.peek(it.key); ok && cur.timed() && !fresh(cur, c.now()) {
			read = append(read, item{it.key, cur}) // refused or the last renewal: read again
		}
	}
	for _, it := range read {
		if ctx.Err() != nil {
			return reread, failed
		}
		_, err, _ := c.flights.Do(it.key, func() (any, error) {
			s, err := it.e.src.read(ctx)
			if err != nil {
				return nil, err // the entry is kept, and read again at the next call
			}
			c.put(it.key, c.entry(s, nil, c.now(), it.e.src))
			return nil, nil
		})
		if err != nil {
			if failed == nil {
				failed = map[string]error{}
			}
			failed[it.key] = err
			continue
		}
		reread = append(reread, it.key)
	}
	return reread, failed
}

// peek returns the entry of key, fresh or not.
func (c *readCache) peek(key string) (readEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	return e, ok
}

func (c *readCache) lookup(key string) (readEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !fresh(e, c.now()) {
		return readEntry{}, false
	}
	return e, true
}

func fresh(e readEntry, now time.Time) bool {
	return !now.Before(e.at) && now.Before(e.until)
}

// useful reports whether e may still serve: fresh, or timed and not ended
// (maintain renews or reads it again).
func useful(e readEntry, now time.Time) bool {
	return fresh(e, now) || (e.timed() && now.Before(e.expires))
}

// put stores e and drops entries of no more use, which bounds the map by the
// sources read within their time of use.
func (c *readCache) put(key string, e readEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, old := range c.entries {
		if !useful(old, e.at) {
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
