// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"time"

	"github.com/deckhouse/secrets-store-integration/test/bench/csiscale"
	"github.com/deckhouse/secrets-store-integration/test/bench/i18n"
)

// scaleResults are the rows of the 1,000-volume measurement, with the design's targets:
// ≤ 2 store requests per rotation interval, ≤ 50 MiB RSS, and a warm publish within
// 1.2 × one store read + 5 ms.
func scaleResults(r csiscale.Result) []result {
	worst := r.MaxPerInterval()
	refreshed := r.Volumes
	for _, w := range r.Republish {
		refreshed = min(refreshed, w.Refreshed)
	}
	statusPerInterval := 0
	for _, w := range r.Republish {
		statusPerInterval = max(statusPerInterval, w.StatusWrites)
	}
	limit := time.Duration(1.2*float64(r.StoreRead)) + 5*time.Millisecond
	// The lease phase: one login and one read for every volume, and a renewal per third
	// of the lease's TTL (the plugin renews it before it would read it again).
	leaseBound := 2 + int((r.Leases.Span+csiscale.LeaseTTL/3-1)/(csiscale.LeaseTTL/3))
	read := roundMs(r.StoreRead)
	return []result{
		{
			what:  fmt.Sprintf("CSI at %d volumes: first publish of every volume, %d calls at a time", r.Volumes, r.Concurrency),
			ru:    fmt.Sprintf(i18n.RU("scale.01"), r.Volumes, r.Concurrency),
			value: r.PublishAll.Round(time.Millisecond).String(),
		},
		{
			what:  fmt.Sprintf("CSI at %d volumes: one publish in that wave, p50 / p99", r.Volumes),
			ru:    fmt.Sprintf(i18n.RU("scale.02"), r.Volumes),
			value: roundMs(r.PublishP50) + " / " + roundMs(r.PublishP99),
		},
		{
			what:    fmt.Sprintf("store requests, first publish of %d volumes of one identity and path", r.Volumes),
			ru:      fmt.Sprintf(i18n.RU("scale.03"), r.Volumes),
			value:   fmt.Sprintf("%s; plugin's count %d", r.Initial.Store, r.Initial.Plugin),
			valueRU: fmt.Sprintf(i18n.RU("scale.04"), requestsRU(r.Initial.Store), r.Initial.Plugin),
		},
		{
			what: fmt.Sprintf("store requests per rotation interval (%s), %d volumes of one identity and path, every volume republished",
				r.RotationInterval, r.Volumes),
			ru: fmt.Sprintf(i18n.RU("scale.05"),
				r.RotationInterval, r.Volumes),
			value: fmt.Sprintf("%s; plugin's count %d; worst of %d intervals, at least %d of %d volumes refreshed in each",
				worst.Store, worst.Plugin, len(r.Republish), refreshed, r.Volumes),
			valueRU: fmt.Sprintf(i18n.RU("scale.06"),
				requestsRU(worst.Store), worst.Plugin, len(r.Republish), refreshed, r.Volumes),
			target: "≤ 2",
			met:    len(r.Republish) > 0 && refreshed == r.Volumes && worst.Store.Total() <= 2,
		},
		{
			what: fmt.Sprintf("SecretsStoreImport status writes: first publish of %d volumes (in %s) / per rotation interval after it",
				r.Volumes, r.PublishAll.Round(time.Second)),
			ru:      fmt.Sprintf(i18n.RU("scale.23"), r.Volumes, r.PublishAll.Round(time.Second)),
			value:   fmt.Sprintf("%d / %d (worst of %d intervals)", r.Initial.StatusWrites, statusPerInterval, len(r.Republish)),
			valueRU: fmt.Sprintf(i18n.RU("scale.24"), r.Initial.StatusWrites, statusPerInterval, len(r.Republish)),
			target:  "≤ 1 / 2 s; 0",
			met: len(r.Republish) > 0 && statusPerInterval == 0 && r.Initial.StatusWrites >= 1 &&
				r.Initial.StatusWrites <= int(r.PublishAll/(2*time.Second))+2,
		},
		{
			what: fmt.Sprintf("node plugin memory at %d volumes (RSS)", r.Volumes),
			ru:   fmt.Sprintf(i18n.RU("scale.07"), r.Volumes),
			value: fmt.Sprintf("%s (anonymous %s; peak %s; %s before the first publish)",
				mib(r.RSS), mib(r.AnonRSS), mib(r.PeakRSS), mib(r.IdleRSS)),
			valueRU: fmt.Sprintf(i18n.RU("scale.08"),
				mib(r.RSS), mib(r.AnonRSS), mib(r.PeakRSS), mib(r.IdleRSS)),
			target: "≤ 50 MiB",
			met:    r.RSS <= 50<<20,
		},
		{
			what: fmt.Sprintf("store requests, first publish of %d volumes of one identity and one path of database credentials (lease TTL %s), and %s after it",
				r.Volumes, csiscale.LeaseTTL, csiscale.LeaseWindow),
			ru:      fmt.Sprintf(i18n.RU("scale.27"), r.Volumes, csiscale.LeaseTTL, csiscale.LeaseWindow),
			value:   fmt.Sprintf("%s; plugin's count %d", r.Leases.Store, r.Leases.Plugin),
			valueRU: fmt.Sprintf(i18n.RU("scale.04"), requestsRU(r.Leases.Store), r.Leases.Plugin),
			target:  fmt.Sprintf("1 read, ≤ %d", leaseBound),
			met:     r.Leases.Store.Read == 1 && r.Leases.Store.Total() <= leaseBound,
		},
		{
			what:   fmt.Sprintf("node plugin memory at %d volumes of a secret with a lease (RSS)", r.Volumes),
			ru:     fmt.Sprintf(i18n.RU("scale.28"), r.Volumes),
			value:  mib(r.LeaseRSS),
			target: "≤ 50 MiB",
			met:    r.LeaseRSS > 0 && r.LeaseRSS <= 50<<20,
		},
		{
			what:   fmt.Sprintf("CSI publish, warm token, real OpenBao, %d volumes published: median (one store read: %s)", r.Volumes, read),
			ru:     fmt.Sprintf(i18n.RU("scale.09"), r.Volumes, read),
			value:  roundMs(r.WarmPublish),
			target: "≤ 1.2 × read + 5ms = " + roundMs(limit),
			met:    r.StoreRead > 0 && r.WarmPublish <= limit,
		},
	}
}

func requestsRU(r csiscale.Requests) string {
	s := fmt.Sprintf(i18n.RU("scale.10"), r.Total(), r.Login, r.Mount, r.Read)
	if r.Renew > 0 {
		s += fmt.Sprintf(i18n.RU("scale.26"), r.Renew)
	}
	if r.Other > 0 {
		s += fmt.Sprintf(i18n.RU("scale.11"), r.Other)
	}
	return s + ")"
}

func roundMs(d time.Duration) string { return d.Round(10 * time.Microsecond).String() }

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// scaleMethod says how the 1,000-volume figures were taken.
func scaleMethod(r csiscale.Result, ru bool) string {
	if ru {
		audit := i18n.RU("scale.12")
		if r.AuditDevice == "config" {
			audit = i18n.RU("scale.13")
		}
		return fmt.Sprintf(i18n.RU("scale.14")+
			i18n.RU("scale.15")+
			i18n.RU("scale.16")+
			i18n.RU("scale.17")+
			i18n.RU("scale.18")+
			i18n.RU("scale.19")+
			i18n.RU("scale.20")+
			i18n.RU("scale.21")+
			i18n.RU("scale.22")+
			i18n.RU("scale.25")+
			fmt.Sprintf(i18n.RU("scale.29"), csiscale.LeaseTTL, csiscale.LeaseWindow),
			r.Volumes, audit, r.Volumes, r.Concurrency, r.RotationInterval)
	}
	audit := "enabled through the store's API"
	if r.AuditDevice == "config" {
		audit = "declared in the store's configuration: OpenBao 2.4 refuses audit devices created through the API"
	}
	return fmt.Sprintf("**CSI at %d volumes.** Driven through the plugin's CSI socket as kubelet would, against a real OpenBao; "+
		"store requests counted from the store's audit log (a file audit device %s). "+
		"The plugin binary runs as root next to the local cluster: the SecretsStoreImport and the ServiceAccount tokens "+
		"(a TokenRequest per pod) are real. %d inline ephemeral volumes of one ServiceAccount read one path, each on a tmpfs "+
		"of its own, published %d at a time. In each following rotation interval (%s) every volume is republished once it is "+
		"due, as kubelet does for a driver with requiresRepublish, and the audit log is counted over the whole interval. "+
		"The warm publish is a new volume whose path no volume has read yet (one store read), compared with the median of "+
		"direct reads of such a path through the store client (`internal/store`) with a cached token. Every volume is "+
		"unpublished (NodeUnpublishVolume) at the end. Status writes of the SecretsStoreImport are the plugin's "+
		"`secrets_store_csi_status_writes_total{result=\"updated\"}`, read 3 s after each phase (the plugin gathers "+
		"status changes for 2 s). The lease phase replaces the volumes with as many volumes of one identity reading "+
		"database credentials (the database engine with the stack's PostgreSQL, lease TTL "+csiscale.LeaseTTL.String()+
		") and keeps them published "+csiscale.LeaseWindow.String()+": the plugin renews the lease on its own timer, "+
		"and the audit log is counted over the whole phase.",
		r.Volumes, audit, r.Volumes, r.Concurrency, r.RotationInterval)
}
