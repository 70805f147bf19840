// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package secretref

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func FuzzParseValue(f *testing.F) {
	for _, s := range []string{
		"secrets-store:demo-kv/data/db#password", "secrets-store:demo-kv/data/db#password#4",
		"secrets-store:demo-kv/data/db#postgresql://${.username}:${.password}@${.host}/app",
		"secrets-store:demo-kv/data/db#${.password}#3", "secrets-store:kv#${.a}#b#01", "secrets-store:kv#${.a}#",
		"jdbc:x://h/db?password=${secrets-store:demo-kv/data/db#password}",
		`a=${secrets-store:p/data/x#k#2}&b=${>>secrets-store:pki/issue/web#certificate#{"common_name":"a.example.test"}}`,
		`>>secrets-store:pki/issue/web#certificate#{"common_name":"app.example.test","ttl":"1h"}`,
		`${>>secrets-store:t#k#{"a":{"b":"}\""}} }x`, `${>>secrets-store:t#k#{"a":1} x}`, `>>secrets-store:t#k#{"a":1h}`,
		"secrets-store:login", "${secrets-store:login}", "${HOME}/x", "${", "a=${secrets-store:kv#k",
		"pw=${secrets-store:kv#${.password}}", "secrets-store:kv x#k", "", "plain",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok, err := ParseValue(s)
		switch {
		case err != nil:
			checkValueError(t, s, v, ok, err)
		case !ok:
			if v.Parts != nil || v.Whole || IsRef(s) || strings.HasPrefix(s, WritePrefix) || hasInline(s) {
				t.Fatalf("ParseValue(%q) = %+v, not ok, for a value with a reference", s, v)
			}
		default:
			checkValue(t, s, v)
		}
		checkInlineMatchesParse(t, s)
	})
}

// checkValueError checks that err is a *SyntaxError that quotes only what
// it may: the first bytes of a whole reference, a write up to its KEY, and
// nothing of a value with inline references.
func checkValueError(t *testing.T, s string, v Value, ok bool, err error) {
	t.Helper()
	if !ok || v.Parts != nil || v.Whole {
		t.Fatalf("ParseValue(%q) = %+v, %v with error %v, want a zero Value and ok", s, v, ok, err)
	}
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("got error of type %T, want *SyntaxError", err)
	}
	switch {
	case IsRef(s):
		checkSafeError(t, s, err, false)
	case strings.HasPrefix(s, WritePrefix):
		if want := echoHead(s, writeHeadLen(s)); se.Input != want {
			t.Fatalf("error quotes %q, want %q", se.Input, want)
		}
	case se.Input != "":
		t.Fatalf("error about a value with inline references quotes %q, want nothing", se.Input)
	}
	if extra := len(se.Error()) - len(strconv.Quote(se.Input)); extra > maxStaticMessage {
		t.Fatalf("error message has %d bytes besides the quoted input, want at most %d: %s", extra, maxStaticMessage, se)
	}
}

// checkValue checks the invariants of a value that parsed.
func checkValue(t *testing.T, s string, v Value) {
	t.Helper()
	if got := reassemble(v); got != s {
		t.Fatalf("ParseValue(%q) reassembles to %q", s, got)
	}
	if len(v.Parts) == 0 || v.Whole && (len(v.Parts) != 1 || v.Parts[0].Expr == nil || v.Parts[0].Expr.Raw != s) {
		t.Fatalf("ParseValue(%q) = %+v, want parts, and exactly the whole value when Whole", s, v)
	}
	for i, p := range v.Parts {
		if p.Expr == nil {
			if p.Literal == "" || i > 0 && v.Parts[i-1].Expr == nil {
				t.Fatalf("ParseValue(%q): part %d is an empty or second adjacent literal", s, i)
			}
			continue
		}
		if p.Literal != "" {
			t.Fatalf("ParseValue(%q): part %d has both a literal and a reference", s, i)
		}
		if !v.Whole && p.Expr.Kind != KindKey && p.Expr.Kind != KindWrite {
			t.Fatalf("ParseValue(%q): inline reference of kind %s", s, p.Expr.Kind)
		}
		checkExpr(t, *p.Expr, v.Whole)
	}
}

// checkExpr checks one parsed reference: its fields are valid, it parses
// the same on its own, and String round-trips.
func checkExpr(t *testing.T, e Expr, whole bool) {
	t.Helper()
	switch e.Kind {
	case KindKey:
		r, err := Parse(e.Raw)
		if err != nil || r != (Ref{Path: e.Path, Key: e.Key, Version: e.Version}) {
			t.Fatalf("Parse(%q) = %+v, %v, want the fields of %+v", e.Raw, r, err, e)
		}
	case KindTemplate:
		if ValidatePath(e.Path) != nil || !isTemplate(e.Template) || len(e.Template) > MaxTemplateLen {
			t.Fatalf("template reference %+v has an invalid path or template", e)
		}
	case KindWrite:
		trimmed := strings.TrimLeft(e.Body, " \t\r\n")
		if ValidatePath(e.Path) != nil || ValidateKey(e.Key) != nil || !json.Valid([]byte(e.Body)) || !strings.HasPrefix(trimmed, "{") {
			t.Fatalf("write reference %+v has an invalid path, key or body", e)
		}
	case KindLogin:
		if e != (Expr{Kind: KindLogin, Raw: Login}) {
			t.Fatalf("login reference %+v has extra fields", e)
		}
	default:
		t.Fatalf("reference %+v has no kind", e)
	}
	if !whole {
		alone, ok, err := ParseValue(e.Raw)
		if err != nil || !ok || !alone.Whole || *alone.Parts[0].Expr != e {
			t.Fatalf("ParseValue(%q) = %+v, %v, %v, want the inline reference %+v as a whole value", e.Raw, alone, ok, err, e)
		}
	}
	out := e.String()
	back, ok, err := ParseValue(out)
	if err != nil || !ok || !back.Whole {
		t.Fatalf("ParseValue(%q) = %+v, %v, %v, want a whole reference", out, back, ok, err)
	}
	want := e
	want.Raw = out
	if e.Kind == KindWrite {
		want.Body = defaultBody
		if out != WritePrefix+e.Path+"#"+e.Key {
			t.Fatalf("String() = %q, want no body", out)
		}
	}
	if got := *back.Parts[0].Expr; got != want {
		t.Fatalf("ParseValue(%q) = %+v, want %+v", out, got, want)
	}
}

// checkInlineMatchesParse checks that a key reference parses alike on its
// own and inside a longer value.
func checkInlineMatchesParse(t *testing.T, s string) {
	t.Helper()
	if !IsRef(s) || s == Login || strings.ContainsRune(s, '}') || strings.Contains(s, "${") {
		return
	}
	_, errWhole := Parse(s)
	_, _, errInline := ParseValue("x${" + s + "}")
	if (errWhole == nil) != (errInline == nil) {
		t.Fatalf("Parse(%q) = %v, but inline: %v", s, errWhole, errInline)
	}
	var w, in *SyntaxError
	if errWhole != nil && errors.As(errWhole, &w) && errors.As(errInline, &in) && w.Part != in.Part {
		t.Fatalf("Parse(%q) fails on the %s, inline on the %s", s, w.Part, in.Part)
	}
}

func FuzzParsePathVersionList(f *testing.F) {
	for _, s := range []string{
		"a/data/x,b/data/y#3", "a, b#1 ,a", "a#1,a#2,a#1", "a#", "a#0", "a#01", "a#1#2",
		"#1", "a,,b", ",", "", "a,/b#2", "a#2147483648",
		"demo-kv/data/common,demo-kv/data/myapp", " a ,\tb\n", "a,b,", "a,b/../c", "a,b#k", "a,\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		list, err := ParsePathVersionList(s)
		if err != nil {
			checkSafeError(t, s, err, false)
			return
		}
		if len(list) == 0 {
			t.Fatalf("ParsePathVersionList(%q) returned nothing and no error", s)
		}
		for i, p := range list {
			if err := (Ref{Path: p.Path, Key: "k", Version: p.Version}).Validate(); err != nil {
				t.Fatalf("ParsePathVersionList(%q) returned invalid %v: %v", s, p, err)
			}
			if slices.Contains(list[i+1:], p) {
				t.Fatalf("ParsePathVersionList(%q) = %v, which repeats %v", s, list, p)
			}
		}
		out := FormatPathVersionList(list)
		back, err := ParsePathVersionList(out)
		if err != nil || !slices.Equal(back, list) {
			t.Fatalf("ParsePathVersionList(%q) = %v, %v, want %v, nil", out, back, err, list)
		}
		if again := FormatPathVersionList(back); again != out {
			t.Fatalf("FormatPathVersionList is not stable: got %q, want %q", again, out)
		}
	})
}
