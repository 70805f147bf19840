// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// What the fake store accepts and hands out; distinctive so that a test can
// prove none of them reaches the injector's output.
const (
	storeJWT   = "eyJhbGciOiJSUzI1NiJ9.JWT-SECRET.sig"
	storeToken = "hvs.TOKEN-SECRET-1"
	storeRole  = "myapp-role"
	storeAuth  = "kubernetes_local"
)

// fakeStore is a minimal TLS store: Kubernetes auth login, the mounts lookup
// (one KV v2 mount, demo-kv/), KV v2 reads of the latest version and
// token revocation (counted; the one token stays valid). A path
// under demo-kv/data/denied/ answers 403.
type fakeStore struct {
	srv     *httptest.Server
	secrets map[string]map[string]string // API path -> data

	mu      sync.Mutex
	reads   map[string]int
	revokes int // auth/token/revoke-self requests
}

// setup, if any, changes the server before it starts.
func newFakeStore(t *testing.T, setup ...func(*httptest.Server)) *fakeStore {
	t.Helper()
	f := &fakeStore{
		secrets: map[string]map[string]string{
			"demo-kv/data/app":    {"DB_PASS": secretPass, "DB_USER": secretUser},
			"demo-kv/data/common": {"COMMON": secretCommon, "DB_USER": "VALUE-SECRET-common-user"},
		},
		reads: map[string]int{},
	}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are expected in TLS tests
	for _, fn := range setup {
		fn(f.srv)
	}
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)
	return f
}

// caPEM is the server certificate as a PEM CA bundle.
func (f *fakeStore) caPEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw}))
}

func (f *fakeStore) readCount(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads[path]
}

// setSecret replaces the data at an API path.
func (f *fakeStore) setSecret(path string, data map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secrets[path] = data
}

func (f *fakeStore) revokeCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.revokes
}

func (f *fakeStore) serve(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/v1/")
	if p == "auth/"+storeAuth+"/login" {
		var body struct{ Role, JWT string }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Role != storeRole || body.JWT != storeJWT {
			// Echo the JWT as a careless server might: the client must redact it.
			reply(w, http.StatusForbidden, map[string]any{"errors": []string{"permission denied for jwt " + body.JWT}})
			return
		}
		reply(w, http.StatusOK, map[string]any{"auth": map[string]any{
			"client_token": storeToken, "accessor": "accessor-1", "lease_duration": 600,
		}})
		return
	}
	if r.Header.Get("X-Vault-Token") != storeToken {
		reply(w, http.StatusForbidden, map[string]any{"errors": []string{"permission denied"}})
		return
	}
	if p == "auth/token/revoke-self" {
		f.mu.Lock()
		f.revokes++
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if m, ok := strings.CutPrefix(p, "sys/internal/ui/mounts/"); ok {
		if !strings.HasPrefix(m, "demo-kv/") {
			reply(w, http.StatusBadRequest, map[string]any{"errors": []string{"no mount"}})
			return
		}
		reply(w, http.StatusOK, map[string]any{"data": map[string]any{
			"path": "demo-kv/", "type": "kv", "options": map[string]any{"version": "2"},
		}})
		return
	}
	f.mu.Lock()
	f.reads[p]++
	f.mu.Unlock()
	if strings.HasPrefix(p, "demo-kv/data/denied/") {
		reply(w, http.StatusForbidden, map[string]any{"errors": []string{"1 error occurred:\n\t* permission denied\n\n"}})
		return
	}
	f.mu.Lock()
	data, ok := f.secrets[p]
	f.mu.Unlock()
	if !ok {
		reply(w, http.StatusNotFound, map[string]any{"errors": []string{}})
		return
	}
	reply(w, http.StatusOK, map[string]any{"data": map[string]any{
		"data": data, "metadata": map[string]any{"version": 1, "deletion_time": "", "destroyed": false},
	}})
}

func reply(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
