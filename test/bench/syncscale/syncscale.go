// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package syncscale measures the SecretsStoreSync controller at 1,000 resources on a local
// real cluster: the controller binary runs as a process next to the stack, as its
// Deployment would run it, against a real OpenBao and the stack's kube-apiserver.
//
// 1,000 resources read 10 store paths as 10 ServiceAccounts (resource i uses ServiceAccount
// i%10 and path i%10: 10 identities of one path each) with the controller's default refresh
// interval. The figures: the time from the first Create to the last resource Ready; the
// store requests per refresh interval and the logins over the run, from the controller's
// own /metrics (secrets_store_sync_store_requests_total); the API writes, from the API
// server's apiserver_request_total; the controller's resident memory, from
// /proc/PID/status; and, after the 10 paths are changed in the store, the time from each
// write in the store to the update of each Secret, seen through a watch of the Secrets
// carrying the controller's label.
package syncscale

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// Parameters of the measurement.
const (
	// Resources is the number of SecretsStoreSync resources.
	Resources = 1000
	// Identities is the number of ServiceAccounts and of store paths: resource i reads path
	// i%Identities as ServiceAccount i%Identities.
	Identities = 10
	// Interval is the controller's --refresh-interval, the resources' default: the
	// shortest the module allows, so that the measurement waits for whole intervals.
	Interval = 30 * time.Second
	// Intervals is how many whole refresh intervals are counted once every resource is synced.
	Intervals = 2
	// TokenTTL is the token TTL of the store's roles.
	TokenTTL = 10 * time.Minute
	// CreateConcurrency bounds the Create calls in flight.
	CreateConcurrency = 16
	// UpdateSlack is what the target of the change → Secret latency allows beyond one
	// refresh interval.
	UpdateSlack = 2 * time.Second

	runTimeout    = 40 * time.Minute
	readyTimeout  = 15 * time.Minute
	updateTimeout = 10 * time.Minute
	// waveSettle ends the wait for the rest of a wave of reads: the reads of identities
	// refreshed together come within milliseconds of each other.
	waveSettle = 3 * time.Second
)

// Requests are the controller's store requests by kind, as its metrics name them.
type Requests struct {
	Login, Read, Mount, Renew, Other int
	// Failed counts requests of every kind whose result was not success.
	Failed int
}

// Total is the number of requests of every kind.
func (r Requests) Total() int { return r.Login + r.Read + r.Mount + r.Renew + r.Other }

// Writes are the API server's write requests (POST, PUT, PATCH, APPLY, DELETE) of the
// objects the controller writes, counted over every client.
type Writes struct {
	Secrets int // secrets
	Status  int // secretsstoresyncs/status
	Events  int // events (core and events.k8s.io)
	Tokens  int // serviceaccounts/token (TokenRequests)
	// Failed counts those of them that were not answered with a 2xx code.
	Failed int
}

// Window is what happened between two readings of the counters.
type Window struct {
	Span  time.Duration
	Store Requests
	API   Writes
}

// Result holds the figures of one run.
type Result struct {
	Resources, Identities int
	Interval, TokenTTL    time.Duration
	CreateConcurrency     int

	// Creates is the wall time of the Create calls; FirstSecret and AllReady are from the
	// first Create to the first Secret seen and to the last resource seen Ready.
	Creates, FirstSecret, AllReady time.Duration
	// Initial is from the controller leading to the last resource Ready.
	Initial Window
	// Steady holds one window per refresh interval once every resource is synced.
	Steady []Window
	// Change is a change of every path written when the steady intervals end, at whatever
	// phase of the controller's refresh interval that falls. Aligned is a change written
	// right after the controller's next reads of the paths: the worst phase, in which a
	// Secret waits a whole interval for the next read.
	Change, Aligned Change

	// Run is from the controller's start to the last reading of its counters; Logins and
	// Syncs (reconciles by result) are counted over it.
	Run    time.Duration
	Logins int
	Syncs  map[string]int

	// IdleRSS is the controller's resident memory before the first Create. RSS and AnonRSS
	// are read after the steady intervals, SyncedPeakRSS is the largest sample while every
	// resource was synced (the steady intervals and the changes) and PeakRSS the high-water
	// mark of the run (VmHWM). Bytes.
	IdleRSS, RSS, AnonRSS, SyncedPeakRSS, PeakRSS int64
	// HeapInuse is the Go heap in use after the steady intervals, from the controller's
	// go_memstats_heap_inuse_bytes (bytes).
	HeapInuse int64
}

// Change is a new value written to every path in the store and what followed.
type Change struct {
	// Window is from the reading of the counters before the first write to the last
	// Secret updated (or the timeout).
	Window Window
	// Latency holds, for each Secret updated, the time from the write of its path in the
	// store (acknowledged) to the update seen through the watch; len(Latency) is the
	// number of Secrets updated.
	Latency []time.Duration
	// AfterRead holds, for each Secret updated, the time from the first update of a Secret
	// of the same path, which follows the controller's read of the path at once: what the
	// controller adds to the read, whatever the phase of the write.
	AfterRead []time.Duration
	// WaveReads and WriteDelay are of an aligned change: the store reads counted in the
	// controller's wave of reads before the first write, and the time from the first of
	// them to that write.
	WaveReads  int
	WriteDelay time.Duration
}

// MaxPerInterval is the largest number of store reads (and its window) of the steady
// intervals.
func (r Result) MaxPerInterval() Window {
	var worst Window
	for _, w := range r.Steady {
		if w.Store.Read >= worst.Store.Read {
			worst = w
		}
	}
	return worst
}

// TokenReuse is how long the store client reuses a token of TokenTTL: until min(10% of the
// TTL, 30s) before it ends (see internal/store).
func TokenReuse(ttl time.Duration) time.Duration { return ttl - min(ttl/10, 30*time.Second) }

// Lifetimes is the number of token lifetimes begun within the run: a new one each time the
// store client stops reusing a token (TokenReuse).
func (r Result) Lifetimes() int {
	reuse := TokenReuse(r.TokenTTL)
	if reuse <= 0 {
		return 0
	}
	return max(1, int(math.Ceil(float64(r.Run)/float64(reuse))))
}

// LoginLimit is the most logins the target allows over the run: one per identity per token
// lifetime begun within it.
func (r Result) LoginLimit() int { return r.Identities * r.Lifetimes() }

// Run brings up a stack in a temporary directory, runs the measurement and tears the stack
// down, also on error. Progress goes to log. It fails on errors of the setup or of the
// controller (a resource never Ready), never because a target is missed.
func Run(ctx context.Context, repoRoot string, log io.Writer) (res Result, err error) {
	if os.Geteuid() != 0 {
		return res, errors.New("the sync scale measurement needs root: it runs the local cluster")
	}
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	res = Result{
		Resources: Resources, Identities: Identities, Interval: Interval, TokenTTL: TokenTTL,
		CreateConcurrency: CreateConcurrency,
	}
	err = stack.RunTemporary(ctx, repoRoot, "syncscale-", log, func(s *stack.Stack) error {
		b := &bench{stk: s, log: log, repo: repoRoot}
		if err := b.prepare(ctx); err != nil {
			return err
		}
		// Stopped by its PID also when it never led; the stack's Down would stop it too.
		defer b.stopController()
		if err := b.startController(ctx); err != nil {
			return err
		}
		return b.measure(ctx, &res)
	})
	return res, err
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "syncscale: "+format+"\n", args...)
}
