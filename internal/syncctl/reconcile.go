// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncctl

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/cache"

	"github.com/deckhouse/secrets-store-integration/internal/store"
)

// reconcile brings the Secret of the resource key in line with the store and
// schedules the next reconcile.
func (c *Controller) reconcile(ctx context.Context, key string) {
	t0 := c.now()
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return
	}
	obj, err := c.syncLister.ByNamespace(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.setState(ns, name, nil) // deleted: the garbage collector deletes its Secret
		return
	}
	if err != nil {
		c.log.Error("read SecretsStoreSync from the cache", "sync_resource", key, "error", err)
		return
	}
	u, res, err := decode(obj)
	if err != nil {
		c.log.Warn("resource cannot be decoded", "sync_resource", key, "error", err)
		return
	}
	if res.DeletionTimestamp != nil {
		return
	}
	interval := res.Refresh(c.cfg.RefreshInterval)
	o, prevHMAC := c.sync(ctx, res), res.Status.DataHMAC
	if ctx.Err() != nil {
		return // stopping: nothing was decided about this resource
	}
	now := c.now()
	if o.wrote != "" {
		c.events.Eventf(u, corev1.EventTypeNormal, "Synced", "Secret %s: %s with %d keys read from the store", res.SecretName(), pastTense(o.wrote), o.keys)
	}
	if o.err == nil && prevHMAC != "" && prevHMAC != o.hmac {
		// The data changed since the last sync (never on the first one).
		c.restartTargets(ctx, res, u, now)
	}
	st := nextStatus(res, o, now)
	if statusChanged(res, st, interval) {
		if err := c.writeStatus(ctx, res, st); err != nil && o.err == nil {
			o.err = err
		}
	}
	c.report(res, u, o)
	c.metrics.syncDuration.Observe(c.now().Sub(t0).Seconds())
	switch {
	case o.err == nil:
		c.schedule(key, false, min(o.due.Sub(now), interval), interval)
	case errors.Is(o.err, errInvalidSpec):
		// Nothing changes until the resource does, which brings it back.
	case errors.Is(o.err, errNotOwned), errors.Is(o.err, errNotUpdatable):
		// Until someone deletes that Secret: a foreign one is not watched.
		c.schedule(key, false, interval, interval)
	default:
		c.schedule(key, true, 0, interval)
	}
}

// report logs the outcome and records the metrics and the events of a
// failure. Messages carry names, never values.
func (c *Controller) report(res *SecretsStoreSync, obj eventObject, o outcome) {
	ok := o.err == nil
	c.setState(res.Namespace, res.Name, &ok)
	if ok {
		c.metrics.syncs.WithLabelValues(ReasonSynced).Inc()
		return
	}
	reason := reasonOf(o.err)
	c.metrics.syncs.WithLabelValues(reason).Inc()
	c.log.Warn("resource not synced", "sync_resource", res.Ref(), "reason", reason, "error", o.err)
	event := "SyncFailed"
	if reason == ReasonSecretNotOwned {
		event = ReasonSecretNotOwned
	}
	c.events.Event(obj, corev1.EventTypeWarning, event, o.err.Error())
}

// sync reads the store and writes the Secret. On any failure the Secret is
// left as it is.
func (c *Controller) sync(ctx context.Context, res *SecretsStoreSync) outcome {
	if err := res.Validate(); err != nil {
		return outcome{err: err}
	}
	cur, err := c.currentSecret(ctx, res)
	if err != nil {
		return outcome{err: err}
	}
	o := outcome{secretExists: cur != nil && ownedBy(cur, res)}
	if cur != nil && !o.secretExists {
		o.err = notOwned(res, cur)
		return o
	}
	data, due, err := c.fetch(ctx, res)
	if err != nil {
		o.err = err
		return o
	}
	if err := checkType(res.SecretType(), data); err != nil {
		o.err = err
		return o
	}
	want := desiredSecret(res, data)
	op, err := c.writeSecret(ctx, res, cur, want)
	if err != nil {
		o.err = err
		return o
	}
	o.secretExists, o.due, o.hmac, o.wrote, o.keys = true, due, hmacOf(c.hmacKey, want.Type, data), op, len(data)
	if op != "" {
		c.metrics.secretWrites.WithLabelValues(op).Inc()
		c.log.Info("secret written", "sync_resource", res.Ref(), "secret", want.Name, "op", op, "keys", len(data))
	}
	return o
}

// fetch reads every source of res through the shared reads and builds the
// data. due is when the earliest of the reads must be refreshed.
func (c *Controller) fetch(ctx context.Context, res *SecretsStoreSync) (map[string][]byte, time.Time, error) {
	sess, err := c.session(res)
	if err != nil {
		return nil, time.Time{}, err
	}
	interval := res.Refresh(c.cfg.RefreshInterval)
	due := c.now().Add(interval)
	got := make(map[source]*store.Secret)
	for _, src := range sources(&res.Spec) {
		sec, d, err := c.reads.get(ctx, sess, src, interval)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("SecretsStoreSync %s: %w", res.Ref(), err)
		}
		got[src] = sec
		if d.Before(due) {
			due = d
		}
	}
	data, err := buildData(&res.Spec, got)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("SecretsStoreSync %s: %w", res.Ref(), err)
	}
	return data, due, nil
}

func pastTense(op string) string {
	switch op {
	case opCreate:
		return "created"
	}
	return "updated"
}
