// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncctl

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/deckhouse/secrets-store-integration/internal/store"
)

const metricsPrefix = "secrets_store_sync_"

// metrics are the controller's Prometheus metrics. No label carries a value
// or a token; resource_synced carries the resource's namespace and name.
type metrics struct {
	syncs          *prometheus.CounterVec   // result: synced or a reason
	syncDuration   prometheus.Histogram     //
	storeRequests  *prometheus.CounterVec   // kind, result
	storeDuration  *prometheus.HistogramVec // kind
	cacheLookups   *prometheus.CounterVec   // result: hit, miss
	secretWrites   *prometheus.CounterVec   // op: create, update
	restarts       *prometheus.CounterVec   // kind, result
	resources      *prometheus.GaugeVec     // state: synced, failed
	resourceSynced *prometheus.GaugeVec     // namespace, name
	leader         prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricsPrefix + "syncs_total", Help: "Reconciles of SecretsStoreSync resources, by result (synced, or the reason of the failure).",
		}, []string{"result"}),
		syncDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: metricsPrefix + "sync_duration_seconds", Help: "Duration of one reconcile: store reads, Secret write, status.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
		storeRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricsPrefix + "store_requests_total", Help: "Requests sent to the store, by kind (login, read, renew, …) and result.",
		}, []string{"kind", "result"}),
		storeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: metricsPrefix + "store_request_duration_seconds", Help: "Duration of store requests, by kind.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"kind"}),
		cacheLookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricsPrefix + "read_cache_lookups_total", Help: "Reads asked of the shared read cache: hit (no store request) or miss.",
		}, []string{"result"}),
		secretWrites: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricsPrefix + "secret_writes_total", Help: "Writes of Kubernetes Secrets, by operation (create, update).",
		}, []string{"op"}),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricsPrefix + "rollout_restarts_total", Help: "Rollout restarts of spec.rolloutRestartTargets, by kind and result.",
		}, []string{"kind", "result"}),
		resources: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: metricsPrefix + "resources", Help: "SecretsStoreSync resources by the state of their last reconcile: synced or failed.",
		}, []string{"state"}),
		resourceSynced: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: metricsPrefix + "resource_synced", Help: "1 when the resource's last reconcile succeeded (condition Synced is True), else 0.",
		}, []string{"namespace", "name"}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: metricsPrefix + "leader", Help: "1 while this replica holds the leader Lease and reconciles.",
		}),
	}
	reg.MustRegister(m.syncs, m.syncDuration, m.storeRequests, m.storeDuration, m.cacheLookups,
		m.secretWrites, m.restarts, m.resources, m.resourceSynced, m.leader)
	for _, s := range []string{stateSynced, stateFailed} {
		m.resources.WithLabelValues(s)
	}
	return m
}

// Resource states of the resources gauge.
const (
	stateSynced = "synced"
	stateFailed = "failed"
)

// OnRequest implements store.Observer.
func (m *metrics) OnRequest(kind string, d time.Duration, err error) {
	result := "success"
	var se *store.Error
	if errors.As(err, &se) && se.Kind != nil {
		result = se.Kind.Error()
	} else if err != nil {
		result = "error"
	}
	m.storeRequests.WithLabelValues(kind, result).Inc()
	m.storeDuration.WithLabelValues(kind).Observe(d.Seconds())
}

func (m *metrics) lookup(hit bool) {
	if hit {
		m.cacheLookups.WithLabelValues("hit").Inc()
	} else {
		m.cacheLookups.WithLabelValues("miss").Inc()
	}
}
