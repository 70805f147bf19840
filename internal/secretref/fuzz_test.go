// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package secretref

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// maxStaticMessage bounds the part of an error message that is not the
// quoted input: the fixed text, a reason and a hint.
const maxStaticMessage = 400

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"secrets-store:demo-kv/data/myapp-secret#DB_PASS",
		"secrets-store:demo-kv/data/myapp-secret#DB_PASS#4",
		"secrets-store:kv#k#2147483647", "secrets-store:kv#k#2147483648",
		"secrets-store:kv#k#01", "secrets-store:kv#k#", "secrets-store:kv#k#1#",
		"secrets-store:/kv/../x/#k", "secrets-store:kv x#k ", "secrets-store:kv\xff#\x00",
		"secrets-store:" + strings.Repeat("\u0436", 100) + "#",
		"secrets-store:", "plain value", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			checkSafeError(t, s, err, !IsRef(s))
			return
		}
		if !IsRef(s) {
			t.Fatalf("Parse(%q) succeeded without the prefix", s)
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("Parse(%q) = %+v, which fails Validate: %v", s, r, err)
		}
		out := r.String()
		if out != s {
			t.Fatalf("Parse(%q).String() = %q, want the input back", s, out)
		}
		back, err := Parse(out)
		if err != nil || back != r {
			t.Fatalf("Parse(%q) = %+v, %v, want %+v, nil", out, back, err, r)
		}
	})
}

// checkSafeError checks that err quotes at most maxEcho leading bytes of
// in, or nothing at all when hidden is set.
func checkSafeError(t *testing.T, in string, err error, hidden bool) {
	t.Helper()
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("got error of type %T, want *SyntaxError", err)
	}
	if hidden && se.Input != "" {
		t.Fatalf("error quotes %q, want the input not echoed", se.Input)
	}
	if !hidden && se.Input == "" && in != "" {
		t.Fatalf("error %q does not quote the input", se)
	}
	if se.Input == "" {
		return
	}
	if len(in) <= maxEcho && se.Input != in {
		t.Fatalf("error quotes %q, want the input %q", se.Input, in)
	}
	echoed, cut := strings.CutSuffix(se.Input, "…")
	if len(in) > maxEcho && (!cut || len(echoed) > maxEcho || !strings.HasPrefix(in, echoed)) {
		t.Fatalf("error quotes %q, want at most %d leading bytes of the input", se.Input, maxEcho)
	}
	if extra := len(se.Error()) - len(strconv.Quote(se.Input)); extra > maxStaticMessage {
		t.Fatalf("error message has %d bytes besides the quoted input, want at most %d: %s", extra, maxStaticMessage, se)
	}
}

func FuzzValidateFileName(f *testing.F) {
	for _, s := range []string{
		"db-password", "keytab", "a..b", ".", "..", "..data", ".env", "a/b", "/", "a\x00",
		"a\xff", strings.Repeat("x", MaxFileNameLen), strings.Repeat("x", MaxFileNameLen+1),
	} {
		f.Add(s)
	}
	const dir = "/var/lib/kubelet/pods/uid/volumes/secrets"
	f.Fuzz(func(t *testing.T, name string) {
		err := ValidateFileName(name)
		if err != nil {
			checkSafeError(t, name, err, false)
			return
		}
		if name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
			t.Fatalf("ValidateFileName(%q) accepted a name that is not a plain file name", name)
		}
		joined := filepath.Join(dir, name)
		if joined != dir+"/"+name || filepath.Dir(joined) != dir {
			t.Fatalf("filepath.Join(%q, %q) = %q, want a direct child of the directory", dir, name, joined)
		}
	})
}
