// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"log/slog"
	"maps"
	mrand "math/rand/v2"
	"slices"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/store"
)

// JitterFraction spreads the polls of watch-for-data: each container start
// draws its interval once, uniformly within ±30% of secret-poll-interval,
// so that replicas started together do not poll, or restart, together.
const JitterFraction = 0.3

// child is the command run under the injector in the watch modes;
// *supervise.Child implements it.
type child interface {
	Done() <-chan struct{}
	ExitCode() int
	Stop(reason string, grace time.Duration)
}

// watch is one watch-mode run: the resolution it started the child with.
type watch struct {
	cfg   Config
	r     Reader
	res   *resolution
	child child
	log   *slog.Logger
	now   func() time.Time
	after func(time.Duration) <-chan time.Time
}

// ChildExit is the end of a command the injector ran as its child: Run
// returns it, ExitCode maps it to Code and Report prints nothing for it
// (the injector has logged why, if it stopped the child).
type ChildExit struct {
	Code int
	// Restart is why the injector stopped the child so that the container
	// restarts; empty when the child ended on its own.
	Restart string
}

func (e *ChildExit) Error() string {
	if e.Restart != "" {
		return "command stopped: " + e.Restart
	}
	return "command exited"
}

// ExitRestart is the injector's status after it stopped the command for a
// restart: non-zero, so that kubelet restarts the container under
// restartPolicy Always and OnFailure alike.
const ExitRestart = 1

// stop ends the child for a restart.
func (w *watch) stop(reason string) *ChildExit {
	w.child.Stop(reason, w.cfg.GracePeriod)
	return &ChildExit{Code: ExitRestart, Restart: reason}
}

func (w *watch) exited() *ChildExit {
	return &ChildExit{Code: w.child.ExitCode()}
}

// keyedDigest is an HMAC-SHA256 of parts under a key drawn at start: equal
// inputs give equal digests within one run, and nothing outside the process
// can test a guessed value against it.
type keyedDigest []byte

func newDigestKey() keyedDigest {
	k := make([]byte, 32)
	_, _ = io.ReadFull(rand.Reader, k) // crypto/rand never fails on Linux
	return k
}

func (k keyedDigest) sum(parts []string) []byte {
	m := hmac.New(sha256.New, k)
	for _, p := range parts {
		_, _ = m.Write([]byte(p))
		_, _ = m.Write([]byte{0})
	}
	return m.Sum(nil)
}

// sumSecret digests one secret's data, keys sorted.
func (k keyedDigest) sumSecret(s *store.Secret) []byte {
	var parts []string
	for _, key := range slices.Sorted(maps.Keys(s.Data)) {
		parts = append(parts, key, s.Data[key])
	}
	return k.sum(parts)
}

// pollable lists the reads watch-for-data repeats: every read that
// succeeded and holds no lease. A leased read (dynamic credentials) would
// give new values on each read and restart the container every time; writes
// are never repeated.
func (w *watch) pollable() []source {
	var out []source
	for _, s := range w.res.plan.reads {
		f := w.res.got[s]
		if f.err == nil && f.secret != nil && f.secret.LeaseID == "" {
			out = append(out, s)
		}
	}
	return out
}

// watchData polls the pollable reads every jittered interval and stops the
// child when the environment they produce differs from the one it started
// with. A poll that fails keeps the child running.
func (w *watch) watchData(ctx context.Context) *ChildExit {
	sources := w.pollable()
	if len(sources) == 0 {
		w.log.Info("watch-for-data has nothing to poll: watching is off", "reason", "no read without a lease")
		<-w.child.Done()
		return w.exited()
	}
	key := newDigestKey()
	first := key.sum(w.res.env)
	firstBySource := make(map[source][]byte, len(sources))
	for _, s := range sources {
		firstBySource[s] = key.sumSecret(w.res.got[s].secret)
	}
	interval := jitter(w.cfg.PollInterval, mrand.Float64()) //nolint:gosec // G404: spreading polls needs no secrecy
	w.log.Info("watching secrets for changes", "paths", readPaths(sources, w.res.got), "interval", interval)
	quiet := slog.New(slog.DiscardHandler)
	for {
		select {
		case <-w.child.Done():
			return w.exited()
		case <-w.after(interval):
		}
		got, ok := w.poll(ctx, sources)
		if !ok {
			continue
		}
		// The environment is built again only when a secret's data changed: the same data
		// always makes the same environment, apart from what a template draws at random or
		// reads from a file, which is no secret change.
		var (
			changed []source
			sums    [][]byte // of the changed sources
		)
		for _, s := range sources {
			if sum := key.sumSecret(got[s].secret); !hmac.Equal(sum, firstBySource[s]) {
				changed, sums = append(changed, s), append(sums, sum)
			}
		}
		if len(changed) == 0 {
			w.log.Debug("poll: no change")
			continue
		}
		merged := maps.Clone(w.res.got)
		maps.Copy(merged, got)
		res := &resolution{plan: w.res.plan, got: merged, wrote: w.res.wrote, token: w.res.token}
		env, failures, _ := w.res.plan.apply(res, nil, quiet)
		if len(failures) > 0 && !w.cfg.IgnoreMissing {
			w.log.Warn("poll: a reference no longer resolves: keeping the application running", "error", joinFailures(failures).Error())
			continue
		}
		if hmac.Equal(key.sum(env), first) {
			// Keys the container does not use changed: remember their data, so that the
			// next polls compare against it.
			for i, s := range changed {
				firstBySource[s] = sums[i]
			}
			w.log.Debug("poll: no change")
			continue
		}
		w.log.Info("secret changed: restarting the container", "paths", readPaths(changed, got))
		return w.stop("secret changed")
	}
}

// poll reads sources once, bounded by the client timeout; ok is false,
// after a warning per failure, when any read failed.
func (w *watch) poll(ctx context.Context, sources []source) (map[source]fetched, bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.cfg.Timeout)
	defer cancel()
	// Together, as at start: on one processor the goroutines cost less than
	// the wake-ups of reads sent one after the other. Over one connection,
	// also when the last one was closed (see readAll).
	got := readAll(ctx, w.r, w.cfg.Login(), sources, make(chan struct{}, MaxConcurrentReads), slog.New(slog.DiscardHandler))
	ok := true
	for _, s := range sources {
		if err := got[s].err; err != nil {
			w.log.Warn("poll failed: keeping the application running", "path", s.path, "version", s.version, "error", err.Error())
			ok = false
		}
	}
	return got, ok
}

// jitter spreads d within ±JitterFraction; u is uniform in [0, 1).
func jitter(d time.Duration, u float64) time.Duration {
	return time.Duration(float64(d) * (1 - JitterFraction + 2*JitterFraction*u))
}
