// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	ib "github.com/deckhouse/secrets-store-integration/test/bench/injectorbench"

	"github.com/deckhouse/secrets-store-integration/test/bench/i18n"
)

// Targets of the injector measurement.
const (
	injectorStartRatio = 0.75             // this tree's median start over the baseline's
	injectorWatchRSS   = 8 << 20          // resident memory of a watching injector, bytes
	injectorPollCPU    = time.Millisecond // CPU per poll and container
)

// injectorResults are the rows of the injector measurement: its start next to the
// baseline's, the store requests of a start and of a poll, and what a watching injector
// costs.
func injectorResults(r ib.Result) []result {
	n, base := ib.StartPaths, ib.BaselineCommit
	got := r.New.PerStart // the revocation is allowed, not required
	startMet := r.New.Uniform && got.Login == 1 && got.Read == n && got.Revoke <= 1 && got.Total() == 1+n+got.Revoke
	rs := []result{
		{
			what: fmt.Sprintf("injector start, %d KV v2 paths (%d variables), exec → exit of /bin/true, %d runs: median / p90 (CPU median), this tree", n, n, ib.StartRuns),
			ru: fmt.Sprintf(i18n.RU("injector.01"),
				n, pluralRU(n, i18n.RU("injector.02"), i18n.RU("injector.03"), i18n.RU("injector.04")), n, pluralRU(n, i18n.RU("injector.05"), i18n.RU("injector.06"), i18n.RU("injector.07")),
				ib.StartRuns, pluralRU(ib.StartRuns, i18n.RU("injector.08"), i18n.RU("injector.09"), i18n.RU("injector.10"))),
			value:   startValue(r.New, false),
			valueRU: startValue(r.New, true),
		},
		{
			what:    fmt.Sprintf("the same, injector of commit %s (the previous one), runs alternated with the above", base),
			ru:      fmt.Sprintf(i18n.RU("injector.11"), base),
			value:   startValue(r.Old, false),
			valueRU: startValue(r.Old, true),
		},
		{
			what:   fmt.Sprintf("injector start, median: this tree ÷ commit %s", base),
			ru:     fmt.Sprintf(i18n.RU("injector.12"), base),
			value:  fmt.Sprintf("%.2f", r.Ratio()),
			target: fmt.Sprintf("≤ %.2f", injectorStartRatio),
			met:    r.Ratio() > 0 && r.Ratio() <= injectorStartRatio,
		},
		{
			what: fmt.Sprintf("the same ratio: %.0f%% bootstrap interval over the rounds; the ratio of the part of a start the store requests make (median start less median start without a reference), this tree ÷ commit %s",
				ib.RatioLevel*100, base),
			ru:    fmt.Sprintf(i18n.RU("injector.62"), ib.RatioLevel*100, base),
			value: fmt.Sprintf("%.2f–%.2f; %.2f", r.RatioLow, r.RatioHigh, r.StoreRatio()),
		},
		{
			what:  fmt.Sprintf("where a start's time goes: the same start without a reference (the process alone, no store request), median (CPU), this tree / commit %s", base),
			ru:    fmt.Sprintf(i18n.RU("injector.13"), base),
			value: fmt.Sprintf("%s (%s) / %s (%s)", roundMs(r.New.Bare), roundMs(r.New.BareCPU), roundMs(r.Old.Bare), roundMs(r.Old.BareCPU)),
		},
		{
			what:  "the same for the reference program, a static Go program that ends at once (the floor of a Go program's start on this machine), median (CPU)",
			ru:    i18n.RU("injector.57"),
			value: fmt.Sprintf("%s (%s)", roundMs(r.PlainBare), roundMs(r.PlainBareCPU)),
		},
		{
			what: fmt.Sprintf("where a start's time goes: minor page faults (first touches of a memory page) of one start, median, with the references / without: this tree; commit %s; "+
				"the reference program ending at once; and one first write to a page of fresh anonymous memory on this machine, median", base),
			ru: fmt.Sprintf(i18n.RU("injector.63"), base),
			value: fmt.Sprintf("%d / %d; %d / %d; %d; %s", r.New.Faults, r.New.BareFaults, r.Old.Faults, r.Old.BareFaults,
				r.PlainBareFaults, r.TouchCost.Round(10*time.Nanosecond)),
		},
		{
			what:  fmt.Sprintf("where a start's time goes: the store's answer at the proxy, mean: login; read; mount lookup, this tree / commit %s", base),
			ru:    fmt.Sprintf(i18n.RU("injector.14"), base),
			value: spentValue(r.New.Spent) + " / " + spentValue(r.Old.Spent),
		},
		{
			what:    "store requests per start, this tree",
			ru:      i18n.RU("injector.15"),
			value:   perStartValue(r.New, false),
			valueRU: perStartValue(r.New, true),
			target:  fmt.Sprintf("1 login + %d reads (+1 revoke)", n),
			met:     startMet,
		},
		{
			what:    fmt.Sprintf("store requests per start, commit %s", base),
			ru:      fmt.Sprintf(i18n.RU("injector.16"), base),
			value:   perStartValue(r.Old, false),
			valueRU: perStartValue(r.Old, true),
		},
	}
	for i, w := range r.Watch {
		rs = append(rs, watchResults(w)...)
		if i < len(r.Plain) {
			rs = append(rs, plainResult(r.Plain[i]))
		}
	}
	if r.Reconnect.Polls > 0 {
		rs = append(rs, reconnectResult(r.Reconnect))
	}
	return rs
}

// reconnectResult is the row of the watch through a store that closes idle connections:
// what a poll costs when it connects again and resumes its TLS session.
func reconnectResult(w ib.Watch) result {
	return result{
		what: fmt.Sprintf("watching injector (watch-for-data every %s), %d paths, %d variables, the store closing a connection idle for %s "+
			"(every poll connects again): CPU per poll, utime+stime (schedstat); new TLS connections over %d polls (of them, resumed TLS sessions)",
			ib.PollInterval, w.Paths, w.Vars, ib.StoreIdle, w.Polls),
		ru: fmt.Sprintf(i18n.RU("injector.60"), ib.PollInterval,
			w.Paths, pluralRU(w.Paths, i18n.RU("injector.21"), i18n.RU("injector.22"), i18n.RU("injector.23")),
			w.Vars, pluralRU(w.Vars, i18n.RU("injector.24"), i18n.RU("injector.25"), i18n.RU("injector.26")),
			ib.StoreIdle, w.Polls, pluralRU(w.Polls, i18n.RU("injector.28"), i18n.RU("injector.29"), i18n.RU("injector.30"))),
		value: fmt.Sprintf("%s (%s); %d (%d)", roundMs(w.CPUPerPoll), roundMs(w.RunPerPoll), w.Conns, w.Resumed),
	}
}

func startValue(s ib.Start, ru bool) string {
	cpu := "CPU"
	if ru {
		cpu = i18n.RU("injector.17")
	}
	return fmt.Sprintf("%s / %s (%s %s)", roundMs(s.Median), roundMs(s.P90), cpu, roundMs(s.CPU))
}

func perStartValue(s ib.Start, ru bool) string {
	v := s.PerStart.Format(ru)
	switch {
	case ru && !s.Uniform:
		v += i18n.RU("injector.18")
	case !s.Uniform:
		v += ", not the same on every start"
	}
	if ru {
		return fmt.Sprintf(i18n.RU("injector.19"), v, s.Conns)
	}
	return fmt.Sprintf("%s; %.1f TLS connections", v, s.Conns)
}

// spentValue is login; read; mount lookup, a dash for a kind not sent.
func spentValue(s ib.Spent) string {
	var parts []string
	for _, d := range []time.Duration{s.Login, s.Read, s.Mount} {
		if d == 0 {
			parts = append(parts, "–")
			continue
		}
		parts = append(parts, roundMs(d))
	}
	return strings.Join(parts, "; ")
}

// watchResults are the rows of one watch-for-data run.
func watchResults(w ib.Watch) []result {
	what := fmt.Sprintf("watching injector (watch-for-data every %s), %d paths, %d variables", ib.PollInterval, w.Paths, w.Vars)
	ru := fmt.Sprintf(i18n.RU("injector.20"), ib.PollInterval,
		w.Paths, pluralRU(w.Paths, i18n.RU("injector.21"), i18n.RU("injector.22"), i18n.RU("injector.23")), w.Vars, pluralRU(w.Vars, i18n.RU("injector.24"), i18n.RU("injector.25"), i18n.RU("injector.26")))
	return []result{
		{
			what:    fmt.Sprintf("%s: store requests per poll, over %d polls", what, w.Polls),
			ru:      fmt.Sprintf(i18n.RU("injector.27"), ru, w.Polls, pluralRU(w.Polls, i18n.RU("injector.28"), i18n.RU("injector.29"), i18n.RU("injector.30"))),
			value:   fmt.Sprintf("%.2f; in all %s, %d new TLS connections", w.PerPoll(), w.Requests.Format(false), w.Conns),
			valueRU: fmt.Sprintf(i18n.RU("injector.31"), w.PerPoll(), w.Requests.Format(true), w.Conns),
			target:  fmt.Sprintf("= %d (distinct paths)", w.Paths),
			met:     w.Polls > 0 && w.Requests.Total() == w.Requests.Read && w.Requests.Read == w.Paths*w.Polls,
		},
		{
			what:   what + ": resident memory, VmHWM (peak VmRSS over the polls; its anonymous part)",
			ru:     ru + i18n.RU("injector.32"),
			value:  fmt.Sprintf("%s (%s; %s)", mib(w.HWM), mib(w.PeakRSS), mib(w.PeakAnon)),
			target: "≤ 8 MiB",
			met:    w.HWM > 0 && w.HWM <= injectorWatchRSS,
		},
		{
			what:   what + ": CPU per poll, utime+stime over the polls ÷ polls (the same from schedstat)",
			ru:     ru + i18n.RU("injector.33"),
			value:  fmt.Sprintf("%s (%s)", roundMs(w.CPUPerPoll), roundMs(w.RunPerPoll)),
			target: "≤ " + injectorPollCPU.String(),
			met:    w.Polls > 0 && w.CPUPerPoll <= injectorPollCPU,
		},
	}
}

// plainResult is the row of the reference program polling the paths of one watch run:
// what the Go runtime and net/http alone cost for the same polls.
func plainResult(w ib.Watch) result {
	return result{
		what: fmt.Sprintf("the reference program (net/http over HTTP/2, the same TLS and runtime settings) reading the same %d paths every %s: "+
			"VmHWM (peak VmRSS; anonymous part); CPU per poll, utime+stime (schedstat); store requests per poll", w.Paths, ib.PollInterval),
		ru: fmt.Sprintf(i18n.RU("injector.58"), w.Paths, pluralRU(w.Paths, i18n.RU("injector.21"), i18n.RU("injector.22"), i18n.RU("injector.23")), ib.PollInterval),
		value: fmt.Sprintf("%s (%s; %s); %s (%s); %.2f", mib(w.HWM), mib(w.PeakRSS), mib(w.PeakAnon),
			roundMs(w.CPUPerPoll), roundMs(w.RunPerPoll), w.PerPoll()),
	}
}

// pluralRU picks the Russian form for n: one (1, 21), few (2–4, 22–24) or many.
func pluralRU(n int, one, few, many string) string {
	switch n10, n100 := n%10, n%100; {
	case n10 == 1 && n100 != 11:
		return one
	case n10 >= 2 && n10 <= 4 && (n100 < 12 || n100 > 14):
		return few
	}
	return many
}

// injectorMethod says how the injector figures were taken.
func injectorMethod(ru bool) string {
	if ru {
		return fmt.Sprintf(i18n.RU("injector.34")+
			i18n.RU("injector.35")+
			i18n.RU("injector.36")+
			i18n.RU("injector.37")+
			i18n.RU("injector.38")+
			i18n.RU("injector.39")+
			i18n.RU("injector.40")+
			i18n.RU("injector.41")+
			i18n.RU("injector.42")+
			i18n.RU("injector.43")+
			i18n.RU("injector.44")+
			i18n.RU("injector.45")+
			i18n.RU("injector.46")+
			i18n.RU("injector.47")+
			i18n.RU("injector.48")+
			i18n.RU("injector.49")+
			i18n.RU("injector.50")+
			i18n.RU("injector.51")+
			i18n.RU("injector.52")+
			i18n.RU("injector.53")+
			i18n.RU("injector.54")+
			i18n.RU("injector.55")+
			i18n.RU("injector.56")+
			i18n.RU("injector.59")+
			i18n.RU("injector.61"), ib.StartPaths, ib.BaselineCommit, ib.WarmupRuns, ib.TouchRounds, ib.TouchPages, ib.PollInterval, ib.Polls, ib.StoreIdle)
	}
	return fmt.Sprintf("**Injector start and watch.** The injector runs as a process on the host next to a local real "+
		"cluster, as a mutated container runs it: its SECRETS_STORE_* variables, a ServiceAccount token from the "+
		"TokenRequest API for a ServiceAccount bound to the kubernetes auth role, the stack CA. It reaches the real "+
		"OpenBao through a counting reverse proxy on 127.0.0.1 that accepts TLS with a certificate of the same CA (the "+
		"injector verifies it and negotiates HTTP/2, as with the store itself) and forwards over connections it keeps "+
		"open; the proxy names every request (login, mount lookup = sys/internal/ui/mounts, read, write, renew, revoke) "+
		"and times the store's answer. Start: the injector runs /bin/true with %d variables `secrets-store:kv/data/pN#k`, "+
		"one KV v2 path each; the time is from the exec of the injector to the exit of /bin/true (the injector execs it "+
		"in its own place), CPU from the process's rusage. The injector of commit %s (before the store client read a "+
		"path as written first and looked a mount up only when that failed) is built from that commit's files as the "+
		"image builds it (static, stripped). Four kinds of start (each of the two injectors with these references and "+
		"without any) take turns, the first of each round changing, so that all share the load of a shared machine; the "+
		"first %d rounds are not counted. The interval of their ratio is a bootstrap over the rounds: the rounds are "+
		"drawn with replacement 2000 times (a fixed seed) and the ratio of the two medians is taken each time; its 5th and "+
		"95th percentiles bound it. A start's minor page faults come from its rusage (the injector's and those of "+
		"/bin/true, which it becomes); what one first touch of a page costs is taken before the starts, in the measuring "+
		"process: the median over %d rounds of the time of a first write to each of the %d pages of a fresh anonymous "+
		"mapping, divided by the pages. Watch: the injector runs `/bin/sleep` with SECRETS_STORE_RESTART_ON=watch-for-data "+
		"and SECRETS_STORE_POLL_INTERVAL=%s (the webhook refuses a secret-poll-interval under 5s; the binary takes any "+
		"positive duration, and a short interval makes many polls quick to count). Once the environment is resolved it "+
		"executes injector-watch in its place (built the same way and put next to it, as in the module's volume; the "+
		"PID stays, and the measurement checks that /proc/PID/exe is the watcher): the watch figures are the watcher's, "+
		"which polls over HTTP/1.1, the reads of a poll pipelined on one connection; once the first answer is in, it sleeps "+
		"about as long again per answer still due (at most 20 ms) and reads the rest at one wake-up. It logs at its default level (info), "+
		"as in a pod: nothing per poll. From its log line saying it watches, the proxy counts %d polls as bursts of "+
		"requests (a new burst after 40 ms without a request; the polls come 140–260 ms apart). "+
		"Resident memory is read from /proc/PID/status every 20 ms over the polls (VmRSS, RssAnon) and VmHWM (the peak "+
		"since the watcher replaced the injector, its start included) after them; CPU per poll is utime+stime of /proc/PID/stat (10 ms ticks) "+
		"over the polls divided by their number (in parentheses, the same from the exact time on a CPU in "+
		"/proc/PID/task/*/schedstat); the work between polls (timers, the Go runtime's monitor) counts with them, the "+
		"sleeping command's own use does not. "+
		"Reference: plainclient (test/bench/injectorbench/plainclient), a static stripped Go program built like the "+
		"injector, is the floor the injector's figures stand on. Its start, the program ending at once, takes turns with "+
		"the four kinds above. Its watch logs in with the same variables, then reads the same paths together every "+
		"interval with net/http alone (HTTP/2, the same TLS settings, the JSON decoded, the standard dialer where the "+
		"injector's store client reads and writes its sockets without the Go runtime's system-call hand-off; one processor and GC target 25 "+
		"as a watching injector) and is measured as the injector is: nothing of the injector's own work (references, "+
		"comparison, the supervised command) is in it. "+
		"Reconnecting: the injector watches the first set of paths once more through a second proxy that closes a "+
		"connection idle for %s, as a store or a load balancer whose idle limit is shorter than the poll period does; "+
		"every poll then opens a new connection, and the proxy counts those whose TLS session was resumed. (With the "+
		"default period of 120s, the watcher keeps its connection from one poll to the next, and OpenBao closes a "+
		"connection only after 5 minutes idle.)",
		ib.StartPaths, ib.BaselineCommit, ib.WarmupRuns, ib.TouchRounds, ib.TouchPages, ib.PollInterval, ib.Polls, ib.StoreIdle)
}

// runInjectorOnly runs the injector measurement alone and prints its rows and method in
// English and in Russian; the benchmark pages are not written.
func runInjectorOnly(ctx context.Context) error {
	return runOnly(ctx, "injector", func(ctx context.Context, root string) ([]result, pageMethods, error) {
		r, err := ib.Run(ctx, root, os.Stderr)
		return injectorResults(r), pageMethods{ij: &r}, err
	})
}
