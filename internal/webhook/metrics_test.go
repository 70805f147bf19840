// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/admission"
	"github.com/deckhouse/secrets-store-integration/internal/registry"
)

func TestMetrics(t *testing.T) {
	m := NewMetrics()
	m.OnReview(admission.ResultMutated, 300*time.Microsecond)
	m.OnReview(admission.ResultMutated, 2*time.Millisecond)
	m.OnReview(admission.ResultRefused, time.Millisecond)
	m.OnLookup(registry.ResultOK)
	m.OnLookup(registry.ResultDenied)
	m.OnCacheHit(registry.CacheTag)
	m.OnCacheHit(registry.CacheTag)
	m.OnCacheHit(registry.CacheConfig)
	notAfter := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	m.setCertificateExpiry(notAfter)
	m.OnSizes(3000, 1500)
	m.OnSizes(5000, 200)
	m.onConnection()

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	tests := []struct {
		sample string
		want   float64
	}{
		{`secrets_store_webhook_reviews_total{result="mutated"}`, 2},
		{`secrets_store_webhook_reviews_total{result="refused"}`, 1},
		{`secrets_store_webhook_reviews_total{result="unchanged"}`, 0},
		{`secrets_store_webhook_reviews_total{result="error"}`, 0},
		{`secrets_store_webhook_review_duration_seconds_bucket{le="0.0005"}`, 1},
		{`secrets_store_webhook_review_duration_seconds_bucket{le="0.001"}`, 2},
		{`secrets_store_webhook_review_duration_seconds_count`, 3},
		{`secrets_store_webhook_registry_lookups_total{result="ok"}`, 1},
		{`secrets_store_webhook_registry_lookups_total{result="denied"}`, 1},
		{`secrets_store_webhook_registry_lookups_total{result="unavailable"}`, 0},
		{`secrets_store_webhook_registry_lookups_total{result="busy"}`, 0},
		{`secrets_store_webhook_registry_cache_hits_total{cache="tag"}`, 2},
		{`secrets_store_webhook_registry_cache_hits_total{cache="config"}`, 1},
		{`secrets_store_webhook_certificate_expiry_timestamp_seconds`, float64(notAfter.Unix())},
		{`secrets_store_webhook_request_bytes_sum`, 8000},
		{`secrets_store_webhook_request_bytes_bucket{le="4096"}`, 1},
		{`secrets_store_webhook_response_bytes_sum`, 1700},
		{`secrets_store_webhook_response_bytes_bucket{le="256"}`, 1},
		{`secrets_store_webhook_connections_total`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.sample, func(t *testing.T) {
			if got := metricValue(t, body, tt.sample); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if !strings.Contains(body, "go_goroutines") || !strings.Contains(body, "process_cpu_seconds_total") {
		t.Error("got no runtime or process metrics")
	}
}
