// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncscale

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/deckhouse/secrets-store-integration/internal/syncctl"
	"github.com/deckhouse/secrets-store-integration/test/bench/procmem"
	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// measure runs the phases: the first sync of every resource, whole refresh intervals with
// nothing changed, a change of every path in the store at whatever phase it falls, and one
// right after the controller's reads.
func (b *bench) measure(ctx context.Context, res *Result) error {
	t := newTracker(time.Now)
	stopWatch, err := b.watch(ctx, t)
	if err != nil {
		return err
	}
	defer stopWatch()
	idle, err := procmem.Read(b.pid)
	if err != nil {
		return err
	}
	res.IdleRSS = idle.RSS
	start, err := b.snapshot(ctx)
	if err != nil {
		return err
	}
	if err := b.syncAll(ctx, t, res); err != nil {
		return err
	}
	synced, err := b.snapshot(ctx)
	if err != nil {
		return err
	}
	res.Initial = synced.sub(start)
	sampler := procmem.Start(b.pid)
	last, err := b.steady(ctx, synced, res)
	if err == nil {
		last, err = b.change(ctx, t, last, 2, &res.Change)
	}
	if err == nil {
		last, err = b.alignedChange(ctx, t, last, &res.Aligned)
	}
	peak := sampler.Stop()
	if err != nil {
		return err
	}
	res.SyncedPeakRSS = peak.RSS
	res.Run, res.Logins, res.Syncs = last.at.Sub(b.started), last.ctl.store.Login, last.ctl.syncs
	m, err := procmem.Read(b.pid)
	res.PeakRSS = max(m.HWM, peak.HWM)
	return err
}

// syncAll creates the resources, CreateConcurrency at a time, and waits until every one is
// Ready.
func (b *bench) syncAll(ctx context.Context, t *tracker, res *Result) error {
	b.logf("creating %d resources, %d at a time", Resources, CreateConcurrency)
	r := b.dyn.Resource(syncctl.GroupVersionResource).Namespace(namespace)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(CreateConcurrency)
	t0 := time.Now()
	for i := range Resources {
		g.Go(func() error {
			if _, err := r.Create(gctx, resource(i), metav1.CreateOptions{}); err != nil {
				return fmt.Errorf("create SecretsStoreSync %s/%s: %w", namespace, resourceName(i), err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	res.Creates = time.Since(t0)
	b.logf("created in %s; waiting until every resource is Ready", res.Creates.Round(time.Millisecond))
	err := b.waitCount(ctx, readyTimeout, "Ready", func() int { _, ready, _ := t.counts(); return ready })
	if err != nil {
		return err
	}
	first, last := t.firstLast()
	res.FirstSecret, res.AllReady = first.Sub(t0), last.Sub(t0)
	b.logf("every resource Ready %s after the first Create (first Secret after %s)",
		res.AllReady.Round(time.Millisecond), res.FirstSecret.Round(time.Millisecond))
	return nil
}

// resource is the i-th SecretsStoreSync: one key from path i%Identities as ServiceAccount
// i%Identities, at the controller's default refresh interval.
func resource(i int) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": syncctl.Group + "/" + syncctl.Version, "kind": syncctl.Kind,
		"metadata": map[string]any{"name": resourceName(i), "namespace": namespace},
		"spec": map[string]any{
			"serviceAccountName": accountName(i),
			"role":               roleName(i),
			"data": []any{map[string]any{
				"key": valueKey, "source": map[string]any{"path": storePath(i), "key": valueKey},
			}},
		},
	}}
}

// waitCount waits until count reaches Resources, logging progress; it fails with the
// controller's reconciles by result when the timeout passes or the controller exits.
func (b *bench) waitCount(ctx context.Context, timeout time.Duration, what string, count func() int) error {
	lastLog := time.Now()
	err := stack.Poll(ctx, timeout, func(context.Context) (bool, error) {
		if err := b.alive(); err != nil {
			return false, err
		}
		n := count()
		if time.Since(lastLog) >= 15*time.Second {
			b.logf("%s: %d of %d", what, n, Resources)
			lastLog = time.Now()
		}
		return n >= Resources, nil
	})
	if err == nil {
		return nil
	}
	err = fmt.Errorf("%s: %d of %d resources within %s: %w", what, count(), Resources, timeout, err)
	m, merr := b.controllerMetrics(context.WithoutCancel(ctx))
	if merr != nil {
		return errors.Join(err, merr)
	}
	return fmt.Errorf("%w (the controller's reconciles by result: %v)", err, m.syncs)
}

// steady counts Intervals whole refresh intervals from from, one window each, and reads
// the controller's memory after them. It returns the last reading.
func (b *bench) steady(ctx context.Context, from snapshot, res *Result) (snapshot, error) {
	prev := from
	for k := range Intervals {
		if err := sleepUntil(ctx, from.at.Add(time.Duration(k+1)*Interval)); err != nil {
			return prev, err
		}
		s, err := b.snapshot(ctx)
		if err != nil {
			return prev, err
		}
		w := s.sub(prev)
		res.Steady = append(res.Steady, w)
		b.logf("interval %d of %d (%s): store %+v; API writes %+v", k+1, Intervals, w.Span.Round(time.Millisecond), w.Store, w.API)
		prev = s
	}
	m, err := procmem.Read(b.pid)
	res.RSS, res.AnonRSS = m.RSS, m.Anon
	res.HeapInuse = int64(prev.ctl.goMemory["go_memstats_heap_inuse_bytes"])
	b.logf("memory after the intervals: RSS %d, anonymous %d; Go runtime %v", m.RSS, m.Anon, prev.ctl.goMemory)
	return prev, err
}

// sleepUntil waits until at or the end of ctx.
func sleepUntil(ctx context.Context, at time.Time) error {
	timer := time.NewTimer(time.Until(at))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
