// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csiscale

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/deckhouse/secrets-store-integration/internal/store"
	"github.com/deckhouse/secrets-store-integration/test/bench/procmem"
	"github.com/deckhouse/secrets-store-integration/test/bench/stats"
	"github.com/deckhouse/secrets-store-integration/test/stack"
)

const (
	// tokenSeconds is the lifetime of the pods' ServiceAccount tokens, as
	// kubelet requests them (one hour).
	tokenSeconds = 3600
	// dueMargin is waited beyond one rotation interval after a wave, so that
	// every volume of the next wave is due.
	dueMargin = time.Second
)

// measure runs the phases: the first publish of every volume, the republish windows,
// the plugin's memory, and the warm publishes against direct store reads.
func (b *bench) measure(ctx context.Context, k *kubelet, res *Result) error {
	res.Volumes, res.Concurrency, res.RotationInterval = Volumes, Concurrency, RotationInterval
	vols, err := b.volumes(ctx, k)
	if err != nil {
		return err
	}
	idle, err := procmem.Read(b.pid)
	if err != nil {
		return err
	}
	res.IdleRSS = idle.RSS
	b.logf("publishing %d volumes, %d at a time (plugin RSS before: %d KiB)", len(vols), Concurrency, res.IdleRSS>>10)
	m, err := b.mark(ctx)
	if err != nil {
		return err
	}
	lat, wall, err := k.wave(ctx, vols)
	if err != nil {
		return fmt.Errorf("first publish of %d volumes: %w", len(vols), err)
	}
	res.PublishAll, res.PublishP50, res.PublishP99 = wall, stats.Percentile(lat, 50), stats.Percentile(lat, 99)
	if res.Initial, err = b.window(ctx, m, wall); err != nil {
		return err
	}
	b.logf("published %d volumes in %s (p50 %s, p99 %s); store requests %s, plugin's count %d",
		len(vols), wall.Round(time.Millisecond), res.PublishP50.Round(time.Microsecond), res.PublishP99.Round(time.Microsecond),
		res.Initial.Store, res.Initial.Plugin)
	due := m.at.Add(wall + RotationInterval + dueMargin)
	for i := range Intervals {
		w, end, err := b.republish(ctx, k, vols, due)
		if err != nil {
			return err
		}
		b.logf("interval %d: republished %d volumes in %s, %d refreshed; store requests %s, plugin's count %d",
			i+1, len(vols), w.Wave.Round(time.Millisecond), w.Refreshed, w.Store, w.Plugin)
		res.Republish = append(res.Republish, w)
		due = end.Add(RotationInterval + dueMargin)
	}
	full, err := procmem.Read(b.pid)
	if err != nil {
		return err
	}
	res.RSS, res.AnonRSS, res.PeakRSS = full.RSS, full.Anon, full.HWM
	b.logf("plugin memory at %d volumes: RSS %d KiB (anonymous %d KiB, file-backed %d KiB), peak %d KiB; before the first publish: RSS %d KiB (anonymous %d KiB, file-backed %d KiB)",
		len(vols), full.RSS>>10, full.Anon>>10, full.File>>10, full.HWM>>10, idle.RSS>>10, idle.Anon>>10, idle.File>>10)
	b.logRuntime(ctx)
	if err := b.warm(ctx, k, res); err != nil {
		return err
	}
	return b.leases(ctx, k, res)
}

// leases replaces the volumes with as many volumes of database credentials (one
// identity, one path with a lease), keeps them published for LeaseWindow while the plugin
// renews the lease on its own, and counts the store requests of the whole phase.
func (b *bench) leases(ctx context.Context, k *kubelet, res *Result) error {
	if err := k.unpublishAll(ctx); err != nil {
		return err
	}
	vols, err := b.volumesOf(ctx, k, leaseSSI, "lease-%04d")
	if err != nil {
		return err
	}
	m, err := b.mark(ctx)
	if err != nil {
		return err
	}
	_, wall, err := k.wave(ctx, vols)
	if err != nil {
		return fmt.Errorf("first publish of %d volumes of database credentials: %w", len(vols), err)
	}
	b.logf("published %d volumes of database credentials in %s; keeping them %s (lease TTL %s)",
		len(vols), wall.Round(time.Millisecond), LeaseWindow, LeaseTTL)
	if err := sleepUntil(ctx, m.at.Add(wall+LeaseWindow)); err != nil {
		return err
	}
	if res.Leases, err = b.window(ctx, m, wall); err != nil {
		return err
	}
	mem, err := procmem.Read(b.pid)
	if err != nil {
		return err
	}
	res.LeaseRSS = mem.RSS
	b.logf("lease phase: store requests %s; plugin RSS %d KiB (anonymous %d KiB)", res.Leases.Store, mem.RSS>>10, mem.Anon>>10)
	return nil
}

// volumes builds the requests of the shared volumes, each pod with a token of its own
// from a TokenRequest, as kubelet gets them.
func (b *bench) volumes(ctx context.Context, k *kubelet) ([]*volume, error) {
	return b.volumesOf(ctx, k, ssiName, "app-%04d")
}

// volumesOf builds Volumes requests for SecretsStoreImport name, with pods named after
// format.
func (b *bench) volumesOf(ctx context.Context, k *kubelet, name, format string) ([]*volume, error) {
	cs, err := b.stk.Clientset()
	if err != nil {
		return nil, err
	}
	b.logf("requesting %d ServiceAccount tokens", Volumes)
	vols := make([]*volume, Volumes)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range vols {
		g.Go(func() error {
			exp := time.Now().Add(tokenSeconds * time.Second)
			tok, err := stack.ServiceAccountToken(gctx, cs, namespace, serviceAccount, "", tokenSeconds)
			if err != nil {
				return err
			}
			vols[i], err = k.volumeFor(fmt.Sprintf(format, i), name, tok, exp)
			return err
		})
	}
	return vols, g.Wait()
}

// republish waits until every volume is due, republishes all of them as kubelet does for
// a requiresRepublish driver, and counts the store requests of one rotation interval from
// the start of the wave (longer if the wave takes longer). It returns the window and the
// end of the wave.
func (b *bench) republish(ctx context.Context, k *kubelet, vols []*volume, due time.Time) (Window, time.Time, error) {
	if err := sleepUntil(ctx, due); err != nil {
		return Window{}, time.Time{}, err
	}
	m, err := b.mark(ctx)
	if err != nil {
		return Window{}, time.Time{}, err
	}
	_, wall, err := k.wave(ctx, vols)
	if err != nil {
		return Window{}, time.Time{}, fmt.Errorf("republish of %d volumes: %w", len(vols), err)
	}
	end := time.Now()
	if err := sleepUntil(ctx, m.at.Add(RotationInterval)); err != nil {
		return Window{}, end, err
	}
	w, err := b.window(ctx, m, wall)
	return w, end, err
}

// warm times first publishes of volumes whose path no volume has read yet, with the
// plugin's login token cached (one store read each), against direct reads of such a path
// through the store client with a cached token. The 1,000 volumes stay published.
func (b *bench) warm(ctx context.Context, k *kubelet, res *Result) error {
	cs, err := b.stk.Clientset()
	if err != nil {
		return err
	}
	tok, err := stack.ServiceAccountToken(ctx, cs, namespace, serviceAccount, "", tokenSeconds)
	if err != nil {
		return err
	}
	exp := time.Now().Add(tokenSeconds * time.Second)
	client, err := store.New(store.Config{Address: b.stk.Env.StoreAddr, CAFile: b.stk.Env.CAFile})
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()
	login := store.Login{
		AuthPath: authMount, Role: roleName, ServiceAccount: namespace + "/" + serviceAccount,
		JWT: func(context.Context) (string, error) { return tok, nil },
	}
	// The client's login, mount lookup and connection, as the plugin has them.
	if _, err := client.Read(ctx, login, secretPath, 0); err != nil {
		return fmt.Errorf("direct store read: %w", err)
	}
	var pubs, reads []time.Duration
	for i := range WarmSamples {
		v, err := k.volumeFor(warmName(i), warmName(i), tok, exp)
		if err != nil {
			return err
		}
		d, err := k.publish(ctx, v)
		if err != nil {
			return fmt.Errorf("warm publish: %w", err)
		}
		pubs = append(pubs, d)
		if err := k.unpublish(ctx, v); err != nil {
			return err
		}
		start := time.Now()
		if _, err := client.Read(ctx, login, kvMount+"/data/"+warmName(i), 0); err != nil {
			return fmt.Errorf("direct store read: %w", err)
		}
		reads = append(reads, time.Since(start))
	}
	res.WarmPublish, res.StoreRead = stats.Percentile(pubs, 50), stats.Percentile(reads, 50)
	b.logf("warm publish median %s over %d samples; direct store read median %s",
		res.WarmPublish.Round(time.Microsecond), WarmSamples, res.StoreRead.Round(time.Microsecond))
	return nil
}

// logRuntime logs the plugin's Go runtime figures behind its resident memory.
func (b *bench) logRuntime(ctx context.Context) {
	m, err := b.scrape(ctx)
	if err != nil {
		b.logf("plugin runtime figures unavailable: %v", err)
		return
	}
	mib := func(name string) float64 { return m[name] / (1 << 20) }
	b.logf("plugin runtime: heap in use %.1f MiB, heap from the OS %.1f MiB, released %.1f MiB, stacks %.1f MiB, total from the OS %.1f MiB, goroutines %.0f, volumes %.0f",
		mib("go_memstats_heap_inuse_bytes"), mib("go_memstats_heap_sys_bytes"), mib("go_memstats_heap_released_bytes"),
		mib("go_memstats_stack_sys_bytes"), mib("go_memstats_sys_bytes"), m["go_goroutines"], m["secrets_store_csi_volumes"])
}
