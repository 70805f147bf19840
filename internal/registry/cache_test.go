// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/podmutate"
)

func TestLRU(t *testing.T) {
	clock := newFakeClock()
	c := newLRU[int](2, time.Minute, clock.Now)
	c.add("a", 1)
	c.add("b", 2)
	if _, ok := c.get("a"); !ok { // a is now the most recently used
		t.Fatal("got miss for a, want hit")
	}
	c.add("c", 3) // evicts b
	c.add("a", 10)

	tests := []struct {
		key    string
		want   int
		wantOK bool
	}{
		{"a", 10, true},
		{"b", 0, false},
		{"c", 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			got, ok := c.get(tt.key)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("got %d, %v, want %d, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
	if got, want := c.len(), 2; got != want {
		t.Errorf("got %d entries, want %d", got, want)
	}
	clock.Advance(time.Minute)
	if _, ok := c.get("a"); ok {
		t.Error("got hit after the ttl, want miss")
	}
	if got, want := c.len(), 1; got != want {
		t.Errorf("got %d entries after an expired get, want %d", got, want)
	}
}

func TestResolveCacheTTL(t *testing.T) {
	tr := newTestRegistry(t)
	tr.pushImage(t, "public/app:v1", []string{"/bin/app"}, nil)
	clock := newFakeClock()
	r := newTestResolver(t, tr, newFakeSecrets(), Config{}, WithClock(clock.Now))
	ref := podmutate.ImageRef{Image: tr.host + "/public/app:v1"}

	steps := []struct {
		name               string
		advance            time.Duration
		wantHeads, wantGet int // new requests in this step
	}{
		{name: "cold", wantHeads: 1, wantGet: 1},
		{name: "warm", advance: 30 * time.Second},
		{name: "tag expired, config cached", advance: 31 * time.Second, wantHeads: 1},
		{name: "both expired", advance: time.Hour, wantHeads: 1, wantGet: 1},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			clock.Advance(s.advance)
			heads, gets := tr.count("HEAD manifest"), tr.count("GET manifest")
			if _, err := r.Resolve(t.Context(), ref); err != nil {
				t.Fatal(err)
			}
			if got := tr.count("HEAD manifest") - heads; got != s.wantHeads {
				t.Errorf("got %d HEAD requests, want %d", got, s.wantHeads)
			}
			if got := tr.count("GET manifest") - gets; got != s.wantGet {
				t.Errorf("got %d manifest GETs, want %d", got, s.wantGet)
			}
		})
	}
}

func TestResolveCacheBound(t *testing.T) {
	tr := newTestRegistry(t)
	for i := range 5 {
		tr.pushImage(t, fmt.Sprintf("public/app%d:v1", i), []string{fmt.Sprintf("/bin/app%d", i)}, nil)
	}
	r := newTestResolver(t, tr, newFakeSecrets(), Config{MaxEntries: 3})
	for i := range 5 {
		if _, err := r.Resolve(t.Context(), podmutate.ImageRef{Image: fmt.Sprintf("%s/public/app%d:v1", tr.host, i)}); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := r.tags.len(), 3; got != want {
		t.Errorf("got %d tag entries, want %d", got, want)
	}
	if got, want := r.configs.len(), 3; got != want {
		t.Errorf("got %d config entries, want %d", got, want)
	}
	// app0 was evicted: it costs requests again; app4 is still cached.
	for _, c := range []struct {
		image    string
		wantReqs bool
	}{{"public/app4:v1", false}, {"public/app0:v1", true}} {
		before := tr.total.Load()
		if _, err := r.Resolve(t.Context(), podmutate.ImageRef{Image: tr.host + "/" + c.image}); err != nil {
			t.Fatal(err)
		}
		if got := tr.total.Load() > before; got != c.wantReqs {
			t.Errorf("%s: got registry requests %v, want %v", c.image, got, c.wantReqs)
		}
	}
}

// TestResolveCredentialIsolation: a lookup that succeeded with credentials
// fills caches that only lookups with the same credentials can read.
func TestResolveCredentialIsolation(t *testing.T) {
	tr := newTestRegistry(t)
	tr.pushImage(t, "private/app:v1", []string{"/bin/secret-app"}, nil)
	d := tr.pushImage(t, "private/app:v2", []string{"/bin/secret-app2"}, nil)
	secrets := newFakeSecrets(
		dockerSecret("team-a", "pull", tr.host, testUser, testPassword),
		dockerSecret("team-b", "same-creds", tr.host, testUser, testPassword),
		dockerSecret("team-c", "pull", tr.host, testUser, "guess"),
	)
	r := newTestResolver(t, tr, secrets, Config{})

	tests := []struct {
		name     string
		ref      podmutate.ImageRef
		wantErr  error
		wantReqs bool // whether the registry is asked
	}{
		{
			name:     "owner fills the caches",
			ref:      podmutate.ImageRef{Image: tr.host + "/private/app:v1", Namespace: "team-a", PullSecrets: []string{"pull"}},
			wantReqs: true,
		},
		{
			name:     "owner by digest",
			ref:      podmutate.ImageRef{Image: tr.host + "/private/app@" + d.String(), Namespace: "team-a", PullSecrets: []string{"pull"}},
			wantReqs: true,
		},
		{
			name:     "no credentials, same tag",
			ref:      podmutate.ImageRef{Image: tr.host + "/private/app:v1", Namespace: "team-z"},
			wantErr:  ErrDenied,
			wantReqs: true,
		},
		{
			name:     "no credentials, known digest",
			ref:      podmutate.ImageRef{Image: tr.host + "/private/app@" + d.String(), Namespace: "team-z"},
			wantErr:  ErrDenied,
			wantReqs: true,
		},
		{
			name:     "wrong credentials, same secret name in another namespace",
			ref:      podmutate.ImageRef{Image: tr.host + "/private/app:v1", Namespace: "team-c", PullSecrets: []string{"pull"}},
			wantErr:  ErrDenied,
			wantReqs: true,
		},
		{
			name:     "same credentials in another namespace share the cache",
			ref:      podmutate.ImageRef{Image: tr.host + "/private/app:v1", Namespace: "team-b", PullSecrets: []string{"same-creds"}},
			wantReqs: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tr.total.Load()
			_, err := r.Resolve(t.Context(), tt.ref)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if got := tr.total.Load() > before; got != tt.wantReqs {
				t.Errorf("got registry requests %v, want %v", got, tt.wantReqs)
			}
		})
	}
}

func TestCredentialIDStable(t *testing.T) {
	tr := newTestRegistry(t)
	multi := dockerSecret("ns", "multi", tr.host, "u1", "p1")
	// Several locations matching the same registry, in one secret: map order
	// must not change the ID.
	multi.Data[".dockerconfigjson"] = []byte(`{"auths":{"` + tr.host + `":{"username":"a","password":"1"},"https://` +
		tr.host + `/v2/":{"username":"b","password":"2"},"http://` + tr.host + `":{"username":"c","password":"3"}}}`)
	r := newTestResolver(t, tr, newFakeSecrets(multi), Config{})
	var first string
	for i := range 20 {
		creds := r.podCredentials(t.Context(), "ns", []string{"multi"}, tr.host, "app")
		if got, want := len(creds), 3; got != want {
			t.Fatalf("got %d credentials, want %d", got, want)
		}
		id := r.credentialID(creds)
		if i == 0 {
			first = id
		} else if id != first {
			t.Fatalf("got credential ID %s, want %s (stable)", id, first)
		}
	}
	if got := r.credentialID(nil); got != "anonymous" {
		t.Errorf("got %q for no credentials, want anonymous", got)
	}
}
