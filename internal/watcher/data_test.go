// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package watcher

import (
	"bytes"
	"maps"
	"slices"
	"testing"
)

func TestSecretData(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		v2   bool
		want map[string]string
		bad  bool
	}{
		{
			name: "kv v1", body: `{"request_id":"r","lease_duration":2764800,"data":{"a":"1","n":12.50,"o":{"x":[1,true,null]}}}`,
			want: map[string]string{"a": "1", "n": "12.50", "o": `{"x":[1,true,null]}`},
		},
		{
			name: "kv v2", v2: true, body: `{"request_id":"r","data":{"data":{"a":"1","b":""},"metadata":{"version":3}}}`,
			want: map[string]string{"a": "1", "b": ""},
		},
		{name: "a plugin's own JSON is the data", body: `{"a":"1"}`, want: map[string]string{"a": "1"}},
		{name: "kv v2 deleted version", v2: true, body: `{"data":{"data":null,"metadata":{"version":3}}}`, bad: true},
		{name: "not JSON", body: `<html>`, bad: true},
		{name: "not an object", body: `["a"]`, bad: true},
		{name: "empty", body: ``, bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := secretData([]byte(tc.body), tc.v2)
			if tc.bad {
				if err == nil {
					t.Fatalf("got %v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestDigest: the digest covers the keys a source depends on, their
// absence included, and nothing else.
func TestDigest(t *testing.T) {
	k := digestKey("0123456789abcdef0123456789abcdef")
	some := &Source{Keys: []string{"a", "b", "a"}}
	all := &Source{All: true}
	base := map[string]string{"a": "1", "b": "2", "c": "3"}
	with := func(k, v string) map[string]string {
		m := maps.Clone(base)
		m[k] = v
		return m
	}
	without := func(k string) map[string]string {
		m := maps.Clone(base)
		delete(m, k)
		return m
	}
	for _, tc := range []struct {
		name string
		src  *Source
		data map[string]string
		same bool
	}{
		{"the same data", some, maps.Clone(base), true},
		{"an unused key changes", some, with("c", "x"), true},
		{"an unused key appears", some, with("d", "x"), true},
		{"a used key changes", some, with("a", "x"), false},
		{"a used key becomes empty", some, with("a", ""), false},
		{"a used key disappears", some, without("b"), false},
		{"all keys: any key changes", all, with("c", "x"), false},
		{"all keys: a key appears", all, with("d", ""), false},
		{"all keys: the same data", all, maps.Clone(base), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := bytes.Equal(k.sum(tc.src, base), k.sum(tc.src, tc.data)); got != tc.same {
				t.Errorf("digests equal: %v, want %v", got, tc.same)
			}
		})
	}
	// Key and value boundaries cannot be moved without changing the digest.
	if bytes.Equal(k.sum(all, map[string]string{"a": "bc"}), k.sum(all, map[string]string{"ab": "c"})) {
		t.Error(`{"a":"bc"} and {"ab":"c"} digest alike`)
	}
	if bytes.Equal(k.sum(some, base), digestKey("another key 0123456789abcdef0123").sum(some, base)) {
		t.Error("two digest keys give the same digest")
	}
}

func TestMissing(t *testing.T) {
	src := &Source{Keys: []string{"a", "t"}, Required: []string{"a"}}
	if got := missing(src, map[string]string{"t": "1"}); got != "a" {
		t.Errorf("missing: %q, want a", got)
	}
	if got := missing(src, map[string]string{"a": ""}); got != "" {
		t.Errorf("missing: %q, want none (a template's key may be absent)", got)
	}
}

// keySet sorts and drops repeats without touching its argument, and gives
// back a set that is one already.
func TestKeySet(t *testing.T) {
	in := []string{"b", "a", "b", "c"}
	if got := keySet(in); !slices.Equal(got, []string{"a", "b", "c"}) || !slices.Equal(in, []string{"b", "a", "b", "c"}) {
		t.Errorf("keySet(b a b c) = %v, argument now %v", got, in)
	}
	set := []string{"a", "b"}
	if got := keySet(set); &got[0] != &set[0] {
		t.Error("keySet copied a sorted set")
	}
	if got := keySet([]string{"a", "a"}); !slices.Equal(got, []string{"a"}) {
		t.Errorf("keySet(a a) = %v", got)
	}
}
