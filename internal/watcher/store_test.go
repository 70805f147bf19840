// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package watcher

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzAppendJSONString: the login body's strings decode to what
// encoding/json decodes from its own encoding of the same string.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "app", `a"b\c`, "line\nbreak\t\x00\x1f", "é\u2028\U0001F600", "\xff\xfe", "eyJhbGciOi.J9.sig"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q encodes as %q, not a JSON string: %v", s, b, err)
		}
		want, _ := json.Marshal(s)
		var wantS string
		_ = json.Unmarshal(want, &wantS)
		if got != wantS {
			t.Fatalf("%q: decodes as %q, encoding/json's round trip gives %q", s, got, wantS)
		}
	})
}

func TestLoginAnswer(t *testing.T) {
	for _, tc := range []struct {
		body  string
		token string
		ttl   time.Duration
		ok    bool
	}{
		{body: `{"request_id":"r","auth":{"client_token":"s.abc","accessor":"a","lease_duration":3600,"renewable":true}}`, token: "s.abc", ttl: time.Hour, ok: true},
		{body: `{"auth":{"client_token":"s.\u0061","lease_duration":0}}`, token: "s.a", ok: true},
		{body: `{"auth":{"lease_duration":60}}`},
		{body: `{"auth":{"client_token":""}}`},
		{body: `{"auth":null,"errors":["denied"]}`},
		{body: `{"errors":["denied"]}`},
		{body: `not json`},
	} {
		token, ttl, ok := loginAnswer([]byte(tc.body))
		if token != tc.token || ttl != tc.ttl || ok != tc.ok {
			t.Errorf("%s: %q, %v, %v; want %q, %v, %v", tc.body, token, ttl, ok, tc.token, tc.ttl, tc.ok)
		}
	}
}

func TestAPITarget(t *testing.T) {
	for _, tc := range []struct {
		prefix, p string
		version   int
		want      string
	}{
		{"", "kv/data/app", 0, "/v1/kv/data/app"},
		{"/pre fix/", "kv/data/my app#1?x", 3, "/pre%20fix/v1/kv/data/my%20app%231%3Fx?version=3"},
		{"", "kv/data/é%", 0, "/v1/kv/data/%C3%A9%25"},
	} {
		if got := APITarget(tc.prefix, tc.p, tc.version); got != tc.want {
			t.Errorf("APITarget(%q, %q, %d) = %q, want %q", tc.prefix, tc.p, tc.version, got, tc.want)
		}
	}
}
