// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestReadsShareOneNewConnection: when the store has closed the client's
// connection (its idle limit is shorter than the poll period), the reads of
// the next poll open one connection together, over HTTP/2 as with OpenBao
// and Vault, not one each.
func TestReadsShareOneNewConnection(t *testing.T) {
	var (
		mu    sync.Mutex
		conns int
	)
	f := newFakeStore(t, func(s *httptest.Server) {
		s.EnableHTTP2 = true
		s.Config.IdleTimeout = storeIdle
		s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				mu.Lock()
				conns++
				mu.Unlock()
			}
		}
	})
	var sources []source
	for i := range MaxConcurrentReads {
		p := "demo-kv/data/p" + strconv.Itoa(i)
		f.secrets[p] = map[string]string{"K": "v"}
		sources = append(sources, source{path: p})
	}
	cfg, err := ParseConfig(storeEnv(t, f))
	if err != nil {
		t.Fatal(err)
	}
	r, err := newStoreReader(cfg.Store)
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return conns
	}
	// The first poll logs in too.
	for poll := range 3 {
		before := count()
		got := readAll(t.Context(), r, cfg.Login(), sources, make(chan struct{}, MaxConcurrentReads), slog.New(slog.DiscardHandler))
		for s, g := range got {
			if g.err != nil {
				t.Fatalf("poll %d, read %s: %v", poll, s.path, g.err)
			}
		}
		if n := count() - before; n != 1 {
			t.Errorf("poll %d: got %d new connections for %d reads, want 1", poll, n, len(sources))
		}
		time.Sleep(4 * storeIdle) // the store closes the connection
	}
}

// storeIdle is the fake store's idle limit.
const storeIdle = 100 * time.Millisecond
