// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package connection is the hook that computes the effective connection to
// the secret store and writes it to internal.connection. It is the only place
// that decides which store the module's components talk to: the chart
// templates read internal.connection and never connectionConfiguration or
// connection.* themselves.
//
// The hook runs before every Helm render (so a changed ModuleConfig is picked
// up) and whenever the local Stronghold's Service or CA Secret changes (so a
// Stronghold that appears, moves or goes away is followed without a restart).
// How the connection is computed is documented on [Effective].
package connection

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"

	"github.com/deckhouse/module-sdk/pkg"
	objectpatch "github.com/deckhouse/module-sdk/pkg/object-patch"
	"github.com/deckhouse/module-sdk/pkg/registry"

	"github.com/deckhouse/secrets-store-integration/hooks/internal/module"
)

// Snapshot names of the two bindings.
const (
	ServiceSnapshot = "stronghold_service"
	CASnapshot      = "stronghold_ca"
)

// ValuesPath is where the effective connection is written.
var ValuesPath = module.Path("internal.connection")

// ServiceFilter keeps only what the address is built from: the Service name
// and its ports.
const ServiceFilter = `{
  "name": .metadata.name,
  "ports": [(.spec.ports // [])[] | {"name": (.name // ""), "port": .port}]
}`

// CAFilter keeps only the CA certificate (still base64, as in the Secret).
// The same Secret holds Stronghold's private key under tls.key: the filter
// must never copy it, so that the key reaches neither the hook nor the
// snapshot cache of addon-operator.
const CAFilter = `{"caCrt": (.data."ca.crt" // "")}`

// Config is the hook's registration: before Helm (after the webhook
// certificate hook, order 5) and on changes of the Stronghold Service and of
// its CA Secret, both by exact name in the Stronghold namespace.
var Config = &pkg.HookConfig{
	OnBeforeHelm: &pkg.OrderedConfig{Order: 10},
	Kubernetes: []pkg.KubernetesConfig{
		{
			Name:              ServiceSnapshot,
			APIVersion:        "v1",
			Kind:              "Service",
			NameSelector:      &pkg.NameSelector{MatchNames: []string{StrongholdService}},
			NamespaceSelector: &pkg.NamespaceSelector{NameSelector: &pkg.NameSelector{MatchNames: []string{StrongholdNamespace}}},
			JqFilter:          ServiceFilter,
		},
		{
			Name:              CASnapshot,
			APIVersion:        "v1",
			Kind:              "Secret",
			NameSelector:      &pkg.NameSelector{MatchNames: []string{StrongholdCASecret}},
			NamespaceSelector: &pkg.NamespaceSelector{NameSelector: &pkg.NameSelector{MatchNames: []string{StrongholdNamespace}}},
			JqFilter:          CAFilter,
		},
	},
}

var _ = registry.RegisterFunc(Config, Handle)

// Handle computes the effective connection from the module settings and the
// snapshots and writes it to [ValuesPath] when it differs from the current
// value. A stale value (for example, the address of a Stronghold that has
// been removed) is replaced, never left behind.
func Handle(_ context.Context, in *pkg.HookInput) error {
	services, err := objectpatch.UnmarshalToStruct[Service](in.Snapshots, ServiceSnapshot)
	if err != nil {
		return fmt.Errorf("read snapshot %q: %w", ServiceSnapshot, err)
	}
	cas, err := objectpatch.UnmarshalToStruct[CA](in.Snapshots, CASnapshot)
	if err != nil {
		return fmt.Errorf("read snapshot %q: %w", CASnapshot, err)
	}

	settings := ReadSettings(in.Values)
	conn, err := Effective(settings, services, cas)
	if err != nil {
		return err
	}

	want := conn.Value()
	if sameJSON(in.Values.Get(ValuesPath).Raw, want) {
		return nil
	}
	in.Values.Set(ValuesPath, want)

	switch {
	case conn.URL == "":
		in.Logger.Warn("no secret store: the local stronghold is not found; enable the stronghold module or set connectionConfiguration to Manual",
			slog.String("mode", settings.Mode), slog.String("service", StrongholdNamespace+"/"+StrongholdService))
	case settings.Mode != ModeManual && conn.CACert == "":
		in.Logger.Warn("local stronghold found without its ca secret: the system ca bundle is used until it appears",
			slog.String("url", conn.URL), slog.String("secret", StrongholdNamespace+"/"+StrongholdCASecret))
	default:
		in.Logger.Info("effective secret store connection changed",
			slog.String("mode", settings.Mode), slog.String("url", conn.URL),
			slog.String("auth_path", conn.AuthPath), slog.String("namespace", conn.Namespace),
			slog.Bool("ca_cert", conn.CACert != ""))
	}
	return nil
}

// sameJSON reports whether the raw JSON currently in the values equals v.
func sameJSON(raw string, v any) bool {
	if raw == "" {
		return false
	}
	var current any
	if err := json.Unmarshal([]byte(raw), &current); err != nil {
		return false
	}
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	var want any
	if err := json.Unmarshal(b, &want); err != nil {
		return false
	}
	return reflect.DeepEqual(current, want)
}
