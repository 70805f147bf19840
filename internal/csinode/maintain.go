// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"context"
	"sync"
	"time"
)

// Background maintenance of leases
//
// kubelet republishes a volume only when it syncs the volume's pod, every
// minute or so, and the plugin refreshes it at the first republish after a
// rotation interval: a lease shorter than that lag would end before anyone
// asked. So a timer of the plugin's own renews the leases that published
// volumes use, and when a lease can no longer be extended (or a write's
// answer nears its expiration) reads the source again and refreshes the
// volumes that use it at once, with the request kubelet sent last.

// maxMaintainTick bounds the period of the maintenance.
const maxMaintainTick = 15 * time.Second

// inUse is, per published volume, its last request (for a refresh in the
// background) and the read cache keys its content came from. Tokens in it
// stay in memory, as in kubelet; they are never persisted or logged.
type inUse struct {
	mu    sync.Mutex
	vols  map[string]*volume
	reads map[string][]string
}

// set records v as the latest request of its target and, when reads is not
// nil, the keys its content came from.
func (u *inUse) set(v *volume, reads []string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.vols == nil {
		u.vols, u.reads = map[string]*volume{}, map[string][]string{}
	}
	u.vols[v.target] = v
	if reads != nil {
		u.reads[v.target] = reads
	}
}

func (u *inUse) drop(target string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.vols, target)
	delete(u.reads, target)
}

// used reports whether a volume's content came from key.
func (u *inUse) used(key string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, keys := range u.reads {
		for _, k := range keys {
			if k == key {
				return true
			}
		}
	}
	return false
}

// using returns the volumes whose content came from any of keys.
func (u *inUse) using(keys []string) []*volume {
	u.mu.Lock()
	defer u.mu.Unlock()
	want := make(map[string]bool, len(keys))
	for _, k := range keys {
		want[k] = true
	}
	var out []*volume
	for target, reads := range u.reads {
		for _, k := range reads {
			if want[k] && u.vols[target] != nil {
				out = append(out, u.vols[target])
				break
			}
		}
	}
	return out
}

// maintainTick is the period of the maintenance: half a rotation interval,
// at most maxMaintainTick.
func (c Config) maintainTick() time.Duration {
	return max(time.Second, min(c.RotationInterval/2, maxMaintainTick))
}

// RunMaintenance renews leases and refreshes the volumes of secrets read
// again until ctx ends.
func (s *Service) RunMaintenance(ctx context.Context) error {
	t := time.NewTicker(s.cfg.maintainTick())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			s.maintainLeases(ctx)
		}
	}
}

// maintainLeases is one round of the maintenance.
func (s *Service) maintainLeases(ctx context.Context) {
	reread, failed := s.reads.maintain(ctx, s.inUse.used)
	for _, err := range failed {
		// The files keep their content; the error names the path, never a value.
		s.log.Warn("reading a secret again before its lease or certificate ends failed, retrying", "error", err)
	}
	if len(reread) == 0 {
		return
	}
	for _, v := range s.inUse.using(reread) {
		s.refreshNow(ctx, v)
	}
}

// refreshNow refreshes v at once, unless it was unpublished meanwhile.
func (s *Service) refreshNow(ctx context.Context, v *volume) {
	unlock := s.locks.lock(v.target)
	defer unlock()
	prev, known := s.states.get(v.target)
	if !known {
		return
	}
	s.log.Info("refreshing a volume whose lease or certificate was renewed by reading it again", v.attrs()...)
	_ = s.refresh(ctx, v, prev, true) // failures are reported as for any refresh
}
