// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package tmpl

import (
	"slices"
	"testing"
)

// keysCase is a template and the keys it reads; all means any key may
// matter, and then keys is nil.
type keysCase struct {
	text string
	keys []string
	all  bool
}

var keysCases = []keysCase{
	{text: "plain text, no action"},
	{text: ""},
	{text: "${.username}:${.password}@${.host}", keys: []string{"host", "password", "username"}},
	{text: "postgresql://${.username}:${.password}@${.host}/app", keys: []string{"host", "password", "username"}},
	{text: "${.a.b}", keys: []string{"a"}},
	{text: "${$.a}", keys: []string{"a"}},
	{text: "${$.a.b}", keys: []string{"a"}},
	{text: "${.}", all: true},
	{text: "${toJson .}", all: true},
	{text: `${index . "a"}`, all: true},
	{text: "${$}", all: true},
	{text: "${toJson $}", all: true},
	{text: "${if .a}${.b}${else}${.c}${end}", keys: []string{"a", "b", "c"}},
	{text: "${if .a}${.b}${else if .c}${.d}${end}", keys: []string{"a", "b", "c", "d"}},
	{text: "${if .a}${.}${end}", all: true},
	{text: "${with .db}${.user}${end}", keys: []string{"db"}},
	// with's else list runs with the enclosing dot (exec.go walkIfOrWith).
	{text: "${with .db}${.user}${else}${.other}${end}", keys: []string{"db", "other"}},
	{text: "${with .db}${.user}${else with .other}${.x}${else}${.y}${end}", keys: []string{"db", "other", "y"}},
	{text: "${with .db}${.}${$.top}${end}", keys: []string{"db", "top"}},
	{text: "${with .db}${$}${end}", all: true},
	{text: "${with .}${.a}${end}", all: true},
	{text: "${with .db}${with .inner}${.x}${else}${.y}${end}${end}", keys: []string{"db"}},
	{text: "${range .list}${.}${end}", keys: []string{"list"}},
	// range's else list runs with the enclosing dot too.
	{text: "${range .list}${.x}${else}${.empty}${end}", keys: []string{"empty", "list"}},
	{text: "${range $i, $v := .list}${$i}=${$v.k}${end}", keys: []string{"list"}},
	{text: "${range $k, $v := .}${$k}${end}", all: true},
	{text: "${range $k, $v := $}${$k}${end}", all: true},
	{text: "${range .}${end}", all: true},
	{text: "${range 3}${.}${end}", keys: nil},
	{text: "${$x := .a}${$x.b}", keys: []string{"a"}},
	{text: "${$x := .}${$x.a}", all: true},
	{text: "${$x := $}${$x.a}", all: true},
	{text: "${$x := .a}${$x = .}${$x.b}", all: true},
	{text: "${$x := .a}${with .db}${$x = .}${end}${$x}", keys: []string{"a", "db"}},
	{text: "${$ := .a}${$.b}", keys: []string{"a", "b"}},
	{text: "${(.a).b}", keys: []string{"a"}},
	{text: "${(.).b}", all: true},
	{text: "${($).b}", all: true},
	{text: `${(index . "x").y}`, all: true},
	{text: `${(index .a "x").y}`, keys: []string{"a"}},
	{text: "${b64enc .password | upper}", keys: []string{"password"}},
	{text: "${.password | b64enc | upper}", keys: []string{"password"}},
	{text: `${printf "%s-%s" .a .b}`, keys: []string{"a", "b"}},
	{text: `${printf "%s" .}`, all: true},
	{text: `${. | toJson}`, all: true},
	{text: `${default "d" .a | printf "%s-%s" .b}`, keys: []string{"a", "b"}},
	{text: `${and .a (or .b ($x := .c))}`, keys: []string{"a", "b", "c"}},
	{text: "${.a}${.a}", keys: []string{"a"}},
	{text: `${file "/x"}`, keys: nil},
	{text: `${"const" | upper}${/* .comment */}`, keys: nil},
	{text: "${range .list}${if eq . \"x\"}${break}${end}${continue}${end}", keys: []string{"list"}},
}

func TestKeys(t *testing.T) {
	for _, tc := range keysCases {
		tp, err := Parse(tc.text)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.text, err)
		}
		keys, all := tp.Keys()
		if all != tc.all || !slices.Equal(keys, tc.keys) {
			t.Errorf("Keys(%q) = %q, %v; want %q, %v", tc.text, keys, all, tc.keys, tc.all)
		}
	}
}

// keysFixtures give every key the tables use a value that runs the
// template's branches: truthy maps and lists for the actions that descend
// into them, then falsy or absent values for the else branches.
func keysFixtures() []map[string]any {
	truthy := map[string]any{
		"username": "u", "password": "p", "host": "h", "user": "x", "top": "t",
		"a": map[string]any{"b": "ab", "x": map[string]any{"y": "axy"}}, "b": "b", "c": "c", "d": "d",
		"db":    map[string]any{"user": "dbu", "inner": map[string]any{"x": "ix"}},
		"list":  []any{"x", map[string]any{"k": "lk", "x": "lx"}, "z"},
		"other": "o", "x": "x", "y": "y", "empty": "e",
	}
	falsy := map[string]any{
		"a": "", "b": map[string]any{}, "c": "", "db": "", "list": []any{}, "other": map[string]any{"k": "v"},
		"empty": "", "y": "y", "d": "d",
	}
	return []map[string]any{truthy, falsy}
}

// TestKeysSuffice checks the promise of Keys: data that agree on the
// returned keys give the same output, whatever the other keys hold,
// including when they are absent.
func TestKeysSuffice(t *testing.T) {
	for _, tc := range keysCases {
		tp, err := Parse(tc.text)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.text, err)
		}
		keys, all := tp.Keys()
		if all {
			continue
		}
		for _, fixture := range keysFixtures() {
			only, others := splitData(fixture, keys)
			want, wantErr := tp.Execute(only)
			got, gotErr := tp.Execute(others)
			if got != want || errText(gotErr) != errText(wantErr) {
				t.Errorf("%q over %v: %q, %v; over %v: %q, %v", tc.text, only, want, wantErr, others, got, gotErr)
			}
		}
	}
}

// splitData returns two maps that hold the same entries of data for keys:
// only holds nothing else, others also holds data's other keys with other
// values, and keys data lacks.
func splitData(data map[string]any, keys []string) (only, others map[string]any) {
	only = map[string]any{}
	others = map[string]any{"zz": "2", "username": "other-u", "db": map[string]any{"user": "other"}}
	for k := range data {
		others[k] = []any{"other", k}
	}
	for _, k := range keys {
		delete(others, k)
		if v, ok := data[k]; ok {
			only[k] = v
			others[k] = v
		}
	}
	return only, others
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
