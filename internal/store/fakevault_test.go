// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Values the fake hands out. They are distinctive so that a test can prove
// none of them ever shows up in an error.
const (
	jwtApp    = "eyJhbGciOiJSUzI1NiJ9.JWT-SECRET-APP.sig"
	jwtOther  = "eyJhbGciOiJSUzI1NiJ9.JWT-SECRET-OTHER.sig"
	valuePass = "VALUE-SECRET-pass-1"
	tokenMark = "hvs.TOKEN-SECRET-"
)

// fakeRole binds JWTs to a role and lists the API paths the role may read.
type fakeRole struct {
	jwts  []string
	paths []string
}

type fakeVersion struct {
	data      map[string]any
	deleted   bool
	destroyed bool
}

type fakeToken struct {
	role, jwt string
	revoked   bool
}

// fakeVault is a minimal Vault: Kubernetes auth login, the mounts lookup,
// KV v1 and v2 reads with versions, namespaces. It counts requests by kind.
type fakeVault struct {
	t   *testing.T
	srv *httptest.Server

	mu         sync.Mutex
	namespace  string // required X-Vault-Namespace; "" means none allowed
	authPath   string
	ttl        int // lease_duration of issued tokens, seconds
	roles      map[string]fakeRole
	mounts     map[string]int // "demo-kv/" -> KV version
	v1         map[string]map[string]any
	v2         map[string][]fakeVersion // "demo-kv/app" (no data/) -> versions
	tokens     map[string]fakeToken
	counts     map[string]int
	readTokens []string // token of every secret read, in order
	noUIMounts bool     // sys/internal/ui/mounts answers 404
	sealed     bool     // every request answers 503
	echo       bool     // error messages echo the JWT and token, as a careless server might
	raw        map[string]string
	seq        int
	ext        fakeExt // engines, writes, renewals (fakeengine_test.go)
}

// setup, if any, changes the server before it starts.
func newFakeVault(t *testing.T, setup ...func(*httptest.Server)) *fakeVault {
	t.Helper()
	f := &fakeVault{
		t:        t,
		authPath: "kubernetes_local",
		ttl:      600,
		roles: map[string]fakeRole{
			"myapp-role": {jwts: []string{jwtApp}, paths: []string{
				"demo-kv/data/myapp-secret", "kv1/app", "kv1/broken", "kv1/raw500",
			}},
			"other-role": {jwts: []string{jwtOther}, paths: []string{"demo-kv/data/other"}},
		},
		mounts: map[string]int{"demo-kv/": 2, "kv1/": 1},
		v1: map[string]map[string]any{
			"kv1/app": {
				"DB_USER": "username", "DB_PASS": valuePass, "port": json.Number("5432"),
				"tls": true, "nested": map[string]any{"a": "b"},
			},
		},
		v2: map[string][]fakeVersion{
			"demo-kv/myapp-secret": {
				{data: map[string]any{"DB_PASS": "v1-pass"}},
				{data: map[string]any{"DB_PASS": "v2-pass"}, deleted: true},
				{data: map[string]any{"DB_PASS": "v3-pass"}, destroyed: true},
				{data: map[string]any{"DB_USER": "username", "DB_PASS": valuePass}},
			},
			"demo-kv/other": {{data: map[string]any{"X": "other"}}},
		},
		tokens: map[string]fakeToken{},
		counts: map[string]int{},
		ext:    newFakeExt(),
		raw: map[string]string{
			"kv1/broken": `{"data":{"DB_PASS":` + valuePass,
			"kv1/raw500": "<html>" + valuePass + "</html>",
		},
	}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	// Handshake failures are what some tests are about; keep them quiet.
	f.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	for _, fn := range setup {
		fn(f.srv)
	}
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)
	return f
}

// caPEM is the fake's certificate as a PEM CA bundle.
func (f *fakeVault) caPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw})
}

func (f *fakeVault) config() Config {
	return Config{Address: f.srv.URL, CACert: f.caPEM(), Namespace: f.namespace}
}

func (f *fakeVault) count(kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[kind]
}

func (f *fakeVault) set(fn func(f *fakeVault)) {
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

func (f *fakeVault) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ns := r.Header.Get("X-Vault-Namespace"); ns != f.namespace {
		f.t.Errorf("request %s: got namespace %q, want %q", r.URL.Path, ns, f.namespace)
		reply(w, http.StatusBadRequest, errorsBody("wrong namespace"))
		return
	}
	if h := r.Header.Get("X-Vault-Wrap-TTL"); h != "" {
		f.t.Errorf("request %s: got X-Vault-Wrap-TTL %q, want none", r.URL.Path, h)
	}
	if h := r.Header.Get("X-Env-Header"); h != "" {
		f.t.Errorf("request %s: got X-Env-Header %q, want none", r.URL.Path, h)
	}
	if f.sealed {
		reply(w, http.StatusServiceUnavailable, errorsBody("Vault is sealed"))
		return
	}
	p := strings.TrimPrefix(r.URL.Path, "/v1/")
	switch {
	case strings.HasPrefix(p, "auth/") && strings.HasSuffix(p, "/login"):
		f.counts["login"]++
		f.login(w, r, strings.TrimSuffix(strings.TrimPrefix(p, "auth/"), "/login"))
	case strings.HasPrefix(p, "sys/internal/ui/mounts/"):
		f.counts["mount"]++
		f.holdLookup()
		f.uiMount(w, r, strings.TrimPrefix(p, "sys/internal/ui/mounts/"))
	case r.Method == http.MethodGet && !f.isEngine(p):
		f.counts["read"]++
		f.read(w, r, p)
		f.releaseLookups()
	default:
		f.serveMore(w, r, p)
	}
}

func (f *fakeVault) login(w http.ResponseWriter, r *http.Request, authPath string) {
	if r.Header.Get("X-Vault-Token") != "" {
		f.t.Errorf("login sent a token, want none")
	}
	if authPath != f.authPath {
		reply(w, http.StatusNotFound, errorsBody("no handler for route \"auth/"+authPath+"/login\""))
		return
	}
	var body struct{ Role, JWT string }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		reply(w, http.StatusBadRequest, errorsBody("bad body"))
		return
	}
	role, ok := f.roles[body.Role]
	if !ok {
		msg := fmt.Sprintf("invalid role name %q", body.Role)
		if f.echo {
			msg += " for jwt " + body.JWT
		}
		reply(w, http.StatusBadRequest, errorsBody(msg))
		return
	}
	bound := false
	for _, j := range role.jwts {
		bound = bound || j == body.JWT
	}
	if !bound {
		msg := "service account name not authorized"
		if f.echo {
			msg += ": " + body.JWT
		}
		reply(w, http.StatusForbidden, errorsBody(msg))
		return
	}
	f.seq++
	tok := tokenMark + strconv.Itoa(f.seq)
	f.tokens[tok] = fakeToken{role: body.Role, jwt: body.JWT}
	reply(w, http.StatusOK, map[string]any{"auth": map[string]any{
		"client_token": tok, "lease_duration": f.ttl, "renewable": true,
	}})
}
