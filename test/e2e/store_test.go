// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deckhouse/secrets-store-integration/internal/store"
	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// Integration tests of internal/store against the real OpenBao, logging in with real
// TokenRequest tokens of real ServiceAccounts (OpenBao's kubernetes auth reviews them with
// the real apiserver).

const (
	itNS      = "store-it"
	itReader  = "reader"
	itOther   = "stranger"
	itKV2     = "it-kv2"
	itKV1     = "it-kv1"
	itPolicy  = "it-read"
	itLimited = "it-limited"
)

var storeFixture = sync.OnceValue(func() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	steps := []func() error{
		func() error { return stack.EnsureServiceAccount(ctx, kube, itNS, itReader) },
		func() error { return stack.EnsureServiceAccount(ctx, kube, itNS, itOther) },
		func() error { return stk.EnableKV(ctx, itKV2, 2) },
		func() error { return stk.EnableKV(ctx, itKV1, 1) },
		func() error {
			_, err := stk.PutKV2(ctx, itKV2, "app", map[string]any{"DB_USER": "it-user", "DB_PASS": secretValue("it-pass-v2"), "PORT": 5432})
			return err
		},
		func() error {
			return stk.PutKV1(ctx, itKV1, "app", map[string]any{"API_KEY": secretValue("it-key-v1")})
		},
		func() error { return stk.WritePolicy(ctx, itPolicy, stack.ReadPolicy(itKV2+"/data/*", itKV1+"/*")) },
		func() error { return stk.WritePolicy(ctx, itLimited, stack.ReadPolicy(itKV2+"/data/app")) },
		func() error { return stk.WriteRole(ctx, AuthMount, "it-reader", itNS, itReader, "", itPolicy) },
		func() error { return stk.WriteRole(ctx, AuthMount, "it-limited", itNS, itReader, "", itLimited) },
		func() error { return stk.WriteRole(ctx, AuthMount, "it-other", itNS, itOther, "", itPolicy) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
})

func setupStore(t *testing.T) {
	t.Helper()
	if err := storeFixture(); err != nil {
		t.Fatalf("store fixture: %v", err)
	}
}

// loginAs returns a Login of ServiceAccount ns/sa for role, whose JWT is a fresh
// TokenRequest token (as kubelet would project it).
func loginAs(ns, sa, role string) store.Login {
	return store.Login{
		AuthPath:       AuthMount,
		Role:           role,
		ServiceAccount: ns + "/" + sa,
		JWT: func(ctx context.Context) (string, error) {
			return stack.ServiceAccountToken(ctx, kube, ns, sa, "", 600)
		},
	}
}

func newStoreClient(t *testing.T, cfg store.Config, opts ...store.Option) *store.Client {
	t.Helper()
	if cfg.Address == "" {
		cfg.Address = stk.Env.StoreAddr
	}
	c, err := store.New(cfg, opts...)
	if err != nil {
		t.Fatalf("store.New: %v", err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func TestStoreReadsKV(t *testing.T) {
	setupStore(t)
	c := newStoreClient(t, store.Config{CAFile: stk.Env.CAFile})
	reader := loginAs(itNS, itReader, "it-reader")
	tests := []struct {
		name, path, key, want string
		version               int
	}{
		{name: "kv2 path with data", path: itKV2 + "/data/app", key: "DB_PASS", want: "it-pass-v2"},
		{name: "kv2 path without data", path: itKV2 + "/app", key: "DB_USER", want: "it-user"},
		{name: "kv2 number value", path: itKV2 + "/data/app", key: "PORT", want: "5432"},
		{name: "kv1", path: itKV1 + "/app", key: "API_KEY", want: "it-key-v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := c.Read(t.Context(), reader, tt.path, tt.version)
			if err != nil {
				t.Fatalf("Read(%s): %v", tt.path, err)
			}
			got, err := s.Value(tt.key)
			if err != nil || got != tt.want {
				t.Fatalf("Value(%s) = %q, %v; want %q", tt.key, got, err, tt.want)
			}
		})
	}
}

func TestStoreVersions(t *testing.T) {
	setupStore(t)
	ctx := t.Context()
	for i := 1; i <= 3; i++ {
		if _, err := stk.PutKV2(ctx, itKV2, "versioned", map[string]any{"V": "value-" + string(rune('0'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	// version 1 deleted (soft), version 2 destroyed
	if err := stk.StoreAPI(ctx, http.MethodPost, itKV2+"/delete/versioned", map[string]any{"versions": []int{1}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := stk.StoreAPI(ctx, http.MethodPut, itKV2+"/destroy/versioned", map[string]any{"versions": []int{2}}, nil); err != nil {
		t.Fatal(err)
	}
	c := newStoreClient(t, store.Config{CAFile: stk.Env.CAFile})
	reader := loginAs(itNS, itReader, "it-reader")
	tests := []struct {
		name    string
		version int
		want    string
		wantErr error
	}{
		{name: "latest", version: 0, want: "value-3"},
		{name: "pinned", version: 3, want: "value-3"},
		{name: "deleted", version: 1, wantErr: store.ErrVersionDeleted},
		{name: "destroyed", version: 2, wantErr: store.ErrVersionDestroyed},
		{name: "beyond the newest", version: 9, wantErr: store.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := c.Read(ctx, reader, itKV2+"/data/versioned", tt.version)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Read version %d: got %v, want %v", tt.version, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "versioned") {
					t.Errorf("error %q does not name the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Read version %d: %v", tt.version, err)
			}
			if got, _ := s.Value("V"); got != tt.want {
				t.Fatalf("version %d: got %q, want %q", tt.version, got, tt.want)
			}
		})
	}
	t.Run("pin on kv1", func(t *testing.T) {
		_, err := c.Read(ctx, reader, itKV1+"/app", 1)
		if !errors.Is(err, store.ErrVersionUnsupported) {
			t.Fatalf("got %v, want ErrVersionUnsupported", err)
		}
	})
}

func TestStoreErrors(t *testing.T) {
	setupStore(t)
	c := newStoreClient(t, store.Config{CAFile: stk.Env.CAFile})
	tests := []struct {
		name     string
		login    store.Login
		path     string
		wantErr  error
		mentions []string
	}{
		{
			name: "missing path", login: loginAs(itNS, itReader, "it-reader"), path: itKV2 + "/data/nope",
			wantErr: store.ErrNotFound, mentions: []string{"nope"},
		},
		{
			name: "role bound to another service account", login: loginAs(itNS, itReader, "it-other"), path: itKV2 + "/data/app",
			wantErr: store.ErrLogin, mentions: []string{"it-other", itNS + "/" + itReader},
		},
		{
			name: "unknown role", login: loginAs(itNS, itReader, "no-such-role"), path: itKV2 + "/data/app",
			wantErr: store.ErrLogin, mentions: []string{"no-such-role"},
		},
		{
			name: "policy does not allow the path", login: loginAs(itNS, itReader, "it-limited"), path: itKV2 + "/data/versioned",
			wantErr: store.ErrPermissionDenied, mentions: []string{"it-limited", "policy"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Read(t.Context(), tt.login, tt.path, 0)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			for _, m := range tt.mentions {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
	t.Run("missing key", func(t *testing.T) {
		s, err := c.Read(t.Context(), loginAs(itNS, itReader, "it-reader"), itKV2+"/data/app", 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Value("NOPE")
		if !errors.Is(err, store.ErrKeyNotFound) || strings.Contains(err.Error(), "it-pass-v2") {
			t.Fatalf("got %v, want ErrKeyNotFound without values", err)
		}
	})
}

func TestStoreTLS(t *testing.T) {
	setupStore(t)
	reader := loginAs(itNS, itReader, "it-reader")
	// The stack CA is not in the system bundle: verification must fail without it.
	_, err := newStoreClient(t, store.Config{}).Read(t.Context(), reader, itKV2+"/data/app", 0)
	if !errors.Is(err, store.ErrTLS) {
		t.Fatalf("without CA: got %v, want ErrTLS", err)
	}
	ca := mustRead(t, stk.Env.CAFile)
	if _, err := newStoreClient(t, store.Config{CACert: ca}).Read(t.Context(), reader, itKV2+"/data/app", 0); err != nil {
		t.Fatalf("CA from PEM: %v", err)
	}
}

type loginCounter struct{ logins atomic.Int32 }

func (l *loginCounter) OnRequest(kind string, _ time.Duration, err error) {
	if kind == store.RequestLogin && err == nil {
		l.logins.Add(1)
	}
}

// A token revoked in the store between reads makes the client log in once more.
func TestStoreReloginAfterRevocation(t *testing.T) {
	setupStore(t)
	var n loginCounter
	c := newStoreClient(t, store.Config{CAFile: stk.Env.CAFile}, store.WithObserver(&n))
	reader := loginAs(itNS, itReader, "it-reader")
	for range 3 {
		if _, err := c.Read(t.Context(), reader, itKV2+"/data/app", 0); err != nil {
			t.Fatal(err)
		}
	}
	if got := n.logins.Load(); got != 1 {
		t.Fatalf("logins for 3 reads with a cached token: got %d, want 1", got)
	}
	if err := stk.StoreAPI(t.Context(), http.MethodPut, "sys/leases/revoke-prefix/auth/"+AuthMount, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(t.Context(), reader, itKV2+"/data/app", 0); err != nil {
		t.Fatalf("read after revocation: %v", err)
	}
	if got := n.logins.Load(); got != 2 {
		t.Fatalf("logins after revocation: got %d, want 2", got)
	}
}

// The login is a real TokenReview: once the ServiceAccount is deleted, its still validly
// signed token is refused.
func TestStoreLoginIsRealTokenReview(t *testing.T) {
	setupStore(t)
	ctx := t.Context()
	const sa = "short-lived"
	if err := stack.EnsureServiceAccount(ctx, kube, itNS, sa); err != nil {
		t.Fatal(err)
	}
	if err := stk.WriteRole(ctx, AuthMount, "it-short", itNS, sa, "", itPolicy); err != nil {
		t.Fatal(err)
	}
	jwt, err := stack.ServiceAccountToken(ctx, kube, itNS, sa, "", 600)
	if err != nil {
		t.Fatal(err)
	}
	login := store.Login{
		AuthPath:       AuthMount,
		Role:           "it-short",
		ServiceAccount: itNS + "/" + sa,
		JWT:            func(context.Context) (string, error) { return jwt, nil },
	}
	if _, err := newStoreClient(t, store.Config{CAFile: stk.Env.CAFile}).Read(ctx, login, itKV2+"/data/app", 0); err != nil {
		t.Fatalf("login with a live ServiceAccount: %v", err)
	}
	if err := kube.CoreV1().ServiceAccounts(itNS).Delete(ctx, sa, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// kube-apiserver caches successful token authentications for 10 s
	time.Sleep(11 * time.Second)
	_, err = newStoreClient(t, store.Config{CAFile: stk.Env.CAFile}).Read(ctx, login, itKV2+"/data/app", 0)
	if !errors.Is(err, store.ErrLogin) {
		t.Fatalf("login with a deleted ServiceAccount: got %v, want ErrLogin", err)
	}
	if strings.Contains(err.Error(), jwt) {
		t.Fatal("the error contains the JWT")
	}
}
