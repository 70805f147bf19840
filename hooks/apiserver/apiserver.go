// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package apiserver is the hook that records the addresses of the
// Kubernetes API server in internal.apiServerAddresses. The chart admits
// the webhook port only from them (templates/webhook/networkpolicy.yaml):
// the webhook's /mutate answers whoever posts an AdmissionReview, and only
// the API server should.
//
// The addresses are those of the EndpointSlices of the default/kubernetes
// Service, which the API servers keep up to date themselves: one address
// per API server, the address it advertises. The API server calls
// webhooks from its host network, so that address is where its calls come
// from on CNIs that do not rewrite host traffic.
//
// The hook runs before every Helm render and whenever those EndpointSlices
// change, so that an API server added to or removed from the control plane
// is followed without a restart. Every address seen is kept, ready or not:
// an API server that is starting must not find the webhook closed.
package apiserver

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"

	"github.com/deckhouse/module-sdk/pkg"
	objectpatch "github.com/deckhouse/module-sdk/pkg/object-patch"
	"github.com/deckhouse/module-sdk/pkg/registry"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deckhouse/secrets-store-integration/hooks/internal/module"
)

// Snapshot is the name of the binding.
const Snapshot = "apiserver_endpoints"

// The Service of the API server and the label its EndpointSlices carry.
const (
	ServiceNamespace = "default"
	ServiceName      = "kubernetes"
	serviceNameLabel = "kubernetes.io/service-name"
)

// ValuesPath is where the addresses are written: a sorted list of IPs.
var ValuesPath = module.Path("internal.apiServerAddresses")

// Filter keeps the address type and the addresses of every endpoint.
const Filter = `{
  "addressType": (.addressType // ""),
  "addresses": [(.endpoints // [])[] | (.addresses // [])[]]
}`

// Slice is one filtered EndpointSlice.
type Slice struct {
	AddressType string   `json:"addressType"`
	Addresses   []string `json:"addresses"`
}

// Config is the hook's registration: before Helm and on changes of the
// EndpointSlices of default/kubernetes.
var Config = &pkg.HookConfig{
	OnBeforeHelm: &pkg.OrderedConfig{Order: 10},
	Kubernetes: []pkg.KubernetesConfig{{
		Name:              Snapshot,
		APIVersion:        "discovery.k8s.io/v1",
		Kind:              "EndpointSlice",
		NamespaceSelector: &pkg.NamespaceSelector{NameSelector: &pkg.NameSelector{MatchNames: []string{ServiceNamespace}}},
		LabelSelector:     &metav1.LabelSelector{MatchLabels: map[string]string{serviceNameLabel: ServiceName}},
		JqFilter:          Filter,
	}},
}

var _ = registry.RegisterFunc(Config, Handle)

// Handle writes the addresses of the snapshot to [ValuesPath] when they
// differ from the current value. Without any address (the EndpointSlices
// are not there yet) the list is empty and the chart renders no policy.
func Handle(_ context.Context, in *pkg.HookInput) error {
	endpointSlices, err := objectpatch.UnmarshalToStruct[Slice](in.Snapshots, Snapshot)
	if err != nil {
		return fmt.Errorf("read snapshot %q: %w", Snapshot, err)
	}
	want := Addresses(endpointSlices)
	var current []string
	for _, v := range in.Values.Get(ValuesPath).Array() {
		current = append(current, v.String())
	}
	if in.Values.Get(ValuesPath).Exists() && slices.Equal(current, want) {
		return nil
	}
	in.Values.Set(ValuesPath, want)
	if len(want) == 0 {
		in.Logger.Warn("no api server address found: the webhook network policy is not rendered until one appears",
			slog.String("service", ServiceNamespace+"/"+ServiceName))
		return nil
	}
	in.Logger.Info("api server addresses changed", slog.Any("addresses", want))
	return nil
}

// Addresses returns the IP addresses of the slices, canonical, sorted and
// without duplicates. FQDN slices and anything that is not an IP address
// are skipped: a NetworkPolicy admits IP blocks only.
func Addresses(ss []Slice) []string {
	var ips []netip.Addr
	for _, s := range ss {
		if s.AddressType == "FQDN" {
			continue
		}
		for _, a := range s.Addresses {
			ip, err := netip.ParseAddr(a)
			if err != nil || ip.Zone() != "" {
				continue
			}
			ips = append(ips, ip.Unmap())
		}
	}
	slices.SortFunc(ips, func(a, b netip.Addr) int { return a.Compare(b) })
	ips = slices.Compact(ips)
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = ip.String()
	}
	return out
}
