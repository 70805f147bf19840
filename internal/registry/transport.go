package registry

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// maxResponseBody bounds every registry response body. Manifests are at most
// 4 MiB by the distribution spec and image configs are far smaller; the
// bound keeps a hostile registry named in a pod from exhausting the
// webhook's memory.
const maxResponseBody = 8 << 20

var (
	errPlainHTTP    = errors.New("plain http refused: the registry is not listed as insecure")
	errBodyTooLarge = fmt.Errorf("registry response larger than %d bytes", maxResponseBody)
)

// hostPolicy routes registry requests: hosts listed as insecure may use
// plain http and unverified TLS; every other host must use https with a
// verified certificate. go-containerregistry falls back to plain http on
// its own for loopback and private (RFC 1918) addresses; this transport
// refuses that fallback unless the host was listed explicitly.
type hostPolicy struct {
	verified   http.RoundTripper
	unverified http.RoundTripper // nil when no host is insecure
	insecure   map[string]bool   // lowercase host[:port]
}

func newTransport(caBundle []byte, insecure map[string]bool) (*hostPolicy, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if len(caBundle) > 0 && !pool.AppendCertsFromPEM(caBundle) {
		return nil, errors.New("registry ca bundle holds no PEM certificate")
	}
	// http.DefaultTransport's settings, with the pool and a larger idle
	// pool per registry host.
	base := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}
	h := &hostPolicy{verified: base, insecure: insecure}
	if len(insecure) > 0 {
		u := base.Clone()
		// Explicit per-registry opt-in (--insecure-registries), as with
		// containerd's and docker's insecure registries.
		u.TLSClientConfig = &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12} //nolint:gosec // explicit per-registry opt-in
		h.unverified = u
	}
	return h, nil
}

// RoundTrip implements http.RoundTripper.
func (h *hostPolicy) RoundTrip(req *http.Request) (*http.Response, error) {
	rt := h.verified
	switch {
	case h.insecure[strings.ToLower(req.URL.Host)]:
		rt = h.unverified
	case req.URL.Scheme != "https":
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), errPlainHTTP)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{rc: resp.Body, left: maxResponseBody}
	return resp, nil
}

// limitedBody fails a read past the bound instead of truncating silently.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// Probe for one more byte: a body of exactly the bound is fine.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, errBodyTooLarge
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

func (b *limitedBody) Close() error { return b.rc.Close() }
