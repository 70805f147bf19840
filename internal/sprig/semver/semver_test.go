// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package semver

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	mm "github.com/Masterminds/semver/v3"
	"github.com/Masterminds/sprig/v3"
)

// The reference is Sprig's own functions, so that the tests also pin
// which Masterminds version the build list selects.
var (
	sprigSemver        = sprigFunc[func(string) (*mm.Version, error)]("semver")
	sprigSemverCompare = sprigFunc[func(string, string) (bool, error)]("semverCompare")
)

func sprigFunc[T any](name string) T {
	f, ok := sprig.TxtFuncMap()[name].(T)
	if !ok {
		panic("sprig's " + name + " has an unexpected type")
	}
	return f
}

// versionCorpus holds texts for NewVersion: valid, coerced and refused.
var versionCorpus = []string{
	"", "v", "V1", "vv1", "1", "v1", "0", "00", "01", "1.2", "v1.2", "1.2.3", "v1.2.3",
	"01.02.03", "00.0.0", "0.0.0", "v01.2", "10.20.30", "1.2.3.4", "1.2.3.DEV", ".1", "1.",
	"1.2.", "1..2", "1.-1", "1-1", "1+2", "1-a+b", "1.2-3.4", "1.2-SNAPSHOT", "v1-",
	"1.2.3-alpha", "1.2.3-alpha.1", "1.2.3-alpha.01", "1.2.3-01", "1.2.3-0", "1.2.3-00",
	"1.2.3-00a", "1.2.3-0a", "1.2.3-a.0.01", "1.2.3-a.00.b", "1.0.0-0A.is.legal",
	"1.0.0-alpha.-1", "1.2.3+meta", "1.2.3+meta.01", "1.2.3+01", "1.2.3+", "1.2.3-",
	"1.2.3-+", "1.2.3-a..b", "1.2.3-a.", "1.2.3-.a", "1.2.3-a+b+c", "1.2.3+b-c",
	"1.2.3+b..c", "1.2.3-a-", "1.2.3--", "1.2.3-0-", "1.2.3-01-", "1.2.3-a_b",
	"18446744073709551615", "18446744073709551615.18446744073709551615.18446744073709551615",
	"18446744073709551616.0.0", "1.18446744073709551616", "1.2.18446744073709551616",
	"99999999999999999999999.1.1", "1.99999999999999999999999.x",
	"000000000000000000000000000000001.2.3", "1.2.3-18446744073709551616",
	"1.2.3-alpha.18446744073709551616", "1.2.3-99999999999999999999",
	"1.2.3 ", " 1.2.3", "1.2.3\n", "\t1", "1.2.3-ä", "1.2.3-\xff", "\xff", "x", "1.x", "*",
	"1.2.x", "1.2.3-beta+exp.sha.5114f85", "1.0.0-x-y-z.--", "1.0.0+0.build.1-rc.10000aaa-kk-0.1",
	"2.0.0-rc.1+build.123", "1.2.3----RC-SNAPSHOT.12.9.1--.12+788",
	"1.2.3----R-S.12.9.1--.12+meta", "1.0.0-alpha_beta", "1.0.0-alpha..", "+invalid",
	"-invalid", "-invalid+invalid", "alpha", "1.2.31.2.3----RC-SNAPSHOT.12.09.1--..12+788",
	"9.8.7+meta+meta", "9.8.7-whatever+meta+meta", "1.1.2-prerelease+meta",
	"v2.3.5-20161202202307-sha.e8fc5e5", "1.2.3-0.0.0", "1.2.3-0.00", "1.2.3-1.0",
	"1.0.0-rc.1+build.1", "v1.2.3-beta.1+build.345", "1.2|3", "1 .2", "1. 2", "1,2",
}

// checkVersions are versions to test constraints with; the invalid ones at
// the end make semverCompare fail after its constraint parsed.
var checkVersions = []string{
	"0.0.0", "0.0.1", "0.0.3", "0.0.4", "0.0.0-alpha", "0.0.1-alpha", "0.1.0", "0.1.0-alpha",
	"0.1.4", "0.2.0", "0.2.3", "0.2.4-beta.2", "0.2.5", "0.3.4-beta.2", "0.5.6", "1", "1.0.0",
	"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.1", "1.0.1-beta", "1.1.0", "1.1.1",
	"1.1.1-alpha", "1.1.1-beta", "1.1.500", "1.2.0", "1.2.0-alpha.1", "1.2.1", "1.2.1-alpha.1",
	"1.2.3", "v1.2.3", "1.2.3+meta", "1.2.3-alpha", "1.2.3-alpha.2", "1.2.3-beta",
	"1.2.3-beta.1", "1.2.3-beta.4", "1.2.3-1", "1.2.3-a.b.c", "1.2.3-a.9", "1.2.3-a.10",
	"1.2.3-a.b", "1.2.3-18446744073709551616", "1.2.4", "1.2.4-beta.2", "1.2.500", "1.3.0",
	"1.3.4-beta.2", "1.4", "2.0.0", "2.0.0-beta", "2.0.0-rc.1", "2.1.0", "2.1.1", "2.8.9",
	"3.0.0", "3.0.1-beta", "3.4.5", "4.1.0", "4.1.0-alpha", "4.1.1", "4.1.1-alpha", "4.2.3",
	"4.6.3", "5.1.0", "5.1.0-alpha.1", "11.1.0", "11.2.1", "12.2.3", "40.50.10",
	"18446744073709551615.0.0", "18446744073709551615.18446744073709551615.18446744073709551615",
	"", "1.2.3.4", "1.2.3-01", "x", "99999999999999999999",
}

// constraintCorpus holds constraint texts: the documented syntax, the
// corners of the grammar and its quirks, and refused texts.
var constraintCorpus = []string{
	"", " ", "\t", "||", " || ", "1 ||", "|| 1", "1|2", "1|||2", "|", "||1||", "1 || 2 || 3",
	"*", "x", "X", "* ", "xx", "1.xx", "1.2.3x", "1.x", "1.*", "1.X", "1.x.x", "1.X.3",
	"1.2.x", "1.2.*", "x.1.2", "*.*.*", "0.x.x", "0.0.x", "0.0.0", "2", "2.1", "2.*", "2.1.*",
	"4.1", "4.1.x", "1.0", "v1.2", "v1.2.3", "v1.x", "vx", "v*", "vv1", "V1",
	"=1.2", "= 1.2", "=1.5", "= 2.0", "==1", "!1", "=!1", "!=1", "!= 1.x", "!=4.1",
	"!=4.1.0", "!=4.1-alpha", "!=4.x", "!=4.1.x", "!=4.2.x", "!=1.2.x-beta", "!=x", "!=*-0",
	">1", "> 1.x", ">1.2.x", ">x", ">0", ">0.0", ">0-0", ">0.0-0", ">0.0.0-0", ">11", ">11.1",
	">1.2.3-alpha.1", ">1.1", ">x-0", "<x", "<11", "<1.1", "<1.x", "<1.1.x", "<0-z", "<x-0",
	"<=x", "<=11", "<=1.1", "<=1.x", "<=2.x", "<=1.1.x", "<=1.1-a", "<=x-0", "<= 1.2.x-beta",
	">=x", ">=0", ">=0-0", ">=0.0.0-0", ">=11", ">=11.1", ">=1.1", ">= 1.2", "=< 1.2",
	"=> 1.2", "=>1", "=<1.2", ">=x-0",
	"~x", "~*", "~1", "~1.x", "~1.2", "~1.2.3", "~0", "~0.0.0", "~0.2.3", "~1.1-alpha",
	"~1.1.1-beta", "~1.2.3-beta.2", "~1.2-beta", "~>1.2", "~> 1.2.3", "~>*", "~0.0.0-beta",
	"~0.0.x", "~0.x", "~x-0",
	"^x", "^*", "^0", "^0.0", "^0.0.3", "^0.2.3", "^0.2", "^1.2.3", "^1.2", "^1", "^1.x",
	"^2.x", "^0.x", "^0.0.x", "^1.2.3-beta", "^1.2.0-alpha.0", "^1.1.2-alpha", "^1.2.x-alpha",
	"^0.0.1", "^0.0.0", "^0.2.3-beta.2", "^*-0", "^x-0",
	"1.2 - 1.4.5", "1.2.3 - 2.3.4", "1 - 2", "1-2", "1 -2", "1- 2", " 1 - 2 ", "1 - 2 - 3",
	"1 - 2 2 - 3", "1 - 2 - 3 2 - 3", "x1.2 - 3", "1.2.3.4 - 5", "1||2 - 3", "1.1 - 2",
	"1.5.0 - 4.5", "1.1-3", "3 - 4 || => 3.0, < 4", "1.0.0 - 2.0.0, <=2.0.0",
	"1.0.0 - 2.0.0 <=2.0.0", "1.2.3-beta - 1.3", "1.2.3 - 1.2.4-beta", "x - 1", "1 - x",
	"1 - 2,3 - 4", "a1 - 2", ">1 - 2", "1 - >2", "1 -\t2", "1\t-\t2", "1 - 2+meta x",
	"v1 - v2", "1.2.3+m - 2", "1 - 2 - 3 - 4", "1 - 2 1 - 2", "1 - 2  1 - 2  1 - 2",
	">1 <3", ">1, <3", ">1,<3", ">1 , <3", ">1,,<3", ">1, ,<3", ">1 ,", "1 ,2", "1,2", "1 2",
	">=1.0 <2 || >=3", ">= 1.1", ">40.50.60, < 50.70", "2.0",
	"v2.3.5-20161202202307-sha.e8fc5e5", ">= bar", "BAR >= 1.2.3", ">= 1.2.3 < 2.0",
	">= 1.2.3 < 2.0 || => 3.0 < 4", ">= 1.2.3, < 2.0", ">= 1.2.3, < 2.0 || => 3.0, < 4",
	"12.3.4.1234", "12.23.4.1234", "12.3.34.1234", "12.3.34 ~1.2.3", "12.3.34~ 1.2.3",
	">1.1, <2", ">=1.1, <2, !=1.2.3", ">1.1    <3", ">=1.1, <2, !=1.2.3 || > 3",
	">=1.1 <2 !=1.2.3 || >= 3", "> 1.1, <     2", ">= 1.0.0  <= 2.0.0-beta",
	">= 1.0.0  <= 2.0.0-beta != 1.0.1-beta || > 3", ">= 1.0.0-0  <= 2.0.0",
	"1.2.3+meta", ">1.2.3+meta", "1.2.3-01", "x-01", "1.x-01", "99999999999999999999",
	"1.99999999999999999999", "1.2.99999999999999999999", "1.2.3-99999999999999999999",
	">= 1.2.3 ", "\t>=1\n", "\v1", "1\v", "1\u00a0", "1.2.3-ä", ">=1.0.0-0", "~1.2.3-beta",
	"1.x-beta", ">=1.x-beta <2", "<1.2.3-beta", "!=1.2.3-beta", "=1.2.3-beta",
	"1.2.*-beta+meta", "1.2.3-", "1.2.3-a.", "1.2.3+", ">", ">=", "~", "^ ", ",1", "1,",
	"1, ", "> =1", ">= 1", "~ >1", "1>2", "1 >2", "1 2 3", "1,2,3", ">1 || <0 || =0.5",
	"1.2.3 || 1.2.3-beta", "=1.2.3 ,!=1.2.4", "<=1.2.3-beta >=1.0", "x.x.x", "1.x.3-beta",
	"*-beta", "1.|", "|.1", "1.2.|", "1.2.3|", "*.1", "1.*.|",
}

// diffVersion returns how our NewVersion(in) differs from Sprig's
// semver(in), or "".
func diffVersion(in string) string {
	got, gotErr := NewVersion(in)
	want, wantErr := sprigSemver(in)
	if d := diffErr(gotErr, wantErr); d != "" {
		return d
	}
	if wantErr != nil {
		return ""
	}
	// The fields themselves: what reflect.DeepEqual and %#v see.
	gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	if gv.NumField() != wv.NumField() {
		return fmt.Sprintf("got %d fields, want %d", gv.NumField(), wv.NumField())
	}
	for i := range gv.NumField() {
		g, w := gv.Field(i), wv.Field(i)
		if gv.Type().Field(i).Name != wv.Type().Field(i).Name || g.Kind() != w.Kind() ||
			fmt.Sprint(g) != fmt.Sprint(w) {
			return fmt.Sprintf("field %d: got %s=%v, want %s=%v",
				i, gv.Type().Field(i).Name, g, wv.Type().Field(i).Name, w)
		}
	}
	// Everything fmt and encoding/json print, from the pointer a template
	// holds and from the value behind it.
	const verbs = "%v|%+v|%s|%q|%x|%#v|%10v"
	if g, w := fmt.Sprintf(verbs, got, got, got, got, got, got, got),
		fmt.Sprintf(verbs, want, want, want, want, want, want, want); g != w {
		return fmt.Sprintf("printed pointer: got %q, want %q", g, w)
	}
	if g, w := fmt.Sprintf(verbs, *got, *got, *got, *got, *got, *got, *got),
		fmt.Sprintf(verbs, *want, *want, *want, *want, *want, *want, *want); g != w {
		return fmt.Sprintf("printed value: got %q, want %q", g, w)
	}
	for _, pair := range [][2]any{{got, want}, {*got, *want}, {[]any{got}, []any{want}}} {
		g, gErr := json.Marshal(pair[0])
		w, wErr := json.Marshal(pair[1])
		if d := diffErr(gErr, wErr); d != "" || string(g) != string(w) {
			return fmt.Sprintf("JSON: got %s (%v), want %s (%v)", g, gErr, w, wErr)
		}
	}
	if g, w := reflect.TypeOf(got).String(), reflect.TypeOf(want).String(); g != w {
		return fmt.Sprintf("type: got %s, want %s", g, w)
	}
	return ""
}

// diffSatisfies returns how Satisfies(c, v) differs from Sprig's
// semverCompare(c, v), or "".
func diffSatisfies(c, v string) string {
	got, gotErr := Satisfies(c, v)
	want, wantErr := sprigSemverCompare(c, v)
	if d := diffErr(gotErr, wantErr); d != "" {
		return d
	}
	if got != want {
		return fmt.Sprintf("got %v, want %v", got, want)
	}
	return ""
}

func diffErr(got, want error) string {
	switch {
	case got == nil && want == nil:
		return ""
	case got == nil || want == nil:
		return fmt.Sprintf("got error %v, want %v", got, want)
	case got.Error() != want.Error():
		return fmt.Sprintf("got error %q, want %q", got, want)
	}
	return ""
}

func TestNewVersion(t *testing.T) {
	for _, in := range versionCorpus {
		t.Run(fmt.Sprintf("%q", in), func(t *testing.T) {
			if d := diffVersion(in); d != "" {
				t.Error(d)
			}
		})
	}
}

// TestNewVersionExamples pins a few results outright, so that a change on
// both sides (a new Masterminds version) cannot go unnoticed.
func TestNewVersionExamples(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "v01.2", want: "1.2.0"},
		{in: "1.2.3-beta+b.1", want: "1.2.3-beta+b.1"},
		{in: "1.2.3-01", err: "version segment starts with 0"},
		{in: "1.2.3.4", err: "invalid semantic version"},
		{in: "", err: "invalid semantic version"},
		{
			in:  "18446744073709551616",
			err: `error parsing version segment: strconv.ParseUint: parsing "18446744073709551616": value out of range`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			v, err := NewVersion(tc.in)
			if wantError(t, err, tc.err) {
				return
			}
			if got := v.String(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if got, want := fmt.Sprintf("%#v", v), fmt.Sprintf(
				"&semver.Version{major:0x%x, minor:0x%x, patch:0x%x, pre:%q, metadata:%q, original:%q}",
				v.major, v.minor, v.patch, v.pre, v.metadata, tc.in); got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

// TestVersionLayout: %#v and reflect.DeepEqual see the fields, so they
// must be Masterminds' in name, type and order.
func TestVersionLayout(t *testing.T) {
	got, want := reflect.TypeFor[Version](), reflect.TypeFor[mm.Version]()
	if got.NumField() != want.NumField() {
		t.Fatalf("got %d fields, want %d", got.NumField(), want.NumField())
	}
	for i := range got.NumField() {
		g, w := got.Field(i), want.Field(i)
		if g.Name != w.Name || g.Type.String() != w.Type.String() {
			t.Errorf("field %d: got %s %s, want %s %s", i, g.Name, g.Type, w.Name, w.Type)
		}
	}
	if got.Name() != want.Name() {
		t.Errorf("got type name %s, want %s", got.Name(), want.Name())
	}
}

func TestSatisfies(t *testing.T) {
	for _, c := range constraintCorpus {
		t.Run(fmt.Sprintf("%q", c), func(t *testing.T) {
			for _, v := range checkVersions {
				if d := diffSatisfies(c, v); d != "" {
					t.Errorf("version %q: %s", v, d)
				}
			}
		})
	}
}

// TestSatisfiesExamples pins results and error texts outright, quirks
// included.
func TestSatisfiesExamples(t *testing.T) {
	tests := []struct {
		c, v string
		want bool
		err  string
	}{
		{c: ">=1.2 <2", v: "1.9.9", want: true},
		{c: ">=1.2 <2", v: "2.0.0-beta"},
		{c: ">=1.2-0 <2", v: "1.5.0-beta", want: true},
		{c: "1.2 - 1.4", v: "1.4.9", want: true},
		{c: "~1.2 || ^3", v: "3.9.0", want: true},
		{c: "<=x", v: "0.1.0"},
		{c: "^*", v: "1.0.0"},
		{c: "1 - 2 - 3 2 - 3", v: "1.0.0", err: "improper constraint: >= 1, <=>= 2, <= 3  2 - 3"},
		{c: "", v: "1.0.0", err: "improper constraint: "},
		{c: "1|2", v: "1.0.0", err: "constraint parser error"},
		{c: ">1", v: "1.2.3.4", err: "invalid semantic version"},
	}
	for _, tc := range tests {
		t.Run(tc.c+" "+tc.v, func(t *testing.T) {
			got, err := Satisfies(tc.c, tc.v)
			if wantError(t, err, tc.err) {
				return
			}
			if got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// Pieces the randomized tests join; each is a piece of the grammar or a
// character that stops it.
var (
	versionPieces = []string{
		"0", "1", "2", "9", "01", "10", "18446744073709551616", ".", "-", "+", "v", "a", "x",
		"X", "*", "|", "-0", "-01", "-a", "-1", "+b", ".0", ".1", ".x", " ", "_", "\xff",
	}
	constraintPieces = []string{
		"0", "1", "2", "10", "01", ".", ".1", ".2", ".x", ".*", "x", "X", "*", "v", "-", "-0",
		"-a", "-beta.1", "+m", " ", "  ", "\t", ",", ", ", " - ", "-", "|", "||", " || ", "=",
		"!=", ">", "<", ">=", "=>", "<=", "=<", "~", "~>", "^", "!", "a", "\xff", "99999999999999999999",
	}
)

// Parts of well-formed constraints, for randomConstraint.
var (
	randomOps        = []string{"", "", "=", "!=", ">", "<", ">=", "=>", "<=", "=<", "~", "~>", "^"}
	randomNumbers    = []string{"0", "0", "1", "1", "2", "3", "10", "x", "X", "*"}
	randomPres       = []string{"-0", "-1", "-alpha", "-beta.1", "-beta.2", "-a.b", "-rc-1"}
	randomSeparators = []string{" ", " ", ", ", ",", "  ", " || ", "||", " - ", "\t"}
)

func pick(r *rand.Rand, from []string) string { return from[r.IntN(len(from))] }

// randomVersionText builds a version, with wildcards when wild is set.
func randomVersionText(r *rand.Rand, wild bool) string {
	var b strings.Builder
	if r.IntN(8) == 0 {
		b.WriteString("v")
	}
	for i := range 1 + r.IntN(3) {
		if i > 0 {
			b.WriteString(".")
		}
		n := pick(r, randomNumbers)
		for !wild && !isDigit(n[0]) {
			n = pick(r, randomNumbers)
		}
		b.WriteString(n)
	}
	if r.IntN(4) == 0 {
		b.WriteString(pick(r, randomPres))
	}
	if r.IntN(8) == 0 {
		b.WriteString("+m.1")
	}
	return b.String()
}

// randomConstraint builds a mostly well-formed constraint, so that the
// comparisons themselves are exercised, and now and then breaks it with
// a piece from constraintPieces.
func randomConstraint(r *rand.Rand) string {
	var b strings.Builder
	for i := range 1 + r.IntN(4) {
		if i > 0 {
			b.WriteString(pick(r, randomSeparators))
		}
		b.WriteString(pick(r, randomOps))
		if r.IntN(4) == 0 {
			b.WriteString(" ")
		}
		b.WriteString(randomVersionText(r, true))
	}
	s := b.String()
	if r.IntN(8) == 0 {
		at := r.IntN(len(s) + 1)
		s = s[:at] + pick(r, constraintPieces) + s[at:]
	}
	return s
}

func randomText(r *rand.Rand, pieces []string, maxPieces int) string {
	var b strings.Builder
	for range 1 + r.IntN(maxPieces) {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

// TestRandomized compares with Sprig on texts joined at random from
// pieces of the grammar and on mostly well-formed random constraints: far
// more shapes than a table holds, and the same ones on every run.
func TestRandomized(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for range n {
		v := randomText(r, versionPieces, 8)
		if d := diffVersion(v); d != "" {
			t.Errorf("NewVersion(%q): %s", v, d)
		}
		c := randomText(r, constraintPieces, 12)
		if r.IntN(2) == 0 {
			v = checkVersions[r.IntN(len(checkVersions))]
		}
		if d := diffSatisfies(c, v); d != "" {
			t.Errorf("Satisfies(%q, %q): %s", c, v, d)
		}
		c, v = randomConstraint(r), randomVersionText(r, false)
		if d := diffSatisfies(c, v); d != "" {
			t.Errorf("Satisfies(%q, %q): %s", c, v, d)
		}
	}
}

// TestEarliestVersionTo checks the backward automaton against the
// definition: the least p whose suffix scanShape reads whole.
func TestEarliestVersionTo(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const alphabet = "01x*|v.-+a"
	for range 20000 {
		b := make([]byte, 1+r.IntN(12))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		s := string(b)
		want := -1
		for p := range len(s) {
			if sh, ok := scanShape(s, p, isRangeChar); ok && sh.end == len(s) {
				want = p
				break
			}
		}
		if got := earliestVersionTo(s, 0, len(s)); got != want {
			t.Fatalf("earliestVersionTo(%q): got %d, want %d", s, got, want)
		}
	}
}

// wantError fails t unless err has the text want, or is nil when want is
// empty; it reports whether an error was expected, so the caller stops.
func wantError(t *testing.T, err error, want string) bool {
	t.Helper()
	if want != "" {
		if err == nil || err.Error() != want {
			t.Fatalf("got error %v, want %q", err, want)
		}
		return true
	}
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	return false
}
