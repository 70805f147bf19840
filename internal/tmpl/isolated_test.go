// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package tmpl

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ParseIsolated refuses every function that reads the running process's
// files, environment or network, and says why; the rest works as with Parse.
func TestParseIsolated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte("PROCESS-SECRET"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPL_ISOLATED_PROBE", "PROCESS-ENV")
	for _, text := range []string{
		`${ file "` + path + `" }`, `${ env "TMPL_ISOLATED_PROBE" }`, `${ expandenv "$TMPL_ISOLATED_PROBE" }`,
		`${ getHostByName "localhost" }`, `${ accessor "kubernetes" }`, `x${ if true }${ file "/etc/hostname" }${ end }`,
	} {
		if _, err := Parse(text); err != nil {
			t.Fatalf("Parse(%q): %v, want it accepted", text, err)
		}
		_, err := ParseIsolated(text)
		if err == nil || !errors.Is(err, errUnsupported) || !strings.Contains(err.Error(), "shared controller") {
			t.Errorf("ParseIsolated(%q): %v, want a refusal that explains", text, err)
		}
	}
	for _, text := range []string{`${ randAlphaNum 16 }`, `${ now | date "2006" }`, `${ uuidv4 }`, `${ .p | bcrypt }`, `${ genPrivateKey "rsa" }`} {
		if _, err := Parse(text); err != nil {
			t.Fatalf("Parse(%q): %v, want it accepted", text, err)
		}
		_, err := ParseIsolated(text)
		if err == nil || !errors.Is(err, errUnsupported) || !strings.Contains(err.Error(), "at every refresh") {
			t.Errorf("ParseIsolated(%q): %v, want a refusal that explains", text, err)
		}
	}
	tp, err := ParseIsolated(`${ printf "%s:%s" .u .p | b64enc }`)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := tp.Execute(map[string]any{"u": "a", "p": "b"}); err != nil || got != "YTpi" {
		t.Errorf("Execute = %q, %v", got, err)
	}
}
