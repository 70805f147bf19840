// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package admissionload measures the webhook under load on a local real cluster: Pods
// created concurrently through the real kube-apiserver, which calls the webhook for each one
// that carries the role annotation (matchConditions keep the others away from it). The Pods
// name a scheduler that does not exist, so they stay Pending and nothing runs: the figure is
// admission alone. The same number of Pods without the annotation, created the same way, is
// the baseline: the difference is what the webhook adds.
package admissionload

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/deckhouse/secrets-store-integration/test/bench/benchstack"
	"github.com/deckhouse/secrets-store-integration/test/bench/stats"
	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// Parameters of the measurement.
const (
	// Pods is the number of Pods of each kind, all created at once.
	Pods = 200
	// Rounds is how many times each kind is created (fresh names each round); the
	// percentiles are over every Pod of every round.
	Rounds     = 3
	namespace  = "admission-load"
	account    = "app"
	role       = "app-role"
	noSchedule = "admission-load-no-scheduler"
	runTimeout = 10 * time.Minute
)

// Latencies are the client-side Create times of one kind of Pod.
type Latencies struct {
	P50, P99, Max time.Duration
	// Wall is the longest round, from the first Create to the last answer.
	Wall time.Duration
}

// Result holds the figures of one run.
type Result struct {
	Pods, Rounds int
	// Mutated is the number of opted-in Pods that came back with the injector in a
	// container; Refused the number of Creates of either kind that failed.
	Mutated, Refused int
	OptedIn, Plain   Latencies
	// OptedInCost and PlainCost split the Creates' time by where it was spent.
	OptedInCost, PlainCost Breakdown
	// OptedInBytes and PlainBytes are the size of one Pod of each kind as the API server
	// stores it (JSON).
	OptedInBytes, PlainBytes int
}

// Run brings up a stack in a temporary directory with the webhook running, runs the
// measurement and tears the stack down, also on error. It fails on errors of the setup,
// never because a target is missed.
func Run(ctx context.Context, repoRoot string, log io.Writer) (res Result, err error) {
	// As many requests in flight as Pods: the client is not the bottleneck.
	o := benchstack.Options{Name: "admissionload", Timeout: runTimeout, QPS: 10 * Pods, Namespace: namespace, Account: account}
	err = benchstack.Run(ctx, repoRoot, log, o, func(ctx context.Context, e benchstack.Env) error {
		sc := scraper{kube: e.Kube, webhookURL: e.Stack.WebhookMetricsURL(), http: &http.Client{Timeout: 10 * time.Second}}
		return measure(ctx, e.Kube, sc, &res, e.Logf)
	})
	return res, err
}

// measure creates the rounds of Pods.
func measure(ctx context.Context, kube kubernetes.Interface, sc scraper, res *Result, logf func(string, ...any)) error {
	res.Pods, res.Rounds = Pods, Rounds
	var (
		optedIn, plain         []time.Duration
		optedInCost, plainCost snapshot
	)
	for r := range Rounds {
		for _, opted := range []bool{true, false} {
			before, err := sc.snapshot(ctx)
			if err != nil {
				return err
			}
			lat, wall, mutated, refused := wave(ctx, kube, r, opted)
			after, err := sc.snapshot(ctx)
			if err != nil {
				return err
			}
			size, err := storedSize(ctx, kube, r, opted)
			if err != nil {
				return err
			}
			after.creates = before.creates + float64(len(lat)+refused)
			if opted {
				optedInCost, res.OptedInBytes = optedInCost.add(after.sub(before)), size
			} else {
				plainCost, res.PlainBytes = plainCost.add(after.sub(before)), size
			}
			res.Refused += refused
			if opted {
				optedIn = append(optedIn, lat...)
				res.Mutated += mutated
				res.OptedIn.Wall = max(res.OptedIn.Wall, wall)
			} else {
				plain = append(plain, lat...)
				res.Plain.Wall = max(res.Plain.Wall, wall)
			}
			logf("round %d, opted-in %t: %d created in %s, %d mutated, %d refused", r+1, opted, len(lat), wall.Round(time.Millisecond), mutated, refused)
			if err := kube.CoreV1().Pods(namespace).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: new(int64)}, metav1.ListOptions{}); err != nil {
				return fmt.Errorf("delete the pods of round %d: %w", r+1, err)
			}
		}
	}
	res.OptedIn = summarize(optedIn, res.OptedIn.Wall)
	res.Plain = summarize(plain, res.Plain.Wall)
	res.OptedInCost, res.PlainCost = optedInCost.breakdown(), plainCost.breakdown()
	return nil
}

// storedSize is the JSON size of the first Pod of a wave as the API server returns it.
func storedSize(ctx context.Context, kube kubernetes.Interface, round int, optedIn bool) (int, error) {
	pod, err := kube.CoreV1().Pods(namespace).Get(ctx, podName(round, optedIn, 0), metav1.GetOptions{})
	if err != nil {
		return 0, fmt.Errorf("read a pod of round %d: %w", round+1, err)
	}
	raw, err := json.Marshal(pod)
	return len(raw), err
}

func podName(round int, optedIn bool, i int) string {
	kind := "plain"
	if optedIn {
		kind = "opted-in"
	}
	return fmt.Sprintf("%s-%d-%03d", kind, round, i)
}

// wave creates Pods Pods of one kind at once and returns the latency of each successful
// Create, the wall time, how many came back mutated and how many Creates failed.
func wave(ctx context.Context, kube kubernetes.Interface, round int, optedIn bool) (lat []time.Duration, wall time.Duration, mutated, refused int) {
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for i := range Pods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pod := loadPod(podName(round, optedIn, i), optedIn)
			<-start
			t0 := time.Now()
			got, err := kube.CoreV1().Pods(namespace).Create(ctx, pod, metav1.CreateOptions{})
			d := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				refused++
				return
			}
			lat = append(lat, d)
			if stack.Injected(got) {
				mutated++
			}
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	return lat, time.Since(t0), mutated, refused
}

// loadPod is a Pod no scheduler picks up, with a command (the webhook needs no registry).
func loadPod(name string, optedIn bool) *corev1.Pod {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: corev1.PodSpec{
			ServiceAccountName: account,
			SchedulerName:      noSchedule,
			Containers: []corev1.Container{{
				Name: "app", Image: stack.BusyboxImage, Command: []string{"sh", "-c", "env"},
				Env: []corev1.EnvVar{{Name: "DB_PASS", Value: "secrets-store:kv/data/app#DB_PASS"}},
			}},
		},
	}
	if optedIn {
		pod.Annotations = map[string]string{"secrets-store.deckhouse.io/role": role}
	}
	return pod
}

func summarize(ds []time.Duration, wall time.Duration) Latencies {
	if len(ds) == 0 {
		return Latencies{Wall: wall}
	}
	return Latencies{P50: stats.Percentile(ds, 50), P99: stats.Percentile(ds, 99), Max: slices.Max(ds), Wall: wall}
}
