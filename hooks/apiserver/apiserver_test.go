// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package apiserver_test

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/deckhouse/module-sdk/pkg"
	"github.com/deckhouse/module-sdk/testing/framework"
	"github.com/deckhouse/module-sdk/testing/helpers"
	"sigs.k8s.io/yaml"

	"github.com/deckhouse/secrets-store-integration/hooks/apiserver"
	"github.com/deckhouse/secrets-store-integration/hooks/internal/module"
)

// endpointSlice is an EndpointSlice of a Service as the API server or the
// EndpointSlice controller writes it.
func endpointSlice(namespace, name, service, addressType string, endpoints ...[]string) map[string]any {
	eps := make([]any, 0, len(endpoints))
	for _, addrs := range endpoints {
		eps = append(eps, map[string]any{"addresses": addrs, "conditions": map[string]any{"ready": true}})
	}
	return map[string]any{
		"apiVersion":  "discovery.k8s.io/v1",
		"kind":        "EndpointSlice",
		"metadata":    map[string]any{"name": name, "namespace": namespace, "labels": map[string]any{"kubernetes.io/service-name": service}},
		"addressType": addressType,
		"endpoints":   eps,
		"ports":       []any{map[string]any{"name": "https", "port": 6443, "protocol": "TCP"}},
	}
}

func filtered(t *testing.T, obj map[string]any) pkg.Snapshot {
	t.Helper()
	var out any
	if err := helpers.JQRunOnObject(t.Context(), apiserver.Filter, obj, &out); err != nil {
		t.Fatalf("run filter: %v", err)
	}
	return helpers.SnapshotFromObject(out)
}

// moduleValues are the defaults of openapi/values.yaml with internal set.
func moduleValues(t *testing.T, internal map[string]any) map[string]any {
	t.Helper()
	schema, err := framework.LoadOpenAPISchema("../../openapi/values.yaml")
	if err != nil {
		t.Fatalf("load values schema: %v", err)
	}
	return map[string]any{
		module.ValuesKey: framework.MergeValues(framework.SchemaDefaults(schema), map[string]any{"internal": internal}),
	}
}

func TestAddresses(t *testing.T) {
	tests := []struct {
		name string
		in   []apiserver.Slice
		want []string
	}{
		{"none", nil, []string{}},
		{"sorted, deduplicated, canonical", []apiserver.Slice{
			{AddressType: "IPv4", Addresses: []string{"10.0.0.3", "10.0.0.1", "10.0.0.3"}},
			{AddressType: "IPv6", Addresses: []string{"FD00:0:0::10", "fd00::10"}},
			{AddressType: "IPv4", Addresses: []string{"::ffff:10.0.0.1"}},
		}, []string{"10.0.0.1", "10.0.0.3", "fd00::10"}},
		{"FQDN slices and non-addresses skipped", []apiserver.Slice{
			{AddressType: "FQDN", Addresses: []string{"api.example.com", "10.9.9.9"}},
			{AddressType: "IPv4", Addresses: []string{"api.example.com", "10.0.0.1/32", "", "fe80::1%eth0", "192.168.1.5"}},
		}, []string{"192.168.1.5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := apiserver.Addresses(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzAddresses(f *testing.F) {
	f.Add("IPv4", "10.0.0.1", "::ffff:1.2.3.4")
	f.Add("FQDN", "example.com", "fe80::1%lo")
	f.Fuzz(func(t *testing.T, typ, a, b string) {
		got := apiserver.Addresses([]apiserver.Slice{{AddressType: typ, Addresses: []string{a, b, a}}})
		for i, s := range got {
			ip, err := netip.ParseAddr(s)
			if err != nil || ip.String() != s || ip.Zone() != "" {
				t.Fatalf("got %q, not a canonical address without a zone", s)
			}
			if i > 0 && netip.MustParseAddr(got[i-1]).Compare(ip) >= 0 {
				t.Fatalf("got %q, not sorted without duplicates", got)
			}
		}
	})
}

func TestHandle(t *testing.T) {
	two := []pkg.Snapshot{
		filtered(t, endpointSlice("default", "kubernetes", "kubernetes", "IPv4", []string{"192.168.199.12"}, []string{"192.168.199.10"})),
		filtered(t, endpointSlice("default", "kubernetes-v6", "kubernetes", "IPv6", []string{"fd00::10"})),
	}
	tests := []struct {
		name      string
		current   any // internal.apiServerAddresses before the run; nil: the schema default
		snapshots []pkg.Snapshot
		want      []string
		patched   bool
	}{
		{"addresses found", nil, two, []string{"192.168.199.10", "192.168.199.12", "fd00::10"}, true},
		{"unchanged: no patch", []string{"192.168.199.10", "192.168.199.12", "fd00::10"}, two, nil, false},
		{
			"an api server gone",
			[]string{"192.168.199.10", "192.168.199.11"},
			[]pkg.Snapshot{filtered(t, endpointSlice("default", "kubernetes", "kubernetes", "IPv4", []string{"192.168.199.10"}))},
			[]string{"192.168.199.10"},
			true,
		},
		{"no slices yet", nil, nil, nil, false},
		{"slices gone", []string{"192.168.199.10"}, nil, []string{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			internal := map[string]any{}
			if tt.current != nil {
				internal["apiServerAddresses"] = tt.current
			}
			in := helpers.NewInputBuilder(t).WithValuesMap(moduleValues(t, internal)).
				WithSnapshot(apiserver.Snapshot, tt.snapshots...).Build()
			if err := apiserver.Handle(t.Context(), in); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			patches := in.Values.GetPatches()
			if !tt.patched {
				if len(patches) != 0 {
					t.Errorf("got patches %v, want none", patches)
				}
				return
			}
			wantPath := "/" + strings.ReplaceAll(apiserver.ValuesPath, ".", "/")
			if len(patches) != 1 || patches[0].Path != wantPath {
				t.Fatalf("got patches %v, want one at %s", patches, wantPath)
			}
			var got []string
			if err := json.Unmarshal(patches[0].Value, &got); err != nil {
				t.Fatalf("decode patch value %s: %v", patches[0].Value, err)
			}
			if !slices.Equal(got, tt.want) || got == nil {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// With the bindings applied by the framework to a fake cluster: only the
// slices of default/kubernetes count, and the value follows them.
func TestFlow(t *testing.T) {
	initial, _ := json.Marshal(moduleValues(t, map[string]any{}))
	f := framework.HookExecutionConfigInit(t, apiserver.Config, apiserver.Handle, string(initial), `{}`)
	decoys := []map[string]any{
		endpointSlice("default", "other-abcde", "other", "IPv4", []string{"10.1.1.1"}),
		endpointSlice("kube-system", "kubernetes", "kubernetes", "IPv4", []string{"10.2.2.2"}),
	}
	steps := []struct {
		name   string
		slices []map[string]any
		want   []string
	}{
		{
			"one api server",
			[]map[string]any{endpointSlice("default", "kubernetes", "kubernetes", "IPv4", []string{"192.168.199.10"})},
			[]string{"192.168.199.10"},
		},
		{
			"three api servers",
			[]map[string]any{endpointSlice("default", "kubernetes", "kubernetes", "IPv4",
				[]string{"192.168.199.12"}, []string{"192.168.199.10"}, []string{"192.168.199.11"})},
			[]string{"192.168.199.10", "192.168.199.11", "192.168.199.12"},
		},
		{"slice gone", nil, []string{}},
	}
	for _, step := range steps {
		f.KubeStateSet(clusterYAML(t, append(slices.Clone(decoys), step.slices...)...))
		f.RunHook()
		if err := f.HookError(); err != nil {
			t.Fatalf("%s: hook error: %v", step.name, err)
		}
		var got []string
		if err := json.Unmarshal([]byte(f.ValuesGet(apiserver.ValuesPath).Raw), &got); err != nil {
			t.Fatalf("%s: decode %s: %v", step.name, apiserver.ValuesPath, err)
		}
		if !reflect.DeepEqual(got, step.want) {
			t.Errorf("%s: got %q, want %q", step.name, got, step.want)
		}
	}
}

func clusterYAML(t *testing.T, objs ...map[string]any) string {
	t.Helper()
	docs := make([]string, 0, len(objs))
	for _, o := range objs {
		b, err := yaml.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(b))
	}
	return "---\n" + strings.Join(docs, "---\n")
}
