// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

const metricsPrefix = "secrets_store_csi_"

// Label values.
const (
	resultSuccess   = "success"
	resultFailed    = "failed"
	resultUnchanged = "unchanged"
	resultUpdated   = "updated"
	resultHit       = "hit"
	resultMiss      = "miss"
	kindNew         = "new"
	kindRepublish   = "republish"
)

// metrics are the plugin's Prometheus metrics, on the registry given to
// NewService.
type metrics struct {
	publishes       *prometheus.CounterVec   // result, code
	publishDuration *prometheus.HistogramVec // kind
	rotations       *prometheus.CounterVec   // result
	storeRequests   *prometheus.CounterVec   // kind, result
	storeDuration   *prometheus.HistogramVec // kind
	cacheLookups    *prometheus.CounterVec   // result
	statusWrites    *prometheus.CounterVec   // result
	volumes         prometheus.Gauge
	injector        prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		publishes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricsPrefix + "publish_total",
			Help: "NodePublishVolume calls by result (success, failed) and gRPC code.",
		}, []string{"result", "code"}),
		publishDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    metricsPrefix + "publish_duration_seconds",
			Help:    "Duration of NodePublishVolume calls, by kind: new (first publish) or republish.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"kind"}),
		rotations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricsPrefix + "rotation_total",
			Help: "Refreshes of published volumes by result: unchanged, updated, failed (files kept).",
		}, []string{"result"}),
		storeRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricsPrefix + "store_requests_total",
			Help: "Requests sent to the store by kind (login, mount, read) and result (success, failed).",
		}, []string{"kind", "result"}),
		storeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    metricsPrefix + "store_request_duration_seconds",
			Help:    "Duration of store requests by kind.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 10),
		}, []string{"kind"}),
		cacheLookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricsPrefix + "read_cache_lookups_total",
			Help: "Secret reads asked of the node-wide read cache, by result: hit (no store request) or miss.",
		}, []string{"result"}),
		statusWrites: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricsPrefix + "status_writes_total",
			Help: "Status writes of SecretsStoreImports by result: updated (written), unchanged (nothing to write), failed.",
		}, []string{"result"}),
		volumes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: metricsPrefix + "volumes",
			Help: "Volumes published on this node.",
		}),
		injector: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: metricsPrefix + "injector_available",
			Help: "1 when the plugin serves the injector in injector volumes on this node, 0 when it was started without one or installing it failed.",
		}),
	}
	for _, r := range []string{resultUnchanged, resultUpdated, resultFailed} {
		m.rotations.WithLabelValues(r)
	}
	for _, r := range []string{resultUpdated, resultUnchanged, resultFailed} {
		m.statusWrites.WithLabelValues(r)
	}
	for _, r := range []string{resultHit, resultMiss} {
		m.cacheLookups.WithLabelValues(r)
	}
	reg.MustRegister(m.publishes, m.publishDuration, m.rotations, m.storeRequests, m.storeDuration, m.cacheLookups, m.statusWrites, m.volumes, m.injector)
	return m
}

// OnRequest implements store.Observer.
func (m *metrics) OnRequest(kind string, d time.Duration, err error) {
	result := resultSuccess
	if err != nil {
		result = resultFailed
	}
	m.storeRequests.WithLabelValues(kind, result).Inc()
	m.storeDuration.WithLabelValues(kind).Observe(d.Seconds())
}
