// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package csiscale measures the CSI node plugin at 1,000 volumes on a local real cluster:
// the plugin binary runs as a process and is driven through its CSI socket as kubelet would
// (NodePublishVolume with the volume context of an inline ephemeral volume, then periodic
// republishes), against a real OpenBao whose audit log counts the store requests.
//
// The plugin gets a kubelet directory of its own inside the stack directory rather than the
// stack's kubelet: a real kubelet caps the pods of a node far below 1,000. Every volume is a
// real tmpfs; all of them are unpublished at the end, and the stack's Down unmounts whatever
// an interrupted run left under the stack directory.
package csiscale

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// Parameters of the measurement.
const (
	// Volumes is the number of volumes of one identity and path.
	Volumes = 1000
	// Concurrency bounds the NodePublishVolume calls in flight, as kubelet's
	// parallel pod workers do.
	Concurrency = 16
	// RotationInterval is the plugin's --rotation-interval: short, so that the
	// measurement waits for whole intervals.
	RotationInterval = 20 * time.Second
	// Intervals is how many rotation intervals are counted after the first
	// publish of every volume.
	Intervals = 2
	// WarmSamples is the number of warm publishes timed against direct reads.
	WarmSamples = 20
	// LeaseTTL is the lease of the database credentials of the lease phase;
	// the plugin renews it on its own while the volumes are published.
	LeaseTTL = time.Minute
	// LeaseWindow is how long the lease phase keeps its volumes published
	// after the first publish of every volume.
	LeaseWindow = 70 * time.Second

	runTimeout = 20 * time.Minute
)

// Requests are store requests by kind, as the store's audit log names them.
type Requests struct {
	Login int // auth/<path>/login
	Mount int // sys/internal/ui/mounts/<path> (KV version lookups)
	Read  int // reads of the secrets (KV, and database credentials)
	Renew int // sys/leases/renew
	Other int // anything else the store answered in the window
}

// Total is the number of requests of every kind.
func (r Requests) Total() int { return r.Login + r.Mount + r.Read + r.Renew + r.Other }

func (r Requests) String() string {
	s := fmt.Sprintf("%d (login %d, mount lookup %d, read %d", r.Total(), r.Login, r.Mount, r.Read)
	if r.Renew > 0 {
		s += fmt.Sprintf(", lease renewal %d", r.Renew)
	}
	if r.Other > 0 {
		s += fmt.Sprintf(", other %d", r.Other)
	}
	return s + ")"
}

// Window is the store traffic of one phase.
type Window struct {
	// Wave is the wall time of the NodePublishVolume calls of the phase.
	Wave time.Duration
	// Span is the time the window covers (at least one rotation interval for
	// the republish phases).
	Span time.Duration
	// Store is counted in the store's audit log.
	Store Requests
	// Plugin is the plugin's own count (secrets_store_csi_store_requests_total).
	Plugin int
	// Refreshed is the number of republishes that were due and read the
	// secrets again (secrets_store_csi_rotation_total): a republish window
	// counts only if every volume was refreshed in it.
	Refreshed int
	// StatusWrites is the number of status writes of the SecretsStoreImport
	// (secrets_store_csi_status_writes_total{result="updated"}).
	StatusWrites int
}

// Result holds the figures of one run.
type Result struct {
	Volumes, Concurrency int
	RotationInterval     time.Duration
	// AuditDevice says how the audit device was enabled: "api" or "config".
	AuditDevice string

	// PublishAll is the wall time of the first publish of every volume;
	// PublishP50 and PublishP99 are of one call in that wave.
	PublishAll, PublishP50, PublishP99 time.Duration
	// Initial is the store traffic of the first publish of every volume.
	Initial Window
	// Republish is one window per rotation interval in which every volume
	// was republished once it was due.
	Republish []Window
	// RSS is the plugin's resident memory with every volume published, after
	// the republish intervals, and AnonRSS its anonymous part (the rest is
	// the program's mapped code and data); PeakRSS is the high-water mark and
	// IdleRSS the resident memory before the first publish (bytes).
	RSS, AnonRSS, PeakRSS, IdleRSS int64
	// WarmPublish is the median first publish of a volume whose path no
	// volume has read yet, with the login token cached: one store read.
	// StoreRead is the median direct read of such a path through the store
	// client with a cached token.
	WarmPublish, StoreRead time.Duration

	// Leases is the store traffic of the lease phase: the first publish of
	// Volumes volumes of one identity and one path of database credentials,
	// and LeaseWindow after it. LeaseRSS is the plugin's resident memory at
	// its end.
	Leases   Window
	LeaseRSS int64
}

// MaxPerInterval is the largest request count of the republish windows.
func (r Result) MaxPerInterval() Window {
	var worst Window
	for _, w := range r.Republish {
		if w.Store.Total() >= worst.Store.Total() {
			worst = w
		}
	}
	return worst
}

// Run brings up a stack in a temporary directory, runs the measurement and tears the stack
// down, also on error. Progress goes to log. It fails on errors of the setup or of the
// plugin (a publish that fails), never because a target is missed.
func Run(ctx context.Context, repoRoot string, log io.Writer) (res Result, err error) {
	if os.Geteuid() != 0 {
		return res, errors.New("the csi scale measurement needs root: the plugin mounts a tmpfs per volume")
	}
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	err = stack.RunTemporary(ctx, repoRoot, "csiscale-", log, func(s *stack.Stack) (err error) {
		b := &bench{stk: s, log: log, repo: repoRoot}
		if res.AuditDevice, err = b.enableAudit(ctx); err != nil {
			return err
		}
		if err := b.prepare(ctx); err != nil {
			return err
		}
		k, err := b.startPlugin(ctx)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, b.stopPlugin(k)) }()
		return b.measure(ctx, k, &res)
	})
	return res, err
}

// bench is one run: the stack, the plugin's addresses and the audit log.
type bench struct {
	stk        *stack.Stack
	log        io.Writer
	repo       string
	auditLog   string
	metricsURL string
	pid        int
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "csiscale: "+format+"\n", args...)
}
