// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injectorbench

import (
	"net/http"
	"testing"
	"time"

	"github.com/deckhouse/secrets-store-integration/test/bench/i18n"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		want         kind
	}{
		{http.MethodPost, "/v1/auth/kubernetes_local/login", kindLogin},
		{http.MethodGet, "/v1/sys/internal/ui/mounts/kv/data/p0", kindMount},
		{http.MethodGet, "/v1/kv/data/p0", kindRead},
		{"LIST", "/v1/kv/metadata", kindRead},
		{http.MethodPut, "/v1/pki/issue/web", kindWrite},
		{http.MethodPost, "/v1/transit/encrypt/app", kindWrite},
		{http.MethodPut, "/v1/auth/token/renew-self", kindRenew},
		{http.MethodPut, "/v1/sys/leases/renew", kindRenew},
		{http.MethodPost, "/v1/auth/token/revoke-self", kindRevoke},
		{http.MethodPut, "/v1/sys/leases/revoke", kindRevoke},
		{http.MethodDelete, "/v1/kv/data/p0", kindOther},
	} {
		if got := classify(tc.method, tc.path); got != tc.want {
			t.Errorf("classify(%s %s) = %s, want %s", tc.method, tc.path, kindNames[got], kindNames[tc.want])
		}
	}
}

func TestRequestsFormat(t *testing.T) {
	var r Requests
	for _, k := range []kind{kindLogin, kindRead, kindRead, kindRevoke} {
		r.add(k)
	}
	if got, want := r.Format(false), "4 (login 1, read 2, revoke 1)"; got != want {
		t.Errorf("Format(false) = %q, want %q", got, want)
	}
	if got, want := r.Format(true), i18n.RU("injectorbench.injectorbench_test.01"); got != want {
		t.Errorf("Format(true) = %q, want %q", got, want)
	}
	if got := r.sub(Requests{Read: 2}); got != (Requests{Login: 1, Revoke: 1}) {
		t.Errorf("sub = %+v, want login 1 and revoke 1", got)
	}
}

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		name, stat string
		want       time.Duration
		wantErr    bool
	}{
		{"plain", "42 (injector) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 5 0", 100 * time.Millisecond, false},
		{"name with spaces and parens", "42 (a) b (c) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 5 0", 30 * time.Millisecond, false},
		{"truncated", "42 (injector) S 1 42", 0, true},
		{"no name", "42 injector S", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStat([]byte(tc.stat))
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("parseStat = %s, %v; want %s, error %t", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestRefs(t *testing.T) {
	got := refs(3, 5)
	want := []string{
		"V0=secrets-store:kv/data/p0#k", "V1=secrets-store:kv/data/p1#k", "V2=secrets-store:kv/data/p2#k",
		"V3=secrets-store:kv/data/p0#j", "V4=secrets-store:kv/data/p1#j",
	}
	if len(got) != len(want) {
		t.Fatalf("refs(3, 5) = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("refs(3, 5)[%d] = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestTouchCost(t *testing.T) {
	d, err := touchCost(3, 64)
	if err != nil {
		t.Fatal(err)
	}
	if d <= 0 || d > time.Second {
		t.Errorf("touchCost(3, 64) = %v, want a positive time under a second", d)
	}
	for _, bad := range [][2]int{{0, 64}, {3, 0}, {-1, -1}} {
		if _, err := touchCost(bad[0], bad[1]); err == nil {
			t.Errorf("touchCost(%d, %d) gave no error", bad[0], bad[1])
		}
	}
}
