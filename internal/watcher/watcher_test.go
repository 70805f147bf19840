// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package watcher

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeStore is a store over HTTP/1.1 and TLS with one KV v2 secret.
type fakeStore struct {
	srv *httptest.Server

	mu      sync.Mutex
	data    string // the secret's data, a JSON object
	token   string // the valid token
	logins  int
	revoked []string
	reads   int
	conns   int
	onRead  func(n int) // called with the number of reads so far, unlocked

	denyReads bool // every read is refused (403), as a policy without the path does
}

func (f *fakeStore) counts() (logins, reads int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins, f.reads
}

func newFakeStore(t testing.TB, data string) *fakeStore {
	t.Helper()
	f := &fakeStore{data: data, token: "tok-0"}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.mu.Lock()
			f.conns++
			f.mu.Unlock()
		}
	}
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeStore) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/auth/kubernetes/login":
		f.logins++
		f.token = fmt.Sprintf("tok-%d", f.logins)
		fmt.Fprintf(w, `{"auth":{"client_token":%q,"lease_duration":3600}}`, f.token)
	case r.Header.Get("X-Vault-Token") != f.token:
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"errors":["permission denied"]}`)
	case r.Method == http.MethodPut && r.URL.Path == "/v1/auth/token/revoke-self":
		f.revoked = append(f.revoked, f.token)
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodGet && r.URL.Path == "/v1/kv/data/app":
		f.reads++
		n, hook := f.reads, f.onRead
		if f.denyReads {
			w.WriteHeader(http.StatusForbidden)
		} else {
			fmt.Fprintf(w, `{"request_id":"%d","data":{"data":%s,"metadata":{"version":%d}}}`, n, f.data, n)
		}
		f.mu.Unlock()
		if hook != nil {
			hook(n)
		}
		return
	default:
		w.WriteHeader(http.StatusNotFound)
	}
	f.mu.Unlock()
}

func (f *fakeStore) set(fn func(f *fakeStore)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeStore) handoff(t testing.TB, argv ...string) *Handoff {
	t.Helper()
	dir := t.TempDir()
	jwt := filepath.Join(dir, "token")
	if err := os.WriteFile(jwt, []byte("a-jwt\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw})
	addr := strings.TrimPrefix(f.srv.URL, "https://")
	f.mu.Lock()
	body := fmt.Sprintf(`{"request_id":"start","data":{"data":%s,"metadata":{"version":1}}}`, f.data)
	token := f.token
	f.mu.Unlock()
	return &Handoff{
		Store: Store{
			Addr: addr, Host: addr, TLS: true, ServerName: "127.0.0.1", CACert: ca, Timeout: 5 * time.Second,
			AuthPath: "kubernetes", Role: "app", TokenFile: jwt, Token: token,
		},
		Interval: 10 * time.Millisecond, Grace: 5 * time.Second,
		Sources: []Source{{
			Path: "kv/app", Target: "/v1/kv/data/app", V2: true, Keys: []string{"password"},
			Required: []string{"password"}, Body: []byte(body),
		}},
		Path: argv[0], Argv: argv, Env: []string{"PATH=/usr/bin:/bin"},
	}
}

// untilFile is a command that ends with status 7 once file exists.
func untilFile(file string) []string {
	return []string{"/bin/sh", "-c", `while [ ! -e "$0" ]; do sleep 0.02; done; exit 7`, file}
}

func run(t *testing.T, h *Handoff) (int, string) {
	t.Helper()
	var log bytes.Buffer
	code := Run(t.Context(), h, &log)
	return code, log.String()
}

// TestChangeRestarts: a change of a key the command uses stops the command
// and ends the watcher with ExitRestart; the token is revoked.
func TestChangeRestarts(t *testing.T) {
	f := newFakeStore(t, `{"password":"old","other":"1"}`)
	f.onRead = func(n int) {
		if n == 3 {
			f.set(func(f *fakeStore) { f.data = `{"password":"new","other":"1"}` })
		}
	}
	h := f.handoff(t, "/bin/sleep", "30")
	code, log := run(t, h)
	if code != ExitRestart {
		t.Fatalf("exit status %d, want %d; log:\n%s", code, ExitRestart, log)
	}
	if !strings.Contains(log, "secret changed: restarting the container") {
		t.Errorf("log lacks the restart reason:\n%s", log)
	}
	for _, v := range []string{"old", "new", "tok-0", "a-jwt"} {
		if strings.Contains(log, v) {
			t.Errorf("log holds %q:\n%s", v, log)
		}
	}
	f.set(func(f *fakeStore) {
		if len(f.revoked) != 1 || f.revoked[0] != "tok-0" {
			t.Errorf("revoked %v, want [tok-0]", f.revoked)
		}
		if f.conns != 1 {
			t.Errorf("%d connections for %d reads and a revocation, want 1", f.conns, f.reads)
		}
	})
}

// TestNoRestart: changes the command does not depend on, and a key a
// reference names going missing, keep the command running; it ends with
// its own status.
func TestNoRestart(t *testing.T) {
	for _, tc := range []struct{ name, next string }{
		{"an unused key changes", `{"password":"old","other":"2"}`},
		{"an unused key appears", `{"password":"old","other":"1","more":"x"}`},
		{"a used key disappears", `{"other":"1"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeStore(t, `{"password":"old","other":"1"}`)
			done := filepath.Join(t.TempDir(), "done")
			f.onRead = func(n int) {
				switch n {
				case 2:
					f.set(func(f *fakeStore) { f.data = tc.next })
				case 5: // three polls saw the new data
					_ = os.WriteFile(done, nil, 0o600)
				}
			}
			code, log := run(t, f.handoff(t, untilFile(done)...))
			if code != 7 {
				t.Fatalf("exit status %d, want the command's 7; log:\n%s", code, log)
			}
			if strings.Contains(log, "restarting") {
				t.Errorf("restarted:\n%s", log)
			}
		})
	}
}

// TestRefusedTokenLogsIn: a token the store refuses is replaced by a login
// with the ServiceAccount token, and the poll goes on.
func TestRefusedTokenLogsIn(t *testing.T) {
	f := newFakeStore(t, `{"password":"old"}`)
	done := filepath.Join(t.TempDir(), "done")
	f.onRead = func(n int) {
		switch n {
		case 2:
			f.set(func(f *fakeStore) { f.token = "revoked-elsewhere" })
		case 4:
			_ = os.WriteFile(done, nil, 0o600)
		}
	}
	h := f.handoff(t, untilFile(done)...)
	code, log := run(t, h)
	if code != 7 {
		t.Fatalf("exit status %d, want 7; log:\n%s", code, log)
	}
	f.set(func(f *fakeStore) {
		if f.logins != 1 || len(f.revoked) != 1 || f.revoked[0] != "tok-1" {
			t.Errorf("logins %d, revoked %v; want 1 login and its token revoked at the end", f.logins, f.revoked)
		}
	})
	if strings.Contains(log, "poll failed") {
		t.Errorf("a poll failed:\n%s", log)
	}
}

// TestKeepToken: the token the command holds is not revoked.
func TestKeepToken(t *testing.T) {
	f := newFakeStore(t, `{"password":"old"}`)
	h := f.handoff(t, "/bin/sh", "-c", "exit 3")
	h.KeepToken = true
	if code, log := run(t, h); code != 3 {
		t.Fatalf("exit status %d, want 3; log:\n%s", code, log)
	}
	f.set(func(f *fakeStore) {
		if len(f.revoked) != 0 {
			t.Errorf("revoked %v, want none", f.revoked)
		}
	})
}

// TestCommandNotFound: a command that cannot start ends the watcher with
// a shell's status.
func TestCommandNotFound(t *testing.T) {
	f := newFakeStore(t, `{"password":"old"}`)
	h := f.handoff(t, filepath.Join(t.TempDir(), "absent"))
	if code, log := run(t, h); code != ExitNotFound {
		t.Fatalf("exit status %d, want %d; log:\n%s", code, ExitNotFound, log)
	}
	f.set(func(f *fakeStore) {
		if len(f.revoked) != 1 {
			t.Errorf("revoked %v, want the token revoked: no command holds it", f.revoked)
		}
	})
}

// TestNothingToPoll: without a path to poll the watcher only runs the
// command.
func TestNothingToPoll(t *testing.T) {
	f := newFakeStore(t, `{"password":"old"}`)
	h := f.handoff(t, "/bin/sh", "-c", "exit 4")
	h.Sources = nil
	code, log := run(t, h)
	if code != 4 || !strings.Contains(log, "watching is off") {
		t.Fatalf("exit status %d, want 4 and watching off; log:\n%s", code, log)
	}
	if _, reads := f.counts(); reads != 0 {
		t.Errorf("%d reads, want none", reads)
	}
}

// TestStoppedBeforeStart: a SIGTERM that arrived before the command
// started (ctx canceled) keeps it from starting.
func TestStoppedBeforeStart(t *testing.T) {
	f := newFakeStore(t, `{"password":"old"}`)
	marker := filepath.Join(t.TempDir(), "started")
	h := f.handoff(t, "/bin/sh", "-c", `: > "$0"`, marker)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var log bytes.Buffer
	if code := Run(ctx, h, &log); code != ExitFailure {
		t.Fatalf("exit status %d, want %d; log:\n%s", code, ExitFailure, log.String())
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the command started")
	}
}

// TestPolicyRefusalLogsInOnce: reads the policy refuses (403 with a fresh
// token too) cost one new login, not one per poll.
func TestPolicyRefusalLogsInOnce(t *testing.T) {
	f := newFakeStore(t, `{"password":"old"}`)
	done := filepath.Join(t.TempDir(), "done")
	f.set(func(f *fakeStore) { f.denyReads = true })
	f.onRead = func(n int) {
		if n == 6 {
			_ = os.WriteFile(done, nil, 0o600)
		}
	}
	code, log := run(t, f.handoff(t, untilFile(done)...))
	if code != 7 {
		t.Fatalf("exit status %d, want 7; log:\n%s", code, log)
	}
	if logins, reads := f.counts(); logins != 1 {
		t.Errorf("%d logins for %d refused reads, want 1", logins, reads)
	}
	if !strings.Contains(log, "poll failed") {
		t.Errorf("no warning for the refused reads; log:\n%s", log)
	}
}

// TestStandbyRedirect: reads and the revocation a standby redirects are sent
// to the active node it names, over a connection kept for it.
func TestStandbyRedirect(t *testing.T) {
	active := newFakeStore(t, `{"password":"old"}`)
	active.onRead = func(n int) {
		if n == 3 {
			active.set(func(f *fakeStore) { f.data = `{"password":"new"}` })
		}
	}
	standby := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, active.srv.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	standby.StartTLS() // httptest's servers share one certificate, so active's CA fits
	t.Cleanup(standby.Close)
	h := active.handoff(t, "/bin/sleep", "30")
	h.Store.Addr = strings.TrimPrefix(standby.URL, "https://")
	h.Store.Host = h.Store.Addr
	code, log := run(t, h)
	if code != ExitRestart {
		t.Fatalf("exit status %d, want %d; log:\n%s", code, ExitRestart, log)
	}
	active.set(func(f *fakeStore) {
		if len(f.revoked) != 1 || f.conns != 1 {
			t.Errorf("revoked %v over %d connections, want one revocation over the one kept connection", f.revoked, f.conns)
		}
	})
}
