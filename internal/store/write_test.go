// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func TestWrite(t *testing.T) {
	f := newFakeVault(t)
	f.allow("myapp-role", "pki/issue/web", "kv1/new")
	c := newTestClient(t, f)
	body := map[string]any{"common_name": "app.example.com", "ttl": "24h", "alt_names": []string{"a.example.com"}}

	s, err := c.Write(t.Context(), appLogin(), "/pki/issue/web", body)
	if err != nil {
		t.Fatalf("write: %v", err)
	}
	if s.Path != "pki/issue/web" || s.Data["certificate"] != "CERT for app.example.com" ||
		s.Data["ca_chain"] != `["CA-1","CA-2"]` || !reflect.DeepEqual(s.Raw["ca_chain"], []any{"CA-1", "CA-2"}) {
		t.Errorf("got %+v, want the issued certificate", s)
	}
	writes := f.writesSeen()
	want := map[string]any{"common_name": "app.example.com", "ttl": "24h", "alt_names": []any{"a.example.com"}}
	if len(writes) != 1 || writes[0].path != "pki/issue/web" || !reflect.DeepEqual(writes[0].body, want) {
		t.Errorf("got writes %+v, want one to pki/issue/web with %v", writes, want)
	}

	// A path that only stores answers 204: accepted, but no data.
	_, err = c.Write(t.Context(), appLogin(), "kv1/new", map[string]any{"K": "v"})
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "answered the write with no data") {
		t.Errorf("no data: got %v, want ErrNotFound saying the write had no data", err)
	}
	if got, err := c.Read(t.Context(), appLogin(), "kv1/new", 0); err != nil || got.Data["K"] != "v" {
		t.Errorf("read back: got %v, %v, want K=v", got, err)
	}
	if got := f.count("mount"); got != 0 {
		t.Errorf("got %d mount lookups, want none", got)
	}
}

func TestWriteErrors(t *testing.T) {
	f := newFakeVault(t)
	f.allow("myapp-role", "pki/issue/web", "pki/sign/missing")
	c := newTestClient(t, f)
	tests := []struct {
		name, path string
		wantErr    error
		status     int
		contains   []string
	}{
		{
			name: "denied", path: "pki/issue/other", wantErr: ErrPermissionDenied, status: 403,
			contains: []string{`role "myapp-role" may not write "pki/issue/other"`, "allows create and update"},
		},
		{
			name: "no such path", path: "pki/sign/missing", wantErr: ErrNotFound, status: 404,
			contains: []string{`write "pki/sign/missing" as role "myapp-role": no such path`},
		},
		{name: "invalid path", path: "pki/../sys", wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Write(t.Context(), appLogin(), tt.path, map[string]any{"common_name": "x.example.com"})
			var e *Error
			if !errors.Is(err, tt.wantErr) || !errors.As(err, &e) || e.Op != OpWrite || e.Status != tt.status {
				t.Fatalf("got %#v, want a write error matching %v with status %d", err, tt.wantErr, tt.status)
			}
			for _, s := range tt.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("got %q, want it to contain %q", err, s)
				}
			}
		})
	}
	if _, err := c.Write(t.Context(), appLogin(), "pki/issue/web", map[string]any{"bad": func() {}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unencodable body: got %v, want ErrInvalid", err)
	}
}

// Writes are never merged: each call sends its own request.
func TestWritesAreNotShared(t *testing.T) {
	f := newFakeVault(t)
	f.allow("myapp-role", "pki/issue/web")
	c := newTestClient(t, f)
	var wg sync.WaitGroup
	keys := make([]string, 5)
	for i := range keys {
		wg.Go(func() {
			s, err := c.Write(t.Context(), appLogin(), "pki/issue/web", map[string]any{"common_name": "a.example.com"})
			if err != nil {
				t.Errorf("write: %v", err)
				return
			}
			keys[i] = s.Data["private_key"]
		})
	}
	wg.Wait()
	if got := f.count("write"); got != 5 {
		t.Errorf("got %d write requests, want 5", got)
	}
	seen := map[string]bool{}
	for _, k := range keys {
		seen[k] = true
	}
	if len(seen) != 5 {
		t.Errorf("got %d distinct answers for 5 writes, want 5", len(seen))
	}
}

func TestBodyValues(t *testing.T) {
	type custom struct{ Pass string }
	got, err := bodyValues(map[string]any{
		"s": "str", "n": 3600, "f": 1.5, "b": true, "nil": nil,
		"nested": map[string]string{"k": "inner"}, "list": []any{"x", 7}, "struct": custom{Pass: "p4ss"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"str", "3600", "1.5", "inner", "x", "7", "p4ss"}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("got %q, want it to hold %q", got, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d values %q, want %d", len(got), got, len(want))
	}
}
