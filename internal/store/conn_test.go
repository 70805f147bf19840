// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// connLog records, on the fake store's side, each connection that starts
// serving requests and whether its TLS session was resumed.
type connLog struct {
	mu      sync.Mutex
	seen    map[net.Conn]bool
	resumed []bool // by connection, in the order they served a first request
}

func (l *connLog) setup(s *httptest.Server) {
	s.Config.ConnState = func(c net.Conn, st http.ConnState) {
		tc, ok := c.(*tls.Conn)
		if st != http.StateActive || !ok {
			return
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		// HTTP/2 marks a connection active again after each idle spell.
		if l.seen[c] {
			return
		}
		if l.seen == nil {
			l.seen = map[net.Conn]bool{}
		}
		l.seen[c] = true
		l.resumed = append(l.resumed, tc.ConnectionState().DidResume)
	}
}

// conns is how many connections served requests, and which resumed.
func (l *connLog) conns() []bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.resumed)
}

// TestNewConnectionResumesSession: once the store has closed a client's
// connection, the next one resumes the TLS session (no certificate sent and
// verified again).
func TestNewConnectionResumesSession(t *testing.T) {
	var l connLog
	f := newFakeVault(t, l.setup)
	c, err := New(f.config())
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"kv1/app", "demo-kv/data/myapp-secret"} {
		if _, err := c.Read(t.Context(), appLogin(), path, 0); err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		f.srv.CloseClientConnections()
	}
	if got := l.conns(); !slices.Equal(got, []bool{false, true}) {
		t.Errorf("got connections resumed %v, want [false true]: a full handshake, then a resumed one", got)
	}
}

// TestIdleTimeout: a connection unused for longer than IdleTimeout is
// closed and the next request opens another; within it, the connection is
// used again.
func TestIdleTimeout(t *testing.T) {
	for _, tt := range []struct {
		name      string
		idle      time.Duration
		wantConns int
	}{
		{name: "kept", idle: time.Hour, wantConns: 1},
		{name: "closed when idle", idle: 20 * time.Millisecond, wantConns: 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var l connLog
			f := newFakeVault(t, l.setup)
			cfg := f.config()
			cfg.IdleTimeout = tt.idle
			c, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Read(t.Context(), appLogin(), "kv1/app", 0); err != nil {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond) // 10 times the short idle timeout
			if _, err := c.Read(t.Context(), appLogin(), "kv1/app", 0); err != nil {
				t.Fatal(err)
			}
			if got := len(l.conns()); got != tt.wantConns {
				t.Errorf("got %d connections, want %d", got, tt.wantConns)
			}
		})
	}
}
