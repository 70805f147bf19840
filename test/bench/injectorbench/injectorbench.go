// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package injectorbench measures the entrypoint injector as a host process against the
// real OpenBao of a local stack, as a mutated container runs it: its SECRETS_STORE_*
// variables, a ServiceAccount token from the TokenRequest API for a ServiceAccount bound
// to a kubernetes auth role, and the stack CA. It measures
//
//   - the start of a container: from the exec of the injector to the exit of the command
//     it runs (/bin/true), side by side with the injector of BaselineCommit, and the same
//     start without a reference (the process alone), the runs alternated so that they
//     share the machine's noise;
//   - the store requests of a start, and of each poll of a watch-for-data injector;
//   - what a watching injector costs: its resident memory and its CPU time per poll.
//
// Next to the injector it measures a reference, plainclient: a static Go program that
// either ends at once or polls the same paths with the standard library alone. Its figures
// are the floor of the Go runtime and net/http on the machine measured.
//
// A counting reverse proxy stands between the injector and the store and names every
// request by kind. It terminates TLS with a certificate of the stack CA, so the injector
// connects exactly as it does to the store (TLS verified, HTTP/2 negotiated), and it
// reaches the store over connections it keeps open.
package injectorbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// Parameters of the measurement.
const (
	// BaselineCommit is the commit whose injector the start is compared with: the one
	// before the store client read the path as written first.
	BaselineCommit = "d7d838f"
	// StartPaths is the number of KV v2 paths (one variable each) a start resolves.
	StartPaths = 10
	// StartRuns is the number of timed rounds, each one start of every kind (either binary,
	// with and without references); WarmupRuns more rounds are not timed.
	StartRuns  = 60
	WarmupRuns = 2
	// RatioResamples and RatioLevel make the bootstrap interval of Result.Ratio: the rounds
	// drawn with replacement RatioResamples times (the method text says 2000 and 90%).
	RatioResamples = 2000
	RatioLevel     = 0.9
	// TouchRounds and TouchPages make TouchCost: rounds of first writes to as many pages of
	// a fresh anonymous mapping (16 MiB with 4 KiB pages).
	TouchRounds = 9
	TouchPages  = 4096
	// PollInterval is SECRETS_STORE_POLL_INTERVAL of the watching injector. The webhook
	// refuses a secret-poll-interval under 5s; the binary takes any positive duration.
	PollInterval = 200 * time.Millisecond
	// Polls is the number of polls each watch run counts.
	Polls = 150
	// StoreIdle is the idle limit of the second proxy, which a reconnecting watch goes
	// through: shorter than the shortest jittered PollInterval, so that every poll finds
	// its connection closed.
	StoreIdle = 100 * time.Millisecond

	authMount  = "kubernetes_local"
	kvMount    = "kv"
	policyName = "injector-bench-read"
	roleName   = "injector-bench"
	namespace  = "injector-bench"
	account    = "app"
	runTimeout = 15 * time.Minute
)

// Watches are the watch runs: distinct paths and variables referring to them.
var Watches = []struct{ Paths, Vars int }{{3, 5}, {10, 10}}

// ReconnectWatch is the watch run through the proxy that closes idle connections.
var ReconnectWatch = Watches[0]

// Result holds the figures of one run.
type Result struct {
	// New is this tree's injector, Old the one of BaselineCommit.
	New, Old Start
	// Watch is one entry per element of Watches.
	Watch []Watch
	// PlainBare and PlainBareCPU are the median wall and CPU time of the start of the
	// reference program (plainclient exit), timed in turns with the injectors' starts;
	// PlainBareFaults its median minor page faults.
	PlainBare, PlainBareCPU time.Duration
	PlainBareFaults         int64
	// TouchCost is the median time of a first write to a page of fresh anonymous memory on
	// this machine (touchCost): what each first touch of a page of heap, stack or data
	// costs a starting process.
	TouchCost time.Duration
	// Plain is the reference program polling the same paths, one entry per element of
	// Watches (Vars is that of the injector's run; it reads each path once per poll).
	Plain []Watch
	// Reconnect is the injector watching ReconnectWatch through a store that closes a
	// connection idle for StoreIdle: every poll connects again.
	Reconnect Watch
	// RatioLow and RatioHigh bound Ratio: a bootstrap interval at RatioLevel over the
	// rounds of the starts (stats.RatioInterval).
	RatioLow, RatioHigh float64
}

// Ratio is the new injector's median start over the old one's.
func (r Result) Ratio() float64 {
	if r.Old.Median <= 0 {
		return 0
	}
	return float64(r.New.Median) / float64(r.Old.Median)
}

// StoreRatio is Ratio without the process alone: the new injector's median start less its
// median start without a reference, over the same for the old one. It is the part of a
// start that the store requests make, which is what the two injectors do differently.
func (r Result) StoreRatio() float64 {
	d := r.Old.Median - r.Old.Bare
	if d <= 0 {
		return 0
	}
	return float64(r.New.Median-r.New.Bare) / float64(d)
}

// Start is the start of a container by one injector binary.
type Start struct {
	// Median and P90 are of the wall time from exec to exit.
	Median, P90 time.Duration
	// CPU is the median CPU time (user + system) of one start, from the process's rusage.
	CPU time.Duration
	// Bare and BareCPU are the median wall and CPU time of a start without a reference:
	// the process alone, no store request.
	Bare, BareCPU time.Duration
	// Faults and BareFaults are the median minor page faults of a start with the
	// references and of one without (the process's rusage; /bin/true's included).
	Faults, BareFaults int64
	// PerStart is the store requests of one start; Uniform is false when the starts did not
	// all send the same.
	PerStart Requests
	Uniform  bool
	// Conns is the mean number of TLS connections a start opened to the proxy.
	Conns float64
	// Spent is the mean time the store took to answer one request of each kind, as the
	// proxy saw it.
	Spent Spent
}

// Watch is one watch-for-data run.
type Watch struct {
	Paths, Vars, Polls int
	// Requests is every store request of the counted polls.
	Requests Requests
	// PeakRSS and PeakAnon are the largest VmRSS and RssAnon read every 20 ms over the
	// polls; HWM is VmHWM (the peak since the process started) after them (bytes).
	PeakRSS, PeakAnon, HWM int64
	// Conns is the number of TLS connections the injector opened over the polls, Resumed
	// those of them that resumed a TLS session.
	Conns, Resumed int
	// CPUPerPoll is utime+stime of the injector over the polls, divided by the polls the
	// proxy counted (the field Polls); RunPerPoll the same from the exact run time of its
	// threads (schedstat).
	CPUPerPoll, RunPerPoll time.Duration
	// Span is the wall time of the counted polls.
	Span time.Duration
}

// PerPoll is the mean number of store requests of one poll.
func (w Watch) PerPoll() float64 {
	if w.Polls == 0 {
		return 0
	}
	return float64(w.Requests.Total()) / float64(w.Polls)
}

// Run brings up a stack in a temporary directory, runs the measurement and tears the stack
// down, also on error. Progress goes to log. It fails on errors of the setup or of an
// injector run, never because a target is missed.
func Run(ctx context.Context, repoRoot string, log io.Writer) (res Result, err error) {
	if os.Geteuid() != 0 {
		return res, errors.New("the injector measurement needs root: it runs the local cluster")
	}
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	work, err := os.MkdirTemp("", "injectorbench-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(work)
	b := &bench{log: log, work: work}
	if err := b.build(ctx, repoRoot); err != nil {
		return res, err
	}
	err = stack.RunTemporary(ctx, repoRoot, "injectorbench-", log, func(s *stack.Stack) (err error) {
		b.stk = s
		if err := b.prepare(ctx); err != nil {
			return err
		}
		p, err := startProxy(ctx, s, 0)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, p.close()) }()
		b.proxy = p
		closing, err := startProxy(ctx, s, StoreIdle)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, closing.close()) }()
		b.closing = closing
		return b.measure(ctx, &res)
	})
	return res, err
}

// bench is one run: the binaries, the stack, the token file and the proxy.
type bench struct {
	log         io.Writer
	work        string // temporary directory: binaries and the token
	newBin      string
	oldBin      string
	plainBin    string // the reference program, plainclient
	stk         *stack.Stack
	tokenFile   string
	proxy       *proxy // keeps connections open
	closing     *proxy // closes a connection idle for StoreIdle
	serviceAcct string
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "injectorbench: "+format+"\n", args...)
}

func (b *bench) measure(ctx context.Context, res *Result) error {
	var err error
	if res.TouchCost, err = touchCost(TouchRounds, TouchPages); err != nil {
		return err
	}
	b.logf("a first write to a page of fresh anonymous memory: median %s", res.TouchCost)
	var plain [2]time.Duration
	if res.New, res.Old, err = b.starts(ctx, &plain, &res.PlainBareFaults, &res.RatioLow, &res.RatioHigh); err != nil {
		return err
	}
	res.PlainBare, res.PlainBareCPU = plain[0], plain[1]
	for _, w := range Watches {
		got, err := b.watch(ctx, b.proxy, w.Paths, w.Vars, false)
		if err != nil {
			return err
		}
		res.Watch = append(res.Watch, got)
		if got, err = b.watch(ctx, b.proxy, w.Paths, w.Vars, true); err != nil {
			return err
		}
		res.Plain = append(res.Plain, got)
	}
	res.Reconnect, err = b.watch(ctx, b.closing, ReconnectWatch.Paths, ReconnectWatch.Vars, false)
	return err
}

// prepare sets up the store (kubernetes auth, a KV v2 mount, StartPaths secrets, a policy
// and a role) and the ServiceAccount, and writes its token where the injector reads it.
func (b *bench) prepare(ctx context.Context) error {
	b.logf("preparing the store and the cluster")
	s := b.stk
	cs, err := s.Clientset()
	if err != nil {
		return err
	}
	steps := []func() error{
		func() error { return s.EnableKubernetesAuth(ctx, authMount) },
		func() error { return s.EnableKV(ctx, kvMount, 2) },
		func() error { return s.WritePolicy(ctx, policyName, stack.ReadPolicy(kvMount+"/data/*")) },
		func() error { return s.WriteRole(ctx, authMount, roleName, namespace, account, "10m", policyName) },
		func() error { return stack.EnsureServiceAccount(ctx, cs, namespace, account) },
	}
	for i := range StartPaths {
		steps = append(steps, func() error {
			_, err := s.PutKV2(ctx, kvMount, secretName(i), map[string]any{"k": fmt.Sprintf("value-%d", i), "j": fmt.Sprintf("other-%d", i)})
			return err
		})
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("prepare the store and the cluster: %w", err)
		}
	}
	// As kubelet projects it for a pod; it outlives the measurement.
	jwt, err := stack.ServiceAccountToken(ctx, cs, namespace, account, "", 3600)
	if err != nil {
		return err
	}
	b.tokenFile = filepath.Join(b.work, "token")
	b.serviceAcct = namespace + "/" + account
	return os.WriteFile(b.tokenFile, []byte(jwt), 0o600)
}

func secretName(i int) string { return fmt.Sprintf("p%d", i) }

// environ is the environment of an injector run: the control variables the webhook would
// set, pointing at the proxy, and vars. Nothing else of this process's environment is
// passed (no proxy settings, no VAULT_* variables).
func (b *bench) environ(vars []string, extra ...string) []string {
	return b.environAt(b.proxy, vars, extra...)
}

// environAt is environ with the store at p.
func (b *bench) environAt(p *proxy, vars []string, extra ...string) []string {
	env := []string{
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		"SECRETS_STORE_ADDR=" + p.url,
		"SECRETS_STORE_AUTH_PATH=" + authMount,
		"SECRETS_STORE_ROLE=" + roleName,
		"SECRETS_STORE_SERVICE_ACCOUNT=" + b.serviceAcct,
		"SECRETS_STORE_TOKEN_FILE=" + b.tokenFile,
		"SECRETS_STORE_CA_FILE=" + b.stk.Env.CAFile,
	}
	return append(append(env, extra...), vars...)
}

// refs are n variables V0…V(n-1) over paths distinct paths: variable i reads path
// i mod paths, key k on the first round over the paths and key j after.
func refs(paths, n int) []string {
	out := make([]string, 0, n)
	for i := range n {
		key := "k"
		if i >= paths {
			key = "j"
		}
		out = append(out, fmt.Sprintf("V%d=secrets-store:%s/data/%s#%s", i, kvMount, secretName(i%paths), key))
	}
	return out
}

// lastLines is the end of an injector's output, for an error message: the injector
// never writes a secret value or a token.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
