// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// hostileRegistry is a TLS server playing a registry chosen by whoever
// creates the pod: handle answers every request but the /v2/ ping, and the
// server counts the manifest and blob requests in progress.
type hostileRegistry struct {
	srv      *httptest.Server
	host     string
	inFlight atomic.Int64
	maxSeen  atomic.Int64
	requests atomic.Int64
}

func newHostileRegistry(t *testing.T, handle http.HandlerFunc) *hostileRegistry {
	t.Helper()
	h := &hostileRegistry{}
	h.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			w.WriteHeader(http.StatusOK)
			return
		}
		h.requests.Add(1)
		n := h.inFlight.Add(1)
		defer h.inFlight.Add(-1)
		for {
			m := h.maxSeen.Load()
			if n <= m || h.maxSeen.CompareAndSwap(m, n) {
				break
			}
		}
		handle(w, r)
	}))
	h.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	h.srv.StartTLS()
	t.Cleanup(h.srv.Close)
	h.host = strings.TrimPrefix(h.srv.URL, "https://")
	return h
}

// resolver trusts the server's certificate.
func (h *hostileRegistry) resolver(t *testing.T, cfg Config, opts ...Option) *Resolver {
	t.Helper()
	cfg.Trust.CA = string(certPEM(h.srv))
	r, err := New(newFakeSecrets(), cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// certPEM is the PEM of a test server's self-signed certificate.
func certPEM(srv *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

// hold keeps a request open until the client gives up.
func hold(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

// stream writes n bytes of JSON-ish filler in chunks without a
// Content-Length, stopping when the client goes away.
func stream(w http.ResponseWriter, n int64) {
	chunk := []byte(strings.Repeat(" ", 32<<10))
	for n > 0 {
		c := chunk[:min(int64(len(chunk)), n)]
		if _, err := w.Write(c); err != nil {
			return
		}
		n -= int64(len(c))
	}
}

// manifestFor returns an OCI manifest naming a config of the given size,
// and its digest.
func manifestFor(configSize int64) ([]byte, string) {
	cfgDigest := "sha256:" + strings.Repeat("ab", 32)
	m := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},"layers":[]}`,
		cfgDigest, configSize)
	sum := sha256.Sum256([]byte(m))
	return []byte(m), "sha256:" + hex.EncodeToString(sum[:])
}

// eventually polls cond until it holds or the bound passes; the bound is a
// safety net for a broken build, not a timing assertion.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitQuiet lets goroutines that would start further requests run; the
// assertions after it hold whatever the machine's speed.
func waitQuiet() { time.Sleep(200 * time.Millisecond) }

func withTimeout(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}
