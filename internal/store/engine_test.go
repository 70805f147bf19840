// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Paths on engines other than KV are plain logical reads that keep the
// answer's lease and its data as decoded.
func TestReadAnyEngine(t *testing.T) {
	f := newFakeVault(t)
	f.allow("myapp-role", "database/creds/app", "pki/cert/ca", "database/creds/nope")
	c := newTestClient(t, f)

	db, err := c.Read(t.Context(), appLogin(), "database/creds/app", 0)
	if err != nil {
		t.Fatalf("database: %v", err)
	}
	if !strings.HasPrefix(db.LeaseID, "database/creds/app/") || db.LeaseDuration != time.Hour || !db.Renewable {
		t.Errorf("database lease: got %q %s renewable=%v, want database/creds/app/…, 1h, renewable", db.LeaseID, db.LeaseDuration, db.Renewable)
	}
	if !strings.HasPrefix(db.Data["password"], dbPassMark) || db.Raw["username"] != db.Data["username"] || db.Version != 0 {
		t.Errorf("database data: got %v raw %v version %d", db.Data, db.Raw, db.Version)
	}

	ca, err := c.Read(t.Context(), appLogin(), "pki/cert/ca", 0)
	if err != nil {
		t.Fatalf("pki: %v", err)
	}
	if ca.LeaseID != "" || ca.Renewable || ca.Data["revocation_time"] != "0" || ca.Raw["revocation_time"] != json.Number("0") {
		t.Errorf("pki: got lease %q renewable=%v data %v raw %v", ca.LeaseID, ca.Renewable, ca.Data, ca.Raw)
	}

	// Reads that do not overlap never share a lease.
	again, err := c.Read(t.Context(), appLogin(), "database/creds/app", 0)
	if err != nil || again.LeaseID == db.LeaseID {
		t.Errorf("second read: got lease %q (%v), want one other than %q", again.LeaseID, err, db.LeaseID)
	}

	if _, err := c.Read(t.Context(), appLogin(), "database/creds/nope", 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: got %v, want ErrNotFound", err)
	}
	if got, want := countsOf(f), map[string]int{"login": 1, "read": 4, "mount": 1}; !maps.Equal(got, want) {
		t.Errorf("got requests %v, want %v (a lookup only for the 404)", got, want)
	}
}

// A version asks for KV v2: any other answer is refused, never returned
// unversioned, whether the mount is known or not.
func TestVersionNeedsKV2(t *testing.T) {
	f := newFakeVault(t)
	f.allow("myapp-role", "database/creds/app")
	tests := []struct {
		name, path string
		warm       bool // learn the mount first
		wantReads  int
	}{
		{name: "kv1, mount unknown", path: "kv1/app", wantReads: 1},
		{name: "database engine, mount unknown", path: "database/creds/app", wantReads: 1},
		{name: "kv1, mount learned", path: "kv1/app", warm: true, wantReads: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, f)
			if tt.warm {
				c.mounts.store(mount{path: "kv1/"}, c.now())
			}
			before := f.count("read")
			s, err := c.Read(t.Context(), appLogin(), tt.path, 3)
			if !errors.Is(err, ErrVersionUnsupported) || s != nil {
				t.Fatalf("got %v, %v, want ErrVersionUnsupported and no secret", s, err)
			}
			if got := f.count("read") - before; got != tt.wantReads {
				t.Errorf("got %d reads, want %d", got, tt.wantReads)
			}
		})
	}
}

// A KV v2 path without data/ that names one of the engine's own endpoints
// (config, metadata/<name>) answers something other than the secret: the
// mount is learned and the secret read at the data path.
func TestKV2EndpointNamesAreSecrets(t *testing.T) {
	f := newFakeVault(t)
	f.set(func(f *fakeVault) {
		f.v2["demo-kv/config"] = []fakeVersion{{data: map[string]any{"K": "config-secret"}}}
		f.v2["demo-kv/metadata/app"] = []fakeVersion{{data: map[string]any{"K": "metadata-secret"}}}
		f.v2["demo-kv/app"] = []fakeVersion{{data: map[string]any{"K": "app"}}}
	})
	f.allow("myapp-role", "demo-kv/config", "demo-kv/data/config", "demo-kv/metadata/app", "demo-kv/data/metadata/app")
	for _, tt := range []struct{ path, want string }{
		{"demo-kv/config", "config-secret"},
		{"demo-kv/metadata/app", "metadata-secret"},
	} {
		c := newTestClient(t, f)
		s, err := c.Read(t.Context(), appLogin(), tt.path, 0)
		if err != nil || s.Data["K"] != tt.want || s.Version != 1 {
			t.Errorf("%s: got %v, %v, want K=%s version 1", tt.path, s, err, tt.want)
		}
	}
	if got := f.count("mount"); got != 2 {
		t.Errorf("got %d lookups, want 2", got)
	}
}

func TestNeedsMount(t *testing.T) {
	v2 := map[string]any{"data": map[string]any{"k": "v"}, "metadata": map[string]any{"version": json.Number("1")}}
	tests := []struct {
		name string
		sec  *apiSecret
		err  error
		path string
		want bool
	}{
		{name: "plain answer", sec: &apiSecret{Data: map[string]any{"k": "v"}}, path: "kv1/app"},
		{name: "kv2 answer at a data path", sec: &apiSecret{Data: v2}, path: "kv/data/app"},
		{name: "kv2 shaped answer elsewhere", sec: &apiSecret{Data: v2}, path: "kv/app", want: true},
		{name: "no answer", path: "kv/app", want: true},
		{name: "kv2 warning", sec: &apiSecret{Warnings: []string{"Invalid path"}}, path: "kv/app", want: true},
		{name: "metadata", sec: &apiSecret{Data: map[string]any{"versions": map[string]any{}, "current_version": 1}}, path: "kv/metadata/app", want: true},
		{name: "config", sec: &apiSecret{Data: map[string]any{"max_versions": 0, "cas_required": false}}, path: "kv/config", want: true},
		{name: "listing", sec: &apiSecret{Data: map[string]any{"keys": []any{"a/"}}}, path: "kv/app", want: true},
		{name: "a key named keys among others", sec: &apiSecret{Data: map[string]any{"keys": []any{"a"}, "b": "c"}}, path: "kv1/app"},
		{name: "403", err: &Error{Status: 403, Kind: ErrPermissionDenied}, path: "kv/app", want: true},
		{name: "405", err: &Error{Status: 405}, path: "kv/delete/app", want: true},
		{name: "500", err: &Error{Status: 500, Kind: ErrUnavailable}, path: "kv/app"},
		{name: "tls", err: &Error{Kind: ErrTLS}, path: "kv/app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := needsMount(tt.sec, tt.err, tt.path); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// Callers sharing one read each get a copy they may change freely.
func TestSecretCloneIsDeep(t *testing.T) {
	orig := &Secret{
		Data: map[string]string{"a": "1"},
		Raw:  map[string]any{"a": map[string]any{"b": []any{"c"}}},
	}
	want := orig.clone()
	c := orig.clone()
	c.Data["a"] = "changed"
	inner, _ := c.Raw["a"].(map[string]any)
	list, _ := inner["b"].([]any)
	list[0] = "changed"
	if !reflect.DeepEqual(orig, want) {
		t.Errorf("got %+v after changing a clone, want %+v", orig, want)
	}
}
