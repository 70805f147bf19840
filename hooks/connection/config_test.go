// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package connection_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/deckhouse/module-sdk/pkg"
	"github.com/deckhouse/module-sdk/pkg/registry"
	"github.com/deckhouse/module-sdk/testing/helpers"

	"github.com/deckhouse/secrets-store-integration/hooks/connection"
)

func TestConfigBindings(t *testing.T) {
	cfg := connection.Config
	if cfg.OnBeforeHelm == nil || cfg.OnBeforeHelm.Order != 10 {
		t.Errorf("OnBeforeHelm = %+v, want order 10 (after the webhook certificate hook, order 5)", cfg.OnBeforeHelm)
	}
	if cfg.OnStartup != nil || len(cfg.Schedule) != 0 {
		t.Errorf("unexpected OnStartup %+v or schedule %+v", cfg.OnStartup, cfg.Schedule)
	}

	want := map[string]struct{ kind, name, filter string }{
		connection.ServiceSnapshot: {"Service", "stronghold", connection.ServiceFilter},
		connection.CASnapshot:      {"Secret", "stronghold-tls", connection.CAFilter},
	}
	if len(cfg.Kubernetes) != len(want) {
		t.Fatalf("got %d kubernetes bindings, want %d", len(cfg.Kubernetes), len(want))
	}
	for _, b := range cfg.Kubernetes {
		w, ok := want[b.Name]
		if !ok {
			t.Errorf("unexpected binding %q", b.Name)
			continue
		}
		if b.APIVersion != "v1" || b.Kind != w.kind {
			t.Errorf("binding %q watches %s %s, want v1 %s", b.Name, b.APIVersion, b.Kind, w.kind)
		}
		if b.NameSelector == nil || !reflect.DeepEqual(b.NameSelector.MatchNames, []string{w.name}) {
			t.Errorf("binding %q name selector %+v, want exactly %q", b.Name, b.NameSelector, w.name)
		}
		if b.NamespaceSelector == nil || b.NamespaceSelector.NameSelector == nil ||
			!reflect.DeepEqual(b.NamespaceSelector.NameSelector.MatchNames, []string{"d8-stronghold"}) ||
			b.NamespaceSelector.LabelSelector != nil {
			t.Errorf("binding %q namespace selector %+v, want exactly d8-stronghold", b.Name, b.NamespaceSelector)
		}
		if b.LabelSelector != nil || b.FieldSelector != nil {
			t.Errorf("binding %q has extra selectors", b.Name)
		}
		if b.JqFilter != w.filter {
			t.Errorf("binding %q filter %q, want %q", b.Name, b.JqFilter, w.filter)
		}
		for what, v := range map[string]*bool{
			"ExecuteHookOnEvents":          b.ExecuteHookOnEvents,
			"ExecuteHookOnSynchronization": b.ExecuteHookOnSynchronization,
			"WaitForSynchronization":       b.WaitForSynchronization,
		} {
			if v != nil && !*v {
				t.Errorf("binding %q sets %s false: a change of the Stronghold must run the hook", b.Name, what)
			}
		}
	}
}

// The binary registers the hook with the same bindings, under its file path.
func TestRegistered(t *testing.T) {
	var found *pkg.HookConfig
	for _, h := range registry.Registry().ModuleHooks() {
		if h.Config.Metadata.Name == "connection/connection" {
			found = &h.Config
		}
	}
	if found == nil {
		t.Fatal("hook connection/connection is not registered")
	}
	if !reflect.DeepEqual(found.Kubernetes, connection.Config.Kubernetes) || !reflect.DeepEqual(found.OnBeforeHelm, connection.Config.OnBeforeHelm) {
		t.Errorf("registered config differs from connection.Config:\n got %+v\nwant %+v", found, connection.Config)
	}
}

func TestCAFilter(t *testing.T) {
	caPEM := testCA(t, "stronghold-ca")
	secret := strongholdTLSSecret(caPEM)

	var got map[string]any
	if err := helpers.JQRunOnObject(t.Context(), connection.CAFilter, secret, &got); err != nil {
		t.Fatalf("run filter: %v", err)
	}
	want := map[string]any{"caCrt": b64(caPEM)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("filter result %v, want exactly %v", got, want)
	}

	snap := filtered(t, connection.CAFilter, secret).String()
	for _, leak := range []string{b64(strongholdTLSKey), "tls.key", "PRIVATE KEY", "tls.crt"} {
		if strings.Contains(snap, leak) {
			t.Errorf("snapshot contains %q", leak)
		}
	}

	data, ok := secret["data"].(map[string]any)
	if !ok {
		t.Fatal("fixture Secret has no data map")
	}
	delete(data, "ca.crt")
	if err := helpers.JQRunOnObject(t.Context(), connection.CAFilter, secret, &got); err != nil {
		t.Fatalf("run filter without ca.crt: %v", err)
	}
	if want := map[string]any{"caCrt": ""}; !reflect.DeepEqual(got, want) {
		t.Errorf("filter result without ca.crt %v, want %v", got, want)
	}
}

func TestServiceFilter(t *testing.T) {
	tests := []struct {
		name string
		svc  map[string]any
		want connection.Service
	}{
		{
			name: "ports",
			svc:  strongholdService(8200, 8300),
			want: connection.Service{Name: "stronghold", Ports: []connection.ServicePort{{Name: "port-a", Port: 8200}, {Name: "port-b", Port: 8300}}},
		},
		{
			name: "no ports",
			svc:  map[string]any{"metadata": map[string]any{"name": "stronghold"}, "spec": map[string]any{}},
			want: connection.Service{Name: "stronghold", Ports: []connection.ServicePort{}},
		},
		{
			name: "unnamed port",
			svc:  map[string]any{"metadata": map[string]any{"name": "stronghold"}, "spec": map[string]any{"ports": []any{map[string]any{"port": 8300}}}},
			want: connection.Service{Name: "stronghold", Ports: []connection.ServicePort{{Port: 8300}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got connection.Service
			if err := helpers.JQRunOnObject(t.Context(), connection.ServiceFilter, tt.svc, &got); err != nil {
				t.Fatalf("run filter: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
