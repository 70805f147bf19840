// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Bounds of registry response bodies. The registry is chosen by whoever
// creates the pod, so every body is read through a limit checked while
// reading (a Content-Length above it fails before the body is read). See
// the package comment for how the figures were chosen.
const (
	// MaxManifestBytes bounds a manifest or image index.
	MaxManifestBytes = 1 << 20
	// MaxConfigBytes bounds an image config blob.
	MaxConfigBytes = 1 << 20
	// maxAuxBytes bounds every other body: the /v2/ ping, token realm
	// answers and error pages (go-containerregistry reads at most 64 KiB of
	// those too).
	maxAuxBytes = 64 << 10
	// realmTimeout bounds one request that is not part of the registry API
	// (a token realm), within the lookup's own Config.Timeout.
	realmTimeout = 3 * time.Second
)

var (
	errPlainHTTP    = errors.New("plain http refused: the registry is not listed as insecure")
	errBodyTooLarge = errors.New("registry response too large")
)

// tooLargeError says which body went past which bound; it matches
// errBodyTooLarge.
type tooLargeError struct {
	what  string
	limit int64
}

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("the %s is larger than %d bytes, the most this webhook reads", e.what, e.limit)
}

func (e *tooLargeError) Is(target error) bool { return target == errBodyTooLarge }

// bodyLimit returns the bound of the body of req's response and what it
// is, from the path go-containerregistry built for the request req comes
// from (a blob is often redirected to a storage URL of another shape).
func bodyLimit(req *http.Request) (string, int64) {
	switch p := origin(req).URL.Path; {
	case strings.Contains(p, "/manifests/"):
		return "manifest", MaxManifestBytes
	case strings.Contains(p, "/blobs/"):
		return "image config", MaxConfigBytes
	}
	return "registry response", maxAuxBytes
}

// isAPIRequest reports requests of the registry API itself (ping,
// manifests, blobs, and redirects of those), as opposed to token realm
// requests: those carry a scope or are POSTs (the OAuth2 flow).
func isAPIRequest(req *http.Request) bool {
	req = origin(req)
	return strings.HasPrefix(req.URL.Path, "/v2/") && req.Method != http.MethodPost && !req.URL.Query().Has("scope")
}

// origin returns the request a chain of redirects started with.
func origin(req *http.Request) *http.Request {
	for req.Response != nil && req.Response.Request != nil {
		req = req.Response.Request
	}
	return req
}

// newHTTPTransport is http.DefaultTransport's settings with the given TLS
// configuration, the guarded dialer and a larger idle pool per host.
func newHTTPTransport(tc *tls.Config) *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           guardedDialer().DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       tc,
	}
}

// certPool is the system pool plus the given PEM bundles, already
// validated by Trust.Validate.
func certPool(bundles ...string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	for _, b := range bundles {
		if b == "" {
			continue
		}
		certs, err := parseCerts(b)
		if err != nil {
			return nil, err
		}
		for _, c := range certs {
			pool.AddCert(c)
		}
	}
	return pool, nil
}

// hostPolicy routes requests to registries themselves: hosts listed as
// insecure may use plain http and unverified TLS; every other host must
// use https with a verified certificate. go-containerregistry falls back
// to plain http on its own for loopback and private (RFC 1918) addresses;
// this transport refuses that fallback unless the host was listed.
type hostPolicy struct {
	verified   http.RoundTripper
	unverified http.RoundTripper // nil when no host is insecure
	insecure   map[string]bool   // lowercase host[:port]
}

func newHostPolicy(pool *x509.CertPool, insecure map[string]bool) *hostPolicy {
	h := &hostPolicy{
		verified: newHTTPTransport(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}),
		insecure: insecure,
	}
	if len(insecure) > 0 {
		// Explicit per-registry opt-in (imageRegistries.insecureRegistries), as
		// with containerd's and docker's insecure registries.
		h.unverified = newHTTPTransport(&tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}) //nolint:gosec // explicit per-registry opt-in
	}
	return h
}

// RoundTrip implements http.RoundTripper.
func (h *hostPolicy) RoundTrip(req *http.Request) (*http.Response, error) {
	rt := h.verified
	switch {
	case h.insecure[strings.ToLower(req.URL.Host)]:
		rt = h.unverified
	case req.URL.Scheme != "https":
		return nil, refusePlain(req)
	}
	return bounded(rt, req, isAPIRequest(req))
}

func refusePlain(req *http.Request) error {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	return fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), errPlainHTTP)
}

// bounded sends req with rt and bounds the response body; a request
// outside the registry API (a token realm) also gets a time bound of its
// own.
func bounded(rt http.RoundTripper, req *http.Request, api bool) (*http.Response, error) {
	cancel := context.CancelFunc(func() {})
	if !api {
		var ctx context.Context
		ctx, cancel = context.WithTimeout(req.Context(), realmTimeout)
		req = req.WithContext(ctx)
	}
	what, limit := bodyLimit(req)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		cancel()
		return nil, err
	}
	if req.Method != http.MethodHead && resp.ContentLength > limit {
		_ = resp.Body.Close()
		cancel()
		return nil, &tooLargeError{what: what, limit: limit}
	}
	resp.Body = &limitedBody{rc: resp.Body, left: limit, what: what, limit: limit, cancel: cancel}
	return resp, nil
}

// limitedBody fails a read past the bound instead of truncating silently.
type limitedBody struct {
	rc          io.ReadCloser
	left, limit int64
	what        string
	cancel      context.CancelFunc // releases a realm request's timer; may be nil
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// Probe for one more byte: a body of exactly the bound is fine.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, &tooLargeError{what: b.what, limit: b.limit}
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error {
	if b.cancel != nil {
		b.cancel()
	}
	return b.rc.Close()
}
