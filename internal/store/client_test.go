// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"errors"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"
)

func staticJWT(jwt string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return jwt, nil }
}

func appLogin() Login {
	return Login{
		AuthPath:       "kubernetes_local",
		Role:           "myapp-role",
		ServiceAccount: "myapp-namespace/myapp-sa",
		JWT:            staticJWT(jwtApp),
	}
}

func newTestClient(t *testing.T, f *fakeVault, opts ...Option) *Client {
	t.Helper()
	c, err := New(f.config(), opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = time.Unix(1_000_000, 0).Add(d)
}

type readCase struct {
	name        string
	path        string
	version     int
	wantErr     error
	wantVersion int
	wantData    map[string]string
}

func readCases() []readCase {
	latest := map[string]string{"DB_USER": "username", "DB_PASS": valuePass}
	return []readCase{
		{name: "kv2 with data/", path: "demo-kv/data/myapp-secret", wantVersion: 4, wantData: latest},
		{name: "kv2 without data/", path: "demo-kv/myapp-secret", wantVersion: 4, wantData: latest},
		{name: "kv2 leading slash", path: "/demo-kv/data/myapp-secret", wantVersion: 4, wantData: latest},
		{
			name: "kv2 pinned version", path: "demo-kv/myapp-secret", version: 1, wantVersion: 1,
			wantData: map[string]string{"DB_PASS": "v1-pass"},
		},
		{name: "kv2 deleted version", path: "demo-kv/data/myapp-secret", version: 2, wantErr: ErrVersionDeleted},
		{name: "kv2 destroyed version", path: "demo-kv/data/myapp-secret", version: 3, wantErr: ErrVersionDestroyed},
		{name: "kv2 missing version", path: "demo-kv/data/myapp-secret", version: 9, wantErr: ErrNotFound},
		{name: "kv2 missing path", path: "demo-kv/data/nope", wantErr: ErrNotFound},
		{name: "kv2 mount only", path: "demo-kv/data", wantErr: ErrInvalid},
		{name: "kv1 non-string values", path: "kv1/app", wantData: map[string]string{
			"DB_USER": "username", "DB_PASS": valuePass, "port": "5432", "tls": "true", "nested": `{"a":"b"}`,
		}},
		{name: "kv1 pinned version", path: "kv1/app", version: 2, wantErr: ErrVersionUnsupported},
		{name: "kv1 missing path", path: "kv1/nope", wantErr: ErrNotFound},
		{name: "denied path", path: "demo-kv/data/other", wantErr: ErrPermissionDenied},
		{name: "empty path", path: "", wantErr: ErrInvalid},
		{name: "dot-dot path", path: "demo-kv/../sys/x", wantErr: ErrInvalid},
		{name: "negative version", path: "kv1/app", version: -1, wantErr: ErrInvalid},
	}
}

func TestReadKV(t *testing.T) {
	f := newFakeVault(t)
	f.set(func(f *fakeVault) {
		r := f.roles["myapp-role"]
		r.paths = append(r.paths, "kv1/nope", "demo-kv/data/nope")
		f.roles["myapp-role"] = r
	})
	tests := readCases()
	// Without the mount lookup a path is read as written, so paths lacking
	// data/ on a v2 mount meet the store's ACL (which only knows
	// demo-kv/data/...).
	fallbackErr := map[string]error{
		"kv2 without data/":  ErrPermissionDenied,
		"kv2 pinned version": ErrPermissionDenied,
		"kv2 mount only":     ErrPermissionDenied,
	}
	for _, fallback := range []bool{false, true} {
		f.set(func(f *fakeVault) { f.noUIMounts = fallback })
		c := newTestClient(t, f)
		for _, tt := range tests {
			name, wantErr := tt.name, tt.wantErr
			if fallback {
				name += " (shape fallback)"
				if e, ok := fallbackErr[tt.name]; ok {
					wantErr = e
				}
			}
			t.Run(name, func(t *testing.T) {
				s, err := c.Read(t.Context(), appLogin(), tt.path, tt.version)
				if !errors.Is(err, wantErr) {
					t.Fatalf("got error %v, want %v", err, wantErr)
				}
				if wantErr != nil {
					return
				}
				if s.Version != tt.wantVersion {
					t.Errorf("got version %d, want %d", s.Version, tt.wantVersion)
				}
				if !maps.Equal(s.Data, tt.wantData) {
					t.Errorf("got data %v, want %v", s.Data, tt.wantData)
				}
			})
		}
	}
}

func TestErrorFields(t *testing.T) {
	f := newFakeVault(t)
	c := newTestClient(t, f)
	tests := []struct {
		name     string
		path     string
		version  int
		want     Error
		contains []string
	}{
		{
			name: "deleted", path: "demo-kv/myapp-secret", version: 2,
			want:     Error{Op: OpRead, Path: "demo-kv/myapp-secret", StorePath: "demo-kv/data/myapp-secret", Version: 2, Status: 0},
			contains: []string{`version 2 of secret "demo-kv/myapp-secret" (read as "demo-kv/data/myapp-secret") is deleted`, "undelete"},
		},
		{
			name: "destroyed", path: "demo-kv/data/myapp-secret", version: 3,
			want:     Error{Op: OpRead, Path: "demo-kv/data/myapp-secret", StorePath: "demo-kv/data/myapp-secret", Version: 3},
			contains: []string{"version 3", "destroyed", "pin another version"},
		},
		{
			name: "denied", path: "demo-kv/other",
			want: Error{Op: OpRead, Path: "demo-kv/other", StorePath: "demo-kv/data/other", Status: 403},
			contains: []string{
				`role "myapp-role" may not read secret "demo-kv/other"`,
				`check that the policy bound to the role allows read on "demo-kv/data/other"`,
			},
		},
		{
			name: "v1 version", path: "kv1/app", version: 4,
			want:     Error{Op: OpRead, Path: "kv1/app", StorePath: "kv1/app", Version: 4},
			contains: []string{"version 4", "need a kv v2 mount"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Read(t.Context(), appLogin(), tt.path, tt.version)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %T %v, want *Error", err, err)
			}
			got := Error{Op: e.Op, Path: e.Path, StorePath: e.StorePath, Version: e.Version, Status: e.Status}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			for _, s := range tt.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("got message %q, want it to contain %q", err.Error(), s)
				}
			}
			if e.Role != "myapp-role" {
				t.Errorf("got role %q, want myapp-role", e.Role)
			}
		})
	}
}

func TestValue(t *testing.T) {
	s := &Secret{Path: "demo-kv/data/app", Data: map[string]string{"DB_USER": "u", "DB_PASS": valuePass}}
	if got, err := s.Value("DB_PASS"); err != nil || got != valuePass {
		t.Errorf("got %q, %v, want the value", got, err)
	}
	_, err := s.Value("db_pass")
	if !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("got %v, want ErrKeyNotFound", err)
	}
	want := `key "db_pass" not found in secret "demo-kv/data/app": the secret has keys DB_PASS, DB_USER: check the key name (keys are case-sensitive)`
	if err.Error() != want {
		t.Errorf("got %q, want %q", err.Error(), want)
	}
}

func TestLoginErrors(t *testing.T) {
	f := newFakeVault(t)
	c := newTestClient(t, f)
	failing := func(context.Context) (string, error) { return "", errors.New("open /var/run/token: no such file") }
	tests := []struct {
		name    string
		modify  func(*Login)
		wantErr error
		status  int
	}{
		{name: "unknown role", modify: func(l *Login) { l.Role = "nope-role" }, wantErr: ErrLogin, status: 400},
		{name: "service account not bound", modify: func(l *Login) { l.Role = "other-role" }, wantErr: ErrLogin, status: 403},
		{name: "auth path not enabled", modify: func(l *Login) { l.AuthPath = "kubernetes_remote" }, wantErr: ErrLogin, status: 404},
		{name: "jwt source fails", modify: func(l *Login) { l.JWT = failing }, wantErr: ErrLogin},
		{name: "empty jwt", modify: func(l *Login) { l.JWT = staticJWT(" \n") }, wantErr: ErrLogin},
		{name: "empty role", modify: func(l *Login) { l.Role = "" }, wantErr: ErrInvalid},
		{name: "empty service account", modify: func(l *Login) { l.ServiceAccount = "" }, wantErr: ErrInvalid},
		{name: "no jwt source", modify: func(l *Login) { l.JWT = nil }, wantErr: ErrInvalid},
		{name: "empty auth path", modify: func(l *Login) { l.AuthPath = "auth/" }, wantErr: ErrInvalid},
		{name: "auth/ prefix accepted", modify: func(l *Login) { l.AuthPath = "/auth/kubernetes_local/" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := appLogin()
			tt.modify(&l)
			_, err := c.Read(t.Context(), l, "kv1/app", 0)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			var e *Error
			if tt.wantErr != nil && (!errors.As(err, &e) || e.Op != OpLogin || e.Status != tt.status) {
				t.Errorf("got %#v, want op %q status %d", e, OpLogin, tt.status)
			}
		})
	}
}

func TestLoginErrorMessage(t *testing.T) {
	f := newFakeVault(t)
	c := newTestClient(t, f)
	l := appLogin()
	l.Role = "nope-role"
	_, err := c.Read(t.Context(), l, "kv1/app", 0)
	want := `login as role "nope-role" at "auth/kubernetes_local" refused: store says: invalid role name "nope-role": ` +
		`check that the auth path is enabled and the role exists, is bound to service account "myapp-namespace/myapp-sa" and, if it sets an audience, expects the token's (module setting tokenAudience)`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestNamespaceHeader(t *testing.T) {
	f := newFakeVault(t)
	f.set(func(f *fakeVault) { f.namespace = "team-a/prod" })
	// The fake fails the test on any request without the namespace.
	c := newTestClient(t, f)
	for _, p := range []string{"demo-kv/myapp-secret", "kv1/app"} {
		if _, err := c.Read(t.Context(), appLogin(), p, 0); err != nil {
			t.Fatalf("read %s: %v", p, err)
		}
	}
}
