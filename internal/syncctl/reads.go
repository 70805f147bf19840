// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncctl

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/deckhouse/secrets-store-integration/internal/store"
)

// errorReuse is how long a failed read is reused before the store is asked
// again: resources of one identity that fail together retry together.
const errorReuse = 5 * time.Second

// session is who reads, through which client.
type session struct {
	client   *store.Client
	login    store.Login
	identity string // names the login and the connection; reads are shared within it
}

// reads shares reads between the resources of one identity. A KV answer
// (no lease) is reused for the interval of the resource asking, so a
// resource refreshed one interval after its previous read always gets a
// newer read. An answer with a lease (dynamic credentials) is reused for as
// long as the lease lives: at 2/3 of its duration the lease is renewed, and
// when it cannot be renewed for long enough the path is read again, before
// the lease ends. Concurrent misses of one key share one read.
//
// Secrets in entries are shared and must not be modified. mu guards
// entries only; it is never held during a request.
type reads struct {
	now     func() time.Time
	lookups func(hit bool) // counts lookups for the metrics; may be nil

	flights singleflight.Group
	mu      sync.Mutex
	entries map[string]*readEntry
}

type readEntry struct {
	secret    *store.Secret
	err       error
	at        time.Time // when the answer (or the last renewal) arrived
	refreshAt time.Time // leased: when to renew
	leaseEnd  time.Time // leased: when the lease ends
}

func (e *readEntry) leased() bool { return e.err == nil && e.secret.LeaseID != "" }

// usable reports whether a resource refreshed every interval may use e now.
func (e *readEntry) usable(now time.Time, interval time.Duration) bool {
	switch {
	case now.Before(e.at):
		return false // the clock went back
	case e.err != nil:
		return now.Sub(e.at) < errorReuse
	case e.leased():
		return now.Before(e.refreshAt)
	}
	return now.Sub(e.at) < interval
}

// due is when a resource using e must be reconciled again for it.
func (e *readEntry) due(interval time.Duration) time.Time {
	if e.leased() {
		return e.refreshAt
	}
	return e.at.Add(interval)
}

func newReads(now func() time.Time) *reads {
	return &reads{now: now, entries: make(map[string]*readEntry)}
}

// get returns the secret of src for sess, and when the resource asking must
// be reconciled again for it.
func (r *reads) get(ctx context.Context, sess *session, src source, interval time.Duration) (*store.Secret, time.Time, error) {
	key := sess.identity + "\x00" + src.path + "\x00" + strconv.Itoa(src.version)
	if e, ok := r.lookup(key, interval); ok {
		r.count(true)
		return e.secret, e.due(interval), e.err
	}
	led := false
	ch := r.flights.DoChan(key, func() (any, error) {
		if e, ok := r.lookup(key, interval); ok {
			return e, nil // filled while this flight was being set up
		}
		led = true
		// Detached: a caller giving up must not fail the others; the store
		// client bounds every request with its own timeout.
		e := r.refresh(context.WithoutCancel(ctx), sess, src, r.peek(key))
		if !errors.Is(e.err, context.Canceled) {
			r.put(key, e)
		}
		return e, nil
	})
	select {
	case <-ctx.Done():
		return nil, time.Time{}, ctx.Err()
	case res := <-ch:
		e, _ := res.Val.(*readEntry) // the flight returns an entry, never an error
		r.count(!led)
		return e.secret, e.due(interval), e.err
	}
}

// refresh renews the lease of old when it still can, or reads src anew.
func (r *reads) refresh(ctx context.Context, sess *session, src source, old *readEntry) *readEntry {
	if old != nil && old.leased() && old.secret.Renewable && r.now().Before(old.leaseEnd) {
		full := old.secret.LeaseDuration
		lease, err := sess.client.RenewLease(ctx, sess.login, old.secret.LeaseID, full)
		// A renewal that grants less than a third of the lease (its maximum
		// TTL is near) is not worth it: read new credentials instead.
		if err == nil && lease.Duration >= full/3 && lease.Duration > 0 {
			now := r.now()
			sec := *old.secret
			sec.Renewable = lease.Renewable
			return &readEntry{secret: &sec, at: now, refreshAt: now.Add(lease.Duration * 2 / 3), leaseEnd: now.Add(lease.Duration)}
		}
	}
	sec, err := sess.client.Read(ctx, sess.login, src.path, src.version)
	now := r.now()
	e := &readEntry{secret: sec, err: err, at: now}
	if err == nil && sec.LeaseID != "" {
		e.refreshAt, e.leaseEnd = now.Add(sec.LeaseDuration*2/3), now.Add(sec.LeaseDuration)
	}
	return e
}

func (r *reads) lookup(key string, interval time.Duration) (*readEntry, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.entries[key]
	if !ok || !e.usable(r.now(), interval) {
		return nil, false
	}
	return e, true
}

func (r *reads) peek(key string) *readEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.entries[key]
}

// put stores e and drops entries nobody can use any more: failures after
// errorReuse, KV answers after MaxRefresh, leased ones after their lease.
// The map is so bounded by the (identity, path, version) reads of a day.
func (r *reads) put(key string, e *readEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, old := range r.entries {
		if k != key && !old.usable(e.at, MaxRefresh) && (!old.leased() || !e.at.Before(old.leaseEnd)) {
			delete(r.entries, k)
		}
	}
	r.entries[key] = e
}

func (r *reads) count(hit bool) {
	if r.lookups != nil {
		r.lookups(hit)
	}
}
