// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestReuseFor(t *testing.T) {
	tests := []struct {
		ttl, want time.Duration
	}{
		{ttl: 10 * time.Minute, want: 10*time.Minute - 30*time.Second},
		{ttl: 100 * time.Second, want: 90 * time.Second},
		{ttl: time.Second, want: 900 * time.Millisecond},
		{ttl: 0, want: noTTLReuse},
	}
	for _, tt := range tests {
		t.Run(tt.ttl.String(), func(t *testing.T) {
			if got := reuseFor(tt.ttl); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestTokenReuseAndExpiry(t *testing.T) {
	tests := []struct {
		name       string
		ttl        int // seconds
		at         time.Duration
		wantLogins int
	}{
		{name: "same instant", ttl: 600, at: 0, wantLogins: 1},
		{name: "just before the margin", ttl: 600, at: 569 * time.Second, wantLogins: 1},
		{name: "at the margin", ttl: 600, at: 570 * time.Second, wantLogins: 2},
		{name: "after expiry", ttl: 600, at: time.Hour, wantLogins: 2},
		{name: "short ttl inside 10%", ttl: 100, at: 89 * time.Second, wantLogins: 1},
		{name: "short ttl at 10%", ttl: 100, at: 90 * time.Second, wantLogins: 2},
		{name: "no ttl", ttl: 0, at: 4 * time.Minute, wantLogins: 1},
		{name: "no ttl after reuse bound", ttl: 0, at: 5 * time.Minute, wantLogins: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeVault(t)
			f.set(func(f *fakeVault) { f.ttl = tt.ttl })
			c := newTestClient(t, f)
			clock := &fakeClock{}
			clock.Set(0)
			c.now = clock.Now
			if _, err := c.Read(t.Context(), appLogin(), "kv1/app", 0); err != nil {
				t.Fatalf("first read: %v", err)
			}
			clock.Set(tt.at)
			if _, err := c.Read(t.Context(), appLogin(), "kv1/app", 0); err != nil {
				t.Fatalf("second read: %v", err)
			}
			if got := f.count("login"); got != tt.wantLogins {
				t.Errorf("got %d logins, want %d", got, tt.wantLogins)
			}
		})
	}
}

func TestMountLookupCached(t *testing.T) {
	f := newFakeVault(t)
	c := newTestClient(t, f)
	clock := &fakeClock{}
	clock.Set(0)
	c.now = clock.Now
	for _, p := range []string{"demo-kv/data/myapp-secret", "demo-kv/myapp-secret", "demo-kv/data/myapp-secret"} {
		if _, err := c.Read(t.Context(), appLogin(), p, 0); err != nil {
			t.Fatalf("read %s: %v", p, err)
		}
	}
	if got := f.count("mount"); got != 1 {
		t.Errorf("got %d mount lookups, want 1", got)
	}
	clock.Set(mountTTL)
	if _, err := c.Read(t.Context(), appLogin(), "demo-kv/myapp-secret", 0); err != nil {
		t.Fatalf("read after mount ttl: %v", err)
	}
	if got := f.count("mount"); got != 2 {
		t.Errorf("got %d mount lookups after mount ttl, want 2", got)
	}
}

func TestReloginOnForbidden(t *testing.T) {
	tests := []struct {
		name       string
		warm       bool // read once before, so the token comes from the cache
		between    func(f *fakeVault)
		path       string
		wantErr    error
		wantLogins int
		wantReads  int
	}{
		{
			name: "revoked cached token: one new login, one retry", warm: true,
			between: func(f *fakeVault) {
				for k, v := range f.tokens {
					v.revoked = true
					f.tokens[k] = v
				}
			},
			path: "kv1/app", wantLogins: 2, wantReads: 3,
		},
		{
			name: "policy denies with cached token: second 403 returned", warm: true,
			path: "demo-kv/data/other", wantErr: ErrPermissionDenied, wantLogins: 2, wantReads: 3,
		},
		{
			name: "policy denies with fresh token: no second login",
			path: "demo-kv/data/other", wantErr: ErrPermissionDenied, wantLogins: 1, wantReads: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeVault(t)
			c := newTestClient(t, f)
			if tt.warm {
				if _, err := c.Read(t.Context(), appLogin(), "kv1/app", 0); err != nil {
					t.Fatalf("warm-up read: %v", err)
				}
			}
			if tt.between != nil {
				f.set(tt.between)
			}
			_, err := c.Read(t.Context(), appLogin(), tt.path, 0)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			if got := f.count("login"); got != tt.wantLogins {
				t.Errorf("got %d logins, want %d", got, tt.wantLogins)
			}
			if got := f.count("read"); got != tt.wantReads {
				t.Errorf("got %d reads, want %d", got, tt.wantReads)
			}
		})
	}
}

func TestConcurrentReadsShareOneLogin(t *testing.T) {
	f := newFakeVault(t)
	c := newTestClient(t, f)
	paths := []string{"kv1/app", "demo-kv/data/myapp-secret", "demo-kv/myapp-secret"}
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range 100 {
		wg.Go(func() {
			s, err := c.Read(t.Context(), appLogin(), paths[i%len(paths)], 0)
			if err != nil || s.Data["DB_PASS"] != valuePass {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Errorf("got %d failed reads, want 0", n)
	}
	if got := f.count("login"); got != 1 {
		t.Errorf("got %d logins, want 1", got)
	}
	if got := f.count("read"); got > 100 {
		t.Errorf("got %d reads, want at most 100", got)
	}
}

func TestIdentitiesNeverShareTokens(t *testing.T) {
	f := newFakeVault(t)
	c := newTestClient(t, f)
	app := appLogin()
	other := Login{AuthPath: "kubernetes_local", Role: "other-role", ServiceAccount: "other-ns/other-sa", JWT: staticJWT(jwtOther)}
	// Same role as app, another ServiceAccount whose JWT the role does not
	// accept: app's cached token must not be handed to it.
	intruder := Login{AuthPath: "kubernetes_local", Role: "myapp-role", ServiceAccount: "other-ns/other-sa", JWT: staticJWT(jwtOther)}
	tests := []struct {
		name    string
		login   Login
		path    string
		wantErr error
	}{
		{name: "app reads its secret", login: app, path: "demo-kv/data/myapp-secret"},
		{name: "other reads its secret", login: other, path: "demo-kv/data/other"},
		{name: "other may not read app's secret", login: other, path: "demo-kv/data/myapp-secret", wantErr: ErrPermissionDenied},
		{name: "same role, other service account must log in itself", login: intruder, path: "demo-kv/data/myapp-secret", wantErr: ErrLogin},
		{name: "app again", login: app, path: "demo-kv/data/myapp-secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Read(t.Context(), tt.login, tt.path, 0)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
		})
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, tok := range f.readTokens {
		ft := f.tokens[tok]
		if ft.role == "other-role" && ft.jwt != jwtOther || ft.role == "myapp-role" && ft.jwt != jwtApp {
			t.Errorf("got a read with a token of role %s issued for another JWT", ft.role)
		}
	}
}

func TestCallerCancellation(t *testing.T) {
	release := make(chan struct{})
	f := newFakeVault(t)
	c := newTestClient(t, f)
	l := appLogin()
	l.JWT = func(context.Context) (string, error) {
		<-release
		return jwtApp, nil
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.Read(ctx, l, "kv1/app", 0); !errors.Is(err, context.Canceled) {
		t.Errorf("already canceled: got %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Read(ctx, l, "kv1/app", 0)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrUnavailable) {
		t.Errorf("deadline: got %v, want DeadlineExceeded and ErrUnavailable", err)
	}
	close(release)
	// The shared read carries on for the next caller.
	if _, err := c.Read(t.Context(), l, "kv1/app", 0); err != nil {
		t.Errorf("after release: got %v, want success", err)
	}
}

func TestConcurrentForbiddenShareOneRelogin(t *testing.T) {
	f := newFakeVault(t)
	c := newTestClient(t, f)
	paths := []string{"kv1/app", "demo-kv/data/myapp-secret", "demo-kv/myapp-secret"}
	for _, p := range paths {
		if _, err := c.Read(t.Context(), appLogin(), p, 0); err != nil {
			t.Fatalf("warm-up %s: %v", p, err)
		}
	}
	f.set(func(f *fakeVault) {
		for k, v := range f.tokens {
			v.revoked = true
			f.tokens[k] = v
		}
	})
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range 100 {
		wg.Go(func() {
			if _, err := c.Read(t.Context(), appLogin(), paths[i%len(paths)], 0); err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Errorf("got %d failed reads, want 0", n)
	}
	if got := f.count("login"); got != 2 {
		t.Errorf("got %d logins, want 2 (one before, one after the revocation)", got)
	}
}
