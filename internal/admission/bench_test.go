// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package admission

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/deckhouse/secrets-store-integration/internal/podmutate"
)

// benchMutator is the real pod mutation with the module's usual defaults.
func benchMutator() *podmutate.Mutator {
	return &podmutate.Mutator{Defaults: podmutate.Defaults{
		Addr:               "https://stronghold.d8-stronghold.svc:8300",
		AuthPath:           "kubernetes_local",
		InjectorImage:      "registry.example.com/secrets-store-integration/injector:v1",
		InjectorPullPolicy: corev1.PullIfNotPresent,
		InitResources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("10m"),
			corev1.ResourceMemory: resource.MustParse("16Mi"),
		}},
		TokenAudience: "stronghold",
	}}
}

// discardWriter is a ResponseWriter that keeps nothing, so the benchmark
// measures the handler rather than a recorder.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

// BenchmarkReview measures one AdmissionReview of an opted-in pod with a
// command through the real mutation: decode, mutate, diff, encode. It
// reports the 99th percentile of single reviews as p99-ns.
func BenchmarkReview(b *testing.B) {
	benchReview(b, benchMutator(), testPod())
}

// BenchmarkReviewNRI is BenchmarkReview for a pod whose environment the
// container runtime sets (env-delivery: NRI), without a command: the
// webhook adds the environment volume and the settings annotation and
// looks no image up (the mutator has no registry).
func BenchmarkReviewNRI(b *testing.B) {
	m := benchMutator()
	m.Defaults.CSIDriver = "secrets-store.csi.deckhouse.io"
	pod := testPod()
	pod.Annotations["secrets-store.deckhouse.io/env-delivery"] = "NRI"
	pod.Spec.Containers[0].Command, pod.Spec.Containers[0].Args = nil, nil
	benchReview(b, m, pod)
}

func benchReview(b *testing.B, m *podmutate.Mutator, pod *corev1.Pod) {
	h := NewHandler(m, slog.New(slog.DiscardHandler))
	body := reviewFor(b, pod, nil)
	if rec := post(b, h, http.MethodPost, "application/json", body); decodeResponse(b, rec.Body.Bytes()).Patch == nil {
		b.Fatalf("got no patch: %s", rec.Body)
	}
	req := httptest.NewRequestWithContext(b.Context(), http.MethodPost, "/mutate", nil)
	req.Header.Set("Content-Type", "application/json")
	w := &discardWriter{h: http.Header{}}
	durations := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU(b)
	for i := 0; i < b.N; i++ {
		req.Body = io.NopCloser(bytes.NewReader(body))
		start := time.Now()
		h.ServeHTTP(w, req)
		durations = append(durations, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(float64((processCPU(b)-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	slices.Sort(durations)
	b.ReportMetric(float64(durations[len(durations)*99/100].Nanoseconds()), "p99-ns")
}

// processCPU is the CPU time (user + system, GC included) the process has
// used. Per operation it is the cost of a review independent of how busy
// the machine is; 2 cores serve 2e9 / (cpu-ns/op) reviews per second.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkReviewParallel measures throughput on all GOMAXPROCS cores:
// reviews per second = 1e9 / (ns/op).
func BenchmarkReviewParallel(b *testing.B) {
	h := NewHandler(benchMutator(), slog.New(slog.DiscardHandler))
	body := reviewFor(b, testPod(), nil)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequestWithContext(b.Context(), http.MethodPost, "/mutate", nil)
		req.Header.Set("Content-Type", "application/json")
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			req.Body = io.NopCloser(bytes.NewReader(body))
			h.ServeHTTP(w, req)
		}
	})
}
