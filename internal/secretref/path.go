// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package secretref

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// pathForbidden lists the printable characters a PATH may not contain; the
// package comment says why each one is excluded.
const pathForbidden = "#?%\\,"

// listSpace is what ParsePathList trims around each element.
const listSpace = " \t\r\n"

// ValidatePath reports whether p is a valid PATH, such as
// demo-kv/data/myapp-secret.
func ValidatePath(p string) error {
	if reason := checkPath(p, 0); reason != "" {
		return syntaxError(whatPath, p, PartPath, reason)
	}
	return nil
}

// ValidateKey reports whether k is a valid KEY, such as DB_PASS.
func ValidateKey(k string) error {
	if reason := checkKey(k, 0); reason != "" {
		return syntaxError(whatKey, k, PartKey, reason)
	}
	return nil
}

// keepLast removes duplicates, keeping each element at its last position.
func keepLast[T comparable](paths []T) []T {
	seen := make(map[T]bool, len(paths))
	out := make([]T, 0, len(paths))
	for i := len(paths) - 1; i >= 0; i-- {
		if !seen[paths[i]] {
			seen[paths[i]] = true
			out = append(out, paths[i])
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// checkPath returns why p is not a valid PATH, or "" if it is. Offsets in
// the reason are counted from base, the position of p in the quoted input.
func checkPath(p string, base int) string {
	switch {
	case p == "":
		return "empty path"
	case p[0] == '/':
		return `path starts with "/"` + at(base)
	case p[len(p)-1] == '/':
		return `path ends with "/"` + at(base+len(p)-1)
	}
	start := 0
	for i, r := range p {
		switch {
		case r == utf8.RuneError && invalidAt(p, i):
			return "path is not valid UTF-8" + at(base+i)
		case r == '/':
			if reason := checkSegment(p[start:i], base+start); reason != "" {
				return reason
			}
			start = i + 1
		case !graphic(r) || strings.ContainsRune(pathForbidden, r):
			return "path contains " + strconv.QuoteRune(r) + at(base+i) +
				` (whitespace, control characters, "#", "?", "%", "\", "," are not allowed)`
		}
	}
	return checkSegment(p[start:], base+start)
}

func checkSegment(seg string, offset int) string {
	switch seg {
	case "":
		return `path contains "//"` + at(offset-1)
	case ".", "..":
		return "path contains a " + strconv.Quote(seg) + " segment" + at(offset)
	}
	return ""
}

// checkKey returns why k is not a valid KEY, or "" if it is.
func checkKey(k string, base int) string {
	if k == "" {
		return "empty key"
	}
	for i, r := range k {
		switch {
		case r == utf8.RuneError && invalidAt(k, i):
			return "key is not valid UTF-8" + at(base+i)
		case !graphic(r) || r == '#':
			return "key contains " + strconv.QuoteRune(r) + at(base+i) +
				` (whitespace, control characters and "#" are not allowed)`
		}
	}
	return ""
}

// graphic reports whether r is printable and not whitespace.
func graphic(r rune) bool {
	return r != ' ' && unicode.IsPrint(r)
}

// invalidAt reports whether s holds an invalid UTF-8 sequence at i, as
// opposed to a correctly encoded U+FFFD.
func invalidAt(s string, i int) bool {
	_, size := utf8.DecodeRuneInString(s[i:])
	return size == 1
}
