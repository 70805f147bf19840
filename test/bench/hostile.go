// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"time"

	"github.com/deckhouse/secrets-store-integration/test/bench/hostileload"
)

// hostileResults are the rows of the hostile registry load: the webhook's memory against
// its limit, benign pods admitted, hostile ones refused.
func hostileResults(r hostileload.Result) []result {
	return []result{
		{
			what: fmt.Sprintf("webhook RSS while %d pods naming a hostile registry (%d images each, %d MiB manifests at 1 MiB/s) and %d benign opted-in pods are created at once: peak (before)",
				r.Pods, r.ImagesPerPod, r.ManifestBytes>>20, r.Pods),
			ru: fmt.Sprintf("RSS вебхука, пока одновременно создаются %d подов с образами во враждебном реестре (по %d образов, манифесты по %d МиБ со скоростью 1 МиБ/с) и %d обычных подов с аннотацией: пик (до начала)",
				r.Pods, r.ImagesPerPod, r.ManifestBytes>>20, r.Pods),
			value:   fmt.Sprintf("%.1f MiB (%.1f MiB)", r.PeakRSSMiB, r.BaseRSSMiB),
			valueRU: fmt.Sprintf("%.1f МиБ (%.1f МиБ)", r.PeakRSSMiB, r.BaseRSSMiB),
			target:  fmt.Sprintf("< %d MiB (the container's limit)", hostileload.WebhookLimitMiB),
			met:     r.PeakRSSMiB > 0 && r.PeakRSSMiB < hostileload.WebhookLimitMiB,
		},
		{
			what:    "the same burst: benign pods admitted; hostile pods refused",
			ru:      "та же нагрузка: обычные поды допущены; поды с враждебным реестром отклонены",
			value:   fmt.Sprintf("%d of %d admitted; %d of %d refused", r.BenignAdmitted, r.Pods, r.HostileRefused, r.Pods),
			valueRU: fmt.Sprintf("допущены %d из %d; отклонены %d из %d", r.BenignAdmitted, r.Pods, r.HostileRefused, r.Pods),
			target:  "all benign admitted, all hostile refused",
			met:     r.BenignAdmitted == r.Pods && r.HostileRefused == r.Pods,
		},
		{
			what:    "the same burst: requests the hostile registry received, most at once; wall time",
			ru:      "та же нагрузка: запросов к враждебному реестру, наибольшее число одновременных; общее время",
			value:   fmt.Sprintf("%d, %d at once; %s", r.RegistryRequests, r.RegistryMaxInFlight, r.Wall.Round(time.Millisecond)),
			valueRU: fmt.Sprintf("%d, одновременно %d; %s", r.RegistryRequests, r.RegistryMaxInFlight, r.Wall.Round(time.Millisecond)),
		},
	}
}

// hostileMethod says how the hostile registry figures were taken.
func hostileMethod(r hostileload.Result, ru bool) string {
	if ru {
		return fmt.Sprintf("**Враждебный реестр.** Локальный настоящий кластер, вебхук запущен процессом рядом с ним. "+
			"Реестр на 127.0.0.1 с доверенным сертификатом отвечает на каждый запрос манифеста телом в %d МиБ "+
			"без Content-Length со скоростью 1 МиБ/с. %d подов, у каждого %d контейнеров без command с разными образами в этом "+
			"реестре, и %d обычных подов с аннотацией роли и command создаются одновременно. RSS процесса вебхука "+
			"читается из /proc каждые 20 мс. Отказ, который видит автор пода: %q",
			r.ManifestBytes>>20, r.Pods, r.ImagesPerPod, r.Pods, r.Refusal)
	}
	return fmt.Sprintf("**Hostile registry.** A local real cluster; the webhook runs as a process next to it. A registry "+
		"on 127.0.0.1 with a trusted certificate answers every manifest request with a %d MiB body without a Content-Length, "+
		"at 1 MiB/s. %d pods, each with %d containers without a command naming distinct images on it, and %d benign "+
		"opted-in pods with a command are created at once. The webhook process's RSS is read from /proc every 20 ms. "+
		"The refusal a hostile pod's author reads: %q",
		r.ManifestBytes>>20, r.Pods, r.ImagesPerPod, r.Pods, r.Refusal)
}
