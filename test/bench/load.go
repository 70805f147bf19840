// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/deckhouse/secrets-store-integration/test/bench/admissionload"
	"github.com/deckhouse/secrets-store-integration/test/bench/i18n"
)

// loadResults are the rows of the admission load: every opted-in Pod mutated, none refused,
// and the Create latencies and their breakdown for the three kinds of Pods.
func loadResults(r admissionload.Result) []result {
	total := r.Pods * r.Rounds
	w := r.Waves
	lat := func(l admissionload.Latencies) string {
		return fmt.Sprintf("%s / %s (max %s)", roundMs(l.P50), roundMs(l.P99), roundMs(l.Max))
	}
	three := func(f func(admissionload.Breakdown) time.Duration) string {
		return roundMs(f(w[admissionload.OptedIn].Cost)) + " / " + roundMs(f(w[admissionload.Unchanged].Cost)) + " / " + roundMs(f(w[admissionload.Plain].Cost))
	}
	two := func(f func(admissionload.Breakdown) time.Duration) string {
		return roundMs(f(w[admissionload.OptedIn].Cost)) + " / " + roundMs(f(w[admissionload.Unchanged].Cost))
	}
	ratio := r.Ratio(admissionload.OptedIn)
	oc, uc := w[admissionload.OptedIn].Cost, w[admissionload.Unchanged].Cost
	return []result{
		{
			what:    fmt.Sprintf("%d opted-in pods created at once through the real API server, %d rounds: mutated, refused", r.Pods, r.Rounds),
			ru:      fmt.Sprintf(i18n.RU("load.01"), r.Pods, r.Rounds),
			value:   fmt.Sprintf("%d of %d mutated, %d refused", r.Mutated, total, r.Refused),
			valueRU: fmt.Sprintf(i18n.RU("load.02"), r.Mutated, total, r.Refused),
			target:  "all mutated, 0 refused",
			met:     r.Mutated == total && r.Refused == 0,
		},
		{
			what:  "pod Create through the API server, opted-in (sent to the webhook, mutated): p50 / p99",
			ru:    i18n.RU("load.03"),
			value: lat(w[admissionload.OptedIn].Latencies),
		},
		{
			what:    "pod Create, sent to the webhook and answered without a patch (its one container in skip-mutate-containers): p50 / p99",
			ru:      i18n.RU("load.27"),
			value:   lat(w[admissionload.Unchanged].Latencies) + fmt.Sprintf("; %d of %d unchanged", r.Untouched, total),
			valueRU: lat(w[admissionload.Unchanged].Latencies) + fmt.Sprintf(i18n.RU("load.28"), r.Untouched, total),
		},
		{
			what:  "pod Create without the annotation (never sent to the webhook): p50 / p99",
			ru:    i18n.RU("load.04"),
			value: lat(w[admissionload.Plain].Latencies),
		},
		{
			what:  "pod Create p50 of each round, in the same order as below",
			ru:    i18n.RU("load.30"),
			value: perRound(w[admissionload.OptedIn]) + " / " + perRound(w[admissionload.Unchanged]) + " / " + perRound(w[admissionload.Plain]),
		},
		{
			what:   "pod Create p50: opted-in ÷ without the annotation (answered without a patch ÷ without the annotation)",
			ru:     i18n.RU("load.29"),
			value:  fmt.Sprintf("%.2f (%.2f)", ratio, r.Ratio(admissionload.Unchanged)),
			target: "≤ 1.5",
			met:    ratio > 0 && ratio <= 1.5,
		},
		{
			what:  "where a Create's time goes, mean, opted-in / without a patch / without the annotation: the API server's own time for the POST (apiserver_request_duration_seconds)",
			ru:    i18n.RU("load.05"),
			value: three(func(b admissionload.Breakdown) time.Duration { return b.APIServer }),
		},
		{
			what:  "of that, the API server's call of the webhook (apiserver_admission_webhook_admission_duration_seconds), mean, opted-in / without a patch",
			ru:    i18n.RU("load.06"),
			value: two(func(b admissionload.Breakdown) time.Duration { return b.WebhookCall }),
		},
		{
			what:  "of that, the webhook's own review (secrets_store_webhook_review_duration_seconds), mean, opted-in / without a patch",
			ru:    i18n.RU("load.07"),
			value: oc.Review.Round(time.Microsecond).String() + " / " + uc.Review.Round(time.Microsecond).String(),
		},
		{
			what:  "of the API server's time, the wait in its priority and fairness queues (apiserver_flowcontrol_request_wait_duration_seconds, every request during the wave), mean, in the same order",
			ru:    i18n.RU("load.22"),
			value: three(func(b admissionload.Breakdown) time.Duration { return b.QueueWait }),
		},
		{
			what:  "of the API server's time, its create request to etcd (etcd_request_duration_seconds), mean, in the same order",
			ru:    i18n.RU("load.23"),
			value: three(func(b admissionload.Breakdown) time.Duration { return b.Etcd }),
		},
		{
			what:  "CPU per Create during the wave (process_cpu_seconds_total ÷ Creates): the API server, in the same order; the webhook, opted-in / without a patch",
			ru:    i18n.RU("load.24"),
			value: three(func(b admissionload.Breakdown) time.Duration { return b.APIServerCPU }) + "; " + two(func(b admissionload.Breakdown) time.Duration { return b.WebhookCPU }),
		},
		{
			what: "the webhook's traffic, opted-in / without a patch: a review read, an answer written (mean bytes); connections the API server opened to it over all waves of the kind",
			ru:   i18n.RU("load.25"),
			value: fmt.Sprintf("%d B, %d B, %d connections / %d B, %d B, %d connections",
				oc.RequestBytes, oc.ResponseBytes, oc.Connections, uc.RequestBytes, uc.ResponseBytes, uc.Connections),
			valueRU: fmt.Sprintf(i18n.RU("load.26"), oc.RequestBytes, oc.ResponseBytes, oc.Connections, uc.RequestBytes, uc.ResponseBytes, uc.Connections),
		},
		{
			what:    "size of a pod as the API server stores it (JSON), in the same order",
			ru:      i18n.RU("load.08"),
			value:   fmt.Sprintf("%d / %d / %d bytes", w[admissionload.OptedIn].Bytes, w[admissionload.Unchanged].Bytes, w[admissionload.Plain].Bytes),
			valueRU: fmt.Sprintf(i18n.RU("load.09"), w[admissionload.OptedIn].Bytes, w[admissionload.Unchanged].Bytes, w[admissionload.Plain].Bytes),
		},
		{
			what: fmt.Sprintf("wall time of one round of %d concurrent Creates, in the same order", r.Pods),
			ru:   fmt.Sprintf(i18n.RU("load.10"), r.Pods),
			value: w[admissionload.OptedIn].Wall.Round(time.Millisecond).String() + " / " + w[admissionload.Unchanged].Wall.Round(time.Millisecond).String() +
				" / " + w[admissionload.Plain].Wall.Round(time.Millisecond).String(),
		},
	}
}

// perRound lists the median Create of each round of a kind.
func perRound(w admissionload.Wave) string {
	s := make([]string, len(w.RoundP50))
	for i, d := range w.RoundP50 {
		s[i] = roundMs(d)
	}
	return strings.Join(s, ", ")
}

// loadMethod says how the admission load figures were taken and where the time goes.
func loadMethod(r admissionload.Result, ru bool) string {
	return loadHow(r, ru) + "\n\n" + loadWhere(r, ru)
}

// loadWhere explains the figures: what calling a webhook costs, what the patch costs, and
// that the burst is bound by CPU.
func loadWhere(r admissionload.Result, ru bool) string {
	w := r.Waves
	oc, uc, pc := w[admissionload.OptedIn].Cost, w[admissionload.Unchanged].Cost, w[admissionload.Plain].Cost
	extra := oc.APIServerCPU + oc.WebhookCPU - pc.APIServerCPU
	wall := w[admissionload.OptedIn].Wall - w[admissionload.Plain].Wall
	args := []any{
		roundMs(w[admissionload.Plain].P50), roundMs(w[admissionload.Unchanged].P50),
		roundMs(uc.APIServerCPU), roundMs(pc.APIServerCPU), roundMs(uc.WebhookCPU),
		roundMs(uc.WebhookCall), roundMs(uc.Review),
		w[admissionload.OptedIn].Bytes, w[admissionload.Unchanged].Bytes, roundMs(w[admissionload.OptedIn].P50),
		roundMs(oc.APIServerCPU), roundMs(oc.Etcd), roundMs(uc.Etcd), roundMs(oc.WebhookCPU), roundMs(oc.Review),
		runtime.NumCPU(), roundMs(extra), roundMs(extra * time.Duration(r.Pods)), r.Pods, roundMs(wall),
		roundMs(wall * time.Duration(runtime.NumCPU())), roundMs(oc.QueueWait),
		r.Ratio(admissionload.Unchanged), r.Ratio(admissionload.OptedIn),
	}
	if ru {
		return fmt.Sprintf(i18n.RU("load.where.01")+i18n.RU("load.where.02")+i18n.RU("load.where.03")+i18n.RU("load.where.04"), args...)
	}
	return fmt.Sprintf("Where the time goes (means of the figures above). Calling the webhook at all, with nothing to change, "+
		"takes the median Create from %s (without the annotation) to %s: the API server spends %s of CPU per Create against %s without the "+
		"annotation, the webhook %s, and the API server's call of the webhook takes %s on average while the webhook's own "+
		"review takes %s; the rest of the call is the request waiting for a CPU in both processes, and the transport. "+
		"With the patch and the larger pod (%d bytes stored instead of %d) it is %s: the API server spends %s "+
		"per Create (applying the patch, running its own mutating admission plugins again on the changed pod, validating, "+
		"encoding and storing the larger pod: etcd create %s against %s), the webhook %s of CPU, and its review waits "+
		"for a CPU too (%s). The machine has %d cores for the API server, etcd, the webhook and the client. A mutated "+
		"pod costs %s more CPU than one without the annotation, %s for a wave of %d; the mutated wave lasts %s longer, "+
		"%s of the cores' time: the burst is bound by CPU, and most of that CPU is the API server's. Priority and "+
		"fairness queues held the requests for %s on average. What is not the module's to cut is the API server's own "+
		"cost of calling a webhook and of a larger pod. In this burst the median Create of a pod the webhook answers "+
		"without a patch is %.2f times that of a pod without the annotation, and of a mutated pod %.2f times; waves of "+
		"one kind differ from round to round (the row of each round's median), so a ratio near the target is within that noise.", args...)
}

// loadHow says how the admission load figures were taken.
func loadHow(r admissionload.Result, ru bool) string {
	if ru {
		return fmt.Sprintf(i18n.RU("load.11")+
			i18n.RU("load.12")+
			i18n.RU("load.13")+
			i18n.RU("load.14")+
			i18n.RU("load.15")+
			i18n.RU("load.16")+
			i18n.RU("load.17")+
			i18n.RU("load.18")+
			i18n.RU("load.19")+
			i18n.RU("load.20")+
			i18n.RU("load.21"),
			r.Rounds, r.Pods)
	}
	return fmt.Sprintf("**Webhook under load.** A local real cluster; the webhook runs next to it and kube-apiserver calls it "+
		"through the module's MutatingWebhookConfiguration. In each of %d rounds %d pods of each of three kinds are created "+
		"at once, one kind after the other (the first kind changing from round to round; between two waves the pods are "+
		"deleted, and 2 s pass after the last is gone): pods with the "+
		"`secrets-store.deckhouse.io/role` annotation, which the webhook mutates; pods with it and with "+
		"`skip-mutate-containers` naming their one container, which the API server sends to the webhook and the webhook "+
		"answers without a patch; and pods without the annotation, which are never sent. The pods name a scheduler that does "+
		"not exist and stay Pending: admission alone is measured. Latency is the client's Create call; a pod counts as "+
		"mutated when the API server returns it with a container that runs the injector. The breakdown comes from the API "+
		"server's metrics (apiserver_request_duration_seconds for pod POSTs, apiserver_admission_webhook_admission_duration_seconds "+
		"for the module's webhook, apiserver_flowcontrol_request_wait_duration_seconds, etcd_request_duration_seconds, "+
		"process_cpu_seconds_total) and the webhook's (secrets_store_webhook_review_duration_seconds, "+
		"secrets_store_webhook_request_bytes and _response_bytes, secrets_store_webhook_connections_total, "+
		"process_cpu_seconds_total), scraped before and after each wave; each time is a mean over the wave's Creates. The gap "+
		"between the webhook call and the webhook's own review is the connection, TLS and queueing between the API server "+
		"and the webhook; the gap between the API server's time and the call is everything else the API server does, for the "+
		"larger pod too. The three kinds go through the same API server: the difference between pods answered without a "+
		"patch and pods without the annotation is what calling a webhook costs; the difference between mutated pods and "+
		"pods answered without a patch is what the patch and the larger pod cost.",
		r.Rounds, r.Pods)
}

// runLoadOnly runs the admission load alone and prints its rows.
func runLoadOnly(ctx context.Context) error {
	return runOnly(ctx, "admission load", func(ctx context.Context, root string) ([]result, pageMethods, error) {
		r, err := admissionload.Run(ctx, root, os.Stderr)
		return loadResults(r), pageMethods{al: &r}, err
	})
}
