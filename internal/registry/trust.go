// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"slices"
	"strings"
)

// Settings named in messages: the module settings the trust document is
// rendered from.
const (
	moduleConfig          = "ModuleConfig secrets-store-integration"
	settingCA             = "imageRegistries.ca"
	settingInsecure       = "imageRegistries.insecureRegistries"
	settingMirrors        = "imageRegistries.mirrors"
	defaultMirrorRegistry = "_default"
)

// Capabilities of a mirror endpoint, as in containerd's hosts.toml.
const (
	CapabilityPull    = "pull"    // fetch manifests and blobs by digest
	CapabilityResolve = "resolve" // resolve a tag to a digest
	CapabilityPush    = "push"    // accepted for hosts.toml parity; unused here
)

// maxTrustDocument bounds the trust document: it is rendered from module
// settings, which live in a ConfigMap of at most 1 MiB.
const maxTrustDocument = 1 << 20

// Trust says which CAs, insecure registries and mirrors registry lookups
// use. It is the JSON document of the webhook's --registry-config file,
// rendered from the module settings imageRegistries.ca, imageRegistries.insecureRegistries
// and imageRegistries.mirrors; the JSON field names are that contract.
type Trust struct {
	// CA is a PEM bundle trusted for every registry and mirror, in addition
	// to the system pool.
	CA string `json:"ca,omitempty"`
	// InsecureRegistries are registry hosts ("host" or "host:port", as in
	// image names) reached over plain http or with an unverified certificate.
	InsecureRegistries []string `json:"insecureRegistries,omitempty"`
	// Mirrors are tried before the registry itself, like containerd's
	// hosts.toml.
	Mirrors []Mirror `json:"mirrors,omitempty"`
}

// Mirror lists the endpoints tried, in order, before Registry itself.
type Mirror struct {
	// Registry is a registry host as in image names ("docker.io",
	// "registry.example.com:5000"), or "_default" for every registry
	// without an entry of its own.
	Registry  string     `json:"registry"`
	Endpoints []Endpoint `json:"endpoints"`
}

// Endpoint is one mirror host, with the meaning of a [host."…"] table of
// containerd's hosts.toml.
type Endpoint struct {
	// URL is http(s)://host[:port][/path]. Unless OverridePath is set, /v2
	// is appended to the path when it does not end with it.
	URL string `json:"url"`
	// CA is a PEM bundle trusted for this endpoint, in addition to the
	// system pool and Trust.CA.
	CA string `json:"ca,omitempty"`
	// SkipTLSVerify skips certificate verification for this endpoint.
	SkipTLSVerify bool `json:"skipTLSVerify,omitempty"`
	// OverridePath makes the URL path the API root as is (for mirrors
	// serving the registry API under a prefix, without /v2).
	OverridePath bool `json:"overridePath,omitempty"`
	// Capabilities are "pull" and/or "resolve" ("push" is accepted and
	// ignored), in any letter case; empty means both.
	Capabilities []string `json:"capabilities,omitempty"`
}

// ParseTrust reads a trust document strictly: unknown fields, trailing data
// and invalid values are errors naming the setting at fault.
func ParseTrust(data []byte) (Trust, error) {
	if len(data) > maxTrustDocument {
		return Trust{}, fmt.Errorf("registry trust document is %d bytes, larger than %d", len(data), maxTrustDocument)
	}
	var t Trust
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return Trust{}, fmt.Errorf("parse registry trust document: %w", trustJSONError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Trust{}, errors.New("parse registry trust document: data after the JSON object")
	}
	// The module settings spell capabilities as Deckhouse enums do (Pull,
	// Resolve); containerd's hosts.toml spells them in lower case.
	for i := range t.Mirrors {
		for j := range t.Mirrors[i].Endpoints {
			caps := t.Mirrors[i].Endpoints[j].Capabilities
			for k := range caps {
				caps[k] = strings.ToLower(caps[k])
			}
		}
	}
	if err := t.Validate(); err != nil {
		return Trust{}, err
	}
	return t, nil
}

// trustJSONError names the field or offset of a decoding error, as jsonError
// does, and also an unknown field or a cut document.
func trustJSONError(err error) error {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("incomplete json")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// The field name is part of the document the operator wrote.
		return fmt.Errorf("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return jsonError(err)
}

// Validate reports every invalid value, each named by its setting.
func (t Trust) Validate() error {
	var errs []error
	if t.CA != "" {
		if _, err := parseCerts(t.CA); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", settingCA, err))
		}
	}
	for i, h := range t.InsecureRegistries {
		if !validHost(h) {
			errs = append(errs, fmt.Errorf("%s[%d] %q: want host or host:port", settingInsecure, i, h))
		}
	}
	seen := map[string]int{}
	for i, m := range t.Mirrors {
		at := fmt.Sprintf("%s[%d]", settingMirrors, i)
		reg := canonicalRegistry(m.Registry)
		switch {
		case m.Registry != defaultMirrorRegistry && (!validHost(m.Registry) || reg == defaultMirrorRegistry):
			errs = append(errs, fmt.Errorf("%s.registry %q: want a registry host (host or host:port, as in image names) or %s",
				at, m.Registry, defaultMirrorRegistry))
		case seen[reg] > 0:
			errs = append(errs, fmt.Errorf("%s.registry %q: also listed as %s[%d]: merge the endpoints into one entry",
				at, m.Registry, settingMirrors, seen[reg]-1))
		default:
			seen[reg] = i + 1
		}
		if len(m.Endpoints) == 0 {
			errs = append(errs, fmt.Errorf("%s.endpoints is empty: list at least one endpoint or remove the entry", at))
		}
		for j, e := range m.Endpoints {
			if err := e.validate(); err != nil {
				errs = append(errs, fmt.Errorf("%s.endpoints[%d]: %w", at, j, err))
			}
		}
	}
	return errors.Join(errs...)
}

func (e Endpoint) validate() error {
	var errs []error
	if _, err := parseEndpointURL(e.URL); err != nil {
		errs = append(errs, err)
	}
	if e.CA != "" {
		if _, err := parseCerts(e.CA); err != nil {
			errs = append(errs, fmt.Errorf("ca: %w", err))
		}
	}
	for _, c := range e.Capabilities {
		if c != CapabilityPull && c != CapabilityResolve && c != CapabilityPush {
			errs = append(errs, fmt.Errorf("capability %q: want %s, %s or %s", truncateText(c, 32),
				CapabilityPull, CapabilityResolve, CapabilityPush))
		}
	}
	if len(e.Capabilities) > 0 && !slices.Contains(e.Capabilities, CapabilityPull) &&
		!slices.Contains(e.Capabilities, CapabilityResolve) {
		errs = append(errs, errors.New("capabilities: want pull and/or resolve, or none for both"))
	}
	return errors.Join(errs...)
}

// parseEndpointURL checks an endpoint URL. Its text is quoted only when it
// holds no user info, which could be a password.
func parseEndpointURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("url: not a valid URL: want http(s)://host[:port][/path]")
	}
	switch {
	case u.User != nil:
		return nil, errors.New("url: must not hold user info: credentials come from the pod's imagePullSecrets")
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("url %q: want an http or https URL", truncateText(raw, 128))
	case u.Host == "" || !validHost(u.Host):
		return nil, fmt.Errorf("url %q: want http(s)://host[:port][/path]", truncateText(raw, 128))
	case u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return nil, fmt.Errorf("url %q: must not have a query or fragment", truncateText(raw, 128))
	}
	return u, nil
}

// apiRoot is the path an endpoint serves the registry API under, as
// containerd computes it: the URL path, cleaned, with /v2 appended unless
// it already ends with it or OverridePath is set.
func (e Endpoint) apiRoot(u *url.URL) string {
	p := ""
	if u.Path != "" {
		p = path.Clean(u.Path)
	}
	if p == "/" {
		p = ""
	}
	if !e.OverridePath && !strings.HasSuffix(p, "/v2") {
		p += "/v2"
	}
	return p
}

// can reports whether the endpoint has the capability; none listed means
// pull and resolve.
func (e Endpoint) can(capability string) bool {
	return len(e.Capabilities) == 0 || slices.Contains(e.Capabilities, capability)
}

// ValidateCA checks a PEM bundle of CA certificates the way Trust.Validate
// checks imageRegistries.ca.
func ValidateCA(bundle string) error {
	_, err := parseCerts(bundle)
	return err
}

// parseCerts reads a PEM bundle of certificates: every block must be a
// certificate that parses, and nothing but whitespace may follow the last.
// Errors never quote the bundle (an operator may paste a key by mistake).
func parseCerts(bundle string) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := []byte(bundle)
	for i := 0; ; i++ {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("PEM block %d is a %s, want only CERTIFICATE blocks", i+1, truncateText(b.Type, 32))
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d is not a valid certificate", i+1)
		}
		certs = append(certs, c)
	}
	switch {
	case len(certs) == 0:
		return nil, errors.New("holds no PEM certificate")
	case len(bytes.TrimSpace(rest)) > 0:
		return nil, errors.New("holds data that is not PEM after the last certificate")
	}
	return certs, nil
}

// validHost accepts "host" or "host:port" as written in image names.
func validHost(h string) bool {
	return h != "" && h == strings.TrimSpace(h) && !strings.ContainsAny(h, "/ \\@?#") && len(h) <= 255
}

// canonicalRegistry is the key of a registry in Trust.Mirrors: lowercase,
// Docker Hub's names folded into docker.io.
func canonicalRegistry(h string) string {
	if h == defaultMirrorRegistry {
		return h
	}
	return canonicalHost(h)
}

// truncateText bounds a quoted value of the operator's document.
func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
