// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/internal/store"
)

// fakeChild is a command that runs until stopped, or until exit is called.
type fakeChild struct {
	mu    sync.Mutex
	done  chan struct{}
	code  int
	stops []string
	grace time.Duration
}

func newFakeChild() *fakeChild { return &fakeChild{done: make(chan struct{})} }

func (c *fakeChild) Done() <-chan struct{} { return c.done }
func (c *fakeChild) ExitCode() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.code
}

func (c *fakeChild) Stop(reason string, grace time.Duration) {
	c.mu.Lock()
	c.stops = append(c.stops, reason)
	c.grace = grace
	c.mu.Unlock()
	c.exit(143)
}

func (c *fakeChild) exit(code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.done:
	default:
		c.code = code
		close(c.done)
	}
}

// fakeClock advances by every wait at once; onWait runs after each, with
// the number of waits so far. A wait after which the child is done never
// fires, so that the watch sees only the child's end.
type fakeClock struct {
	now    time.Time
	waits  []time.Duration
	onWait func(n int)
	child  *fakeChild
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.now = c.now.Add(d)
	c.waits = append(c.waits, d)
	if c.onWait != nil {
		c.onWait(len(c.waits))
	}
	if c.child != nil {
		select {
		case <-c.child.done:
			return nil
		default:
		}
	}
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

func newTestWatch(t *testing.T, f *fakeEngines, mode string, environ []string) (*watch, *fakeChild, *fakeClock) {
	t.Helper()
	cfg := testConfig()
	cfg.RestartOn, cfg.PollInterval, cfg.GracePeriod = mode, time.Minute, 7*time.Second
	log, _ := testLogger()
	res, err := resolve(t.Context(), cfg, f, environ, log)
	if err != nil {
		t.Fatal(err)
	}
	c := newFakeChild()
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), child: c}
	return &watch{cfg: cfg, r: f, res: res, child: c, log: log, now: clock.Now, after: clock.After}, c, clock
}

func TestWatchDataUnchangedNeverStops(t *testing.T) {
	f := newFakeEngines()
	w, c, clock := newTestWatch(t, f, envcontract.RestartWatchData, []string{
		"A=secrets-store:demo-kv/data/app#DB_PASS", "B=secrets-store:demo-kv/data/common#COMMON",
		"C=secrets-store:demo-kv/data/app#${.DB_USER}",
	})
	before := f.total()
	clock.onWait = func(n int) {
		if n == 6 {
			c.exit(3)
		}
	}
	end := w.watchData(t.Context())
	if len(c.stops) != 0 {
		t.Errorf("stopped %v, want no stop", c.stops)
	}
	if end.Code != 3 || end.Restart != "" {
		t.Errorf("got %+v, want the command's own status 3", end)
	}
	// 5 polls completed before the 6th wait ended the command.
	if polls := f.total() - before; polls != 5*2 {
		t.Errorf("%d reads in 5 polls, want 10 (2 distinct paths per poll)", polls)
	}
	for _, d := range clock.waits {
		if d < 42*time.Second || d > 78*time.Second {
			t.Errorf("poll interval %s outside 1m ±30%%", d)
		}
	}
}

func TestWatchDataChangeStopsOnce(t *testing.T) {
	f := newFakeEngines()
	w, c, clock := newTestWatch(t, f, envcontract.RestartWatchData, []string{"A=secrets-store:demo-kv/data/app#DB_PASS"})
	clock.onWait = func(n int) {
		if n == 3 {
			f.mu.Lock()
			f.secrets[source{path: "demo-kv/data/app"}]["DB_PASS"] = "VALUE-SECRET-new"
			f.mu.Unlock()
		}
	}
	end := w.watchData(t.Context())
	if len(c.stops) != 1 || c.grace != 7*time.Second {
		t.Fatalf("stops %v with grace %s, want one with the pod's grace 7s", c.stops, c.grace)
	}
	if end.Code != ExitRestart || !strings.Contains(end.Restart, "secret changed") {
		t.Errorf("got %+v, want a restart", end)
	}
	if len(clock.waits) != 3 {
		t.Errorf("%d polls, want the change seen at the 3rd", len(clock.waits))
	}
}

func TestWatchDataUnusedKeyChangeDoesNotRestart(t *testing.T) {
	f := newFakeEngines()
	w, c, clock := newTestWatch(t, f, envcontract.RestartWatchData, []string{"A=secrets-store:demo-kv/data/app#DB_PASS"})
	clock.onWait = func(n int) {
		switch n {
		case 1:
			f.mu.Lock()
			f.secrets[source{path: "demo-kv/data/app"}]["OTHER"] = "VALUE-SECRET-other"
			f.mu.Unlock()
		case 4:
			c.exit(0)
		}
	}
	_ = w.watchData(t.Context())
	if len(c.stops) != 0 {
		t.Errorf("stopped %v for a key the container does not use", c.stops)
	}
}

// A template that draws at random makes a new value on every evaluation; with the same
// data it is no secret change and must never restart the container.
func TestWatchDataRandomTemplateDoesNotRestart(t *testing.T) {
	f := newFakeEngines()
	w, c, clock := newTestWatch(t, f, envcontract.RestartWatchData, []string{
		"A=secrets-store:demo-kv/data/app#${.DB_USER}-${randAlphaNum 16}",
	})
	clock.onWait = func(n int) {
		if n == 5 {
			c.exit(0)
		}
	}
	_ = w.watchData(t.Context())
	if len(c.stops) != 0 {
		t.Errorf("stopped %v with unchanged data", c.stops)
	}
}

// After a change of a key the container does not use, a later change of a key it uses
// still restarts it, once.
func TestWatchDataUsedKeyChangeAfterUnusedOne(t *testing.T) {
	f := newFakeEngines()
	w, c, clock := newTestWatch(t, f, envcontract.RestartWatchData, []string{"A=secrets-store:demo-kv/data/app#DB_PASS"})
	set := func(k, v string) {
		f.mu.Lock()
		f.secrets[source{path: "demo-kv/data/app"}][k] = v
		f.mu.Unlock()
	}
	clock.onWait = func(n int) {
		switch n {
		case 1:
			set("OTHER", "VALUE-SECRET-other")
		case 3:
			set("DB_PASS", "VALUE-SECRET-new")
		case 6:
			c.exit(0)
		}
	}
	end := w.watchData(t.Context())
	if len(c.stops) != 1 || end.Code != ExitRestart {
		t.Fatalf("stops %v, end %+v: want one restart", c.stops, end)
	}
	if len(clock.waits) != 3 {
		t.Errorf("%d polls, want the change of DB_PASS seen at the 3rd", len(clock.waits))
	}
}

func TestWatchDataPollFailureKeepsRunning(t *testing.T) {
	f := newFakeEngines()
	w, c, clock := newTestWatch(t, f, envcontract.RestartWatchData, []string{"A=secrets-store:demo-kv/data/app#DB_PASS"})
	clock.onWait = func(n int) {
		switch n {
		case 1:
			f.mu.Lock()
			f.errs[source{path: "demo-kv/data/app"}] = &store.Error{Op: store.OpRead, Path: "demo-kv/data/app", Kind: store.ErrUnavailable}
			f.mu.Unlock()
		case 3:
			c.exit(0)
		}
	}
	_ = w.watchData(t.Context())
	if len(c.stops) != 0 {
		t.Errorf("stopped %v because the store failed", c.stops)
	}
}

func TestWatchDataSkipsLeasesAndWrites(t *testing.T) {
	f := newFakeEngines()
	f.leases[source{path: "demo-kv/data/common"}] = store.Secret{LeaseID: "l1", LeaseDuration: time.Hour}
	w, c, clock := newTestWatch(t, f, envcontract.RestartWatchData, []string{
		"A=secrets-store:demo-kv/data/app#DB_PASS", "B=secrets-store:demo-kv/data/common#COMMON",
		"C=>>secrets-store:pki/issue/web#certificate",
	})
	before, writes := f.total(), len(f.writes)
	clock.onWait = func(n int) {
		if n == 3 {
			c.exit(0)
		}
	}
	_ = w.watchData(t.Context())
	if n := f.count(source{path: "demo-kv/data/common"}); n != 1 {
		t.Errorf("leased path read %d times, want only at start", n)
	}
	if polls := f.total() - before; polls != 2 {
		t.Errorf("%d reads in 2 polls, want 2", polls)
	}
	if len(f.writes) != writes {
		t.Errorf("a write was re-issued by a poll")
	}
}

func TestWatchLeaseRenewsThenStopsBeforeTheEnd(t *testing.T) {
	f := newFakeEngines()
	f.leases[source{path: "demo-kv/data/app"}] = store.Secret{LeaseID: "db/1", LeaseDuration: 30 * time.Second, Renewable: true}
	granted := 0
	f.renew = func(id string, inc time.Duration) (store.Lease, error) {
		granted++
		if granted == 3 {
			return store.Lease{ID: id, Duration: 20 * time.Second, Renewable: true}, nil // max TTL reached
		}
		return store.Lease{ID: id, Duration: inc, Renewable: true}, nil
	}
	w, c, clock := newTestWatch(t, f, envcontract.RestartWatchLease, []string{"A=secrets-store:demo-kv/data/app#DB_PASS"})
	start := clock.now
	end := w.watchLease(t.Context())
	if len(c.stops) != 1 || end.Code != ExitRestart {
		t.Fatalf("stops %v, end %+v, want one restart", c.stops, end)
	}
	// Margin min(7s+10s, 30s/2) = 15s. Renewals two thirds of the way to
	// each stop time: at 10s (ends 40s), 20s (ends 50s), 30s (capped at
	// 20s: ends 50s for good), so the stop comes at 50s - 15s.
	if got := clock.now.Sub(start); got != 35*time.Second {
		t.Errorf("stopped at +%s, want +35s", got)
	}
	if len(f.renewals) != 3 {
		t.Errorf("renewals %v, want 3", f.renewals)
	}
}

func TestWatchLeaseNothingToWatch(t *testing.T) {
	f := newFakeEngines()
	w, c, _ := newTestWatch(t, f, envcontract.RestartWatchLease, []string{"A=secrets-store:demo-kv/data/app#DB_PASS"})
	go c.exit(5)
	end := w.watchLease(t.Context())
	if end.Code != 5 || len(c.stops) != 0 {
		t.Errorf("got %+v, stops %v: want the command's own end", end, c.stops)
	}
}

func TestJitter(t *testing.T) {
	for _, u := range []float64{0, 0.5, 0.999} {
		d := jitter(100*time.Second, u)
		if d < 70*time.Second || d >= 130*time.Second {
			t.Errorf("jitter(100s, %v) = %s", u, d)
		}
	}
}

// TestRunWatchBranch takes run through a watch mode: the command starts
// as a child instead of execve, the injector returns its end, and the
// token is revoked at the end, or at once when the resolution fails, and
// kept when handed to the application.
func TestRunWatchBranch(t *testing.T) {
	for _, tc := range []struct {
		name        string
		environ     []string
		wantStarted bool
		wantRevoked int
		wantCode    int
	}{
		{"command ends on its own", []string{"A=secrets-store:demo-kv/data/app#DB_PASS"}, true, 1, 4},
		{"resolution fails", []string{"A=secrets-store:demo-kv/data/denied#DB_PASS"}, false, 1, ExitFailure},
		{"token handed to the application", []string{"VAULT_TOKEN=secrets-store:login"}, true, 0, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeEngines()
			c := newFakeChild()
			var started *Command
			sys := system{
				newReader: func(store.Config) (Reader, error) { return f, nil },
				exec:      func(Command) error { t.Fatal("execve in a watch mode"); return nil },
				start: func(cmd Command, _ *slog.Logger) (child, error) {
					started = &cmd
					go c.exit(4)
					return c, nil
				},
				now:   time.Now,
				after: time.After,
			}
			environ := slices.Concat(validEnv(), []string{envcontract.RestartOn + "=" + envcontract.RestartWatchData}, tc.environ)
			err := run(t.Context(), []string{"/app"}, environ, &strings.Builder{}, sys)
			if (started != nil) != tc.wantStarted {
				t.Fatalf("started %v, want %t", started, tc.wantStarted)
			}
			if got := ExitCode(err); got != tc.wantCode {
				t.Errorf("exit code %d (%v), want %d", got, err, tc.wantCode)
			}
			if f.revoked != tc.wantRevoked {
				t.Errorf("revoked %d times, want %d", f.revoked, tc.wantRevoked)
			}
			if started != nil && slices.ContainsFunc(started.Env, func(kv string) bool { return strings.HasPrefix(kv, envcontract.Prefix) }) {
				t.Errorf("the child's environment holds control variables: %q", started.Env)
			}
		})
	}
}
