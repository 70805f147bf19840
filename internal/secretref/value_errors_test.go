// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package secretref

import (
	"errors"
	"strings"
	"testing"
)

func TestParseValueErrors(t *testing.T) {
	long := strings.Repeat("t", MaxTemplateLen)
	tests := []struct {
		name, in   string
		what, part string
		reason     string
		input      string // what the error must quote
	}{
		{"key ref", "secrets-store:kv/x#", whatRef, PartKey, "empty key", "secrets-store:kv/x#"},
		{"no key", "secrets-store:kv", whatRef, PartKey, `missing "#KEY"`, "secrets-store:kv"},
		{"login with suffix", "secrets-store:login ", whatRef, PartKey, `missing "#KEY"`, "secrets-store:login "},
		{"template bad path", "secrets-store:kv/../x#${.a}", whatTemplate, PartPath, `".." segment at byte 17`, "secrets-store:kv/../x#${.a}"},
		{"template empty path", "secrets-store:#${.a}", whatTemplate, PartPath, "empty path", "secrets-store:#${.a}"},
		{"template version zero", "secrets-store:kv#${.a}#0", whatTemplate, PartVersion, versionRule + " at byte 23", "secrets-store:kv#${.a}#0"},
		{"template leading zero", "secrets-store:kv#${.a}#01", whatTemplate, PartVersion, versionRule, "secrets-store:kv#${.a}#01"},
		{"template version overflow", "secrets-store:kv#${.a}#2147483648", whatTemplate, PartVersion, versionRule, "secrets-store:kv#${.a}#2147483648"},
		{"template empty version", "secrets-store:kv#${.a}#", whatTemplate, PartVersion, `empty version after the final "#" at byte 22`, "secrets-store:kv#${.a}#"},
		{"template NUL", "secrets-store:kv#${.a}\x00", whatTemplate, PartTemplate, `'\x00' at byte 22`, "secrets-store:kv#${.a}\x00"},
		{"template invalid UTF-8", "secrets-store:kv#${.\xff}", whatTemplate, PartTemplate, "not valid UTF-8 at byte 20", "secrets-store:kv#${.\xff}"},
		{"template too long", "secrets-store:kv#${.a}" + long, whatTemplate, PartTemplate, "more than 16384", "secrets-store:kv#${.a}" + long[:maxEcho-22] + "…"},
		{"write no key", ">>secrets-store:pki/issue/web", whatWrite, PartKey, `missing "#KEY"`, ">>secrets-store:pki/issue/web"},
		{"write bad path", ">>secrets-store:pki//web#k", whatWrite, PartPath, `"//" at byte 19`, ">>secrets-store:pki//web#k"},
		{"write empty key", ">>secrets-store:pki#", whatWrite, PartKey, "empty key", ">>secrets-store:pki#"},
		{"write empty key with body", `>>secrets-store:pki##{"a":1}`, whatWrite, PartKey, "empty key", ">>secrets-store:pki#…"},
		{"write empty body", ">>secrets-store:pki#k#", whatWrite, PartBody, `empty body after the second "#" at byte 21`, ">>secrets-store:pki#k…"},
		{"write array body", ">>secrets-store:pki#k#[1]", whatWrite, PartBody, "not a JSON object", ">>secrets-store:pki#k…"},
		{"write version", ">>secrets-store:pki#k#3", whatWrite, PartBody, "not a JSON object", ">>secrets-store:pki#k…"},
		{"write blank body", ">>secrets-store:pki#k#  ", whatWrite, PartBody, "not a JSON object (it must start with \"{\") at byte 24", ">>secrets-store:pki#k…"},
		{"write bad JSON", `>>secrets-store:pki#k#{"ttl":1h}`, whatWrite, PartBody, "not valid JSON at byte 30", ">>secrets-store:pki#k…"},
		{"write unterminated JSON", `>>secrets-store:pki#k#{"a":"x"`, whatWrite, PartBody, "not valid JSON at byte 29", ">>secrets-store:pki#k…"},
		{"write trailing data", `>>secrets-store:pki#k#{} x`, whatWrite, PartBody, "not valid JSON at byte 25", ">>secrets-store:pki#k…"},
		{"write two objects", `>>secrets-store:pki#k#{}{}`, whatWrite, PartBody, "not valid JSON", ">>secrets-store:pki#k…"},
		{"write invalid UTF-8 body", ">>secrets-store:pki#k#{\"a\":\"\xff\"}", whatWrite, PartBody, "not valid UTF-8 at byte 28", ">>secrets-store:pki#k…"},
		{"write body too long", ">>secrets-store:pki#k#{" + strings.Repeat(" ", MaxBodyLen) + "}", whatWrite, PartBody, "more than 16384", ">>secrets-store:pki#k…"},
		{"inline unclosed", "a=${secrets-store:kv#k", whatInline, PartReference, `reference at byte 2: no closing "}"`, ""},
		{"inline unclosed second", "${secrets-store:a#b} ${secrets-store:kv#k", whatInline, PartReference, "reference at byte 21:", ""},
		{"inline bad key", "x${secrets-store:kv#a b}", whatInline, PartKey, "reference at byte 1: key contains ' ' at byte 21", ""},
		{"inline bad path", "x${secrets-store:kv//a#b}", whatInline, PartPath, `reference at byte 1: path contains "//" at byte 19`, ""},
		{"inline version", "x${secrets-store:kv#a#0}", whatInline, PartVersion, "reference at byte 1: " + versionRule + " at byte 22", ""},
		{"inline fourth part", "x${secrets-store:kv#a#1#2}", whatInline, PartReference, "fourth \"#\"-separated part at byte 23", ""},
		{"inline template", "pw=${secrets-store:kv#${.password}}", whatInline, PartKey, `reference at byte 3: key contains "${" at byte 22 (a template must be the whole value`, ""},
		{"inline template later", "${secrets-store:kv#pre${.a}}", whatInline, PartKey, `key contains "${" at byte 22`, ""},
		{"inline write template key", "${>>secrets-store:kv#${.a}}", whatInline, PartKey, `key contains "${" at byte 21`, ""},
		{"inline login", "t=${secrets-store:login}", whatInline, PartReference, "secrets-store:login is allowed only as the whole value", ""},
		{"inline no key", "${secrets-store:kv}", whatInline, PartKey, `missing "#KEY"`, ""},
		{"inline write no key", "${>>secrets-store:kv}", whatInline, PartKey, `missing "#KEY"`, ""},
		{"inline write unclosed body", `${>>secrets-store:pki#k#{"a":"}"`, whatInline, PartReference, `reference at byte 0: body has no closing "}" at byte 24`, ""},
		{"inline write body not closed by brace", `${>>secrets-store:pki#k#{"a":1} x}`, whatInline, PartReference, `body is not followed by "}" at byte 32`, ""},
		{"inline write body then end", `${>>secrets-store:pki#k#{}`, whatInline, PartReference, `body is not followed by "}" at byte 26`, ""},
		{"inline write bad body", `${>>secrets-store:pki#k#{"a":}}`, whatInline, PartBody, "body is not valid JSON at byte 29", ""},
		{"inline write non-object body", `${>>secrets-store:pki#k#x}`, whatInline, PartBody, "not a JSON object (it must start with \"{\") at byte 24", ""},
		{"inline write empty body", `${>>secrets-store:pki#k#}`, whatInline, PartBody, "empty body", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok, err := ParseValue(tt.in)
			if err == nil || !ok || v.Parts != nil {
				t.Fatalf("ParseValue(%q) = %+v, %v, %v, want ok and an error", tt.in, v, ok, err)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("got error of type %T, want *SyntaxError", err)
			}
			if se.What != tt.what || se.Part != tt.part || !strings.Contains(se.Reason, tt.reason) {
				t.Errorf("got %q (what %q, part %q), want what %q, part %q, reason containing %q",
					se.Error(), se.What, se.Part, tt.what, tt.part, tt.reason)
			}
			if se.Input != tt.input {
				t.Errorf("error quotes %q, want %q", se.Input, tt.input)
			}
			if h := hints[tt.what]; !strings.HasSuffix(se.Error(), h) {
				t.Errorf("message %q does not end with the allowed forms %q", se.Error(), h)
			}
		})
	}
}

// TestParseValueErrorsKeepSecrets checks that errors about values with
// inline references or write bodies never quote the text around the
// reference or the body.
func TestParseValueErrorsKeepSecrets(t *testing.T) {
	const secret = "hunter2-S3cr3t"
	for _, in := range []string{
		"password=" + secret + "&x=${secrets-store:kv#k",
		"password=" + secret + "&x=${secrets-store:kv#a b}",
		"${secrets-store:kv#k " + secret + "}",
		"${secrets-store:kv#k&p=" + secret + "&h=${HOME}",
		`${>>secrets-store:pki#k#{"p":"` + secret + `"`,
		`>>secrets-store:pki#k#{"p":"` + secret + `",}`,
		`>>secrets-store:pki#k#` + secret,
	} {
		t.Run(in, func(t *testing.T) {
			_, _, err := ParseValue(in)
			if err == nil {
				t.Fatalf("ParseValue(%q): got nil error, want one", in)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q quotes the secret", err)
			}
		})
	}
}
