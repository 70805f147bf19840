// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Distinctive values a test can look for in logs and errors.
const (
	jwtApp     = "eyJhbGciOiJSUzI1NiJ9.JWT-SECRET-APP.sig"
	jwtOther   = "eyJhbGciOiJSUzI1NiJ9.JWT-SECRET-OTHER.sig"
	jwtVault   = "eyJhbGciOiJSUzI1NiJ9.JWT-SECRET-AUD-VAULT.sig"
	valuePass  = "VALUE-SECRET-pass-1"
	valueNew   = "VALUE-SECRET-pass-2"
	tokenMark  = "hvs.TOKEN-SECRET-"
	saApp      = "myapp-namespace/myapp-sa"
	saOther    = "myapp-namespace/other-sa"
	secretPath = "demo-kv/data/myapp-secret"
)

// binaryValue holds every byte value, to prove decoding is byte-exact.
var binaryValue = func() []byte {
	b := make([]byte, 512)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}()

type fakeToken struct{ role, sa string }

// fakeStore is a minimal Vault with Kubernetes auth and a KV v2 mount
// "demo-kv/". Every path under "bench-kv/data/" exists (for benchmarks). It
// counts requests by kind and by ServiceAccount.
type fakeStore struct {
	srv    *httptest.Server
	caFile string

	mu      sync.Mutex
	roles   map[string]map[string]string // role -> jwt -> service account
	paths   map[string][]string          // role -> readable API paths
	secrets map[string]map[string]any    // API path -> data
	version map[string]int
	// older holds earlier KV versions a read with ?version= gets: path -> version -> data.
	older  map[string]map[int]map[string]any
	tokens map[string]fakeToken
	counts map[string]int // "login", "mount", "read", "login:<sa>", "read:<sa>", "issue", "renew", "write"
	sealed bool
	seq    int

	// Dynamic secrets: dyn-db/creds/* hands out credentials with a lease of
	// leaseTTL (renewable up to leaseMax from issue); pki/issue/* answers a
	// write with a certificate that expires certTTL after now().
	leaseTTL, leaseMax, certTTL time.Duration
	leases                      map[string]time.Time // lease id -> issued
	writes                      []map[string]any     // bodies of pki/issue writes
	now                         func() time.Time
}

func newFakeStore(t testing.TB) *fakeStore {
	t.Helper()
	f := &fakeStore{
		roles: map[string]map[string]string{
			"myapp-role": {jwtApp: saApp, jwtOther: saOther, jwtVault: saApp},
			"other-role": {jwtApp: saApp},
			// A role with audience "vault": only the token for it logs in.
			"vault-role": {jwtVault: saApp},
		},
		paths: map[string][]string{
			"myapp-role": {secretPath, "demo-kv/data/binary", "demo-kv/data/empty"},
			"other-role": {"demo-kv/data/other"},
			"vault-role": {secretPath},
		},
		secrets: map[string]map[string]any{
			secretPath: {
				"DB_PASS": valuePass, "DB_USER": "username",
				"keytab":      base64Std(binaryValue),
				"keytab_raw":  strings.TrimRight(base64Std(binaryValue), "="),
				"not_base64":  "VALUE-SECRET-%%%not-base64",
				"url_base64":  "-_-_",
				"wrapped_b64": base64Wrapped(binaryValue),
			},
			"demo-kv/data/binary": {"big": strings.Repeat("x", 3<<20)},
		},
		version:  map[string]int{},
		older:    map[string]map[int]map[string]any{},
		tokens:   map[string]fakeToken{},
		counts:   map[string]int{},
		leaseTTL: 10 * time.Minute, leaseMax: time.Hour, certTTL: time.Hour,
		leases: map[string]time.Time{},
		now:    time.Now,
	}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)
	f.caFile = filepath.Join(t.TempDir(), "ca.pem")
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw})
	if err := os.WriteFile(f.caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fakeStore) count(kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[kind]
}

func (f *fakeStore) set(fn func(f *fakeStore)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func reply(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func errorsBody(msgs ...string) map[string]any {
	return map[string]any{"errors": append([]string{}, msgs...)}
}

func (f *fakeStore) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sealed {
		reply(w, http.StatusServiceUnavailable, errorsBody("Vault is sealed"))
		return
	}
	p := strings.TrimPrefix(r.URL.Path, "/v1/")
	switch {
	case p == "auth/kubernetes_local/login":
		f.counts["login"]++
		f.login(w, r)
	case strings.HasPrefix(p, "auth/"):
		reply(w, http.StatusNotFound, errorsBody("no handler for route \""+p+"\""))
	case strings.HasPrefix(p, "sys/internal/ui/mounts/"):
		f.counts["mount"]++
		if _, ok := f.authorized(w, r); ok {
			mount := strings.SplitN(strings.TrimPrefix(p, "sys/internal/ui/mounts/"), "/", 2)[0] + "/"
			reply(w, http.StatusOK, map[string]any{"data": map[string]any{
				"path": mount, "type": "kv", "options": map[string]any{"version": "2"},
			}})
		}
	case p == "sys/leases/renew":
		f.counts["renew"]++
		f.renew(w, r)
	case strings.HasPrefix(p, "dyn-db/creds/"):
		f.counts["issue"]++
		if _, ok := f.authorized(w, r); ok {
			f.seq++
			id := p + "/lease-" + strconv.Itoa(f.seq)
			f.leases[id] = f.now()
			reply(w, http.StatusOK, map[string]any{
				"lease_id": id, "lease_duration": int(f.leaseTTL / time.Second), "renewable": true,
				"data": map[string]any{"username": "user-" + strconv.Itoa(f.seq), "password": "VALUE-SECRET-db-" + strconv.Itoa(f.seq)},
			})
		}
	case strings.HasPrefix(p, "pki/issue/") && r.Method != http.MethodGet:
		f.counts["write"]++
		if _, ok := f.authorized(w, r); ok {
			var body map[string]any
			_ = json.NewDecoder(r.Body).Decode(&body)
			f.writes = append(f.writes, body)
			f.seq++
			reply(w, http.StatusOK, map[string]any{"data": map[string]any{
				"certificate": "CERT-" + strconv.Itoa(f.seq), "private_key": "VALUE-SECRET-key-" + strconv.Itoa(f.seq),
				"expiration": f.now().Add(f.certTTL).Unix(),
			}})
		}
	default:
		f.counts["read"]++
		f.read(w, r, p)
	}
}

// renew extends a lease by the increment asked, never past leaseMax from
// its issue.
func (f *fakeStore) renew(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.authorized(w, r); !ok {
		return
	}
	var body struct {
		LeaseID   string `json:"lease_id"`
		Increment int64  `json:"increment"`
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	issued, ok := f.leases[body.LeaseID]
	if !ok {
		reply(w, http.StatusBadRequest, errorsBody("lease not found"))
		return
	}
	d := min(time.Duration(body.Increment)*time.Second, issued.Add(f.leaseMax).Sub(f.now()))
	reply(w, http.StatusOK, map[string]any{"lease_id": body.LeaseID, "lease_duration": int(d / time.Second), "renewable": d > 0})
}

func (f *fakeStore) login(w http.ResponseWriter, r *http.Request) {
	var body struct{ Role, JWT string }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		reply(w, http.StatusBadRequest, errorsBody("bad body"))
		return
	}
	sa, ok := f.roles[body.Role][body.JWT]
	if !ok {
		reply(w, http.StatusForbidden, errorsBody("service account name not authorized"))
		return
	}
	f.counts["login:"+sa]++
	f.seq++
	tok := tokenMark + strconv.Itoa(f.seq)
	f.tokens[tok] = fakeToken{role: body.Role, sa: sa}
	reply(w, http.StatusOK, map[string]any{"auth": map[string]any{
		"client_token": tok, "lease_duration": 3600, "renewable": true,
	}})
}

func (f *fakeStore) authorized(w http.ResponseWriter, r *http.Request) (fakeToken, bool) {
	ft, ok := f.tokens[r.Header.Get("X-Vault-Token")]
	if !ok {
		reply(w, http.StatusForbidden, errorsBody("permission denied"))
	}
	return ft, ok
}

func (f *fakeStore) read(w http.ResponseWriter, r *http.Request, p string) {
	ft, ok := f.authorized(w, r)
	if !ok {
		return
	}
	f.counts["read:"+ft.sa]++
	data, exists := f.secrets[p]
	if strings.HasPrefix(p, "bench-kv/data/") {
		data, exists = map[string]any{"v": valuePass}, true
	} else if !strings.Contains(strings.Join(f.paths[ft.role], "\n")+"\n", p+"\n") {
		reply(w, http.StatusForbidden, errorsBody("1 error occurred:\n\t* permission denied\n\n"))
		return
	}
	version := f.version[p] + 1
	if v := r.URL.Query().Get("version"); v != "" && v != strconv.Itoa(version) {
		version, _ = strconv.Atoi(v)
		data, exists = f.older[p][version]
	}
	if !exists {
		reply(w, http.StatusNotFound, errorsBody())
		return
	}
	meta := map[string]any{"version": version, "created_time": "2026-01-01T00:00:00Z", "deletion_time": "", "destroyed": false}
	reply(w, http.StatusOK, map[string]any{"data": map[string]any{"data": data, "metadata": meta}})
}

// setValue changes one key of a secret, as "kv patch" would.
func (f *fakeStore) setValue(path, key, value string) {
	f.set(func(f *fakeStore) {
		f.secrets[path][key] = value
		f.version[path]++
	})
}
