// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package httpone

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fixture is an httptest server whose handler answers by path:
//
//	/chunked      the default body, flushed in three parts (chunked coding)
//	/close        the default body with "Connection: close"
//	/drop         first hit per method: no response, the server closes its
//	              side (EOF for the client); later hits: the default body
//	/dropall      every hit: no response, the server closes its side
//	/big?n=N      N bytes, with Content-Length, or chunked with &chunked=1
//	/status/N     status N, no body
//	/stall        blocks until the test ends, after signaling stalled
//	/slow         the default body after 2 ms
//	anything else "METHOD request-target", with Content-Length
type fixture struct {
	srv     *httptest.Server
	conns   atomic.Int32  // connections accepted
	resumed atomic.Int32  // requests over a resumed TLS session
	stalled chan struct{} // gets a value when /stall blocks
	release chan struct{} // closed when the test ends: unblocks /stall
	mu      sync.Mutex
	hits    map[string]int // by "METHOD /path"
}

func newFixture(t *testing.T, useTLS bool) *fixture {
	t.Helper()
	f := &fixture{hits: map[string]int{}, stalled: make(chan struct{}, 1), release: make(chan struct{})}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.conns.Add(1)
		}
	}
	if useTLS {
		f.srv.StartTLS()
	} else {
		f.srv.Start()
	}
	// Cleanups run last in, first out: /stall handlers return before
	// srv.Close waits for them.
	t.Cleanup(f.srv.Close)
	t.Cleanup(func() { close(f.release) })
	return f
}

// client returns a client of f's server; with TLS it trusts the test
// certificate, whose names are 127.0.0.1, ::1 and example.com.
func (f *fixture) client(t *testing.T) *Client {
	t.Helper()
	c := &Client{Addr: f.srv.Listener.Addr().String(), Host: "store.test"}
	if f.srv.TLS != nil {
		tr, ok := f.srv.Client().Transport.(*http.Transport)
		if !ok {
			t.Fatalf("test server transport is %T", f.srv.Client().Transport)
		}
		c.TLS = &tls.Config{RootCAs: tr.TLSClientConfig.RootCAs, ServerName: "example.com"}
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func (f *fixture) hit(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[key]
}

func (f *fixture) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.hits[r.Method+" "+r.URL.Path]++
	n := f.hits[r.Method+" "+r.URL.Path]
	f.mu.Unlock()
	if r.TLS != nil && r.TLS.DidResume {
		f.resumed.Add(1)
	}
	body := r.Method + " " + r.URL.RequestURI()
	switch path := r.URL.Path; {
	case path == "/chunked":
		writeFlushed(w, body)
	case path == "/close":
		w.Header().Set("Connection", "close")
		writeLength(w, body)
	case path == "/drop" && n == 1, path == "/dropall":
		drop(w)
	case path == "/big":
		size, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if r.URL.Query().Get("chunked") == "1" {
			writeFlushed(w, strings.Repeat("b", size))
		} else {
			writeLength(w, strings.Repeat("b", size))
		}
	case strings.HasPrefix(path, "/status/"):
		code, _ := strconv.Atoi(strings.TrimPrefix(path, "/status/"))
		w.WriteHeader(code)
	case path == "/slow":
		time.Sleep(2 * time.Millisecond)
		writeLength(w, body)
	case path == "/stall":
		select {
		case f.stalled <- struct{}{}:
		default:
		}
		<-f.release
	default:
		writeLength(w, body)
	}
}

func writeLength(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = io.WriteString(w, body)
}

func writeFlushed(w http.ResponseWriter, body string) {
	rc := http.NewResponseController(w)
	third := len(body) / 3
	for _, part := range []string{body[:third], body[third : 2*third], body[2*third:]} {
		_, _ = io.WriteString(w, part)
		_ = rc.Flush()
	}
}

// drop takes the connection over and closes its sending side without a
// response; it closes the connection when the client has closed its own.
// Closing it outright could make the kernel reset it, and a reset may
// discard responses the client has not read yet.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_, _ = io.Copy(io.Discard, conn)
	_ = conn.Close()
}

// countWrites makes c count the writes on the connections it dials.
func countWrites(c *Client, writes *atomic.Int32) {
	c.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return writeCounter{Conn: conn, writes: writes}, nil
	}
}

type writeCounter struct {
	net.Conn
	writes *atomic.Int32
}

func (w writeCounter) Write(p []byte) (int, error) {
	w.writes.Add(1)
	return w.Conn.Write(p)
}

// gets returns GET requests for targets.
func gets(targets ...string) []Request {
	reqs := make([]Request, len(targets))
	for i, target := range targets {
		reqs[i] = Request{Method: "GET", Target: target}
	}
	return reqs
}

// checkBodies checks that every response has the status and body the
// fixture gives its request: 200 and "METHOD target" (no body for HEAD), or
// status N and no body for /status/N.
func checkBodies(t *testing.T, reqs []Request, resps []Response) {
	t.Helper()
	if len(resps) != len(reqs) {
		t.Fatalf("%d responses to %d requests", len(resps), len(reqs))
	}
	for i, r := range reqs {
		status, body := 200, r.Method+" "+r.Target
		if code, ok := strings.CutPrefix(r.Target, "/status/"); ok {
			status, _ = strconv.Atoi(code)
			body = ""
		}
		if r.Method == "HEAD" {
			body = ""
		}
		if resps[i].Status != status || string(resps[i].Body) != body {
			t.Errorf("response %d: %d %q, want %d %q", i+1, resps[i].Status, resps[i].Body, status, body)
		}
	}
}
