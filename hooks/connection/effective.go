// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package connection

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/deckhouse/module-sdk/pkg"

	"github.com/deckhouse/secrets-store-integration/hooks/internal/module"
)

// Values of connectionConfiguration.
const (
	ModeDiscover = "DiscoverLocalStronghold"
	ModeManual   = "Manual"
)

// The local Stronghold, as deployed by the stronghold module.
const (
	StrongholdNamespace = "d8-stronghold"
	StrongholdService   = "stronghold"
	StrongholdCASecret  = "stronghold-tls"
	// StrongholdPort is the API listener whose certificate is issued by the CA
	// in StrongholdCASecret (the 8200 listener presents the Ingress certificate).
	StrongholdPort = 8300
)

// Default authentication paths when connection.authPath is not set.
const (
	DiscoverAuthPath = "kubernetes_local"
	ManualAuthPath   = "kubernetes"
)

// Connection is the effective connection, the shape of internal.connection.
type Connection struct {
	URL       string `json:"url"`
	AuthPath  string `json:"authPath"`
	CACert    string `json:"caCert"`
	Namespace string `json:"namespace"`
}

// Value is what is written to the values: all four keys, or an empty object
// when there is no store to connect to.
func (c Connection) Value() any {
	if c == (Connection{}) {
		return map[string]any{}
	}
	return c
}

// Settings are the module settings the connection depends on.
type Settings struct {
	Mode      string
	URL       string
	AuthPath  string
	CACert    string
	Namespace string
}

// ReadSettings reads the settings from the module values, where addon-operator
// has already merged the ModuleConfig over the schema defaults. An absent
// connectionConfiguration means the schema default, DiscoverLocalStronghold.
func ReadSettings(v pkg.ReadableValuesCollector) Settings {
	get := func(key string) string { return v.Get(module.Path(key)).String() }
	s := Settings{
		Mode:      get("connectionConfiguration"),
		URL:       get("connection.url"),
		AuthPath:  get("connection.authPath"),
		CACert:    get("connection.caCert"),
		Namespace: get("connection.namespace"),
	}
	if s.Mode == "" {
		s.Mode = ModeDiscover
	}
	return s
}

// Service is the filtered snapshot of the Stronghold Service ([ServiceFilter]).
type Service struct {
	Name  string        `json:"name"`
	Ports []ServicePort `json:"ports"`
}

// ServicePort is one port of the Stronghold Service.
type ServicePort struct {
	Name string `json:"name"`
	Port int    `json:"port"`
}

// CA is the filtered snapshot of the Stronghold CA Secret ([CAFilter]).
type CA struct {
	// CACert is the base64 value of the Secret's ca.crt key.
	CACert string `json:"caCrt"`
}

// Effective computes the connection the module's components use.
//
// Manual: the store described in connection.*; authPath defaults to
// "kubernetes", an empty caCert means the system CA bundle, an empty
// namespace the root namespace.
//
// DiscoverLocalStronghold, in increasing precedence:
//  1. the local Stronghold: https://stronghold.d8-stronghold.svc:<port>, the
//     ca.crt of Secret d8-stronghold/stronghold-tls, authPath
//     "kubernetes_local", the root namespace;
//  2. connection.authPath, connection.caCert and connection.namespace, each
//     when set (connection.url is rejected by the schema in this mode).
//
// Without the Stronghold Service there is no store: the result is the zero
// Connection, whatever the settings say.
func Effective(s Settings, services []Service, cas []CA) (Connection, error) {
	switch s.Mode {
	case ModeManual:
		return manual(s)
	case ModeDiscover:
		return discover(s, services, cas)
	default:
		return Connection{}, fmt.Errorf("unknown connectionConfiguration %q: use %s or %s", s.Mode, ModeDiscover, ModeManual)
	}
}

func manual(s Settings) (Connection, error) {
	if s.URL == "" {
		return Connection{}, errors.New("connectionConfiguration is Manual but connection.url is empty: set connection.url to the address of the secret store")
	}
	return Connection{
		URL:       s.URL,
		AuthPath:  orDefault(s.AuthPath, ManualAuthPath),
		CACert:    s.CACert,
		Namespace: s.Namespace,
	}, nil
}

// Each binding selects one object by name, so a snapshot holds at most one
// item per binding context; when addon-operator combines several binding
// contexts into one run, module-sdk concatenates their snapshots and the last
// item is the latest state.
func discover(s Settings, services []Service, cas []CA) (Connection, error) {
	if len(services) == 0 {
		return Connection{}, nil
	}
	caCert, err := decodeCA(cas)
	if err != nil {
		return Connection{}, err
	}
	svc := services[len(services)-1]
	return Connection{
		URL:       "https://" + StrongholdService + "." + StrongholdNamespace + ".svc:" + strconv.Itoa(pickPort(svc.Ports)),
		AuthPath:  orDefault(s.AuthPath, DiscoverAuthPath),
		CACert:    orDefault(s.CACert, caCert),
		Namespace: s.Namespace,
	}, nil
}

// pickPort prefers StrongholdPort, the listener the discovered CA can verify;
// a Service that does not expose it gives its first port.
func pickPort(ports []ServicePort) int {
	for _, p := range ports {
		if p.Port == StrongholdPort {
			return p.Port
		}
	}
	if len(ports) > 0 && ports[0].Port > 0 {
		return ports[0].Port
	}
	return StrongholdPort
}

// decodeCA returns the PEM of ca.crt, or "" when the Secret or the key is absent.
func decodeCA(cas []CA) (string, error) {
	if len(cas) == 0 || cas[len(cas)-1].CACert == "" {
		return "", nil
	}
	pem, err := base64.StdEncoding.DecodeString(cas[len(cas)-1].CACert)
	if err != nil {
		return "", fmt.Errorf("decode ca.crt of secret %s/%s: %w", StrongholdNamespace, StrongholdCASecret, err)
	}
	if !strings.Contains(string(pem), "-----BEGIN CERTIFICATE-----") {
		return "", fmt.Errorf("ca.crt of secret %s/%s is not a PEM certificate: check the stronghold module", StrongholdNamespace, StrongholdCASecret)
	}
	return string(pem), nil
}

func orDefault(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
