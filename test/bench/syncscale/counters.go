// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncscale

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// The controller's metrics the measurement reads.
const (
	metricStoreRequests = "secrets_store_sync_store_requests_total"
	metricSyncs         = "secrets_store_sync_syncs_total"
	metricLeader        = "secrets_store_sync_leader"
	metricAPIRequests   = "apiserver_request_total"
)

// controllerCounters are the controller's counters at one moment.
type controllerCounters struct {
	store  Requests
	syncs  map[string]int // by result
	leader bool
	// goMemory are the Go runtime's gauges of the controller (go_memstats_*_bytes,
	// go_goroutines) by name.
	goMemory map[string]float64
}

// goGauges are the Go runtime's gauges kept in controllerCounters.goMemory.
var goGauges = []string{
	"go_memstats_heap_inuse_bytes", "go_memstats_heap_alloc_bytes", "go_memstats_stack_inuse_bytes",
	"go_memstats_sys_bytes", "go_goroutines",
}

// snapshot is every counter at one moment.
type snapshot struct {
	at   time.Time
	ctl  controllerCounters
	apis Writes
}

// sub is the window from o to s.
func (s snapshot) sub(o snapshot) Window {
	a, b := s.ctl.store, o.ctl.store
	c, d := s.apis, o.apis
	return Window{
		Span: s.at.Sub(o.at),
		Store: Requests{
			Login: a.Login - b.Login, Read: a.Read - b.Read, Mount: a.Mount - b.Mount,
			Renew: a.Renew - b.Renew, Other: a.Other - b.Other, Failed: a.Failed - b.Failed,
		},
		API: Writes{
			Secrets: c.Secrets - d.Secrets, Status: c.Status - d.Status, Events: c.Events - d.Events,
			Tokens: c.Tokens - d.Tokens, Failed: c.Failed - d.Failed,
		},
	}
}

// snapshot reads the controller's and the API server's counters.
func (b *bench) snapshot(ctx context.Context) (snapshot, error) {
	s := snapshot{at: time.Now()}
	var err error
	if s.ctl, err = b.controllerMetrics(ctx); err != nil {
		return s, errors.Join(b.alive(), err)
	}
	raw, err := b.kube.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return s, fmt.Errorf("read the API server's metrics: %w", err)
	}
	if s.apis, err = parseAPIWrites(raw); err != nil {
		return s, fmt.Errorf("parse the API server's metrics: %w", err)
	}
	return s, nil
}

// controllerMetrics reads the controller's /metrics.
func (b *bench) controllerMetrics(ctx context.Context) (controllerCounters, error) {
	raw, err := get(ctx, b.metricsURL)
	if err != nil {
		return controllerCounters{}, fmt.Errorf("read the controller's metrics: %w", err)
	}
	c, err := parseController(raw)
	if err != nil {
		return c, fmt.Errorf("parse the controller's metrics: %w", err)
	}
	return c, nil
}

func parseFamilies(raw []byte) (map[string]*dto.MetricFamily, error) {
	var p expfmt.TextParser
	return p.TextToMetricFamilies(bytes.NewReader(raw))
}

// series calls f with the labels and the value of every counter or gauge sample of fam.
func series(fam *dto.MetricFamily, f func(labels map[string]string, v float64)) {
	for _, m := range fam.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		switch {
		case m.GetCounter() != nil:
			f(labels, m.GetCounter().GetValue())
		case m.GetGauge() != nil:
			f(labels, m.GetGauge().GetValue())
		}
	}
}

// parseController reads the store requests by kind, the reconciles by result and the
// leader gauge from the controller's metrics.
func parseController(raw []byte) (controllerCounters, error) {
	fams, err := parseFamilies(raw)
	c := controllerCounters{syncs: map[string]int{}, goMemory: map[string]float64{}}
	if err != nil {
		return c, err
	}
	series(fams[metricStoreRequests], func(l map[string]string, v float64) {
		n := int(v)
		switch l["kind"] {
		case "login":
			c.store.Login += n
		case "read":
			c.store.Read += n
		case "mount":
			c.store.Mount += n
		case "renew":
			c.store.Renew += n
		default:
			c.store.Other += n
		}
		if l["result"] != "success" {
			c.store.Failed += n
		}
	})
	series(fams[metricSyncs], func(l map[string]string, v float64) { c.syncs[l["result"]] += int(v) })
	series(fams[metricLeader], func(_ map[string]string, v float64) { c.leader = v == 1 })
	for _, g := range goGauges {
		series(fams[g], func(_ map[string]string, v float64) { c.goMemory[g] = v })
	}
	return c, nil
}

// writeVerbs are the verbs of apiserver_request_total that change objects.
var writeVerbs = map[string]bool{"POST": true, "PUT": true, "PATCH": true, "APPLY": true, "DELETE": true, "DELETECOLLECTION": true}

// parseAPIWrites counts the API server's writes of the objects the controller writes.
func parseAPIWrites(raw []byte) (Writes, error) {
	fams, err := parseFamilies(raw)
	var w Writes
	if err != nil {
		return w, err
	}
	series(fams[metricAPIRequests], func(l map[string]string, v float64) {
		if !writeVerbs[l["verb"]] {
			return
		}
		n := int(v)
		var dst *int
		switch res := l["resource"] + "/" + l["subresource"]; {
		case res == "secrets/" && l["group"] == "":
			dst = &w.Secrets
		case res == "secretsstoresyncs/status":
			dst = &w.Status
		case res == "events/":
			dst = &w.Events
		case res == "serviceaccounts/token":
			dst = &w.Tokens
		default:
			return
		}
		*dst += n
		if !strings.HasPrefix(l["code"], "2") {
			w.Failed += n
		}
	})
	return w, nil
}
