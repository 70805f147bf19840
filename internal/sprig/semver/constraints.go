// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package semver

import (
	"errors"
	"strings"
)

// errConstraintVersion: a constraint's version part has the outline of a
// version but is not one once wildcards are resolved (say "1.2.3x",
// "1|2" or a number out of range).
const errConstraintVersion textError = "constraint parser error"

// Satisfies reports whether version meets constraint: Sprig's
// semverCompare, which is Masterminds' NewConstraint(constraint), then
// NewVersion(version), then Check. An error of the constraint comes
// first, then one of the version, each with Masterminds' text.
//
// The constraint language, as Masterminds v3.4.0 reads it:
//   - "A - B" (whitespace around the dash) stands for ">= A, <= B"; this
//     rewriting is textual and happens first, on the whole string;
//   - the result is split at every "||" into alternatives, and an
//     alternative holds when all of its terms do;
//   - terms are separated by whitespace, or by one comma with optional
//     whitespace; a term is an operator (none, =, !=, >, <, >=, =>, <=,
//     =<, ~, ~>, ^), optional whitespace and a version in which a number
//     may be x, X or * (and then later numbers do not count) or missing;
//   - a version with a prerelease meets no term unless a term of the same
//     alternative names a prerelease.
func Satisfies(constraint, version string) (bool, error) {
	alts, err := parseConstraint(constraint)
	if err != nil {
		return false, err
	}
	v, err := NewVersion(version)
	if err != nil {
		return false, err
	}
	for _, alt := range alts {
		if alt.allows(v) {
			return true, nil
		}
	}
	return false, nil
}

// wildcard says which number of a term's version is the first to be a
// wildcard or missing; every number from it on is ignored and reads as 0.
type wildcard int

const (
	wildNone wildcard = iota
	wildMajor
	wildMinor
	wildPatch
)

// term is one comparison: op as written and the version it compares to.
type term struct {
	op   string
	ver  *Version
	wild wildcard
}

// alternative is the conjunction of terms between two "||".
type alternative struct {
	terms []term
	// pre: some term's version has a prerelease, which lets prerelease
	// versions through every term of this alternative.
	pre bool
}

func (a alternative) allows(v *Version) bool {
	if v.pre != "" && !a.pre {
		return false
	}
	for _, t := range a.terms {
		if !t.allows(v) {
			return false
		}
	}
	return true
}

// parseConstraint turns the text into its alternatives, failing on the
// first alternative, in order, that is not well formed or has a term
// whose version cannot be parsed.
func parseConstraint(c string) ([]alternative, error) {
	segs := strings.Split(expandRanges(c), "||")
	alts := make([]alternative, len(segs))
	for k, seg := range segs {
		raws, ok := splitTerms(seg)
		if !ok {
			return nil, errors.New("improper constraint: " + seg)
		}
		alt := alternative{terms: make([]term, len(raws))}
		for i, r := range raws {
			t, err := newTerm(r)
			if err != nil {
				return nil, err
			}
			alt.terms[i] = t
			alt.pre = alt.pre || t.ver.pre != ""
		}
		alts[k] = alt
	}
	return alts, nil
}

// rawTerm is a term as written: its operator and version text.
type rawTerm struct {
	op, text string
	sh       shape
}

// splitTerms checks that seg is a well-formed list of terms and returns
// them; see Satisfies for the grammar. The operator and version alphabets
// ("=!<>~^" and [0-9A-Za-z|*.+-]) share no character with each other or
// with the separators, so a term's operator is the whole run of operator
// characters before its version, and a version must cover the whole run
// of version characters it starts.
func splitTerms(seg string) ([]rawTerm, bool) {
	var out []rawTerm
	i := skipSpace(seg, 0)
	for {
		j := i
		for j < len(seg) && strings.IndexByte("=!<>~^", seg[j]) >= 0 {
			j++
		}
		op := seg[i:j]
		if !knownOp(op) {
			return nil, false
		}
		i = skipSpace(seg, j)
		sh, ok := scanShape(seg, i, isRangeChar)
		if !ok {
			return nil, false
		}
		out = append(out, rawTerm{op: op, text: seg[i:sh.end], sh: sh})
		i = skipSpace(seg, sh.end)
		switch {
		case i == len(seg):
			return out, true
		case seg[i] == ',':
			i = skipSpace(seg, i+1)
		case i == sh.end:
			// The version stopped at a character that neither continues
			// it nor separates it from the next term.
			return nil, false
		}
	}
}

func knownOp(op string) bool {
	switch op {
	case "", "=", "!=", ">", "<", ">=", "=>", "<=", "=<", "~", "~>", "^":
		return true
	}
	return false
}

// newTerm resolves a term's version: from the first wildcard or missing
// number on, numbers read as 0 and metadata (and a leading "v") is
// dropped, the prerelease kept; the text must then parse as a version.
func newTerm(r rawTerm) (term, error) {
	t := term{op: r.op}
	sh := r.sh
	pre := ""
	if sh.pre != "" {
		pre = "-" + sh.pre
	}
	text := r.text
	switch {
	case isWildcard(sh.major):
		t.wild, text = wildMajor, "0.0.0"+pre
	case sh.minor == "" || isWildcard(sh.minor):
		t.wild, text = wildMinor, sh.major+".0.0"+pre
	case sh.patch == "" || isWildcard(sh.patch):
		t.wild, text = wildPatch, sh.major+"."+sh.minor+".0"+pre
	}
	v, err := NewVersion(text)
	if err != nil {
		return term{}, errConstraintVersion
	}
	t.ver = v
	return t, nil
}

func isWildcard(s string) bool { return s == "x" || s == "X" || s == "*" }

// allows reports whether v meets the term, given that the alternative
// already let v's prerelease (if any) through. The rules for wildcard
// terms are Masterminds' own, quirks included: "<= x" admits only 0.0.z
// and "^x" only 0.0.0.
func (t term) allows(v *Version) bool {
	c := t.ver
	switch t.op {
	case "", "=":
		if t.wild == wildNone {
			return v.compare(c) == 0
		}
		return t.tilde(v)
	case "~", "~>":
		return t.tilde(v)
	case "^":
		return t.caret(v)
	case "<":
		return v.compare(c) < 0
	case ">=", "=>":
		return v.compare(c) >= 0
	case ">":
		switch t.wild {
		case wildMinor:
			return v.major > c.major
		case wildPatch:
			return v.major > c.major || v.major == c.major && v.minor > c.minor
		}
		return v.compare(c) > 0
	case "<=", "=<":
		switch t.wild {
		case wildNone:
			return v.compare(c) <= 0
		case wildMinor:
			return v.major <= c.major
		}
		// wildMajor resolves to 0.0.0, so it shares wildPatch's rule.
		return v.major < c.major || v.major == c.major && v.minor <= c.minor
	case "!=":
		switch t.wild {
		case wildMinor:
			return v.major != c.major
		case wildPatch:
			if v.major != c.major || v.minor != c.minor {
				return true
			}
			return (v.pre != "" || c.pre != "") && comparePrerelease(v.pre, c.pre) != 0
		}
		return v.compare(c) != 0
	}
	return false
}

// tilde: at least the term's version, and in its major line; also in its
// minor line unless the minor number was a wildcard. A term resolving to
// 0.0.0 without a minor or patch wildcard admits everything above it.
func (t term) tilde(v *Version) bool {
	c := t.ver
	switch {
	case v.compare(c) < 0:
		return false
	case c.major == 0 && c.minor == 0 && c.patch == 0 && (t.wild == wildNone || t.wild == wildMajor):
		return true
	case v.major != c.major:
		return false
	}
	return t.wild == wildMinor || v.minor == c.minor
}

// caret: at least the term's version, with the same leftmost number that
// matters: the major when it is not 0 (or the minor is a wildcard), else
// the minor when it is not 0 (or the patch is a wildcard), else the patch.
func (t term) caret(v *Version) bool {
	c := t.ver
	switch {
	case v.compare(c) < 0:
		return false
	case c.major > 0 || t.wild == wildMinor:
		return v.major == c.major
	case v.major > 0:
		return false
	case c.minor > 0 || t.wild == wildPatch:
		return v.minor == c.minor
	case v.minor > 0:
		return false
	}
	return v.patch == c.patch
}

// expandRanges rewrites every hyphen range "A - B" of c into
// ">= A, <= B ", as Masterminds does before anything else. Ranges are
// found left to right without overlapping; each is a run of whitespace
// (possibly empty), a version A that ends at whitespace, whitespace, "-",
// whitespace, the longest version B at that point and any whitespace
// after it. A range starts at the earliest place where one can, which may
// be inside a longer run of non-space characters ("x1.2 - 3" holds the
// range "1.2 - 3"). Each found range text is then replaced at its first
// occurrence in the text rewritten so far, which is not always where it
// was found; that quirk is kept because it decides the result.
func expandRanges(c string) string {
	type found struct{ text, from, to string }
	var ranges []found
	pos := 0
	for pos < len(c) {
		f, end, ok := nextRange(c, pos)
		if !ok {
			break
		}
		ranges = append(ranges, found{text: c[f.start:end], from: f.from, to: f.to})
		pos = end
	}
	out := c
	for _, r := range ranges {
		out = strings.Replace(out, r.text, ">= "+r.from+", <= "+r.to+" ", 1)
	}
	return out
}

type rangeStart struct {
	start    int
	from, to string
}

// nextRange finds the first range starting at or after pos and returns it
// and its end. It looks at each run of non-space characters in turn: a
// range's first version must end exactly where that run ends, so whether
// the run is followed by " - B" is checked once per run, and only then is
// the run searched for the earliest start of a version that reaches its
// end. Each run is read a bounded number of times, so the work is linear.
func nextRange(c string, pos int) (rangeStart, int, bool) {
	i := pos
	for i < len(c) {
		ws := i
		a := skipSpace(c, i)
		e := a
		for e < len(c) && !isSpace(c[e]) {
			e++
		}
		if a == len(c) || e == len(c) {
			return rangeStart{}, 0, false
		}
		if to, end, ok := rangeTail(c, e); ok {
			if p := earliestVersionTo(c, a, e); p >= 0 {
				r := rangeStart{start: p, from: c[p:e], to: to}
				if p == a {
					// The whitespace before the version belongs to the range.
					r.start = ws
				}
				return r, end, true
			}
		}
		i = e
	}
	return rangeStart{}, 0, false
}

// rangeTail reads whitespace, "-", whitespace and the longest version at
// c[e:], then any whitespace; it returns that version and the end.
func rangeTail(c string, e int) (string, int, bool) {
	i := skipSpace(c, e)
	if i == e || i == len(c) || c[i] != '-' {
		return "", 0, false
	}
	j := skipSpace(c, i+1)
	if j == i+1 {
		return "", 0, false
	}
	sh, ok := scanShape(c, j, isRangeChar)
	if !ok {
		return "", 0, false
	}
	return c[j:sh.end], skipSpace(c, sh.end), true
}

// States of earliestVersionTo's automaton, which reads a constraint
// version backwards: from its last character towards its first.
const (
	rStart    = 1 << iota // nothing read yet
	rMeta                 // in a metadata identifier
	rMetaDot              // a dot between metadata identifiers
	rMetaPlus             // the "+" before the metadata
	rPre                  // in a prerelease identifier
	rPreDot               // a dot between prerelease identifiers
	rPreDash              // the "-" before the prerelease
	rNum1                 // in the last number
	rDot1                 // the dot before it
	rNum2                 // in the number before that
	rDot2                 // the dot before it
	rNum3                 // in the first of three numbers
	rV                    // the leading "v"
)

// rWhole: the states in which what was read is a whole version.
const rWhole = rNum1 | rNum2 | rNum3 | rV

// earliestVersionTo returns the least p in [from, to) such that c[p:to]
// is a whole constraint version (the form of scanShape with numbers over
// isRangeChar), or -1. Reading backwards with the set of states still
// possible makes this one pass, where trying each p forwards could take
// time quadratic in the run's length.
func earliestVersionTo(c string, from, to int) int {
	best := -1
	st := rStart
	for p := to - 1; p >= from && st != 0; p-- {
		ch := c[p]
		num, id := isRangeChar(ch), isIdentChar(ch)
		next := 0
		if st&rStart != 0 {
			if id {
				next |= rMeta | rPre
			}
			if num {
				next |= rNum1
			}
		}
		if st&rMeta != 0 {
			switch {
			case id:
				next |= rMeta
			case ch == '.':
				next |= rMetaDot
			case ch == '+':
				next |= rMetaPlus
			}
		}
		if st&rMetaDot != 0 && id {
			next |= rMeta
		}
		if st&rMetaPlus != 0 {
			if id {
				next |= rPre
			}
			if num {
				next |= rNum1
			}
		}
		if st&rPre != 0 {
			if id {
				next |= rPre
			}
			switch ch {
			case '.':
				next |= rPreDot
			case '-':
				next |= rPreDash
			}
		}
		if st&rPreDot != 0 && id {
			next |= rPre
		}
		if st&rPreDash != 0 && num {
			next |= rNum1
		}
		for _, n := range [3][3]int{{rNum1, rDot1, rNum2}, {rNum2, rDot2, rNum3}, {rNum3, 0, 0}} {
			if st&n[0] == 0 {
				continue
			}
			switch {
			case num:
				next |= n[0]
			case ch == '.':
				next |= n[1]
			case ch == 'v':
				next |= rV
			}
		}
		if st&rDot1 != 0 && num {
			next |= rNum2
		}
		if st&rDot2 != 0 && num {
			next |= rNum3
		}
		st = next
		if st&rWhole != 0 {
			best = p
		}
	}
	return best
}

// isRangeChar is the class of a number in a constraint: digits, the
// wildcards and, as Masterminds' pattern has it, "|".
func isRangeChar(c byte) bool {
	return isDigit(c) || c == 'x' || c == 'X' || c == '*' || c == '|'
}

// isSpace is the whitespace of the constraint grammar: ASCII only, and
// no vertical tab.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

func skipSpace(s string, i int) int { return span(s, i, isSpace) }
