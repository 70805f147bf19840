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

func TestErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.txt")
	tests := []struct {
		name, text string
		want       string // the whole message
		withheld   bool
	}{
		{"position", "ab\ncd${.host.x}", "evaluating .host.x at 2:10: can't evaluate field x in type interface {}", false},
		{"position of call", "${upper 1}", "evaluating 1 at 1:9: can't use 1 as an argument of type string", false},
		{"fail literal", `${fail "missing password"}`, "calling fail at 1:3: missing password", false},
		{"fail in pipeline", `${"stop here" | fail}`, "calling fail at 1:17: " + errWithheld.Error(), true},
		{"file literal", `${file "` + missing + `"}`, "calling file at 1:3: stat " + missing + ": no such file or directory", false},
		{"builtin error kept", `${index .list 9}`, "calling index at 1:3: index out of range", false},
		{"fail with data", `${fail .password}`, "calling fail at 1:3: " + errWithheld.Error(), true},
		{"fail with computed message", `${fail (print "x" .password)}`, "calling fail at 1:3: " + errWithheld.Error(), true},
		{"time parse quotes its input", `${mustToDate "2006-01-02" .password}`, "calling mustToDate at 1:3: " + errWithheld.Error(), true},
		{"regexp panic quotes the pattern", `${regexFind (print "(" .password) "x"}`, "calling regexFind at 1:3: " + errWithheld.Error(), true},
		{"json error", `${mustFromJson .password}`, "calling mustFromJson at 1:3: " + errWithheld.Error(), true},
		{"file with data path", `${file .password}`, "calling file at 1:3: " + errWithheld.Error(), true},
		{"semver", `${semverCompare .password "1.0.0"}`, "calling semverCompare at 1:3: " + errWithheld.Error(), true},
		{"print of function", `${$f := 1}${printf "%v" (semver .password)}`, "calling semver at 1:26: " + errWithheld.Error(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(tt.text, testData())
			if err == nil || err.Error() != tt.want {
				t.Fatalf("run(%q) error = %v, want %q", tt.text, err, tt.want)
			}
			checkNoData(t, tt.text, err)
			if got := errors.Is(err, errWithheld); got != tt.withheld {
				t.Fatalf("errors.Is(%v, errWithheld) = %v, want %v", err, got, tt.withheld)
			}
			if _, refErr := reference(tt.text, testData()); refErr == nil {
				t.Fatalf("text/template executes %q without an error", tt.text)
			}
		})
	}
}

// TestReferenceLeaks shows why errors are withheld: text/template itself
// quotes the secret in these errors.
func TestReferenceLeaks(t *testing.T) {
	for _, text := range []string{`${mustToDate "2006-01-02" .password}`, `${regexFind (print "(" .password) "x"}`, `${fail .password}`} {
		_, err := reference(text, testData())
		if err == nil || !strings.Contains(err.Error(), secretMarker) {
			t.Errorf("text/template error for %q = %v, want it to quote the data (else this test is moot)", text, err)
		}
	}
}

func TestFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(path, []byte("line1\nline2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runCases(t, []tcase{
		{name: "file", text: `${file "` + path + `"}`, want: `line1\nline2\n`},
		{name: "directory", text: `${file "` + dir + `"}`, wantErr: dir + " is not a regular file"},
		{name: "device", text: `${file "/dev/null"}`, wantErr: "/dev/null is not a regular file"},
	})
}

func TestFileTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(path, make([]byte, maxValue+1), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := run(`${file "`+path+`"}`, nil)
	if !errors.Is(err, errLimit) || !strings.Contains(err.Error(), path+" is larger than") {
		t.Fatalf("file of %d bytes: error %v, want a limit error naming the path", maxValue+1, err)
	}
}
