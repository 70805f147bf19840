// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package semver backs the template functions semver and semverCompare.
// Sprig builds both on github.com/Masterminds/semver/v3 (v3.4.0 in this
// module's build list), whose package init compiles several regular
// expressions: work every start of the static injector would pay whether
// or not a template ever looks at a version. This package gives the same
// results, error texts, printed forms and JSON with hand-written scanners
// and no package-level state to initialize.
//
// Only what a template can observe is provided. A template cannot call
// methods, so a *Version is seen through fmt (String, and %#v, which is
// why the fields have the original's names, types and order), through
// encoding/json (MarshalJSON), through its type name (the package is named
// semver for that reason too) and through reflect.DeepEqual.
package semver

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Version is a parsed version. The field set is part of the contract:
// printf "%#v" shows it, and it must read as Masterminds' Version does.
type Version struct {
	major, minor, patch uint64
	pre                 string
	metadata            string
	original            string
}

// textError is a fixed error text; as a constant it needs no
// initialization at start.
type textError string

func (e textError) Error() string { return string(e) }

const (
	// errInvalidVersion: the text does not have the shape of a version.
	errInvalidVersion textError = "invalid semantic version"
	// errLeadingZero: a numeric prerelease identifier has a leading zero.
	errLeadingZero textError = "version segment starts with 0"
)

// NewVersion parses v as Masterminds' NewVersion does in its default
// (coercing) mode: an optional leading "v", a major number, then
// optionally ".minor" and ".patch" (leading zeros allowed, missing parts
// read as 0), then optionally "-" and dot-separated prerelease
// identifiers and "+" and dot-separated metadata identifiers, both over
// [0-9A-Za-z-]. A numeric prerelease identifier must not start with 0,
// and each number must fit in a uint64.
func NewVersion(v string) (*Version, error) {
	sh, ok := scanShape(v, 0, isDigit)
	if !ok || sh.end != len(v) {
		return nil, errInvalidVersion
	}
	out := &Version{pre: sh.pre, metadata: sh.meta, original: v}
	var err error
	if out.major, err = parseNumber(sh.major); err != nil {
		return nil, err
	}
	if out.minor, err = parseNumber(sh.minor); err != nil {
		return nil, err
	}
	if out.patch, err = parseNumber(sh.patch); err != nil {
		return nil, err
	}
	// The scanner already guarantees non-empty identifiers over the
	// allowed characters (so metadata needs no further check); what is
	// left is the leading-zero rule of numeric prerelease identifiers.
	for id := range strings.SplitSeq(out.pre, ".") {
		if len(id) > 1 && id[0] == '0' && allDigits(id) {
			return nil, errLeadingZero
		}
	}
	return out, nil
}

// parseNumber reads a run of decimal digits; "" (an absent part) is 0.
// The error wraps strconv's, whose text quotes the digits, because that
// is the message a template author sees for a number out of range.
func parseNumber(digits string) (uint64, error) {
	if digits == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("error parsing version segment: %w", err)
	}
	return n, nil
}

// String gives major.minor.patch, then "-" and the prerelease and "+"
// and the metadata when present; never the leading "v" of the input.
func (v Version) String() string {
	b := make([]byte, 0, 16+len(v.pre)+len(v.metadata))
	b = strconv.AppendUint(b, v.major, 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, v.minor, 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, v.patch, 10)
	if v.pre != "" {
		b = append(b, '-')
		b = append(b, v.pre...)
	}
	if v.metadata != "" {
		b = append(b, '+')
		b = append(b, v.metadata...)
	}
	return string(b)
}

// MarshalJSON encodes the version as the JSON string of String.
func (v Version) MarshalJSON() ([]byte, error) {
	return json.Marshal(v.String())
}

// compare orders v and o by precedence: numbers first, then a version
// without prerelease above one with, then the prerelease identifiers.
// Metadata never counts. The result is -1, 0 or +1.
func (v *Version) compare(o *Version) int {
	for _, d := range [3][2]uint64{{v.major, o.major}, {v.minor, o.minor}, {v.patch, o.patch}} {
		switch {
		case d[0] < d[1]:
			return -1
		case d[0] > d[1]:
			return 1
		}
	}
	switch {
	case v.pre == o.pre:
		return 0
	case v.pre == "":
		return 1
	case o.pre == "":
		return -1
	}
	return comparePrerelease(v.pre, o.pre)
}

// comparePrerelease compares two prerelease texts identifier by
// identifier; where one text runs out, its identifier counts as "",
// which sorts below any other.
func comparePrerelease(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		var x, y string
		if i < len(as) {
			x = as[i]
		}
		if i < len(bs) {
			y = bs[i]
		}
		if c := compareIdentifier(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// compareIdentifier orders two prerelease identifiers: "" lowest, then
// numbers (text that fits a uint64) by value, then everything else
// byte-wise. Two different numeric texts of equal value cannot both come
// from parsed versions (no leading zeros), and yield -1.
func compareIdentifier(x, y string) int {
	if x == y {
		return 0
	}
	if x == "" {
		return -1
	}
	if y == "" {
		return 1
	}
	xn, xErr := strconv.ParseUint(x, 10, 64)
	yn, yErr := strconv.ParseUint(y, 10, 64)
	switch {
	case xErr != nil && yErr != nil:
		if x > y {
			return 1
		}
		return -1
	case xErr != nil:
		return 1
	case yErr != nil:
		return -1
	case xn > yn:
		return 1
	}
	return -1
}

// shape is the split of a version-like text: numbers without their dots,
// prerelease without its "-", metadata without its "+", and end, the
// index just past what was read. Absent parts are "".
type shape struct {
	major, minor, patch string
	pre, meta           string
	end                 int
}

// scanShape reads, from s[i:], the longest prefix of the form
//
//	["v"] num+ ["." num+ ["." num+]] ["-" ids] ["+" ids]
//
// where ids is one or more non-empty runs of [0-9A-Za-z-] joined by single
// dots. Each optional part is taken when it is complete and skipped
// otherwise, so reading stops just before the first character that cannot
// continue the form. No two parts can compete for a character (a number
// never holds '.', '-' or '+', an identifier never holds '.' or '+'), so
// this longest prefix is also the only way the form can cover a whole
// text. ok is false when there is no number at all.
func scanShape(s string, i int, num func(byte) bool) (sh shape, ok bool) {
	if i < len(s) && s[i] == 'v' {
		i++
	}
	j := span(s, i, num)
	if j == i {
		return shape{}, false
	}
	sh.major, i = s[i:j], j
	for _, part := range [2]*string{&sh.minor, &sh.patch} {
		if i+1 >= len(s) || s[i] != '.' || !num(s[i+1]) {
			break
		}
		j = span(s, i+1, num)
		*part, i = s[i+1:j], j
	}
	if j = identifiersEnd(s, i, '-'); j > i {
		sh.pre, i = s[i+1:j], j
	}
	if j = identifiersEnd(s, i, '+'); j > i {
		sh.meta, i = s[i+1:j], j
	}
	sh.end = i
	return sh, true
}

// identifiersEnd returns the end of lead followed by dot-joined
// identifiers at s[i:], or i when s[i:] does not start that way.
func identifiersEnd(s string, i int, lead byte) int {
	if i+1 >= len(s) || s[i] != lead || !isIdentChar(s[i+1]) {
		return i
	}
	j := span(s, i+1, isIdentChar)
	for j+1 < len(s) && s[j] == '.' && isIdentChar(s[j+1]) {
		j = span(s, j+1, isIdentChar)
	}
	return j
}

// span returns the end of the run of bytes in class starting at s[i].
func span(s string, i int, class func(byte) bool) int {
	for i < len(s) && class(s[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func allDigits(s string) bool { return span(s, 0, isDigit) == len(s) }

// isIdentChar is the class of prerelease and metadata characters.
func isIdentChar(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-'
}
