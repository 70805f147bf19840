// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"time"

	"github.com/deckhouse/secrets-store-integration/test/bench/hostileload"
	"github.com/deckhouse/secrets-store-integration/test/bench/i18n"
)

// hostileResults are the rows of the hostile registry load: the webhook's memory against
// its limit, benign pods admitted, hostile ones refused.
func hostileResults(r hostileload.Result) []result {
	return []result{
		{
			what: fmt.Sprintf("webhook RSS while %d pods naming a hostile registry (%d images each, %d MiB manifests at 1 MiB/s) and %d benign opted-in pods are created at once: peak (before)",
				r.Pods, r.ImagesPerPod, r.ManifestBytes>>20, r.Pods),
			ru: fmt.Sprintf(i18n.RU("hostile.01"),
				r.Pods, r.ImagesPerPod, r.ManifestBytes>>20, r.Pods),
			value:   fmt.Sprintf("%.1f MiB (%.1f MiB)", r.PeakRSSMiB, r.BaseRSSMiB),
			valueRU: fmt.Sprintf(i18n.RU("hostile.02"), r.PeakRSSMiB, r.BaseRSSMiB),
			target:  fmt.Sprintf("< %d MiB (the container's limit)", hostileload.WebhookLimitMiB),
			met:     r.PeakRSSMiB > 0 && r.PeakRSSMiB < hostileload.WebhookLimitMiB,
		},
		{
			what:    "the same burst: benign pods admitted; hostile pods refused",
			ru:      i18n.RU("hostile.03"),
			value:   fmt.Sprintf("%d of %d admitted; %d of %d refused", r.BenignAdmitted, r.Pods, r.HostileRefused, r.Pods),
			valueRU: fmt.Sprintf(i18n.RU("hostile.04"), r.BenignAdmitted, r.Pods, r.HostileRefused, r.Pods),
			target:  "all benign admitted, all hostile refused",
			met:     r.BenignAdmitted == r.Pods && r.HostileRefused == r.Pods,
		},
		{
			what:    "the same burst: requests the hostile registry received, most at once; wall time",
			ru:      i18n.RU("hostile.05"),
			value:   fmt.Sprintf("%d, %d at once; %s", r.RegistryRequests, r.RegistryMaxInFlight, r.Wall.Round(time.Millisecond)),
			valueRU: fmt.Sprintf(i18n.RU("hostile.06"), r.RegistryRequests, r.RegistryMaxInFlight, r.Wall.Round(time.Millisecond)),
		},
	}
}

// hostileMethod says how the hostile registry figures were taken.
func hostileMethod(r hostileload.Result, ru bool) string {
	if ru {
		return fmt.Sprintf(i18n.RU("hostile.07")+
			i18n.RU("hostile.08")+
			i18n.RU("hostile.09")+
			i18n.RU("hostile.10")+
			i18n.RU("hostile.11"),
			r.ManifestBytes>>20, r.Pods, r.ImagesPerPod, r.Pods, r.Refusal)
	}
	return fmt.Sprintf("**Hostile registry.** A local real cluster; the webhook runs as a process next to it. A registry "+
		"on 127.0.0.1 with a trusted certificate answers every manifest request with a %d MiB body without a Content-Length, "+
		"at 1 MiB/s. %d pods, each with %d containers without a command naming distinct images on it, and %d benign "+
		"opted-in pods with a command are created at once. The webhook process's RSS is read from /proc every 20 ms. "+
		"The refusal a hostile pod's author reads: %q",
		r.ManifestBytes>>20, r.Pods, r.ImagesPerPod, r.Pods, r.Refusal)
}
