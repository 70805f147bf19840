// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncctl

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Values a test looks for in logs, events and status: none may appear.
const (
	valueTLSKey = "VALUE-SECRET-tls-key"
	valuePass   = "VALUE-SECRET-db-pass"
	valueUser   = "VALUE-SECRET-db-user"
	jwtPrefix   = "JWT-SECRET-"
	tokenPrefix = "hvs.TOKEN-SECRET-"
)

// memStore is a small Vault over plain HTTP: Kubernetes auth that accepts
// any JWT minted by the fake TokenRequest (it records the ServiceAccount the
// JWT names), KV v2 secrets, a leasing engine under "db/creds/", and lease
// renewals. It counts requests by kind.
type memStore struct {
	srv *httptest.Server

	mu       sync.Mutex
	kv       map[string]map[string]any // API path (with data/) -> data
	leaseTTL int                       // seconds, of db/creds reads
	renewTTL int                       // seconds granted by a renewal
	down     bool                      // answer 503 to everything
	denied   map[string]bool           // paths that answer 403
	n        map[string]int            // "login", "read", "renew", "login:<ns/sa>"
	leases   int
}

func newMemStore(t *testing.T) *memStore {
	t.Helper()
	m := &memStore{kv: map[string]map[string]any{}, denied: map[string]bool{}, n: map[string]int{}, leaseTTL: 60, renewTTL: 60}
	m.srv = httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *memStore) set(path string, data map[string]any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.kv[path] = data
}

func (m *memStore) count(kind string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n[kind]
}

func (m *memStore) setDown(down bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.down = down
}

func (m *memStore) serve(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := strings.TrimPrefix(r.URL.Path, "/v1/")
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	if m.down {
		reply(http.StatusServiceUnavailable, map[string]any{"errors": []string{"sealed"}})
		return
	}
	switch {
	case strings.HasPrefix(p, "auth/") && strings.HasSuffix(p, "/login"):
		var body struct{ Role, JWT string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		sa, ok := strings.CutPrefix(body.JWT, jwtPrefix)
		if !ok {
			reply(http.StatusForbidden, map[string]any{"errors": []string{"permission denied"}})
			return
		}
		m.n["login"]++
		m.n["login:"+sa]++
		reply(http.StatusOK, map[string]any{"auth": map[string]any{
			"client_token": tokenPrefix + sa, "accessor": "acc", "lease_duration": 3600, "renewable": true,
		}})
	case p == "sys/leases/renew":
		m.n["renew"]++
		reply(http.StatusOK, map[string]any{"lease_id": "db/creds/app/l", "lease_duration": m.renewTTL, "renewable": true})
	case m.denied[p]:
		reply(http.StatusForbidden, map[string]any{"errors": []string{"permission denied"}})
	case strings.HasPrefix(p, "db/creds/"):
		m.n["read"]++
		m.leases++
		reply(http.StatusOK, map[string]any{
			"lease_id": "db/creds/app/l", "lease_duration": m.leaseTTL, "renewable": true,
			"data": map[string]any{"username": valueUser + string(rune('a'+m.leases)), "password": valuePass},
		})
	default:
		m.n["read"]++
		data, ok := m.kv[p]
		if !ok {
			reply(http.StatusNotFound, map[string]any{"errors": []string{}})
			return
		}
		reply(http.StatusOK, map[string]any{"data": map[string]any{"data": data, "metadata": map[string]any{"version": 1}}})
	}
}
