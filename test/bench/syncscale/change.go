// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncscale

import (
	"context"
	"fmt"
	"time"
)

// change writes the round's value to every path and waits until every Secret holds it; a
// Secret not updated within updateTimeout is a missed target, not an error.
func (b *bench) change(ctx context.Context, t *tracker, from snapshot, round int, c *Change) (snapshot, error) {
	b.logf("changing the %d paths in the store (round %d)", Identities, round)
	t.newRound()
	written := map[int]time.Time{}
	for p := range Identities {
		v := storeValue(p, round)
		t.expect(p, v)
		if _, err := b.stk.PutKV2(ctx, kvMount, secretName(p), map[string]any{valueKey: v}); err != nil {
			return from, fmt.Errorf("change path %s: %w", storePath(p), err)
		}
		written[p] = time.Now()
	}
	err := b.waitCount(ctx, updateTimeout, "Secrets updated", func() int { _, _, n := t.counts(); return n })
	if err != nil {
		if ctx.Err() != nil {
			return from, err
		}
		b.logf("not every Secret was updated: %v", err)
	}
	c.Latency, c.AfterRead = t.latencies(written), t.afterFirst()
	s, serr := b.snapshot(ctx)
	c.Window = s.sub(from)
	b.logf("round %d: %d of %d Secrets updated; store %+v; API writes %+v", round, len(c.Latency), Resources, c.Window.Store, c.Window.API)
	return s, serr
}

// alignedChange waits for the controller's next wave of reads and changes every path
// right after it.
func (b *bench) alignedChange(ctx context.Context, t *tracker, from snapshot, c *Change) (snapshot, error) {
	b.logf("waiting for the controller's next reads of the paths")
	var err error
	if c.WaveReads, c.WriteDelay, err = b.waitWave(ctx); err != nil {
		return from, err
	}
	b.logf("%d reads in the wave; writing %s after the first", c.WaveReads, c.WriteDelay.Round(time.Millisecond))
	return b.change(ctx, t, from, 3, c)
}

// waitWave polls the controller's read counter until a wave of reads has begun and either
// every identity has read or waveSettle has passed since the first read of the wave. It
// returns the reads of the wave and the time since its first read.
func (b *bench) waitWave(ctx context.Context) (reads int, sinceFirst time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, 3*Interval)
	defer cancel()
	m, err := b.controllerMetrics(ctx)
	if err != nil {
		return 0, 0, err
	}
	base := m.store.Read
	var first time.Time
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return 0, 0, fmt.Errorf("no store read by the controller within %s: %w", 3*Interval, ctx.Err())
		case <-tick.C:
		}
		if m, err = b.controllerMetrics(ctx); err != nil {
			return 0, 0, err
		}
		n := m.store.Read - base
		if n > 0 && first.IsZero() {
			first = time.Now()
		}
		if n >= Identities || (n > 0 && time.Since(first) >= waveSettle) {
			return n, time.Since(first), nil
		}
	}
}
