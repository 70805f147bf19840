// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package secretref

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// reassemble renders v back to the value it was parsed from.
func reassemble(v Value) string {
	var b strings.Builder
	for _, p := range v.Parts {
		switch {
		case p.Expr == nil:
			b.WriteString(p.Literal)
		case v.Whole:
			b.WriteString(p.Expr.Raw)
		default:
			b.WriteString("${" + p.Expr.Raw + "}")
		}
	}
	return b.String()
}

func lit(s string) Part { return Part{Literal: s} }

func ref(e Expr) Part { return Part{Expr: &e} }

func TestParseValueWhole(t *testing.T) {
	const pgTemplate = "postgresql://${.username}:${.password}@${.host}/app"
	const certBody = `{"common_name":"app.example.test","ttl":"1h"}`
	tests := []struct {
		in   string
		want Expr
	}{
		{"secrets-store:demo-kv/data/db#password", Expr{Kind: KindKey, Path: "demo-kv/data/db", Key: "password"}},
		{"secrets-store:demo-kv/data/db#password#4", Expr{Kind: KindKey, Path: "demo-kv/data/db", Key: "password", Version: 4}},
		{"secrets-store:kv#a$b{c}", Expr{Kind: KindKey, Path: "kv", Key: "a$b{c}"}},
		{"secrets-store:kv#${abc", Expr{Kind: KindKey, Path: "kv", Key: "${abc"}}, // no "}" after "${": a key
		{"secrets-store:kv#}${", Expr{Kind: KindKey, Path: "kv", Key: "}${"}},
		{"secrets-store:demo-kv/data/db#" + pgTemplate, Expr{Kind: KindTemplate, Path: "demo-kv/data/db", Template: pgTemplate}},
		{"secrets-store:demo-kv/data/db#${.password}#3", Expr{Kind: KindTemplate, Path: "demo-kv/data/db", Template: "${.password}", Version: 3}},
		{"secrets-store:kv#${.a}#b#12", Expr{Kind: KindTemplate, Path: "kv", Template: "${.a}#b", Version: 12}},
		{"secrets-store:kv#${.a}#b", Expr{Kind: KindTemplate, Path: "kv", Template: "${.a}#b"}},
		{"secrets-store:kv#${.a}#1x", Expr{Kind: KindTemplate, Path: "kv", Template: "${.a}#1x"}},
		{"secrets-store:kv#${.a}#-1", Expr{Kind: KindTemplate, Path: "kv", Template: "${.a}#-1"}},
		{"secrets-store:kv#1#${.a}", Expr{Kind: KindTemplate, Path: "kv", Template: "1#${.a}"}},
		{"secrets-store:kv#http://h/#frag${.a}", Expr{Kind: KindTemplate, Path: "kv", Template: "http://h/#frag${.a}"}},
		{"secrets-store:kv#${ .a | upper }\n${.b}", Expr{Kind: KindTemplate, Path: "kv", Template: "${ .a | upper }\n${.b}"}},
		{"secrets-store:kv#${.a}#2147483647", Expr{Kind: KindTemplate, Path: "kv", Template: "${.a}", Version: 2147483647}},
		{">>secrets-store:pki/issue/web#certificate", Expr{Kind: KindWrite, Path: "pki/issue/web", Key: "certificate", Body: "{}"}},
		{">>secrets-store:pki/issue/web#certificate#" + certBody, Expr{Kind: KindWrite, Path: "pki/issue/web", Key: "certificate", Body: certBody}},
		{`>>secrets-store:kv#k#{"a":"#}{#"}`, Expr{Kind: KindWrite, Path: "kv", Key: "k", Body: `{"a":"#}{#"}`}},
		{">>secrets-store:kv#k# {\n} ", Expr{Kind: KindWrite, Path: "kv", Key: "k", Body: " {\n} "}},
		{`>>secrets-store:kv#{"a":1}`, Expr{Kind: KindWrite, Path: "kv", Key: `{"a":1}`, Body: "{}"}}, // one "#": a key
		{"secrets-store:login", Expr{Kind: KindLogin}},
		{"secrets-store:login#k", Expr{Kind: KindKey, Path: "login", Key: "k"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, ok, err := ParseValue(tt.in)
			if err != nil || !ok {
				t.Fatalf("ParseValue(%q) = _, %v, %v, want ok", tt.in, ok, err)
			}
			want := tt.want
			want.Raw = tt.in
			if !v.Whole || !reflect.DeepEqual(v.Parts, []Part{ref(want)}) {
				t.Errorf("ParseValue(%q) = %+v (first %+v), want a whole %+v", tt.in, v, *v.Parts[0].Expr, want)
			}
			if got := reassemble(v); got != tt.in {
				t.Errorf("reassembled %q, want %q", got, tt.in)
			}
		})
	}
}

func TestParseValueInline(t *testing.T) {
	const issue = `${>>secrets-store:pki/issue/web#certificate#{"common_name":"a.example.test"}}`
	tests := []struct {
		in   string
		want []Part
	}{
		{
			"jdbc:x://h/db?password=${secrets-store:demo-kv/data/db#password}",
			[]Part{lit("jdbc:x://h/db?password="), ref(Expr{Kind: KindKey, Path: "demo-kv/data/db", Key: "password", Raw: "secrets-store:demo-kv/data/db#password"})},
		},
		{
			"a=${secrets-store:p/data/x#k#2}&b=" + issue,
			[]Part{
				lit("a="), ref(Expr{Kind: KindKey, Path: "p/data/x", Key: "k", Version: 2, Raw: "secrets-store:p/data/x#k#2"}),
				lit("&b="), ref(Expr{
					Kind: KindWrite, Path: "pki/issue/web", Key: "certificate", Body: `{"common_name":"a.example.test"}`,
					Raw: `>>secrets-store:pki/issue/web#certificate#{"common_name":"a.example.test"}`,
				}),
			},
		},
		{
			"${secrets-store:a#b}",
			[]Part{ref(Expr{Kind: KindKey, Path: "a", Key: "b", Raw: "secrets-store:a#b"})},
		},
		{
			"${secrets-store:a#b}${secrets-store:c#d#1}}",
			[]Part{
				ref(Expr{Kind: KindKey, Path: "a", Key: "b", Raw: "secrets-store:a#b"}),
				ref(Expr{Kind: KindKey, Path: "c", Key: "d", Version: 1, Raw: "secrets-store:c#d#1"}),
				lit("}"),
			},
		},
		{
			"${HOME}/x:${ secrets-store:a#b}:${${secrets-store:a#b}:$${",
			[]Part{
				lit("${HOME}/x:${ secrets-store:a#b}:${"),
				ref(Expr{Kind: KindKey, Path: "a", Key: "b", Raw: "secrets-store:a#b"}),
				lit(":$${"),
			},
		},
		{
			"x ${>>secrets-store:pki/issue/web#certificate} y",
			[]Part{lit("x "), ref(Expr{Kind: KindWrite, Path: "pki/issue/web", Key: "certificate", Body: "{}", Raw: ">>secrets-store:pki/issue/web#certificate"}), lit(" y")},
		},
		{ // nested objects and braces inside strings do not end the body
			`${>>secrets-store:t/encrypt/k#ciphertext#{"a":{"b":"}{\"}"},"c":[{}]}}!`,
			[]Part{
				ref(Expr{Kind: KindWrite, Path: "t/encrypt/k", Key: "ciphertext", Body: `{"a":{"b":"}{\"}"},"c":[{}]}`, Raw: `>>secrets-store:t/encrypt/k#ciphertext#{"a":{"b":"}{\"}"},"c":[{}]}`}),
				lit("!"),
			},
		},
		{ // whitespace around an inline body belongs to it
			"${>>secrets-store:kv#k# {} }",
			[]Part{ref(Expr{Kind: KindWrite, Path: "kv", Key: "k", Body: " {} ", Raw: ">>secrets-store:kv#k# {} "})},
		},
		{ // the first "}" comes before a second "#": no body
			"${>>secrets-store:kv#k}#{}}",
			[]Part{ref(Expr{Kind: KindWrite, Path: "kv", Key: "k", Body: "{}", Raw: ">>secrets-store:kv#k"}), lit("#{}}")},
		},
		{
			"pre ${secrets-store:kv#k} secrets-store:x#y",
			[]Part{lit("pre "), ref(Expr{Kind: KindKey, Path: "kv", Key: "k", Raw: "secrets-store:kv#k"}), lit(" secrets-store:x#y")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, ok, err := ParseValue(tt.in)
			if err != nil || !ok {
				t.Fatalf("ParseValue(%q) = _, %v, %v, want ok", tt.in, ok, err)
			}
			if v.Whole {
				t.Errorf("ParseValue(%q): Whole = true, want false", tt.in)
			}
			if !reflect.DeepEqual(v.Parts, tt.want) {
				t.Errorf("ParseValue(%q) =\n%s\nwant\n%s", tt.in, formatParts(v.Parts), formatParts(tt.want))
			}
			if got := reassemble(v); got != tt.in {
				t.Errorf("reassembled %q, want %q", got, tt.in)
			}
		})
	}
}

func formatParts(parts []Part) string {
	var b strings.Builder
	for _, p := range parts {
		if p.Expr == nil {
			b.WriteString("  literal " + p.Literal + "\n")
			continue
		}
		e := *p.Expr
		b.WriteString("  " + e.Kind.String() + " " + e.Path + " " + e.Key + " " + e.Template + " " + e.Body + " raw=" + e.Raw + "\n")
	}
	return b.String()
}

func TestParseValueNoReference(t *testing.T) {
	for _, in := range []string{
		"", "plain", "${HOME}/x", "${", "$", "}", "${secrets-store", "$ {secrets-store:a#b}",
		"{secrets-store:a#b}", "x secrets-store:a#b", " secrets-store:a#b", ">secrets-store:a#b",
		"${Secrets-Store:a#b}", ">>>secrets-store:a#b", "${>secrets-store:a#b}",
	} {
		t.Run(in, func(t *testing.T) {
			v, ok, err := ParseValue(in)
			if ok || err != nil || v.Parts != nil || v.Whole {
				t.Errorf("ParseValue(%q) = %+v, %v, %v, want no reference", in, v, ok, err)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindKey: "key", KindTemplate: "template", KindWrite: "write", KindLogin: "login", 0: "Kind(0)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}

func TestExprString(t *testing.T) {
	tests := []struct {
		e    Expr
		want string
	}{
		{Expr{Kind: KindKey, Path: "kv/x", Key: "k"}, "secrets-store:kv/x#k"},
		{Expr{Kind: KindKey, Path: "kv/x", Key: "k", Version: 3}, "secrets-store:kv/x#k#3"},
		{Expr{Kind: KindTemplate, Path: "kv/x", Template: "${.a}#b"}, "secrets-store:kv/x#${.a}#b"},
		{Expr{Kind: KindTemplate, Path: "kv/x", Template: "${.a}", Version: 7}, "secrets-store:kv/x#${.a}#7"},
		{Expr{Kind: KindWrite, Path: "pki/issue/web", Key: "certificate", Body: "{}"}, ">>secrets-store:pki/issue/web#certificate"},
		{Expr{Kind: KindWrite, Path: "pki/issue/web", Key: "certificate", Body: `{"common_name":"a.example.test"}`}, ">>secrets-store:pki/issue/web#certificate"},
		{Expr{Kind: KindLogin}, "secrets-store:login"},
		{Expr{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := tt.e.String()
			if got != tt.want {
				t.Fatalf("String() = %q, want %q", got, tt.want)
			}
			if tt.e.Kind == 0 {
				return
			}
			v, ok, err := ParseValue(got)
			if err != nil || !ok || !v.Whole {
				t.Fatalf("ParseValue(%q) = %+v, %v, %v, want a whole reference", got, v, ok, err)
			}
			want := tt.e
			want.Raw = got
			if want.Kind == KindWrite {
				want.Body = defaultBody // String leaves the body out
			}
			if back := *v.Parts[0].Expr; back != want {
				t.Errorf("ParseValue(%q) = %+v, want %+v", got, back, want)
			}
		})
	}
}

// TestParseValueKeyMatchesParse checks that a whole key reference and the
// same reference written inline parse alike, valid or not.
func TestParseValueKeyMatchesParse(t *testing.T) {
	for _, tt := range parseErrorTests {
		if strings.ContainsAny(tt.in, "}") || strings.Contains(tt.in, "${") {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseValue(tt.in)
			var whole *SyntaxError
			if !errors.As(err, &whole) || whole.Part != tt.wantPart || whole.Input != tt.in {
				t.Fatalf("ParseValue(%q): got %v, want the error Parse gives, about the %s", tt.in, err, tt.wantPart)
			}
			_, _, err = ParseValue("pre ${" + tt.in + "}")
			var inline *SyntaxError
			if !errors.As(err, &inline) || inline.Part != tt.wantPart || inline.What != whatInline {
				t.Fatalf("inline %q: got %v, want an inline error about the %s", tt.in, err, tt.wantPart)
			}
			if inline.Input != "" {
				t.Errorf("inline error quotes %q, want nothing quoted", inline.Input)
			}
		})
	}
}
