// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/deckhouse/secrets-store-integration/test/bench/i18n"
	"github.com/deckhouse/secrets-store-integration/test/bench/stats"
	"github.com/deckhouse/secrets-store-integration/test/bench/syncscale"
)

// syncMemoryTarget is the most resident memory the controller may use with 1,000
// resources synced.
const syncMemoryTarget = 64 << 20

// syncScaleResults are the rows of the SecretsStoreSync measurement, with the plan's
// targets: ≤ 1 store read per identity and path per refresh interval, ≤ 1 login per
// identity per token lifetime, ≤ 64 MiB RSS, and a store change in the Secrets within one
// interval + 2 s at p99.
func syncScaleResults(r syncscale.Result) []result {
	worst := r.MaxPerInterval()
	run := r.Run.Round(time.Second)
	rs := []result{
		{
			what: fmt.Sprintf("SecretsStoreSync at %d resources (%d ServiceAccounts, one path each): first Create → every resource Ready",
				r.Resources, r.Identities),
			ru: fmt.Sprintf(i18n.RU("syncscale.01"), r.Resources, r.Identities),
			value: fmt.Sprintf("%s (Creates %s, %d at a time; first Secret after %s)",
				sec(r.AllReady), sec(r.Creates), r.CreateConcurrency, sec(r.FirstSecret)),
			valueRU: fmt.Sprintf(i18n.RU("syncscale.02"), sec(r.AllReady), sec(r.Creates), r.CreateConcurrency, sec(r.FirstSecret)),
		},
		{
			what: fmt.Sprintf("store reads per refresh interval (%s), %d resources synced", r.Interval, r.Resources),
			ru:   fmt.Sprintf(i18n.RU("syncscale.03"), r.Interval, r.Resources),
			value: fmt.Sprintf("%d; worst of %d intervals (every store request in it: %d, failed %d)",
				worst.Store.Read, len(r.Steady), worst.Store.Total(), worst.Store.Failed),
			valueRU: fmt.Sprintf(i18n.RU("syncscale.04"), worst.Store.Read, len(r.Steady), worst.Store.Total(), worst.Store.Failed),
			target:  fmt.Sprintf("≤ %d", r.Identities),
			met:     len(r.Steady) >= syncscale.Intervals && worst.Store.Read <= r.Identities,
		},
		{
			what: fmt.Sprintf("store logins over the run (%s; token TTL %s, token lifetimes begun: %d), at most %d per token lifetime",
				run, r.TokenTTL, r.Lifetimes(), r.Identities),
			ru:     fmt.Sprintf(i18n.RU("syncscale.05"), run, r.TokenTTL, r.Lifetimes(), r.Identities),
			value:  strconv.Itoa(r.Logins),
			target: fmt.Sprintf("≤ %d × %d = %d", r.Identities, r.Lifetimes(), r.LoginLimit()),
			met:    r.Logins <= r.LoginLimit(),
		},
		{
			what: fmt.Sprintf("sync controller memory with %d resources synced (RSS): peak", r.Resources),
			ru:   fmt.Sprintf(i18n.RU("syncscale.06"), r.Resources),
			value: fmt.Sprintf("%s (%s after the intervals, anonymous %s, Go heap in use %s; run's peak %s; %s before the first Create)",
				mib(r.SyncedPeakRSS), mib(r.RSS), mib(r.AnonRSS), mib(r.HeapInuse), mib(r.PeakRSS), mib(r.IdleRSS)),
			valueRU: fmt.Sprintf(i18n.RU("syncscale.07"),
				mib(r.SyncedPeakRSS), mib(r.RSS), mib(r.AnonRSS), mib(r.HeapInuse), mib(r.PeakRSS), mib(r.IdleRSS)),
			target: "≤ 64 MiB",
			met:    r.SyncedPeakRSS > 0 && r.SyncedPeakRSS <= syncMemoryTarget,
		},
	}
	rs = append(rs, alignedChangeResult(r), changeResult(r))
	return append(rs, syncWriteResults(r)...)
}

// alignedChangeResult is the row of the change written right after the controller's
// reads, judged against the target: p99 within one refresh interval + 2 s.
func alignedChangeResult(r syncscale.Result) result {
	c := r.Aligned
	p50, p99, top, after99, afterMax := changeStats(c)
	limit := r.Interval + syncscale.UpdateSlack
	return result{
		what: fmt.Sprintf("store change right after the controller's reads (the worst phase) → Secret updated, %d Secrets of %d paths: p50 / p99 / max",
			r.Resources, r.Identities),
		ru: fmt.Sprintf(i18n.RU("syncscale.08"), r.Resources, r.Identities),
		value: fmt.Sprintf("%s / %s / %s (%d of %d updated; written %s after the first of %d reads; after the first Secret of the same path: p99 %s, max %s)",
			p50, p99, top, len(c.Latency), r.Resources, sec(c.WriteDelay), c.WaveReads, after99, afterMax),
		valueRU: fmt.Sprintf(i18n.RU("syncscale.09"),
			p50, p99, top, len(c.Latency), r.Resources, sec(c.WriteDelay), c.WaveReads, after99, afterMax),
		target: fmt.Sprintf("≤ %s + %s = %s", r.Interval, syncscale.UpdateSlack, limit),
		met:    len(c.Latency) == r.Resources && stats.Percentile(c.Latency, 99) <= limit,
	}
}

// changeResult is the row of the change written at whatever phase it fell in.
func changeResult(r syncscale.Result) result {
	c := r.Change
	p50, p99, top, after99, afterMax := changeStats(c)
	return result{
		what:  "the same, written at whatever phase of the interval it fell in: p50 / p99 / max",
		ru:    i18n.RU("syncscale.16"),
		value: fmt.Sprintf("%s / %s / %s (%d of %d updated; after the first Secret of the same path: p99 %s, max %s)", p50, p99, top, len(c.Latency), r.Resources, after99, afterMax),
		valueRU: fmt.Sprintf(i18n.RU("syncscale.17"),
			p50, p99, top, len(c.Latency), r.Resources, after99, afterMax),
	}
}

func changeStats(c syncscale.Change) (p50, p99, top, after99, afterMax string) {
	pc := func(ds []time.Duration, p float64) string { return sec(stats.Percentile(ds, p)) }
	return pc(c.Latency, 50), pc(c.Latency, 99), pc(c.Latency, 100), pc(c.AfterRead, 99), pc(c.AfterRead, 100)
}

// syncWriteResults are the rows without a target: the API writes of each phase and the
// reconciles.
func syncWriteResults(r syncscale.Result) []result {
	return []result{
		writesRow("API writes, first sync of every resource", i18n.RU("syncscale.10"), r.Initial.API),
		writesRow(fmt.Sprintf("API writes in a refresh interval with nothing changed, worst of %d", len(r.Steady)),
			fmt.Sprintf(i18n.RU("syncscale.11"), len(r.Steady)), worstWrites(r.Steady)),
		writesRow("API writes, a change of every path until every Secret is updated", i18n.RU("syncscale.12"), r.Aligned.Window.API),
		{
			what:    "reconciles over the run, by result",
			ru:      i18n.RU("syncscale.13"),
			value:   syncsByResult(r.Syncs),
			valueRU: syncsByResult(r.Syncs),
		},
	}
}

func sec(d time.Duration) string { return d.Round(10 * time.Millisecond).String() }

func writesRow(what, ru string, w syncscale.Writes) result {
	v := fmt.Sprintf("Secrets %d, statuses %d, events %d, TokenRequests %d", w.Secrets, w.Status, w.Events, w.Tokens)
	vru := fmt.Sprintf(i18n.RU("syncscale.14"), w.Secrets, w.Status, w.Events, w.Tokens)
	if w.Failed > 0 {
		v += fmt.Sprintf(" (not 2xx: %d)", w.Failed)
		vru += fmt.Sprintf(i18n.RU("syncscale.15"), w.Failed)
	}
	return result{what: what, ru: ru, value: v, valueRU: vru}
}

// worstWrites is the window with the most writes.
func worstWrites(ws []syncscale.Window) syncscale.Writes {
	var worst syncscale.Writes
	total := func(w syncscale.Writes) int { return w.Secrets + w.Status + w.Events + w.Tokens }
	for _, w := range ws {
		if total(w.API) >= total(worst) {
			worst = w.API
		}
	}
	return worst
}

// syncsByResult lists the reconciles by result, Synced first; the results are the
// controller's reason names, the same in both languages.
func syncsByResult(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if (a == "Synced") != (b == "Synced") {
			if a == "Synced" {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// syncScaleMethod says how the SecretsStoreSync figures were taken.
func syncScaleMethod(r syncscale.Result, ru bool) string {
	args := []any{
		r.Resources, r.Identities, r.Interval, r.TokenTTL, r.CreateConcurrency,
		r.Interval, syncscale.Intervals, r.Identities, r.Interval + syncscale.UpdateSlack,
	}
	if ru {
		return fmt.Sprintf(i18n.RU("syncscale.method.01")+i18n.RU("syncscale.method.02")+i18n.RU("syncscale.method.03")+
			i18n.RU("syncscale.method.04")+i18n.RU("syncscale.method.05")+i18n.RU("syncscale.method.06"), args...)
	}
	return fmt.Sprintf("**SecretsStoreSync at %d resources.** The controller binary (`images/sync-controller`) runs as a "+
		"process next to the local real cluster, as its Deployment runs it (one replica holding the Lease, GOMEMLIMIT "+
		"100MiB, the other flags at their defaults), against a real OpenBao with kubernetes auth: every login is a real TokenRequest and "+
		"TokenReview. Resource i reads one key of path i mod %d as ServiceAccount i mod %[2]d, each ServiceAccount with "+
		"a role of its own: 10 identities of one path each. The resources set no refreshInterval; the controller's "+
		"--refresh-interval, their default, is %s, the shortest the module allows, so that the measurement waits for "+
		"whole intervals (the module's default is 2m); the roles' token TTL is %s. The resources are created %d at a "+
		"time while the controller runs; Ready and the Secrets are seen through watches (the Secrets through the "+
		"controller's label `secrets-store.deckhouse.io/sync`). Store requests come from the controller's own "+
		"`secrets_store_sync_store_requests_total`, counted in each of the whole intervals (%s) that follow the last "+
		"resource Ready (%d intervals) and, for logins, over the run; API writes from the API server's "+
		"`apiserver_request_total` (secrets, secretsstoresyncs/status, events, serviceaccounts/token; every client of "+
		"an otherwise idle cluster, the measurement writes none of them). Memory is sampled every 20 ms from "+
		"/proc/PID/status while every resource is synced. Then the %d paths are written anew in the store, one after "+
		"the other, twice, and for each Secret the time from the store's acknowledgement of its path's write to the "+
		"watch delivering the Secret with the new value is taken. The first time the paths are written when the "+
		"steady intervals end, at whatever phase of the controller's interval that falls; the second time right "+
		"after the controller's next wave of reads (its read counter polled every 50 ms: written once every identity "+
		"has read, or 3 s after the first read), so that each Secret waits a whole interval for the next read: the "+
		"worst phase, which the target, one refresh interval plus 2 s (%s), is judged on. The time from the first "+
		"Secret of the same path updated (which follows the controller's read of the path at once) does not depend "+
		"on the phase and shows what the controller adds to the read.",
		args...)
}

// runSyncScaleOnly runs the SecretsStoreSync measurement alone and prints its rows and
// method in both languages; the pages are not written.
func runSyncScaleOnly(ctx context.Context) error {
	return runOnly(ctx, "sync scale", func(ctx context.Context, root string) ([]result, pageMethods, error) {
		r, err := syncscale.Run(ctx, root, os.Stderr)
		return syncScaleResults(r), pageMethods{ss: &r}, err
	})
}
