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
	// QueueWait is the mean wait of a request in the API server's priority and fairness
	// queues (apiserver_flowcontrol_request_wait_duration_seconds, every request of the wave).
	QueueWait time.Duration
	// Etcd is the mean time of the API server's create requests to etcd
	// (etcd_request_duration_seconds, operation create).
	Etcd time.Duration
	// APIServerCPU and WebhookCPU are the CPU time of each process during the wave
	// (process_cpu_seconds_total) divided by the number of Creates.
	APIServerCPU, WebhookCPU time.Duration
	// RequestBytes and ResponseBytes are the mean size of the reviews the webhook read
	// and of its answers (secrets_store_webhook_request_bytes, _response_bytes).
	RequestBytes, ResponseBytes int
	// Connections is the number of connections the webhook accepted during the waves
	// (secrets_store_webhook_connections_total).
	Connections int
}

// histogram is the sum and count of one histogram series.
type histogram struct{ sum, count float64 }

// snapshot holds the series of a measurement at one moment. creates counts the Creates of
// the waves a sum of snapshots covers.
type snapshot struct {
	apiPost, webhookCall, review, apfWait, etcd, reqBytes, respBytes histogram
	apiCPU, webhookCPU, conns, creates                               float64
}

// zip applies f to every histogram and g to every counter of s and o.
func (s snapshot) zip(o snapshot, f func(x, y histogram) histogram, g func(x, y float64) float64) snapshot {
	return snapshot{
		apiPost: f(s.apiPost, o.apiPost), webhookCall: f(s.webhookCall, o.webhookCall), review: f(s.review, o.review),
		apfWait: f(s.apfWait, o.apfWait), etcd: f(s.etcd, o.etcd), reqBytes: f(s.reqBytes, o.reqBytes),
		respBytes: f(s.respBytes, o.respBytes),
		apiCPU:    g(s.apiCPU, o.apiCPU), webhookCPU: g(s.webhookCPU, o.webhookCPU), conns: g(s.conns, o.conns),
		creates: g(s.creates, o.creates),
	}
}

// sub returns the change from b to s.
func (s snapshot) sub(b snapshot) snapshot {
	return s.zip(b, func(x, y histogram) histogram { return histogram{x.sum - y.sum, x.count - y.count} },
		func(x, y float64) float64 { return x - y })
}

func (s snapshot) add(o snapshot) snapshot {
	return s.zip(o, func(x, y histogram) histogram { return histogram{x.sum + y.sum, x.count + y.count} },
		func(x, y float64) float64 { return x + y })
}

// meanValue is the mean observation of h, 0 without any.
func (h histogram) meanValue() float64 {
	if h.count <= 0 {
		return 0
	}
	return h.sum / h.count
}

// perCreate is CPU seconds per Create.
func (s snapshot) perCreate(cpu float64) time.Duration {
	if s.creates <= 0 {
		return 0
	}
	return time.Duration(cpu / s.creates * float64(time.Second))
}

func (h histogram) mean() time.Duration {
	if h.count <= 0 {
		return 0
	}
	return time.Duration(h.sum / h.count * float64(time.Second))
}

func (s snapshot) breakdown() Breakdown {
	return Breakdown{
		APIServer: s.apiPost.mean(), WebhookCall: s.webhookCall.mean(), Review: s.review.mean(),
		QueueWait: s.apfWait.mean(), Etcd: s.etcd.mean(),
		APIServerCPU: s.perCreate(s.apiCPU), WebhookCPU: s.perCreate(s.webhookCPU),
		RequestBytes: int(s.reqBytes.meanValue()), ResponseBytes: int(s.respBytes.meanValue()),
		Connections: int(s.conns),
	}
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
	s.apfWait = sumSeries(api["apiserver_flowcontrol_request_wait_duration_seconds"], nil)
	s.etcd = sumSeries(api["etcd_request_duration_seconds"], map[string]string{"operation": "create"})
	s.apiCPU = sumCounter(api["process_cpu_seconds_total"])
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
	s.reqBytes = sumSeries(wh["secrets_store_webhook_request_bytes"], nil)
	s.respBytes = sumSeries(wh["secrets_store_webhook_response_bytes"], nil)
	s.webhookCPU = sumCounter(wh["process_cpu_seconds_total"])
	s.conns = sumCounter(wh["secrets_store_webhook_connections_total"])
	return s, nil
}

func parseMetrics(raw []byte) (map[string]*dto.MetricFamily, error) {
	var p expfmt.TextParser
	return p.TextToMetricFamilies(bytes.NewReader(raw))
}

// sumCounter adds up the values of the counter (or gauge) series of f.
func sumCounter(f *dto.MetricFamily) float64 {
	var v float64
	if f == nil {
		return v
	}
	for _, m := range f.GetMetric() {
		v += m.GetCounter().GetValue() + m.GetGauge().GetValue()
	}
	return v
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
