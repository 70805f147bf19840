// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package secretref

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestValidatePath(t *testing.T) {
	valid := []string{
		"kv", "demo-kv/data/myapp-secret", "a/b/c/d/e", "kv/data/app_1.2",
		"kv/data/user@example.com", "kv/data/a:b+c=d~e*f", "kv/.config", "kv/a..b", "kv/...",
		`kv/"quoted"`, "kv/{x}|<y>^`z`", "kv/Ünïcødé/日本", "kv/emoji😀",
	}
	for _, p := range valid {
		t.Run(p, func(t *testing.T) {
			if err := ValidatePath(p); err != nil {
				t.Errorf("ValidatePath(%q): got %v, want nil", p, err)
			}
		})
	}
	invalid := []struct {
		in, wantReason string
	}{
		{"", "empty path"},
		{"/", `starts with "/"`},
		{"/kv", `starts with "/" at byte 0`},
		{"kv/", `ends with "/" at byte 2`},
		{"kv//x", `"//" at byte 2`},
		{".", `"." segment at byte 0`},
		{"..", `".." segment at byte 0`},
		{"kv/.", `"." segment at byte 3`},
		{"a/../b", `".." segment at byte 2`},
		{"kv x", "' ' at byte 2"},
		{" kv", "' ' at byte 0"},
		{"kv\t", `'\t' at byte 2`},
		{"kv\r\nx", `'\r' at byte 2`},
		{"kv\u2003x", `'\u2003'`},
		{"kv\u00adx", `'\u00ad'`},
		{"kv\ue000", `'\ue000'`},
		{"kv\x1b[31m", `'\x1b'`},
		{"kv\x85", "not valid UTF-8 at byte 2"},
		{"kv#x", `'#'`},
		{"kv?x", `'?'`},
		{"kv%20x", `'%'`},
		{`kv\x`, `'\\'`},
		{"kv,x", `','`},
	}
	for _, tt := range invalid {
		t.Run(tt.in, func(t *testing.T) {
			err := ValidatePath(tt.in)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ValidatePath(%q): got %v, want *SyntaxError", tt.in, err)
			}
			if se.What != whatPath || se.Part != PartPath || !strings.Contains(se.Reason, tt.wantReason) {
				t.Errorf("got %q (part %q), want a path error containing %q", se.Error(), se.Part, tt.wantReason)
			}
		})
	}
}

func TestValidateKey(t *testing.T) {
	valid := []string{"DB_PASS", "db.pass", "db-pass", "tls/ca.crt", "a,b", "a?b%c\\d", "\u043a\u043b\u044e\u0447", ".", ".."}
	for _, k := range valid {
		t.Run(k, func(t *testing.T) {
			if err := ValidateKey(k); err != nil {
				t.Errorf("ValidateKey(%q): got %v, want nil", k, err)
			}
		})
	}
	invalid := []struct {
		in, wantReason string
	}{
		{"", "empty key"},
		{"a#b", `'#' at byte 1`},
		{"a b", `' ' at byte 1`},
		{"k\n", `'\n' at byte 1`},
		{"k\x00", `'\x00' at byte 1`},
		{"\xfe", "not valid UTF-8 at byte 0"},
		{"a\u2028b", `'\u2028'`},
	}
	for _, tt := range invalid {
		t.Run(tt.in, func(t *testing.T) {
			err := ValidateKey(tt.in)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ValidateKey(%q): got %v, want *SyntaxError", tt.in, err)
			}
			if se.What != whatKey || se.Part != PartKey || !strings.Contains(se.Reason, tt.wantReason) {
				t.Errorf("got %q (part %q), want a key error containing %q", se.Error(), se.Part, tt.wantReason)
			}
		})
	}
}

// TestParsePathVersionListPaths covers lists without versions: separators,
// whitespace and duplicates.
func TestParsePathVersionListPaths(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"kv/a", []string{"kv/a"}},
		{"demo-kv/data/common,demo-kv/data/myapp", []string{"demo-kv/data/common", "demo-kv/data/myapp"}},
		{"a, b", []string{"a", "b"}},
		{"  a ,\tb\n,\r\nc  ", []string{"a", "b", "c"}},
		{"a,b,a", []string{"b", "a"}},
		{"a,a,a", []string{"a"}},
		{"a,b,c,b,a", []string{"c", "b", "a"}},
		{"a, b ,a ,c", []string{"b", "a", "c"}},
		{"a;b", []string{"a;b"}}, // ";" is an ordinary path character
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePathVersionList(tt.in)
			if err != nil {
				t.Fatalf("ParsePathVersionList(%q): got error %v, want nil", tt.in, err)
			}
			if want := pathsOnly(tt.want...); !slices.Equal(got, want) {
				t.Errorf("ParsePathVersionList(%q) = %v, want %v", tt.in, got, want)
			}
		})
	}
}

func TestFormatPathVersionListPaths(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"a"}, "a"},
		{[]string{"demo-kv/data/common", "demo-kv/data/myapp"}, "demo-kv/data/common,demo-kv/data/myapp"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := FormatPathVersionList(pathsOnly(tt.in...))
			if got != tt.want {
				t.Errorf("FormatPathVersionList(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if len(tt.in) == 0 {
				return
			}
			back, err := ParsePathVersionList(got)
			if want := pathsOnly(tt.in...); err != nil || !slices.Equal(back, want) {
				t.Errorf("ParsePathVersionList(%q) = %v, %v, want %v, nil", got, back, err, want)
			}
		})
	}
}

// pathsOnly lists paths without versions.
func pathsOnly(paths ...string) []PathVersion {
	var out []PathVersion
	for _, p := range paths {
		out = append(out, PathVersion{Path: p})
	}
	return out
}
