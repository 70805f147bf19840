// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"context"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/store"
)

// LeaseMargin is how long before a lease (or the store token it depends
// on) ends for good watch-for-lease stops the command: the pod's grace
// period plus this, so that the application has stopped, and the restarted
// container has logged in with new credentials, before the old ones are
// revoked. For a lease shorter than twice that, half its duration.
const LeaseMargin = 10 * time.Second

// Renewer renews the store token and leases (watch-for-lease);
// *store.Client implements it.
type Renewer interface {
	TokenInfo(l store.Login) (store.TokenInfo, bool)
	RenewToken(ctx context.Context, l store.Login) (store.TokenInfo, error)
	RenewLease(ctx context.Context, l store.Login, leaseID string, increment time.Duration) (store.Lease, error)
}

// tracked is a lease or the token, as watch-for-lease follows it.
type tracked struct {
	what      string        // "token" or the path, for logs
	leaseID   string        // "" for the token
	full      time.Duration // the duration first granted: the renewal increment
	end       time.Time     // when it ends unless renewed
	renewAt   time.Time
	renewable bool // false once the store refuses or caps a renewal
}

func (t *tracked) margin(grace time.Duration) time.Duration {
	return min(grace+LeaseMargin, t.full/2)
}

// watchLease keeps the leases of the resolution and the store token alive
// and stops the child before one of them ends for good.
func (w *watch) watchLease(ctx context.Context) *ChildExit {
	rn, ok := w.r.(Renewer)
	items := w.leases()
	if !ok || len(items) == 0 {
		w.log.Info("watch-for-lease has nothing to renew: watching is off", "reason", "no secret with a lease")
		<-w.child.Done()
		return w.exited()
	}
	now := w.now()
	if ti, ok := rn.TokenInfo(w.cfg.Login()); ok && ti.TTL > 0 {
		obtained := ti.Obtained
		if obtained.IsZero() {
			obtained = now
		}
		items = append(items, &tracked{what: "token", full: ti.TTL, end: obtained.Add(ti.TTL), renewable: ti.Renewable})
	}
	for _, it := range items {
		it.plan(now, w.cfg.GracePeriod)
	}
	w.log.Info("watching leases", "count", len(items))
	for {
		for _, it := range items {
			if it.renewable && !w.now().Before(it.renewAt) {
				w.renew(ctx, rn, it)
			}
		}
		next, stopAt, cause := w.schedule(items)
		if !w.now().Before(stopAt) {
			w.log.Info("lease ends: restarting the container", "path", cause.what, "ends", cause.end.UTC().Format(time.RFC3339))
			return w.stop("lease of " + cause.what + " ends")
		}
		at := next
		if stopAt.Before(at) {
			at = stopAt
		}
		select {
		case <-w.child.Done():
			return w.exited()
		case <-w.after(max(at.Sub(w.now()), 0)):
		}
	}
}

// stopAt is when the command must stop unless the item is renewed.
func (t *tracked) stopAt(grace time.Duration) time.Time {
	return t.end.Add(-t.margin(grace))
}

// plan sets the next renewal two thirds of the way from now to the stop
// time (at least a second ahead), so that a failed renewal has time for
// retries before the stop.
func (t *tracked) plan(now time.Time, grace time.Duration) {
	t.renewAt = now.Add(max(t.stopAt(grace).Sub(now)*2/3, time.Second))
}

// schedule returns the next renewal time, the time to stop the child and
// the item that forces the stop.
func (w *watch) schedule(items []*tracked) (next, stopAt time.Time, cause *tracked) {
	for _, it := range items {
		if it.renewable && (next.IsZero() || it.renewAt.Before(next)) {
			next = it.renewAt
		}
		s := it.stopAt(w.cfg.GracePeriod)
		if cause == nil || s.Before(stopAt) {
			stopAt, cause = s, it
		}
	}
	if next.IsZero() {
		next = stopAt
	}
	return next, stopAt, cause
}

// renew renews one item. A refused renewal ends its renewals (the stop
// time stays); a capped one (the store granted less than asked: max TTL
// reached) is the last.
func (w *watch) renew(ctx context.Context, rn Renewer, it *tracked) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.cfg.Timeout)
	defer cancel()
	var granted time.Duration
	var renewable bool
	var err error
	if it.leaseID == "" {
		var ti store.TokenInfo
		ti, err = rn.RenewToken(ctx, w.cfg.Login())
		granted, renewable = ti.TTL, ti.Renewable
	} else {
		var l store.Lease
		l, err = rn.RenewLease(ctx, w.cfg.Login(), it.leaseID, it.full)
		granted, renewable = l.Duration, l.Renewable
	}
	now := w.now()
	if err != nil {
		// Try again closer to the stop time, which protects the application.
		w.log.Warn("renewal failed", "path", it.what, "error", err.Error())
		it.plan(now, w.cfg.GracePeriod)
		return
	}
	it.end = now.Add(granted)
	it.plan(now, w.cfg.GracePeriod)
	if !renewable || granted < it.full {
		it.renewable = false
		w.log.Info("renewed for the last time", "path", it.what, "granted", granted)
		return
	}
	w.log.Debug("renewed", "path", it.what, "granted", granted)
}

// leases lists the distinct leases of the resolution.
func (w *watch) leases() []*tracked {
	now := w.now()
	seen := map[string]bool{}
	var items []*tracked
	add := func(what string, s *store.Secret) {
		if s == nil || s.LeaseID == "" || s.LeaseDuration <= 0 || seen[s.LeaseID] {
			return
		}
		seen[s.LeaseID] = true
		items = append(items, &tracked{
			what: what, leaseID: s.LeaseID, full: s.LeaseDuration,
			end: now.Add(s.LeaseDuration), renewable: s.Renewable,
		})
	}
	for _, s := range w.res.plan.reads {
		add(s.path, w.res.got[s].secret)
	}
	for _, k := range w.res.plan.writes {
		add(k.path, w.res.wrote[k].secret)
	}
	return items
}
