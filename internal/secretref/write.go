// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package secretref

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxBodyLen is the longest write body, in bytes, that ParseValue accepts.
const MaxBodyLen = 16 << 10

// defaultBody is what a write without a body sends.
const defaultBody = "{}"

// parseWholeWrite parses a value that starts with WritePrefix. Its errors
// quote the value only up to the end of KEY: the body is the caller's data.
func parseWholeWrite(s string) (*Expr, error) {
	e, part, reason := parseWrite(s, 0)
	if reason != "" {
		return nil, &SyntaxError{What: whatWrite, Input: echoHead(s, writeHeadLen(s)), Part: part, Reason: reason}
	}
	return e, nil
}

// parseWrite parses >>secrets-store:PATH#KEY[#JSON]. Offsets in the reason
// are counted from base, the position of raw in the value.
func parseWrite(raw string, base int) (e *Expr, part, reason string) {
	path, keyBody, found := strings.Cut(raw[len(WritePrefix):], "#")
	if !found {
		return nil, PartKey, `missing "#KEY" after the path`
	}
	if reason := checkPath(path, base+len(WritePrefix)); reason != "" {
		return nil, PartPath, reason
	}
	key, body, hasBody := strings.Cut(keyBody, "#")
	keyBase := base + len(WritePrefix) + len(path) + 1
	if reason := checkKey(key, keyBase); reason != "" {
		return nil, PartKey, reason
	}
	e = &Expr{Kind: KindWrite, Path: path, Key: key, Body: defaultBody, Raw: raw}
	if hasBody {
		if reason := checkBody(body, keyBase+len(key)+1); reason != "" {
			return nil, PartBody, reason
		}
		e.Body = body
	}
	return e, "", ""
}

// writeHeadLen returns the length of the >>secrets-store:PATH#KEY part of
// raw, that is the position of the "#" before the body, or len(raw).
func writeHeadLen(raw string) int {
	rest := raw[len(WritePrefix):]
	p := strings.IndexByte(rest, '#')
	if p < 0 {
		return len(raw)
	}
	q := strings.IndexByte(rest[p+1:], '#')
	if q < 0 {
		return len(raw)
	}
	return len(WritePrefix) + p + 1 + q
}

// echoHead returns what an error may quote of s when only its first n
// bytes may be shown: at most maxEcho of them, and an ellipsis when
// anything is left out.
func echoHead(s string, n int) string {
	if n < len(s) && n <= maxEcho {
		return s[:n] + "…"
	}
	return truncate(s[:n])
}

// checkBody returns why body is not a JSON object, or "". The reason gives
// only an offset, never the body's text.
func checkBody(body string, base int) string {
	switch {
	case body == "":
		return `empty body after the second "#"` + at(base-1)
	case len(body) > MaxBodyLen:
		return "body is " + strconv.Itoa(len(body)) + " bytes long, more than " + strconv.Itoa(MaxBodyLen)
	}
	for i, r := range body {
		if r == utf8.RuneError && invalidAt(body, i) {
			return "body is not valid UTF-8" + at(base+i)
		}
	}
	if i := skipJSONSpace(body, 0); i == len(body) || body[i] != '{' {
		return `body is not a JSON object (it must start with "{")` + at(base+i)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		off := len(body) - 1
		var se *json.SyntaxError
		if errors.As(err, &se) && se.Offset > 0 && se.Offset <= int64(len(body)) {
			off = int(se.Offset) - 1
		}
		return "body is not valid JSON" + at(base+off)
	}
	return ""
}

// skipJSONSpace returns the position of the first byte at or after i that
// is not JSON whitespace.
func skipJSONSpace(s string, i int) int {
	for i < len(s) && strings.IndexByte(" \t\r\n", s[i]) >= 0 {
		i++
	}
	return i
}

// jsonObjectEnd returns the position of the "}" that closes the JSON object
// opening at s[i], counting braces outside JSON strings, or -1. It does not
// validate the object.
func jsonObjectEnd(s string, i int) int {
	depth, inString, escaped := 0, false, false
	for j := i; j < len(s); j++ {
		c := s[j]
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case inString:
			inString = c != '"'
		case c == '"':
			inString = true
		case c == '{':
			depth++
		case c == '}':
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}
