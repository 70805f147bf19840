// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzDecodeKV feeds arbitrary response bodies through the same decoding a
// read uses: it must never panic, every key must survive, and a failure must
// never quote the body.
func FuzzDecodeKV(f *testing.F) {
	seeds := []string{
		`{"data":{"DB_PASS":"x","n":1,"b":true,"o":{"a":[1,2]},"z":null}}`,
		`{"data":{"data":{"k":"v"},"metadata":{"version":3,"deletion_time":"","destroyed":false}}}`,
		`{"data":{"data":null,"metadata":{"version":2,"deletion_time":"2024-01-01T00:00:00Z"}}}`,
		`{"data":{"data":null,"metadata":{"version":3,"destroyed":true}}}`,
		`{"data":{"data":null,"metadata":{"version":"99999999999999999999"}}}`,
		`{"data":null,"warnings":["Invalid path for a versioned K/V secrets engine."]}`,
		`{"errors":["permission denied"]}`,
		`{"k":"v"}`,
		`[]`,
		``,
	}
	for _, s := range seeds {
		f.Add([]byte(s), false, 0)
		f.Add([]byte(s), true, 2)
	}
	f.Fuzz(func(t *testing.T, body []byte, v2 bool, version int) {
		sec, err := parseSecret(body)
		if err != nil {
			return
		}
		_ = looksV2(sec)
		_ = needsMount(sec, nil, "kv/data/p")
		_ = needsMount(sec, nil, "kv/p")
		s, err := decode(Error{Op: OpRead, Path: "p", Version: version}, sec, v2)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %T, want *Error", err)
			}
			if len(body) > 8 && strings.Contains(err.Error(), string(body)) {
				t.Fatalf("got the body in the error: %v", err)
			}
			return
		}
		src := sec.Data
		if v2 {
			src, _ = sec.Data["data"].(map[string]any)
		}
		if len(s.Data) != len(src) || len(s.Raw) != len(src) {
			t.Fatalf("got %d keys (raw %d), want %d", len(s.Data), len(s.Raw), len(src))
		}
		for k, v := range src {
			if str, ok := v.(string); ok {
				if s.Data[k] != str {
					t.Fatalf("key %q: got %q, want %q", k, s.Data[k], str)
				}
			} else if !json.Valid([]byte(s.Data[k])) {
				t.Fatalf("key %q: got %q, want valid JSON", k, s.Data[k])
			}
		}
	})
}

// FuzzPath checks path cleaning and the KV v2 data/ insertion on arbitrary
// input: no panic, the result stays inside the mount and always reads data/.
func FuzzPath(f *testing.F) {
	for _, s := range []string{
		"demo-kv/myapp-secret", "demo-kv/data/myapp-secret", "/demo-kv/x", "demo-kv",
		"demo-kv/data", "demo-kv//x", "demo-kv/../sys", "a/b/c/d", "demo-kv/metadata/x", "démo/\u043a\u043b\u044e\u0447",
	} {
		f.Add(s, "demo-kv/")
		f.Add(s, "a/b/")
	}
	f.Fuzz(func(t *testing.T, p, mountPath string) {
		clean, err := cleanPath(p)
		if err != nil {
			return
		}
		if again, err := cleanPath(clean); err != nil || again != clean {
			t.Fatalf("cleanPath not idempotent: %q -> %q -> %q, %v", p, clean, again, err)
		}
		m, ok := parseMount(&apiSecret{Data: map[string]any{
			"path": mountPath, "type": "kv", "options": map[string]any{"version": "2"},
		}}, clean)
		if !ok {
			return
		}
		dp, err := m.dataPath(clean)
		if err != nil {
			return
		}
		if !strings.HasPrefix(dp, m.path+"data/") || len(dp) <= len(m.path+"data/") {
			t.Fatalf("dataPath(%q) on mount %q = %q, want %q + a name", clean, m.path, dp, m.path+"data/")
		}
		if _, err := cleanPath(dp); err != nil {
			t.Fatalf("dataPath(%q) = %q is not a clean path: %v", clean, dp, err)
		}
	})
}
