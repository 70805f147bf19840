// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package sprig

import (
	"crypto/rand"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/huandu/xstrings"
)

// stringFuncs are Sprig's string functions that slim-sprig lacks. Sprig
// takes most of them from github.com/Masterminds/goutils, whose package
// initializer seeds a math/rand source at every start; they are written
// here to give goutils' results, quirks included: several of them work on
// bytes, not runes (a multi-byte character can be cut, or its bytes read
// as Latin-1 characters), and those that work on runes turn invalid UTF-8
// into U+FFFD. The xstrings functions are Sprig's own, used directly: that
// package has no initializer.
func stringFuncs() map[string]any {
	return map[string]any{
		"abbrev":     abbrev,
		"abbrevboth": abbrevboth,
		"initials":   initials,
		"wrap":       func(l int, s string) string { return wrapText(s, l, "", false) },
		"wrapWith":   func(l int, sep, str string) string { return wrapText(str, l, sep, true) },
		"nospace":    deleteSpace,
		"swapcase":   swapCase,
		"untitle":    untitle,

		"randAlpha":    func(count int) string { return randomString(count, letterChars) },
		"randAlphaNum": func(count int) string { return randomString(count, alphaNumChars) },
		"randAscii":    func(count int) string { return randomString(count, asciiChars) },
		"randNumeric":  func(count int) string { return randomString(count, digitChars) },

		"shuffle": xstrings.Shuffle,
		// Sprig's camelcase is upper camel case, which xstrings calls
		// Pascal case since v1.5.
		"camelcase": xstrings.ToPascalCase,
		"kebabcase": xstrings.ToKebabCase,
		"snakecase": xstrings.ToSnakeCase,
	}
}

// abbrev shortens s to width bytes ending in "...". A width below 4 leaves
// s as it is.
func abbrev(width int, s string) string {
	if width < 4 {
		return s
	}
	r, _ := abbreviate(s, 0, width)
	return r
}

// abbrevboth shortens s to right bytes around the byte offset left, with
// "..." on the side or sides cut off. Sprig returns s unchanged for widths
// abbreviate would refuse, and "" where abbreviate fails anyway.
func abbrevboth(left, right int, s string) string {
	if right < 4 || (left > 0 && right < 7) {
		return s
	}
	r, _ := abbreviate(s, left, right)
	return r
}

// abbreviate is goutils.AbbreviateFull: the result has at most width bytes,
// and shows s from about offset on. Lengths and offsets are in bytes. The
// arithmetic wraps as goutils' does (an offset near math.MinInt makes
// len(s)-offset negative), so keep its expressions as they are.
func abbreviate(s string, offset, width int) (string, error) {
	const marker = "..."
	if s == "" {
		return "", nil
	}
	if width < 4 {
		return "", errors.New("stringutils illegal argument: Minimum abbreviation width is 4")
	}
	if len(s) <= width {
		return s, nil
	}
	keep := width - len(marker)
	offset = min(offset, len(s))
	if len(s)-offset < keep {
		offset = len(s) - keep
	}
	if offset <= 4 {
		return s[:keep] + marker, nil
	}
	if width < 7 {
		return "", errors.New("stringutils illegal argument: Minimum abbreviation width with offset is 7")
	}
	if offset+keep < len(s) {
		// keep >= 4, so this cannot fail.
		tail, _ := abbreviate(s[offset:], 0, keep)
		return marker + tail, nil
	}
	return marker + s[len(s)-keep:], nil
}

// wrapText is goutils.WrapCustom: it breaks s into lines of at most width
// bytes at spaces, writing newline ("" means "\n") in place of the space.
// Spaces at the start of a line are dropped. A word longer than width is
// cut at width bytes if breakLong is set, else left whole on its own line.
// A width below 1 counts as 1. Only ' ' is a space here; line breaks
// already in s are ordinary bytes.
func wrapText(s string, width int, newline string, breakLong bool) string {
	if s == "" {
		return ""
	}
	if newline == "" {
		newline = "\n"
	}
	width = max(width, 1)
	var b strings.Builder
	pos := 0
	for len(s)-pos > width {
		if s[pos] == ' ' {
			pos++
			continue
		}
		// The loop condition keeps pos+width+1 within s.
		if sp := strings.LastIndexByte(s[pos:pos+width+1], ' '); sp >= 0 {
			b.WriteString(s[pos : pos+sp])
			b.WriteString(newline)
			pos += sp + 1
			continue
		}
		if breakLong {
			b.WriteString(s[pos : pos+width])
			b.WriteString(newline)
			pos += width
			continue
		}
		sp := strings.IndexByte(s[pos+width:], ' ')
		if sp < 0 {
			b.WriteString(s[pos:])
			pos = len(s)
			continue
		}
		b.WriteString(s[pos : pos+width+sp])
		b.WriteString(newline)
		pos += width + sp + 1
	}
	b.WriteString(s[pos:])
	return b.String()
}

// deleteSpace is goutils.DeleteWhiteSpace, which reads s byte by byte as
// Latin-1: bytes that unicode.IsSpace calls space are dropped, 0x85 and
// 0xA0 included (so "à", C3 A0, loses its second byte), and every other
// byte of 0x80 or more is written as the UTF-8 encoding of that Latin-1
// character. A string with no space byte comes back unchanged.
func deleteSpace(s string) string {
	out := make([]byte, 0, len(s))
	kept := 0
	for i := range len(s) {
		c := rune(s[i])
		if unicode.IsSpace(c) {
			continue
		}
		out = utf8.AppendRune(out, c)
		kept++
	}
	if kept == len(s) {
		return s
	}
	return string(out)
}

// swapCase is goutils.SwapCase: upper and title case become lower case; a
// lower-case letter becomes title case at the start of s or after a space,
// upper case elsewhere.
func swapCase(s string) string {
	if s == "" {
		return s
	}
	rs := []rune(s)
	wordStart := true
	for i, r := range rs {
		switch {
		case unicode.IsUpper(r), unicode.IsTitle(r):
			rs[i] = unicode.ToLower(r)
			wordStart = false
		case unicode.IsLower(r):
			if wordStart {
				rs[i] = unicode.ToTitle(r)
				wordStart = false
			} else {
				rs[i] = unicode.ToUpper(r)
			}
		default:
			wordStart = unicode.IsSpace(r)
		}
	}
	return string(rs)
}

// untitle is goutils.Uncapitalize: the first rune of s and of every run
// after white space is lowered.
func untitle(s string) string {
	if s == "" {
		return s
	}
	rs := []rune(s)
	wordStart := true
	for i, r := range rs {
		if unicode.IsSpace(r) {
			wordStart = true
		} else if wordStart {
			rs[i] = unicode.ToLower(r)
			wordStart = false
		}
	}
	return string(rs)
}

// initials is goutils.Initials: the first byte of s and of every run after
// white space, byte by byte as deleteSpace reads them, so the first byte of
// a multi-byte character comes out as a Latin-1 character.
func initials(s string) string {
	var out []byte
	wordStart := true
	for i := range len(s) {
		c := rune(s[i])
		if unicode.IsSpace(c) {
			wordStart = true
		} else if wordStart {
			out = utf8.AppendRune(out, c)
			wordStart = false
		}
	}
	return string(out)
}

// The alphabets of goutils' CryptoRandomAlphabetic, CryptoRandomAlphaNumeric,
// CryptoRandomAscii and CryptoRandomNumeric: each draws uniformly from its
// set.
const (
	digitChars    = "0123456789"
	letterChars   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	alphaNumChars = digitChars + letterChars
	asciiChars    = " !\"#$%&'()*+,-./" + digitChars + ":;<=>?@" +
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "[\\]^_`" + "abcdefghijklmnopqrstuvwxyz" + "{|}~"
)

// randomString draws count characters uniformly from alphabet (ASCII, at
// most 256 characters) with crypto/rand, as goutils' CryptoRandom*
// functions do. A count of 0 or less gives "" (goutils fails for a
// negative count, and Sprig drops the error). Like goutils, it first makes
// a []rune of count, so a count too large to allocate panics alike.
func randomString(count int, alphabet string) string {
	if count <= 0 {
		return ""
	}
	out := make([]rune, count)
	// Bytes at or above limit are redrawn, so every character is as
	// likely as any other.
	limit := 256 - 256%len(alphabet)
	var pool [128]byte
	next := len(pool)
	for i := range out {
		for {
			if next == len(pool) {
				// crypto/rand.Read does not fail: since Go 1.24 it
				// crashes the program instead.
				_, _ = rand.Read(pool[:])
				next = 0
			}
			c := int(pool[next])
			next++
			if c < limit {
				out[i] = rune(alphabet[c%len(alphabet)])
				break
			}
		}
	}
	return string(out)
}
