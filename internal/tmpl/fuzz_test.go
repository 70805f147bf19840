// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package tmpl

import (
	"errors"
	"strings"
	"testing"
)

// fuzzSkip are (lowercase) parts of function names whose results depend on
// the clock, randomness, map iteration order, the environment, the file
// system or the network, or that are slow on purpose: templates naming
// them are not compared.
var fuzzSkip = []string{
	"date", "now", "ago", "unixepoch", "rand", "shuffle", "uuid", "gen", "buildcustomcert",
	"bcrypt", "htpasswd", "derivepassword", "encryptaes", "gethostbyname", "env", "file",
	"keys", "values",
}

// FuzzTemplate is a differential test: for any template text, and for a
// template generated from program by a small grammar (which reaches the
// evaluator more often than mutated text), this package and text/template
// (with the same functions, delimiters and data) must give the same
// output, or both fail. The exceptions are this package's
// documented refusals and limits, which it reports with errUnsupported and
// errLimit. Errors must not quote the data.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{
		"postgresql://${.username}:${.password}@${.host}:${.port}/app",
		"${.missing}${.none}${.map.nested.x}${.list}${.}",
		"${$x := .host}${$x = upper $x}${$x}",
		"${range $i, $v := .list}${$i}=${$v};${else}none${end}",
		"${range $k, $v := .map}${$k}${if eq $k \"b\"}${break}${end}${end}",
		"${range 3}${if eq . 1}${continue}${end}${.}${end}",
		"${if and .enabled (not .disabled)}a${else if .empty}b${else}c${end}",
		"${with .map}${.a}${else with .list}x${end}",
		"${index .list 4 \"k\"}${len .map}${slice .list 1 2}",
		"${printf \"%q %v %d\" .username .enabled 3}${print 1 2 \"a\"}${println .none}",
		"${html .password}${js .password}${urlquery .password}",
		"${eq .port \"5432\"}${ne 1 2}${lt 1.5 2.5}${le 2 2}${gt \"b\" \"a\"}${ge 1 (len \"a\")}",
		"${.username | b64enc | b64dec | trimPrefix \"app-\"}",
		"${toJson .}${dict \"a\" .list | toPrettyJson}",
		"${$d := dict}${$_ := set $d \"k\" .host}${$d.k}",
		"${(semver \"1.2.3\")}${call .host}${fail \"x\"}",
		"${- .empty -} ${/* c */} ${`raw`}${'a'}${0x1F}${1e2}${nil}",
		"${upper .port}${.missing | upper}${default \"d\" .missing}",
		"${accessor \"auth/kubernetes\"}${sha256sum .password}",
	} {
		f.Add(s, []byte(s))
	}
	f.Fuzz(func(t *testing.T, text string, program []byte) {
		compare(t, text)
		compare(t, (&gen{in: program}).template())
	})
}

// compare runs text with this package and with text/template.
func compare(t *testing.T, text string) {
	t.Helper()
	if len(text) > 4096 || fuzzSkipped(text) {
		return
	}
	got, err := run(text, testData())
	checkNoData(t, text, err)
	if errors.Is(err, errUnsupported) || errors.Is(err, errLimit) {
		return
	}
	want, refErr := reference(text, testData())
	switch {
	case err != nil && refErr == nil:
		t.Fatalf("%q: this package fails (%v), text/template gives %q", text, err, want)
	case err == nil && refErr != nil:
		t.Fatalf("%q: this package gives %q, text/template fails: %v", text, got, refErr)
	case got != want:
		t.Fatalf("%q: this package gives %q, text/template %q", text, got, want)
	}
}

func fuzzSkipped(text string) bool {
	lower := strings.ToLower(text)
	for _, s := range fuzzSkip {
		if strings.Contains(lower, s) {
			return true
		}
	}
	return false
}
