package main

import (
	"fmt"
	"time"

	"github.com/deckhouse/secrets-store-integration/test/bench/admissionload"
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
			ru:      fmt.Sprintf("%d подов с аннотацией роли создаются одновременно через настоящий API-сервер, %d раунда: изменены, отклонены", r.Pods, r.Rounds),
			value:   fmt.Sprintf("%d of %d mutated, %d refused", r.Mutated, total, r.Refused),
			valueRU: fmt.Sprintf("изменены %d из %d, отклонены %d", r.Mutated, total, r.Refused),
			target:  "all mutated, 0 refused",
			met:     r.Mutated == total && r.Refused == 0,
		},
		{
			what:  "pod Create through the API server with the webhook (opted-in): p50 / p99",
			ru:    "создание пода через API-сервер с вебхуком (с аннотацией): p50 / p99",
			value: lat(r.OptedIn),
		},
		{
			what:  "pod Create through the API server without the webhook (no annotation, never sent to it): p50 / p99",
			ru:    "создание пода через API-сервер без вебхука (без аннотации, к нему не отправляется): p50 / p99",
			value: lat(r.Plain),
		},
		{
			what:  fmt.Sprintf("wall time of one round of %d concurrent Creates, opted-in / plain", r.Pods),
			ru:    fmt.Sprintf("время одного раунда из %d одновременных созданий, с аннотацией / без", r.Pods),
			value: r.OptedIn.Wall.Round(time.Millisecond).String() + " / " + r.Plain.Wall.Round(time.Millisecond).String(),
		},
	}
}

// loadMethod says how the admission load figures were taken.
func loadMethod(r admissionload.Result, ru bool) string {
	if ru {
		return fmt.Sprintf("**Нагрузка на вебхук.** Локальный настоящий кластер, вебхук запущен рядом с ним и вызывается "+
			"kube-apiserver по MutatingWebhookConfiguration модуля. В каждом из %d раундов %d подов с аннотацией "+
			"`secrets-store.deckhouse.io/role` создаются одновременно, затем столько же подов без неё. Поды указывают "+
			"несуществующий планировщик и остаются в Pending: измеряется только допуск. Задержка — время вызова Create "+
			"на стороне клиента; под считается изменённым, если API-сервер вернул его с init-контейнером инжектора.",
			r.Rounds, r.Pods)
	}
	return fmt.Sprintf("**Webhook under load.** A local real cluster; the webhook runs next to it and kube-apiserver calls it "+
		"through the module's MutatingWebhookConfiguration. In each of %d rounds %d pods with the "+
		"`secrets-store.deckhouse.io/role` annotation are created at once, then as many without it. The pods name a "+
		"scheduler that does not exist and stay Pending: admission alone is measured. Latency is the client's Create call; "+
		"a pod counts as mutated when the API server returns it with the injector's init container.",
		r.Rounds, r.Pods)
}
