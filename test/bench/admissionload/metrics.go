// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package admissionload

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"k8s.io/client-go/kubernetes"
)

// webhookName is the name of the module's webhook in its MutatingWebhookConfiguration, as
// the API server labels its admission metrics.
const webhookName = "pods.secrets-store.deckhouse.io"

// Breakdown splits the time of the Creates of one kind of Pod by where it was spent, from
// the histograms of the API server and of the webhook: each figure is the mean over every
// Create of that kind (the change of a histogram's sum over the change of its count).
type Breakdown struct {
	// APIServer is the API server's own time for a Pod POST
	// (apiserver_request_duration_seconds), admission included.
	APIServer time.Duration
	// WebhookCall is the API server's call of the module's webhook
	// (apiserver_admission_webhook_admission_duration_seconds): connection, TLS, the
	// request, the answer and the webhook's own time.
	WebhookCall time.Duration
	// Review is the webhook's own time for a review (secrets_store_webhook_review_duration_seconds).
	Review time.Duration
}

// histogram is the sum and count of one histogram series.
type histogram struct{ sum, count float64 }

// snapshot holds the series of a measurement at one moment.
type snapshot struct{ apiPost, webhookCall, review histogram }

// sub returns the change from b to s.
func (s snapshot) sub(b snapshot) snapshot {
	d := func(x, y histogram) histogram { return histogram{x.sum - y.sum, x.count - y.count} }
	return snapshot{d(s.apiPost, b.apiPost), d(s.webhookCall, b.webhookCall), d(s.review, b.review)}
}

func (s snapshot) add(o snapshot) snapshot {
	a := func(x, y histogram) histogram { return histogram{x.sum + y.sum, x.count + y.count} }
	return snapshot{a(s.apiPost, o.apiPost), a(s.webhookCall, o.webhookCall), a(s.review, o.review)}
}

func (h histogram) mean() time.Duration {
	if h.count <= 0 {
		return 0
	}
	return time.Duration(h.sum / h.count * float64(time.Second))
}

func (s snapshot) breakdown() Breakdown {
	return Breakdown{APIServer: s.apiPost.mean(), WebhookCall: s.webhookCall.mean(), Review: s.review.mean()}
}

// scraper reads the API server's /metrics through the client and the webhook's over HTTP.
type scraper struct {
	kube       kubernetes.Interface
	webhookURL string
	http       *http.Client
}

func (sc scraper) snapshot(ctx context.Context) (snapshot, error) {
	raw, err := sc.kube.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return snapshot{}, fmt.Errorf("read the API server's metrics: %w", err)
	}
	api, err := parseMetrics(raw)
	if err != nil {
		return snapshot{}, fmt.Errorf("parse the API server's metrics: %w", err)
	}
	var s snapshot
	s.apiPost = sumSeries(api["apiserver_request_duration_seconds"], map[string]string{"verb": "POST", "resource": "pods", "subresource": ""})
	s.webhookCall = sumSeries(api["apiserver_admission_webhook_admission_duration_seconds"], map[string]string{"name": webhookName, "operation": "CREATE"})
	if sc.webhookURL == "" {
		return s, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, sc.webhookURL, nil)
	if err != nil {
		return snapshot{}, err
	}
	resp, err := sc.http.Do(req)
	if err != nil {
		return snapshot{}, fmt.Errorf("read the webhook's metrics: %w", err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return snapshot{}, fmt.Errorf("read the webhook's metrics: %w", err)
	}
	wh, err := parseMetrics(buf.Bytes())
	if err != nil {
		return snapshot{}, fmt.Errorf("parse the webhook's metrics: %w", err)
	}
	s.review = sumSeries(wh["secrets_store_webhook_review_duration_seconds"], nil)
	return s, nil
}

func parseMetrics(raw []byte) (map[string]*dto.MetricFamily, error) {
	var p expfmt.TextParser
	return p.TextToMetricFamilies(bytes.NewReader(raw))
}

// sumSeries adds up the histogram series of f whose labels have the values in match (a
// label absent from a series counts as "").
func sumSeries(f *dto.MetricFamily, match map[string]string) histogram {
	var h histogram
	if f == nil {
		return h
	}
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		ok := true
		for k, v := range match {
			if labels[k] != v {
				ok = false
				break
			}
		}
		if ok && m.GetHistogram() != nil {
			h.sum += m.GetHistogram().GetSampleSum()
			h.count += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return h
}
