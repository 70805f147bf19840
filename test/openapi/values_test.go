// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package openapi_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	tlscertificate "github.com/deckhouse/module-sdk/common-hooks/tls-certificate"
	"github.com/deckhouse/module-sdk/pkg"
	"github.com/deckhouse/module-sdk/testing/helpers"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/deckhouse/secrets-store-integration/hooks/connection"
	"github.com/deckhouse/secrets-store-integration/hooks/tlscert"
)

func TestValuesExtendsConfig(t *testing.T) {
	raw := object(t, readYAML(t, "openapi/values.yaml"), "values.yaml")
	ext, _ := raw["x-extend"].(map[string]any)
	if ext["schema"] != "config-values.yaml" {
		t.Fatalf("values.yaml x-extend = %v, want schema: config-values.yaml", raw["x-extend"])
	}

	own := loadSchema(t, "openapi/values.yaml")
	config := loadSchema(t, "openapi/config-values.yaml")
	for k := range own.Properties {
		if _, ok := config.Properties[k]; ok {
			t.Errorf("values.yaml redefines the setting %q, hiding its config-values.yaml schema", k)
		}
	}

	s := valuesSchema(t)
	for k := range config.Properties {
		if _, ok := s.Properties[k]; !ok {
			t.Errorf("extended values schema lacks the setting %q", k)
		}
	}
	for _, k := range []string{"internal", "registry"} {
		if _, ok := s.Properties[k]; !ok {
			t.Errorf("values schema lacks %q", k)
		}
	}
	if _, ok := s.Extensions["x-deckhouse-validations"]; !ok {
		t.Error("extended values schema lost the x-deckhouse-validations of config-values.yaml")
	}
}

func TestValuesDefaults(t *testing.T) {
	got := fromJSON(t, `{}`)
	applyDefaults(got, valuesSchema(t))
	want := fromJSON(t, `{
		"connectionConfiguration": "DiscoverLocalStronghold",
		"tokenAudience": "",
		"imageRegistries": {"insecureRegistries": [], "mirrors": []},
		"additionalTokenAudiences": [],
		"rotationInterval": "2m",
		"webhook": {"replicas": 2, "injectorDelivery": "CSIVolume", "envDelivery": "Entrypoint"},
		"csiDriver": {"volumeSize": "4Mi", "nriSocket": ""},
		"synchronization": {"enabled": false, "replicas": 2},
		"logLevel": "Info",
		"internal": {"apiServerAddresses": [], "connection": {}, "webhookCert": {}}
	}`)
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("values defaults:\n got %s\nwant %s", g, w)
	}
}

// The values the hooks write fit openapi/values.yaml, and once the webhook
// certificate is issued every x-required-for-helm key is there.
func TestHookOutputsFitValues(t *testing.T) {
	ca := "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	tests := []struct {
		name      string
		settings  string
		snapshots map[string][]pkg.Snapshot
		wantConn  string
	}{
		{
			name:     "discover with stronghold",
			settings: `{}`,
			snapshots: map[string][]pkg.Snapshot{
				connection.ServiceSnapshot: {helpers.SnapshotJSON(`{"name": "stronghold", "ports": [{"name": "https", "port": 8300}]}`)},
				connection.CASnapshot:      {helpers.SnapshotFromObject(map[string]string{"caCrt": b64(ca)})},
			},
			wantConn: "https://stronghold.d8-stronghold.svc:8300",
		},
		{
			name:     "discover without stronghold",
			settings: `{}`,
		},
		{
			name:     "manual",
			settings: `{"connectionConfiguration": "Manual", "connection": {"url": "https://vault.example.com", "namespace": "team-a"}}`,
			wantConn: "https://vault.example.com",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			module := object(t, fromJSON(t, tt.settings), "settings")
			applyDefaults(module, valuesSchema(t))
			values := map[string]any{
				"global":                  map[string]any{"discovery": map[string]any{"clusterDomain": "cluster.local"}},
				"secretsStoreIntegration": module,
			}

			if errs := validateValues(t, helmSchema(t), module, "", ""); len(errs) == 0 {
				t.Error("values without the webhook certificate pass x-required-for-helm")
			}

			b := helpers.NewInputBuilder(t).WithValuesMap(values)
			for name, snaps := range tt.snapshots {
				b.WithSnapshot(name, snaps...)
			}
			in := b.Build()
			if err := connection.Handle(t.Context(), in); err != nil {
				t.Fatalf("connection hook: %v", err)
			}
			if err := tlscertificate.GenSelfSignedTLS(tlscert.Conf)(t.Context(), in); err != nil {
				t.Fatalf("webhook certificate hook: %v", err)
			}
			applyPatches(t, values, in.Values)

			conn := object(t, object(t, module["internal"], "internal")["connection"], "internal.connection")
			if got, _ := conn["url"].(string); got != tt.wantConn {
				t.Errorf("internal.connection.url = %q, want %q", got, tt.wantConn)
			}
			if errs := validateValues(t, valuesSchema(t), module, "x-deckhouse-validations", "expression"); len(errs) != 0 {
				t.Errorf("values after the hooks rejected by values.yaml:\n%s", strings.Join(errs, "\n"))
			}
			if errs := validateValues(t, helmSchema(t), module, "", ""); len(errs) != 0 {
				t.Errorf("values after the hooks miss x-required-for-helm keys:\n%s", strings.Join(errs, "\n"))
			}
		})
	}
}

func TestUnknownInternalValues(t *testing.T) {
	for _, internal := range []string{
		`{"connection": {"url": "https://a", "token": "x"}, "webhookCert": {}}`,
		`{"connection": {}, "webhookCert": {}, "localStrongholdCaCert": "x"}`,
		`{"connection": {}, "webhookCert": {"cert": "x"}}`,
	} {
		module := map[string]any{"internal": fromJSON(t, internal)}
		applyDefaults(module, valuesSchema(t))
		errs := validateValues(t, valuesSchema(t), module, "", "")
		if len(errs) == 0 || !strings.Contains(strings.Join(errs, "\n"), "forbidden property") {
			t.Errorf("internal %s: errors %v, want a forbidden property", internal, errs)
		}
	}
}

// helmSchema mirrors addon-operator's schema for rendering: values.yaml with
// every x-required-for-helm list turned into required.
func helmSchema(t *testing.T) *spec.Schema {
	t.Helper()
	s := loadSchema(t, "openapi/values.yaml")
	requiredForHelm(t, s)
	return s
}

func requiredForHelm(t *testing.T, s *spec.Schema) {
	t.Helper()
	if list, ok := s.Extensions["x-required-for-helm"].([]any); ok {
		for _, k := range list {
			name, ok := k.(string)
			if !ok {
				t.Fatalf("x-required-for-helm entry %v is %T, want a property name", k, k)
			}
			s.Required = append(s.Required, name)
		}
	}
	for k, prop := range s.Properties {
		requiredForHelm(t, &prop)
		s.Properties[k] = prop
	}
}

// applyPatches applies the hooks' values patches (add/remove at JSON pointers).
func applyPatches(t *testing.T, values map[string]any, v pkg.PatchableValuesCollector) {
	t.Helper()
	for _, op := range v.GetPatches() {
		parts := strings.Split(strings.TrimPrefix(op.Path, "/"), "/")
		parent := values
		for _, p := range parts[:len(parts)-1] {
			next, ok := parent[p].(map[string]any)
			if !ok {
				t.Fatalf("patch %s %s: no object at %q", op.Op, op.Path, p)
			}
			parent = next
		}
		last := parts[len(parts)-1]
		switch op.Op {
		case "add":
			var val any
			if err := json.Unmarshal(op.Value, &val); err != nil {
				t.Fatalf("patch %s: %v", op.Path, err)
			}
			parent[last] = val
		case "remove":
			delete(parent, last)
		default:
			t.Fatalf("unexpected patch op %s", op.Op)
		}
	}
}
