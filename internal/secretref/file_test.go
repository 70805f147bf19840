// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package secretref

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateFileName(t *testing.T) {
	valid := []string{
		"db-password", "keytab", "tls.crt", "a..b", "a.", "with space", `back\slash`,
		"\u0444\u0430\u0439\u043b", "x" + strings.Repeat("y", MaxFileNameLen-1),
		strings.Repeat("\u0436", MaxFileNameLen/2), // 254 bytes
	}
	for _, name := range valid {
		t.Run(name, func(t *testing.T) {
			if err := ValidateFileName(name); err != nil {
				t.Errorf("ValidateFileName(%q): got %v, want nil", name, err)
			}
		})
	}
	invalid := []struct {
		name, in, wantReason string
	}{
		{"empty", "", "empty file name"},
		{"dot", ".", `file name is "."`},
		{"dotdot", "..", `file name is ".."`},
		{"leading dot", ".env", `starts with "."`},
		{"atomic writer data dir", "..data", `starts with "."`},
		{"atomic writer timestamp dir", "..2024_01_01_00_00_00.000", `starts with "."`},
		{"slash", "a/b", `contains "/" at byte 1`},
		{"traversal", "../etc/passwd", `starts with "."`},
		{"trailing slash", "a/", `contains "/" at byte 1`},
		{"absolute", "/etc/passwd", `contains "/" at byte 0`},
		{"NUL", "a\x00b", `'\x00' at byte 1`},
		{"newline", "a\n", `'\n' at byte 1`},
		{"C1 control", "a\u0085", `'\u0085' at byte 1`},
		{"invalid UTF-8", "a\xff", "not valid UTF-8 at byte 1"},
		{"256 bytes", strings.Repeat("x", MaxFileNameLen+1), "256 bytes long, more than 255"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateFileName(tt.in)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ValidateFileName(%q): got %v, want *SyntaxError", tt.in, err)
			}
			if se.Part != PartFileName || !strings.Contains(se.Reason, tt.wantReason) {
				t.Errorf("got %q (part %q), want a file name error containing %q", se.Error(), se.Part, tt.wantReason)
			}
			if len(se.Input) > maxEcho+len("…") {
				t.Errorf("Input is %d bytes, want at most %d", len(se.Input), maxEcho+len("…"))
			}
		})
	}
}

func TestSourceValidate(t *testing.T) {
	tests := []struct {
		name     string
		src      Source
		wantPart string // "" when valid
	}{
		{"valid", Source{"demo-kv/data/myapp-secret", "DB_PASS"}, ""},
		{"empty", Source{}, PartPath},
		{"bad path", Source{"kv/../x", "k"}, PartPath},
		{"empty key", Source{"kv/x", ""}, PartKey},
		{"bad key", Source{"kv/x", "a#b"}, PartKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.src.Validate()
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
