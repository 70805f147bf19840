// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package secretref

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestIsRef(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"secrets-store:a#b", true},
		{"secrets-store:", true},
		{"secrets-store", false},
		{" secrets-store:a#b", false},
		{"Secrets-Store:a#b", false},
		{"plain value", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := IsRef(tt.in); got != tt.want {
				t.Errorf("IsRef(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Ref
	}{
		{"secrets-store:demo-kv/data/myapp-secret#DB_PASS", Ref{"demo-kv/data/myapp-secret", "DB_PASS", 0}},
		{"secrets-store:demo-kv/data/myapp-secret#DB_PASS#4", Ref{"demo-kv/data/myapp-secret", "DB_PASS", 4}},
		{"secrets-store:kv#k#2147483647", Ref{"kv", "k", math.MaxInt32}},
		{"secrets-store:kv#k#10", Ref{"kv", "k", 10}},
		{"secrets-store:a/b.c/d@e:f+g=h~i*j#k", Ref{"a/b.c/d@e:f+g=h~i*j", "k", 0}},
		{"secrets-store:a/.../b#k", Ref{"a/.../b", "k", 0}},
		{"secrets-store:a/.hidden/b..c#k", Ref{"a/.hidden/b..c", "k", 0}},
		{"secrets-store:\u0441\u0435\u043a\u0440\u0435\u0442\u044b/\u0434\u0430\u043d\u043d\u044b\u0435#\u043f\u0430\u0440\u043e\u043b\u044c", Ref{"\u0441\u0435\u043a\u0440\u0435\u0442\u044b/\u0434\u0430\u043d\u043d\u044b\u0435", "\u043f\u0430\u0440\u043e\u043b\u044c", 0}},
		{"secrets-store:kv/x#tls/ca.crt", Ref{"kv/x", "tls/ca.crt", 0}},
		{"secrets-store:kv/x#a,b?c%d\\e", Ref{"kv/x", "a,b?c%d\\e", 0}},
		{"secrets-store:kv/x#\uFFFD", Ref{"kv/x", "\uFFFD", 0}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): got error %v, want nil", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if s := got.String(); s != tt.in {
				t.Errorf("String() = %q, want %q", s, tt.in)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate(): got %v, want nil", err)
			}
		})
	}
}

// parseErrorTests are malformed references, the part each error is about
// and a substring of its reason.
var parseErrorTests = []struct {
	name, in   string
	wantPart   string
	wantReason string
}{
	{"no key", "secrets-store:kv/x", PartKey, `missing "#KEY"`},
	{"prefix only", "secrets-store:", PartKey, `missing "#KEY"`},
	{"empty path", "secrets-store:#k", PartPath, "empty path"},
	{"empty key", "secrets-store:kv/x#", PartKey, "empty key"},
	{"empty key with version", "secrets-store:kv/x##1", PartKey, "empty key"},
	{"empty version", "secrets-store:kv/x#k#", PartVersion, "empty version"},
	{"zero version", "secrets-store:kv/x#k#0", PartVersion, versionRule},
	{"negative version", "secrets-store:kv/x#k#-1", PartVersion, versionRule},
	{"plus version", "secrets-store:kv/x#k#+1", PartVersion, versionRule},
	{"leading zero", "secrets-store:kv/x#k#01", PartVersion, versionRule},
	{"fraction", "secrets-store:kv/x#k#1.5", PartVersion, versionRule},
	{"hex", "secrets-store:kv/x#k#0x1", PartVersion, versionRule},
	{"int32 overflow", "secrets-store:kv/x#k#2147483648", PartVersion, versionRule},
	{"huge version", "secrets-store:kv/x#k#99999999999999999999", PartVersion, versionRule},
	{"version with space", "secrets-store:kv/x#k#1 ", PartVersion, versionRule},
	{"fourth part", "secrets-store:kv/x#k#1#2", PartReference, "fourth"},
	{"fourth empty part", "secrets-store:kv/x#k##", PartReference, "fourth"},
	{"trailing space", "secrets-store:kv/x#k ", PartKey, "' ' at byte 20"},
	{"space after prefix", "secrets-store: kv/x#k", PartPath, "' ' at byte 14"},
	{"space in path", "secrets-store:kv x#k", PartPath, "' ' at byte 16"},
	{"tab in key", "secrets-store:kv/x#a\tb", PartKey, `'\t'`},
	{"newline", "secrets-store:kv/x#k\n", PartKey, `'\n'`},
	{"nbsp in path", "secrets-store:kv\u00a0x#k", PartPath, `'\u00a0'`},
	{"zero width space in key", "secrets-store:kv#a\u200bb", PartKey, `'\u200b'`},
	{"bidi override in path", "secrets-store:kv\u202e#k", PartPath, `'\u202e'`},
	{"NUL in path", "secrets-store:kv\x00#k", PartPath, `'\x00'`},
	{"DEL in key", "secrets-store:kv#k\x7f", PartKey, `'\x7f'`},
	{"invalid UTF-8 in path", "secrets-store:kv\xff#k", PartPath, "not valid UTF-8 at byte 16"},
	{"invalid UTF-8 in key", "secrets-store:kv#\xc3", PartKey, "not valid UTF-8 at byte 17"},
	{"leading slash", "secrets-store:/kv/x#k", PartPath, `starts with "/"`},
	{"trailing slash", "secrets-store:kv/x/#k", PartPath, `ends with "/"`},
	{"double slash", "secrets-store:kv//x#k", PartPath, `"//" at byte 16`},
	{"dot segment", "secrets-store:kv/./x#k", PartPath, `"." segment at byte 17`},
	{"dotdot segment", "secrets-store:kv/../x#k", PartPath, `".." segment`},
	{"dotdot first", "secrets-store:../x#k", PartPath, `".." segment at byte 14`},
	{"dotdot last", "secrets-store:kv/..#k", PartPath, `".." segment`},
	{"question mark", "secrets-store:kv/x?version=1#k", PartPath, `'?'`},
	{"percent", "secrets-store:kv/a%2Fb#k", PartPath, `'%'`},
	{"backslash", `secrets-store:kv\x#k`, PartPath, `'\\'`},
	{"comma", "secrets-store:kv/a,kv/b#k", PartPath, `','`},
}

func TestParseErrors(t *testing.T) {
	for _, tt := range parseErrorTests {
		t.Run(tt.name, func(t *testing.T) {
			se := parseError(t, tt.in)
			if se.Part != tt.wantPart {
				t.Errorf("Part = %q, want %q (%v)", se.Part, tt.wantPart, se)
			}
			if !strings.Contains(se.Reason, tt.wantReason) {
				t.Errorf("Reason = %q, want it to contain %q", se.Reason, tt.wantReason)
			}
			if se.Input != tt.in {
				t.Errorf("Input = %q, want %q", se.Input, tt.in)
			}
			if msg := se.Error(); !strings.HasSuffix(msg, hints[whatRef]) {
				t.Errorf("message %q does not end with the allowed form", msg)
			}
		})
	}
}

// parseError parses in and returns the SyntaxError it must fail with.
func parseError(t *testing.T, in string) *SyntaxError {
	t.Helper()
	r, err := Parse(in)
	if err == nil {
		t.Fatalf("Parse(%q) = %+v, want error", in, r)
	}
	if r != (Ref{}) {
		t.Errorf("Parse(%q) returned %+v with an error, want zero Ref", in, r)
	}
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("Parse(%q): got error of type %T, want *SyntaxError", in, err)
	}
	return se
}

func TestParseMessages(t *testing.T) {
	const form = ": use secrets-store:PATH#KEY or secrets-store:PATH#KEY#VERSION"
	tests := []struct {
		in, want string
	}{
		{"secrets-store:a#", `invalid secret reference "secrets-store:a#": empty key` + form},
		{"secrets-store:a#k#01", `invalid secret reference "secrets-store:a#k#01": ` + versionRule + " at byte 18" + form},
		{"p@ssw0rd", `invalid secret reference: value does not start with "secrets-store:"` + form},
		{"", `invalid secret reference: value does not start with "secrets-store:"` + form},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Parse(%q): got error %v, want %s", tt.in, err, tt.want)
			}
		})
	}
}

func TestParseNotReference(t *testing.T) {
	const secret = "hunter2-very-secret-value"
	se := parseError(t, secret)
	if !errors.Is(se, ErrNotReference) {
		t.Errorf("errors.Is(%v, ErrNotReference) = false, want true", se)
	}
	if se.Input != "" || strings.Contains(se.Error(), "hunter2") {
		t.Errorf("got Input %q and message %q, want the value not echoed", se.Input, se.Error())
	}
	if _, err := Parse("secrets-store:a#"); errors.Is(err, ErrNotReference) {
		t.Errorf("errors.Is(%v, ErrNotReference) = true, want false", err)
	}
}

func TestParseTruncatesInput(t *testing.T) {
	secret := strings.Repeat("S", 500)
	tests := []struct {
		name, in string
	}{
		{"bad key", "secrets-store:kv/x#" + secret + " "},
		{"bad path", "secrets-store:" + secret + "?#k"},
		{"bad version", "secrets-store:kv/x#k#" + secret},
		{"multibyte at cut", "secrets-store:" + strings.Repeat("\u0436", 300) + "#"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			se := parseError(t, tt.in)
			cut, ok := strings.CutSuffix(se.Input, "…")
			if !ok || len(cut) > maxEcho || !strings.HasPrefix(tt.in, cut) {
				t.Errorf("Input = %q, want at most %d leading bytes of the input and an ellipsis", se.Input, maxEcho)
			}
			if len(cut) < maxEcho-3 {
				t.Errorf("Input keeps %d bytes, want at least %d", len(cut), maxEcho-3)
			}
			if strings.Contains(se.Error(), strings.Repeat("S", maxEcho+1)) {
				t.Errorf("message %q echoes more than %d bytes of the input", se.Error(), maxEcho)
			}
		})
	}
}

func TestRefValidate(t *testing.T) {
	tests := []struct {
		name     string
		ref      Ref
		wantPart string // "" when valid
	}{
		{"latest", Ref{"kv/x", "k", 0}, ""},
		{"max version", Ref{"kv/x", "k", math.MaxInt32}, ""},
		{"zero value", Ref{}, PartPath},
		{"empty key", Ref{"kv/x", "", 1}, PartKey},
		{"hash in path", Ref{"kv#x", "k", 0}, PartPath},
		{"hash in key", Ref{"kv/x", "k#1", 0}, PartKey},
		{"negative version", Ref{"kv/x", "k", -1}, PartVersion},
		{"version too large", Ref{"kv/x", "k", math.MaxInt32 + 1}, PartVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.ref.Validate()
			var se *SyntaxError
			switch {
			case tt.wantPart == "" && err != nil:
				t.Errorf("Validate(): got %v, want nil", err)
			case tt.wantPart != "" && !errors.As(err, &se):
				t.Errorf("Validate(): got %v, want *SyntaxError", err)
			case tt.wantPart != "" && se.Part != tt.wantPart:
				t.Errorf("Validate(): got part %q, want %q", se.Part, tt.wantPart)
			}
		})
	}
}

func TestRefString(t *testing.T) {
	tests := []struct {
		ref  Ref
		want string
	}{
		{Ref{"kv/x", "k", 0}, "secrets-store:kv/x#k"},
		{Ref{"kv/x", "k", 7}, "secrets-store:kv/x#k#7"},
		{Ref{}, "secrets-store:#"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.ref.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}
