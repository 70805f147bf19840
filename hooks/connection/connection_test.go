// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package connection_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/deckhouse/module-sdk/pkg"
	"github.com/deckhouse/module-sdk/testing/helpers"

	"github.com/deckhouse/secrets-store-integration/hooks/connection"
)

const strongholdURL = "https://stronghold.d8-stronghold.svc:8300"

func TestHandle(t *testing.T) {
	caPEM := testCA(t, "stronghold-ca")
	userCA := testCA(t, "user-ca")
	userCAJSON, _ := json.Marshal(userCA)

	present := func(t *testing.T) map[string][]pkg.Snapshot {
		return map[string][]pkg.Snapshot{
			connection.ServiceSnapshot: {filtered(t, connection.ServiceFilter, strongholdService(8200, 8300, 8301))},
			connection.CASnapshot:      {filtered(t, connection.CAFilter, strongholdTLSSecret(caPEM))},
		}
	}
	serviceOnly := func(t *testing.T) map[string][]pkg.Snapshot {
		return map[string][]pkg.Snapshot{
			connection.ServiceSnapshot: {filtered(t, connection.ServiceFilter, strongholdService(8300))},
		}
	}
	absent := func(*testing.T) map[string][]pkg.Snapshot { return nil }

	stale := `"internal": {"connection": {"url": "` + strongholdURL + `", "authPath": "kubernetes_local", "caCert": "old", "namespace": ""}}`

	tests := []struct {
		name      string
		settings  string
		snapshots func(*testing.T) map[string][]pkg.Snapshot
		want      map[string]any
	}{
		{
			name: "manual with all fields ignores the local stronghold",
			settings: `{"connectionConfiguration": "Manual", "connection": {"url": "https://vault.example.com:8200",
				"authPath": "clusters/prod-1", "caCert": ` + string(userCAJSON) + `, "namespace": "team-a/prod"}}`,
			snapshots: present,
			want:      connectionMap("https://vault.example.com:8200", "clusters/prod-1", userCA, "team-a/prod"),
		},
		{
			name:      "manual with defaults",
			settings:  `{"connectionConfiguration": "Manual", "connection": {"url": "https://vault.example.com"}}`,
			snapshots: absent,
			want:      connectionMap("https://vault.example.com", "kubernetes", "", ""),
		},
		{
			name:      "discover by default with stronghold present",
			settings:  `{}`,
			snapshots: present,
			want:      connectionMap(strongholdURL, "kubernetes_local", caPEM, ""),
		},
		{
			name:      "discover set explicitly with stronghold present",
			settings:  `{"connectionConfiguration": "DiscoverLocalStronghold"}`,
			snapshots: present,
			want:      connectionMap(strongholdURL, "kubernetes_local", caPEM, ""),
		},
		{
			name: "discover with overrides from the settings",
			settings: `{"connection": {"authPath": "kubernetes_custom", "caCert": ` + string(userCAJSON) + `,
				"namespace": "team-a"}}`,
			snapshots: present,
			want:      connectionMap(strongholdURL, "kubernetes_custom", userCA, "team-a"),
		},
		{
			name:      "discover with only the namespace overridden keeps kubernetes_local",
			settings:  `{"connection": {"namespace": "team-a"}}`,
			snapshots: present,
			want:      connectionMap(strongholdURL, "kubernetes_local", caPEM, "team-a"),
		},
		{
			name:      "discover with stronghold absent",
			settings:  `{}`,
			snapshots: absent,
			want:      map[string]any{},
		},
		{
			name:      "discover with stronghold gone clears stale values",
			settings:  `{` + stale + `}`,
			snapshots: absent,
			want:      map[string]any{},
		},
		{
			name:      "discover with stronghold gone clears stale values despite overrides",
			settings:  `{"connection": {"authPath": "custom", "namespace": "team-a"}, ` + stale + `}`,
			snapshots: absent,
			want:      map[string]any{},
		},
		{
			name:      "discover with the service but no ca secret",
			settings:  `{}`,
			snapshots: serviceOnly,
			want:      connectionMap(strongholdURL, "kubernetes_local", "", ""),
		},
		{
			name:     "discover with a service that does not expose 8300 takes its first port",
			settings: `{}`,
			snapshots: func(t *testing.T) map[string][]pkg.Snapshot {
				return map[string][]pkg.Snapshot{
					connection.ServiceSnapshot: {filtered(t, connection.ServiceFilter, strongholdService(8443, 8200))},
				}
			},
			want: connectionMap("https://stronghold.d8-stronghold.svc:8443", "kubernetes_local", "", ""),
		},
		{
			name:      "switch from discover to manual replaces the discovered values",
			settings:  `{"connectionConfiguration": "Manual", "connection": {"url": "https://vault.example.com"}, ` + stale + `}`,
			snapshots: present,
			want:      connectionMap("https://vault.example.com", "kubernetes", "", ""),
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := helpers.NewInputBuilder(t).WithValuesMap(moduleValues(t, tt.settings))
			for name, snaps := range tt.snapshots(t) {
				b.WithSnapshot(name, snaps...)
			}
			in := b.Build()

			if err := connection.Handle(t.Context(), in); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			got, _ := resultConnection(t, in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("internal.connection:\n got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

// An unchanged connection is not written again: no values patch, no re-render.
func TestHandleUnchanged(t *testing.T) {
	caPEM := testCA(t, "stronghold-ca")
	current, _ := json.Marshal(connectionMap(strongholdURL, "kubernetes_local", caPEM, ""))
	in := helpers.NewInputBuilder(t).
		WithValuesMap(moduleValues(t, `{"internal": {"connection": `+string(current)+`}}`)).
		WithSnapshot(connection.ServiceSnapshot, filtered(t, connection.ServiceFilter, strongholdService(8300))).
		WithSnapshot(connection.CASnapshot, filtered(t, connection.CAFilter, strongholdTLSSecret(caPEM))).
		Build()

	if err := connection.Handle(t.Context(), in); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if patches := in.Values.GetPatches(); len(patches) != 0 {
		t.Errorf("got %d values patches, want none", len(patches))
	}
}

func TestHandleErrors(t *testing.T) {
	tests := []struct {
		name      string
		settings  string
		snapshots map[string][]pkg.Snapshot
		wantErr   string
	}{
		{
			name:     "manual without url",
			settings: `{"connectionConfiguration": "Manual", "connection": {"authPath": "kubernetes"}}`,
			wantErr:  "set connection.url",
		},
		{
			name:     "unknown mode",
			settings: `{"connectionConfiguration": "Auto"}`,
			wantErr:  `unknown connectionConfiguration "Auto"`,
		},
		{
			name:     "ca.crt is not base64",
			settings: `{}`,
			snapshots: map[string][]pkg.Snapshot{
				connection.ServiceSnapshot: {helpers.SnapshotJSON(`{"name": "stronghold", "ports": [{"name": "https", "port": 8300}]}`)},
				connection.CASnapshot:      {helpers.SnapshotJSON(`{"caCrt": "%%%"}`)},
			},
			wantErr: "decode ca.crt of secret d8-stronghold/stronghold-tls",
		},
		{
			name:     "ca.crt is not a certificate",
			settings: `{}`,
			snapshots: map[string][]pkg.Snapshot{
				connection.ServiceSnapshot: {helpers.SnapshotJSON(`{"name": "stronghold", "ports": [{"name": "https", "port": 8300}]}`)},
				connection.CASnapshot:      {helpers.SnapshotJSON(`{"caCrt": "` + b64("not a pem") + `"}`)},
			},
			wantErr: "is not a PEM certificate",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := helpers.NewInputBuilder(t).WithValuesMap(moduleValues(t, tt.settings))
			for name, snaps := range tt.snapshots {
				b.WithSnapshot(name, snaps...)
			}
			in := b.Build()
			err := connection.Handle(t.Context(), in)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
			}
			if patches := in.Values.GetPatches(); len(patches) != 0 {
				t.Errorf("got %d values patches on error, want none", len(patches))
			}
		})
	}
}

// The log lines name the store but never carry the CA or anything from the
// Secret beyond the fact that a CA is set.
func TestHandleLogs(t *testing.T) {
	caPEM := testCA(t, "stronghold-ca")
	b := helpers.NewInputBuilder(t).
		WithValuesMap(moduleValues(t, `{}`)).
		WithSnapshot(connection.ServiceSnapshot, filtered(t, connection.ServiceFilter, strongholdService(8300))).
		WithSnapshot(connection.CASnapshot, filtered(t, connection.CAFilter, strongholdTLSSecret(caPEM))).
		WithCapturedLogger()
	in := b.Build()
	if err := connection.Handle(t.Context(), in); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	logs := b.LogBuffer().String()
	if !strings.Contains(logs, strongholdURL) {
		t.Errorf("log does not name the url %s:\n%s", strongholdURL, logs)
	}
	for _, attr := range []string{`"auth_path":"kubernetes_local"`, `"ca_cert":true`} {
		if !strings.Contains(logs, attr) {
			t.Errorf("log lacks the attribute %s:\n%s", attr, logs)
		}
	}
	if strings.Contains(logs, "BEGIN CERTIFICATE") || strings.Contains(logs, "PRIVATE KEY") {
		t.Errorf("log carries certificate material:\n%s", logs)
	}
}
