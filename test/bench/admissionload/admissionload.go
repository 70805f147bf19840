// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package admissionload measures the webhook under load on a local real cluster: Pods
// created concurrently through the real kube-apiserver, which calls the webhook for each one
// that carries the role annotation (matchConditions keep the others away from it). The Pods
// name a scheduler that does not exist, so they stay Pending and nothing runs: the figure is
// admission alone. The same number of Pods without the annotation, created the same way, is
// the baseline: the difference is what the webhook adds. Pods with the annotation whose one
// container the webhook is told to skip are sent to it and answered without a patch: they
// split that difference into the cost of calling a webhook and the cost of the patch.
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
	Rounds     = 5
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

// Kind is one kind of Pod of the load.
type Kind int

// The kinds, in the order of the page.
const (
	// OptedIn Pods carry the role annotation and are mutated.
	OptedIn Kind = iota
	// Unchanged Pods carry the role annotation too, so the API server calls the webhook,
	// but skip-mutate-containers names their one container: the webhook answers without a
	// patch. They separate the cost of calling a webhook from that of the patch.
	Unchanged
	// Plain Pods have no annotation and are never sent to the webhook.
	Plain
	// Kinds is the number of kinds.
	Kinds
)

func (k Kind) key() string { return [Kinds]string{"opted-in", "unchanged", "plain"}[k] }

// Wave holds the figures of one kind over every round.
type Wave struct {
	Latencies
	// RoundP50 is the median Create of each round, in the order of the rounds.
	RoundP50 []time.Duration
	// Cost splits the Creates' time by where it was spent.
	Cost Breakdown
	// Bytes is the size of one Pod of the kind as the API server stores it (JSON).
	Bytes int
}

// Result holds the figures of one run.
type Result struct {
	Pods, Rounds int
	// Mutated is the number of opted-in Pods that came back with the injector in a
	// container; Refused the number of Creates of any kind that failed; Untouched the
	// number of Unchanged Pods that came back as they were sent.
	Mutated, Refused, Untouched int
	Waves                       [Kinds]Wave
}

// Ratio is the median Create time of kind k over that of Plain Pods.
func (r Result) Ratio(k Kind) float64 {
	if r.Waves[Plain].P50 <= 0 {
		return 0
	}
	return float64(r.Waves[k].P50) / float64(r.Waves[Plain].P50)
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

// measure creates the rounds of Pods: in each round one wave of every kind, the first kind
// changing from round to round so that all share the noise of the machine.
func measure(ctx context.Context, kube kubernetes.Interface, sc scraper, res *Result, logf func(string, ...any)) error {
	res.Pods, res.Rounds = Pods, Rounds
	var (
		lats  [Kinds][]time.Duration
		costs [Kinds]snapshot
	)
	for r := range Rounds {
		for n := range Kinds {
			k := (Kind(r) + n) % Kinds
			before, err := sc.snapshot(ctx)
			if err != nil {
				return err
			}
			lat, wall, mutated, untouched, refused := wave(ctx, kube, r, k)
			after, err := sc.snapshot(ctx)
			if err != nil {
				return err
			}
			after.creates = before.creates + float64(len(lat)+refused)
			size, err := storedSize(ctx, kube, r, k)
			if err != nil {
				return err
			}
			w := &res.Waves[k]
			costs[k], w.Bytes = costs[k].add(after.sub(before)), size
			lats[k] = append(lats[k], lat...)
			w.RoundP50 = append(w.RoundP50, stats.Percentile(lat, 50))
			w.Wall = max(w.Wall, wall)
			res.Refused += refused
			res.Mutated += mutated
			res.Untouched += untouched
			logf("round %d, %s: %d created in %s, %d mutated, %d refused", r+1, k.key(), len(lat), wall.Round(time.Millisecond), mutated, refused)
			if err := clearWave(ctx, kube); err != nil {
				return fmt.Errorf("delete the pods of round %d: %w", r+1, err)
			}
		}
	}
	for k := range Kinds {
		w := &res.Waves[k]
		w.Latencies = summarize(lats[k], w.Wall)
		w.Cost = costs[k].breakdown()
	}
	return nil
}

// settle is the pause between the last pod of a wave gone and the next wave, so that the
// API server's and the controllers' work on the deletions does not fall on it.
const settle = 2 * time.Second

// clearWave deletes the pods of a wave and waits until they are gone, then settles.
func clearWave(ctx context.Context, kube kubernetes.Interface) error {
	pods := kube.CoreV1().Pods(namespace)
	if err := pods.DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: new(int64)}, metav1.ListOptions{}); err != nil {
		return err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		l, err := pods.List(ctx, metav1.ListOptions{Limit: 1})
		if err != nil {
			return err
		}
		if len(l.Items) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d or more pods still there a minute after their deletion", len(l.Items))
		}
		time.Sleep(200 * time.Millisecond)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(settle):
		return nil
	}
}

// storedSize is the JSON size of the first Pod of a wave as the API server returns it.
func storedSize(ctx context.Context, kube kubernetes.Interface, round int, k Kind) (int, error) {
	pod, err := kube.CoreV1().Pods(namespace).Get(ctx, podName(round, k, 0), metav1.GetOptions{})
	if err != nil {
		return 0, fmt.Errorf("read a pod of round %d: %w", round+1, err)
	}
	raw, err := json.Marshal(pod)
	return len(raw), err
}

func podName(round int, k Kind, i int) string {
	return fmt.Sprintf("%s-%d-%03d", k.key(), round, i)
}

// wave creates Pods Pods of one kind at once and returns the latency of each successful
// Create, the wall time, how many came back mutated or untouched and how many Creates
// failed.
func wave(ctx context.Context, kube kubernetes.Interface, round int, k Kind) (lat []time.Duration, wall time.Duration, mutated, untouched, refused int) {
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for i := range Pods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pod := loadPod(podName(round, k, i), k)
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
			switch {
			case stack.Injected(got):
				mutated++
			case k == Unchanged:
				untouched++
			}
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	return lat, time.Since(t0), mutated, untouched, refused
}

// loadPod is a Pod no scheduler picks up, with a command (the webhook needs no registry).
func loadPod(name string, k Kind) *corev1.Pod {
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
	switch k {
	case OptedIn:
		pod.Annotations = map[string]string{"secrets-store.deckhouse.io/role": role}
	case Unchanged:
		pod.Annotations = map[string]string{"secrets-store.deckhouse.io/role": role, "secrets-store.deckhouse.io/skip-mutate-containers": "app"}
	}
	return pod
}

func summarize(ds []time.Duration, wall time.Duration) Latencies {
	if len(ds) == 0 {
		return Latencies{Wall: wall}
	}
	return Latencies{P50: stats.Percentile(ds, 50), P99: stats.Percentile(ds, 99), Max: slices.Max(ds), Wall: wall}
}
