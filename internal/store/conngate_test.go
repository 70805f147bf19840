// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// burstPaths makes n more KV v1 paths readable by myapp-role.
func burstPaths(f *fakeVault, n int) []string {
	paths := make([]string, n)
	f.set(func(f *fakeVault) {
		role := f.roles["myapp-role"]
		for i := range paths {
			paths[i] = fmt.Sprintf("kv1/burst-%d", i)
			f.v1[paths[i]] = map[string]any{"k": fmt.Sprint(i)}
			role.paths = append(role.paths, paths[i])
		}
		f.roles["myapp-role"] = role
	})
	return paths
}

// readTogether reads paths at once and fails the test on any error.
func readTogether(t *testing.T, c *Client, paths []string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(paths))
	for i, p := range paths {
		wg.Go(func() { _, errs[i] = c.Read(t.Context(), appLogin(), p, 0) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// http2FakeVault is a fake store over HTTP/2 and the count of the
// connections it accepted, whether or not they served a request.
func http2FakeVault(t *testing.T) (*fakeVault, *atomic.Int32) {
	t.Helper()
	var conns atomic.Int32
	f := newFakeVault(t, func(s *httptest.Server) {
		s.EnableHTTP2 = true
		s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				conns.Add(1)
			}
		}
	})
	return f, &conns
}

// loginThenBurst logs in with one read, closes the client's idle
// connections and reads paths together.
func loginThenBurst(t *testing.T, c *Client, paths []string) {
	t.Helper()
	if _, err := c.Read(t.Context(), appLogin(), "kv1/app", 0); err != nil {
		t.Fatal(err)
	}
	c.CloseIdleConnections()
	readTogether(t, c, paths)
}

// TestBurstSharesOneConnection: reads sent together while no connection is
// open make one connection over HTTP/2, not one each.
func TestBurstSharesOneConnection(t *testing.T) {
	f, conns := http2FakeVault(t)
	paths := burstPaths(f, 20)
	c, err := New(f.config())
	if err != nil {
		t.Fatal(err)
	}
	loginThenBurst(t, c, paths)
	c.gate.mu.Lock()
	left := len(c.gate.hosts)
	c.gate.mu.Unlock()
	if left != 0 {
		t.Errorf("the gate keeps %d hosts with nothing in flight, want 0", left)
	}
	if got := conns.Load(); got != 2 {
		t.Errorf("got %d connections, want 2: one for the login, one for the %d reads together", got, len(paths))
	}
}

// TestBurstThroughStandby: a burst sent to a standby that redirects every
// request to the active node opens one connection there too.
func TestBurstThroughStandby(t *testing.T) {
	f, activeConns := http2FakeVault(t)
	paths := burstPaths(f, 20)
	standby := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, f.srv.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	standby.EnableHTTP2 = true
	standby.StartTLS() // the same test certificate as the fake's
	t.Cleanup(standby.Close)
	cfg := f.config()
	cfg.Address = standby.URL
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	loginThenBurst(t, c, paths)
	if got := activeConns.Load(); got != 2 {
		t.Errorf("the active node got %d connections, want 2: one for the login, one for the %d reads together", got, len(paths))
	}
}

// TestBurstOverHTTP1: over HTTP/1.1 the reads held back for the first
// connection still run in parallel, each on a connection of its own.
func TestBurstOverHTTP1(t *testing.T) {
	const together = 5
	var (
		inFlight, most atomic.Int32
		alone          atomic.Bool // a read gave up waiting for others to run with it
		enough         = make(chan struct{})
		once           sync.Once
	)
	f := newFakeVault(t, func(s *httptest.Server) {
		serve := s.Config.Handler
		s.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.Contains(r.URL.Path, "burst") {
				serve.ServeHTTP(w, r)
				return
			}
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			raise(&most, n)
			if n >= together {
				once.Do(func() { close(enough) })
			}
			select { // hold each read until enough run at once, or give up after a while
			case <-enough:
			case <-time.After(2 * time.Second):
				alone.Store(true)
			}
			serve.ServeHTTP(w, r)
		})
	})
	paths := burstPaths(f, 10)
	c, err := New(f.config())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(t.Context(), appLogin(), "kv1/app", 0); err != nil {
		t.Fatal(err)
	}
	c.CloseIdleConnections()
	readTogether(t, c, paths)
	if alone.Load() {
		t.Error("a read waited alone for the others: they waited for the first one's answer, not for its connection")
	}
	if got := most.Load(); got < together {
		t.Errorf("at most %d requests were in flight at once, want %d or more: the gate serialized HTTP/1.1", got, together)
	}
}

// raise sets a to n when n is larger.
func raise(a *atomic.Int32, n int32) {
	for {
		m := a.Load()
		if n <= m || a.CompareAndSwap(m, n) {
			return
		}
	}
}

// TestBurstAgainstFailingStore: when the first request cannot connect (here
// the store closes every connection before the TLS handshake), the others
// fail with its error: one connection attempt, not one per request.
func TestBurstAgainstFailingStore(t *testing.T) {
	var lc net.ListenConfig
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	// The store closes the first connection only once every request has
	// been made, and a little later, so that they all meet the first one
	// in flight even on a loaded machine; a request made after the first
	// has failed is a new burst, with a connection attempt of its own.
	var started sync.WaitGroup
	started.Add(n)
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if accepted.Add(1) == 1 {
				started.Wait()
				time.Sleep(100 * time.Millisecond)
			}
			_ = c.Close()
		}
	}()
	t.Cleanup(func() { _ = ln.Close() })
	c, err := New(Config{Address: "https://" + ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		l := appLogin()
		l.ServiceAccount = fmt.Sprintf("myapp-namespace/sa-%d", i) // a login each: n requests at once
		wg.Go(func() {
			started.Done()
			_, errs[i] = c.Read(t.Context(), l, "kv1/app", 0)
		})
	}
	wg.Wait()
	if got := accepted.Load(); got != 1 {
		t.Errorf("the store saw %d connection attempts, want 1", got)
	}
	held := 0
	for i, err := range errs {
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("read %d: %v; want ErrUnavailable", i, err)
		}
		if errors.Is(err, errNoConnection) {
			held++
		}
	}
	if held != n-1 {
		t.Errorf("%d requests failed without being sent, want %d (all but the first)", held, n-1)
	}
}

// TestGatePassesTurn: a first request that ended because its caller gave
// up passes the turn to a request it held back; one that had a connection
// releases the others; one that could not connect fails them.
func TestGatePassesTurn(t *testing.T) {
	dialErr := &url.Error{Op: "Get", URL: "https://store/v1/x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
	for _, tt := range []struct {
		name      string
		end       func(ctx context.Context, cancel context.CancelFunc, sent func(error))
		wantErr   error // for the request held back
		wantFirst bool  // the request held back goes first next
		anyFirst  bool  // whether it goes first depends on timing
	}{
		{
			name: "caller gave up",
			end: func(_ context.Context, cancel context.CancelFunc, sent func(error)) {
				cancel()
				sent(&url.Error{Op: "Get", URL: "https://store/v1/x", Err: context.Canceled})
			},
			wantFirst: true,
		},
		{
			name: "its deadline passed",
			end: func(_ context.Context, cancel context.CancelFunc, sent func(error)) {
				cancel() // as a deadline would: its context ended
				sent(&url.Error{Op: "Get", URL: "https://store/v1/x", Err: context.DeadlineExceeded})
			},
			wantFirst: true,
		},
		{
			name: "got a connection",
			end: func(ctx context.Context, _ context.CancelFunc, sent func(error)) {
				httptrace.ContextClientTrace(ctx).GotConn(httptrace.GotConnInfo{})
				sent(nil)
			},
			// It goes on at once, counted with the first while that is still in
			// flight, or first in turn once that has ended: either is right.
			anyFirst: true,
		},
		{
			name: "could not connect",
			end: func(_ context.Context, _ context.CancelFunc, sent func(error)) {
				sent(dialErr)
			},
			wantErr: errNoConnection,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var g connGate
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			firstCtx, sent, err := g.enter(ctx, "store")
			if err != nil {
				t.Fatal(err)
			}
			type result struct {
				err   error
				first bool
			}
			held := make(chan result, 1)
			go func() {
				_, _, err := g.enter(t.Context(), "store")
				g.mu.Lock()
				first := g.hosts["store"] != nil && g.hosts["store"].first != nil
				g.mu.Unlock()
				held <- result{err, first}
			}()
			select {
			case r := <-held:
				t.Fatalf("the second request went on (%v) before the first ended", r.err)
			case <-time.After(50 * time.Millisecond):
			}
			tt.end(firstCtx, cancel, sent)
			r := <-held
			switch {
			case tt.wantErr == nil && r.err != nil:
				t.Fatalf("the request held back got %v, want to go on", r.err)
			case tt.wantErr != nil && !errors.Is(r.err, tt.wantErr):
				t.Fatalf("the request held back got %v, want %v", r.err, tt.wantErr)
			case tt.wantErr != nil:
				var ne net.Error
				if !errors.As(r.err, &ne) {
					t.Errorf("error %v: want the first request's net.Error inside", r.err)
				}
			}
			if !tt.anyFirst && r.first != tt.wantFirst {
				t.Errorf("the request held back goes first: %v, want %v", r.first, tt.wantFirst)
			}
		})
	}
}
