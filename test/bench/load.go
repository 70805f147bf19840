// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"time"

	"github.com/deckhouse/secrets-store-integration/test/bench/admissionload"
	"github.com/deckhouse/secrets-store-integration/test/bench/i18n"
)

// loadResults are the rows of the admission load: every opted-in Pod mutated, none refused,
// and the Create latencies with and without the webhook.
func loadResults(r admissionload.Result) []result {
	total := r.Pods * r.Rounds
	lat := func(l admissionload.Latencies) string {
		return fmt.Sprintf("%s / %s (max %s)", roundMs(l.P50), roundMs(l.P99), roundMs(l.Max))
	}
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
			what:  "pod Create through the API server with the webhook (opted-in): p50 / p99",
			ru:    i18n.RU("load.03"),
			value: lat(r.OptedIn),
		},
		{
			what:  "pod Create through the API server without the webhook (no annotation, never sent to it): p50 / p99",
			ru:    i18n.RU("load.04"),
			value: lat(r.Plain),
		},
		{
			what:  "where a Create's time goes, mean, opted-in / plain: the API server's own time for the POST (apiserver_request_duration_seconds)",
			ru:    i18n.RU("load.05"),
			value: roundMs(r.OptedInCost.APIServer) + " / " + roundMs(r.PlainCost.APIServer),
		},
		{
			what:  "of that, the API server's call of the webhook (apiserver_admission_webhook_admission_duration_seconds), mean",
			ru:    i18n.RU("load.06"),
			value: roundMs(r.OptedInCost.WebhookCall),
		},
		{
			what:  "of that, the webhook's own review (secrets_store_webhook_review_duration_seconds), mean",
			ru:    i18n.RU("load.07"),
			value: r.OptedInCost.Review.Round(time.Microsecond).String(),
		},
		{
			what:  "of the API server's time, the wait in its priority and fairness queues (apiserver_flowcontrol_request_wait_duration_seconds, every request during the wave), mean, opted-in / plain",
			ru:    i18n.RU("load.22"),
			value: roundMs(r.OptedInCost.QueueWait) + " / " + roundMs(r.PlainCost.QueueWait),
		},
		{
			what:  "of the API server's time, its create request to etcd (etcd_request_duration_seconds), mean, opted-in / plain",
			ru:    i18n.RU("load.23"),
			value: roundMs(r.OptedInCost.Etcd) + " / " + roundMs(r.PlainCost.Etcd),
		},
		{
			what:  "CPU per Create during the wave (process_cpu_seconds_total ÷ Creates): API server, opted-in / plain; webhook",
			ru:    i18n.RU("load.24"),
			value: roundMs(r.OptedInCost.APIServerCPU) + " / " + roundMs(r.PlainCost.APIServerCPU) + "; " + roundMs(r.OptedInCost.WebhookCPU),
		},
		{
			what:    "the webhook's traffic: a review read, an answer written (mean bytes); connections the API server opened to it over all opted-in waves",
			ru:      i18n.RU("load.25"),
			value:   fmt.Sprintf("%d B, %d B; %d connections for %d reviews", r.OptedInCost.RequestBytes, r.OptedInCost.ResponseBytes, r.OptedInCost.Connections, r.Mutated),
			valueRU: fmt.Sprintf(i18n.RU("load.26"), r.OptedInCost.RequestBytes, r.OptedInCost.ResponseBytes, r.OptedInCost.Connections, r.Mutated),
		},
		{
			what:    "size of a pod as the API server stores it (JSON), opted-in / plain",
			ru:      i18n.RU("load.08"),
			value:   fmt.Sprintf("%d / %d bytes", r.OptedInBytes, r.PlainBytes),
			valueRU: fmt.Sprintf(i18n.RU("load.09"), r.OptedInBytes, r.PlainBytes),
		},
		{
			what:  fmt.Sprintf("wall time of one round of %d concurrent Creates, opted-in / plain", r.Pods),
			ru:    fmt.Sprintf(i18n.RU("load.10"), r.Pods),
			value: r.OptedIn.Wall.Round(time.Millisecond).String() + " / " + r.Plain.Wall.Round(time.Millisecond).String(),
		},
	}
}

// loadMethod says how the admission load figures were taken.
func loadMethod(r admissionload.Result, ru bool) string {
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
		"through the module's MutatingWebhookConfiguration. In each of %d rounds %d pods with the "+
		"`secrets-store.deckhouse.io/role` annotation are created at once, then as many without it. The pods name a "+
		"scheduler that does not exist and stay Pending: admission alone is measured. Latency is the client's Create call; "+
		"a pod counts as mutated when the API server returns it with a container that runs the injector. "+
		"The breakdown comes from the API server's histograms (apiserver_request_duration_seconds for pod POSTs, "+
		"apiserver_admission_webhook_admission_duration_seconds for the module's webhook) and the webhook's "+
		"(secrets_store_webhook_review_duration_seconds), scraped before and after each wave; each is a mean over the "+
		"wave's Creates. The gap between the webhook call and the webhook's own review is the connection, TLS and "+
		"queueing between the API server and the webhook; the gap between the API server's time and the call is "+
		"everything else the API server does for the larger pod.",
		r.Rounds, r.Pods)
}
