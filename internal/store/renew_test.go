// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestToken(t *testing.T) {
	f := newFakeVault(t)
	c := newTestClient(t, f)
	tok, err := c.Token(t.Context(), appLogin())
	if err != nil || !strings.HasPrefix(tok, tokenMark) {
		t.Fatalf("got %q, %v, want a token from the store", tok, err)
	}
	again, err := c.Token(t.Context(), appLogin())
	if err != nil || again != tok {
		t.Errorf("again: got %q, %v, want the cached token", again, err)
	}
	if _, err := c.Read(t.Context(), appLogin(), "kv1/app", 0); err != nil {
		t.Fatalf("read: %v", err)
	}
	if got := f.count("login"); got != 1 {
		t.Errorf("got %d logins, want 1 shared by Token and Read", got)
	}
	l := appLogin()
	l.Role = "nope-role"
	if _, err := c.Token(t.Context(), l); !errors.Is(err, ErrLogin) {
		t.Errorf("refused login: got %v, want ErrLogin", err)
	}
}

func TestRenewToken(t *testing.T) {
	f := newFakeVault(t)
	o := &recordingObserver{}
	c := newTestClient(t, f, WithObserver(o))
	clock := &fakeClock{}
	clock.Set(0)
	c.now = clock.Now

	if _, ok := c.TokenInfo(appLogin()); ok {
		t.Errorf("TokenInfo before any login: got ok, want none")
	}
	if _, err := c.RenewToken(t.Context(), appLogin()); !errors.Is(err, ErrInvalid) || len(o.kinds) != 0 {
		t.Fatalf("without a token: got %v after %v, want ErrInvalid and no request", err, o.kinds)
	}
	if _, err := c.Read(t.Context(), appLogin(), "kv1/app", 0); err != nil {
		t.Fatalf("read: %v", err)
	}
	info, ok := c.TokenInfo(appLogin())
	if want := (TokenInfo{TTL: 10 * time.Minute, Renewable: true, Obtained: clock.Now()}); !ok || info != want {
		t.Errorf("TokenInfo after login: got %+v %v, want %+v", info, ok, want)
	}

	// Past the reuse time of the first TTL, within its end: renewed, then
	// reused for the new TTL without a login.
	clock.Set(9*time.Minute + 45*time.Second)
	info, err := c.RenewToken(t.Context(), appLogin())
	if want := (TokenInfo{TTL: 20 * time.Minute, Renewable: true, Obtained: clock.Now()}); err != nil || info != want {
		t.Fatalf("renew: got %+v, %v, want %+v", info, err, want)
	}
	if got, _ := c.TokenInfo(appLogin()); got != info {
		t.Errorf("TokenInfo after renewal: got %+v, want %+v", got, info)
	}
	clock.Set(25 * time.Minute)
	if _, err := c.Read(t.Context(), appLogin(), "kv1/app", 0); err != nil {
		t.Fatalf("read after renewal: %v", err)
	}
	if got := f.count("login"); got != 1 {
		t.Errorf("got %d logins, want 1: the renewed token is reused", got)
	}
	if got := strings.Join(o.kinds, ","); got != "login,read,renew,read" {
		t.Errorf("got kinds %s, want login,read,renew,read", got)
	}
}

// A token the store no longer accepts is forgotten: the next request logs
// in anew.
func TestRenewTokenRevoked(t *testing.T) {
	f := newFakeVault(t)
	c := newTestClient(t, f)
	if _, err := c.Token(t.Context(), appLogin()); err != nil {
		t.Fatal(err)
	}
	f.set(func(f *fakeVault) {
		for k, v := range f.tokens {
			v.revoked = true
			f.tokens[k] = v
		}
	})
	_, err := c.RenewToken(t.Context(), appLogin())
	var e *Error
	if !errors.Is(err, ErrPermissionDenied) || !errors.As(err, &e) || e.Op != OpRenew {
		t.Fatalf("got %v, want a renew error matching ErrPermissionDenied", err)
	}
	want := `renew the token of role "myapp-role" from "auth/kubernetes_local" refused: store says: permission denied: the token was revoked or has expired: log in again`
	if err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
	if _, ok := c.TokenInfo(appLogin()); ok {
		t.Errorf("TokenInfo after refusal: got ok, want the token forgotten")
	}
	if _, err := c.Read(t.Context(), appLogin(), "kv1/app", 0); err != nil {
		t.Fatalf("read: %v", err)
	}
	if got := f.count("login"); got != 2 {
		t.Errorf("got %d logins, want 2", got)
	}
}

func TestRenewLease(t *testing.T) {
	f := newFakeVault(t)
	f.allow("myapp-role", "database/creds/app")
	c := newTestClient(t, f)
	s, err := c.Read(t.Context(), appLogin(), "database/creds/app", 0)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		increment time.Duration
		want      time.Duration
	}{
		{name: "store default", want: time.Hour},
		{name: "two hours", increment: 2 * time.Hour, want: 2 * time.Hour},
		{name: "part of a second rounds up", increment: 1500 * time.Millisecond, want: 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lease, err := c.RenewLease(t.Context(), appLogin(), s.LeaseID, tt.increment)
			if want := (Lease{ID: s.LeaseID, Duration: tt.want, Renewable: true}); err != nil || lease != want {
				t.Errorf("got %+v, %v, want %+v", lease, err, want)
			}
		})
	}
	if got := f.count("renew"); got != len(tests) {
		t.Errorf("got %d renewals, want %d", got, len(tests))
	}
}

func TestRenewLeaseErrors(t *testing.T) {
	f := newFakeVault(t)
	c := newTestClient(t, f)
	tests := []struct {
		name, id  string
		increment time.Duration
		wantErr   error
		status    int
		contains  string
	}{
		{
			name: "unknown lease", id: "database/creds/app/" + leaseMark + "gone", status: 400,
			contains: `renew a lease of "database/creds/app" as role "myapp-role" refused (HTTP 400): store says: lease not found: ` +
				`the lease may have ended or not be renewable`,
		},
		{name: "empty id", id: "", wantErr: ErrInvalid, contains: `renew a lease as role "myapp-role": invalid request`},
		{name: "id without a path", id: leaseMark + "x", wantErr: ErrInvalid},
		{name: "negative increment", id: "database/creds/app/x", increment: -time.Second, wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.RenewLease(t.Context(), appLogin(), tt.id, tt.increment)
			var e *Error
			if !errors.As(err, &e) || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) || e.Op != OpRenew || e.Status != tt.status {
				t.Fatalf("got %#v, want a renew error matching %v with status %d", err, tt.wantErr, tt.status)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("got %q, want it to contain %q", err, tt.contains)
			}
			if strings.Contains(err.Error(), leaseMark) {
				t.Errorf("got the lease id in %q", err)
			}
		})
	}
}
