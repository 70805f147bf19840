// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package secretref

import (
	"strconv"
	"strings"
)

// hasInline reports whether s holds the start of an inline reference.
func hasInline(s string) bool {
	return strings.Contains(s, inlineOpen+Prefix) || strings.Contains(s, inlineOpen+WritePrefix)
}

// parseInline splits a value that is not a whole reference into literal
// text and inline references. A "${" not followed by a prefix is literal.
func parseInline(s string) ([]Part, error) {
	var parts []Part
	lit, i := 0, 0 // lit: start of the pending literal; i: where to search
	for {
		j := strings.Index(s[i:], inlineOpen)
		if j < 0 {
			break
		}
		start := i + j
		i = start + len(inlineOpen)
		if !strings.HasPrefix(s[i:], Prefix) && !strings.HasPrefix(s[i:], WritePrefix) {
			continue
		}
		end, reason := inlineEnd(s, i)
		if reason != "" {
			return nil, inlineError(PartReference, start, reason)
		}
		e, part, reason := parseInlineExpr(s[i:end], i)
		if reason != "" {
			return nil, inlineError(part, start, reason)
		}
		if start > lit {
			parts = append(parts, Part{Literal: s[lit:start]})
		}
		parts = append(parts, Part{Expr: e})
		i = end + 1
		lit = i
	}
	if lit < len(s) {
		parts = append(parts, Part{Literal: s[lit:]})
	}
	return parts, nil
}

// inlineError reports a malformed inline reference starting at start. It
// quotes nothing: the rest of the value may be a secret.
func inlineError(part string, start int, reason string) *SyntaxError {
	return &SyntaxError{
		What: whatInline, Part: part,
		Reason: "reference at byte " + strconv.Itoa(start) + ": " + reason,
	}
}

// inlineEnd returns the position of the "}" that closes the inline
// reference whose text starts at c. That is the first "}" after c, except
// for a write with a body that starts with "{": its "}" is the first one
// after the body's matching closing brace, so the body may hold "}".
func inlineEnd(s string, c int) (int, string) {
	if b := inlineBodyStart(s, c); b >= 0 {
		e := jsonObjectEnd(s, b)
		if e < 0 {
			return 0, `body has no closing "}"` + at(b)
		}
		k := skipJSONSpace(s, e+1)
		if k == len(s) || s[k] != inlineClose {
			return 0, `body is not followed by "}"` + at(k)
		}
		return k, ""
	}
	f := strings.IndexByte(s[c:], inlineClose)
	if f < 0 {
		return 0, `no closing "}"`
	}
	return c + f, ""
}

// inlineBodyStart returns the position of the "{" that opens the body of
// an inline write starting at c: the second "#" comes before any "}" and
// is followed, after JSON whitespace, by "{". Otherwise it returns -1.
func inlineBodyStart(s string, c int) int {
	if !strings.HasPrefix(s[c:], WritePrefix) {
		return -1
	}
	hashes := 0
	for h := c + len(WritePrefix); h < len(s); h++ {
		switch s[h] {
		case inlineClose:
			return -1
		case '#':
			hashes++
			if hashes == 2 {
				b := skipJSONSpace(s, h+1)
				if b < len(s) && s[b] == '{' {
					return b
				}
				return -1
			}
		}
	}
	return -1
}

// parseInlineExpr parses the text of an inline reference, which starts at
// base in the value: a key reference or a write, never a template or Login.
func parseInlineExpr(raw string, base int) (e *Expr, part, reason string) {
	if raw == Login {
		return nil, PartReference, Login + " is allowed only as the whole value"
	}
	write := strings.HasPrefix(raw, WritePrefix)
	head := raw
	if write {
		head = raw[:writeHeadLen(raw)]
	}
	if p := strings.IndexByte(head, '#'); p >= 0 {
		if k := strings.Index(head[p+1:], inlineOpen); k >= 0 {
			return nil, PartKey, `key contains "${"` + at(base+p+1+k) +
				" (a template must be the whole value, it cannot be inside ${...})"
		}
	}
	if write {
		return parseWrite(raw, base)
	}
	return parseRefAt(raw, base)
}

// parseRefAt parses secrets-store:PATH#KEY[#VERSION] exactly like Parse,
// with offsets counted from base, the position of raw in the value.
func parseRefAt(raw string, base int) (e *Expr, part, reason string) {
	path, keyVersion, found := strings.Cut(raw[len(Prefix):], "#")
	if !found {
		return nil, PartKey, `missing "#KEY" after the path`
	}
	key, version, hasVersion := strings.Cut(keyVersion, "#")
	vBase := base + len(raw) - len(version)
	if i := strings.IndexByte(version, '#'); i >= 0 {
		return nil, PartReference, `unexpected fourth "#"-separated part` + at(vBase+i)
	}
	if reason := checkPath(path, base+len(Prefix)); reason != "" {
		return nil, PartPath, reason
	}
	if reason := checkKey(key, base+len(Prefix)+len(path)+1); reason != "" {
		return nil, PartKey, reason
	}
	e = &Expr{Kind: KindKey, Path: path, Key: key, Raw: raw}
	if hasVersion {
		v, reason := parseVersion(version)
		if reason != "" {
			return nil, PartVersion, reason + at(vBase)
		}
		e.Version = v
	}
	return e, "", ""
}
