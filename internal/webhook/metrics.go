// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/deckhouse/secrets-store-integration/internal/admission"
	"github.com/deckhouse/secrets-store-integration/internal/registry"
)

// Metrics holds the webhook's Prometheus metrics in a registry of its own.
// It is the Observer of the admission handler and of the registry lookup.
type Metrics struct {
	registry      *prometheus.Registry
	reviews       *prometheus.CounterVec
	duration      prometheus.Histogram
	lookups       *prometheus.CounterVec
	cacheHits     *prometheus.CounterVec
	certExpiry    prometheus.Gauge
	connections   prometheus.Counter
	requestBytes  prometheus.Histogram
	responseBytes prometheus.Histogram
}

var (
	_ admission.Observer     = (*Metrics)(nil)
	_ admission.SizeObserver = (*Metrics)(nil)
	_ registry.Observer      = (*Metrics)(nil)
)

// NewMetrics registers the webhook's metrics, plus the Go runtime and
// process collectors. Every label value is pre-set to zero so that rates
// and alerts work before the first event.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		reviews: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "secrets_store_webhook_reviews_total",
			Help: "Admission reviews by result: mutated, unchanged, refused (the pod needs fixing) or error (malformed request or cluster-side failure).",
		}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "secrets_store_webhook_review_duration_seconds",
			Help: "Time to answer an admission review, registry lookups included.",
			// Sub-millisecond for pods with a command; registry lookups
			// take up to the lookup timeout.
			Buckets: []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		}),
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "secrets_store_webhook_registry_lookups_total",
			Help: "Image config lookups for containers without a command, by result.",
		}, []string{"result"}),
		cacheHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "secrets_store_webhook_registry_cache_hits_total",
			Help: "Registry lookups answered from a cache, by cache (tag: tag to digest; config: digest to image config).",
		}, []string{"cache"}),
		connections: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "secrets_store_webhook_connections_total",
			Help: "Connections accepted on the HTTPS port. The API server keeps its connections open; a rate that follows the reviews means it does not.",
		}),
		requestBytes: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "secrets_store_webhook_request_bytes",
			Help:    "Size of the admission reviews read (the pod as the API server sends it), in bytes.",
			Buckets: prometheus.ExponentialBuckets(1024, 2, 12), // 1 KiB .. 2 MiB
		}),
		responseBytes: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "secrets_store_webhook_response_bytes",
			Help:    "Size of the admission responses written (with the JSON patch, base64-encoded), in bytes.",
			Buckets: prometheus.ExponentialBuckets(256, 2, 12), // 256 B .. 512 KiB
		}),
		certExpiry: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "secrets_store_webhook_certificate_expiry_timestamp_seconds",
			Help: "NotAfter of the serving certificate in use, as a Unix timestamp.",
		}),
	}
	m.registry.MustRegister(m.reviews, m.duration, m.lookups, m.cacheHits, m.certExpiry, m.connections, m.requestBytes, m.responseBytes,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, r := range []string{admission.ResultMutated, admission.ResultUnchanged, admission.ResultRefused, admission.ResultError} {
		m.reviews.WithLabelValues(r)
	}
	for _, r := range []string{
		registry.ResultOK, registry.ResultInvalid, registry.ResultDenied, registry.ResultNotFound,
		registry.ResultPlatform, registry.ResultUnsupported, registry.ResultTLS, registry.ResultUnavailable,
		registry.ResultBusy,
	} {
		m.lookups.WithLabelValues(r)
	}
	for _, c := range []string{registry.CacheTag, registry.CacheConfig} {
		m.cacheHits.WithLabelValues(c)
	}
	return m
}

// OnReview implements admission.Observer.
func (m *Metrics) OnReview(result string, d time.Duration) {
	m.reviews.WithLabelValues(result).Inc()
	m.duration.Observe(d.Seconds())
}

// OnSizes implements admission.SizeObserver.
func (m *Metrics) OnSizes(request, response int) {
	m.requestBytes.Observe(float64(request))
	m.responseBytes.Observe(float64(response))
}

// onConnection counts a connection accepted on the HTTPS port.
func (m *Metrics) onConnection() { m.connections.Inc() }

// OnLookup implements registry.Observer.
func (m *Metrics) OnLookup(result string) { m.lookups.WithLabelValues(result).Inc() }

// OnCacheHit implements registry.Observer.
func (m *Metrics) OnCacheHit(cache string) { m.cacheHits.WithLabelValues(cache).Inc() }

// setCertificateExpiry records the NotAfter of the certificate in use.
func (m *Metrics) setCertificateExpiry(t time.Time) { m.certExpiry.Set(float64(t.Unix())) }

// Handler serves the metrics in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}
