// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package watcher

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// Strings: validated by str, decoded by decodeJSONString. Decoding matches
// encoding/json's, its leniency included, since the injector decoded the
// same answers with it: a byte that is not part of valid UTF-8 becomes
// U+FFFD, and so does a \u escape of a surrogate that is not the first
// half of a valid pair (the escape after it is then decoded on its own).

// str validates the JSON string at s.i (s.b[s.i] is '"') and moves past
// its closing quote. plain reports that the string has neither escapes nor
// bytes outside ASCII, so that its text is its value.
func (s *jsonScan) str() (plain bool, err error) {
	plain = true
	s.i++
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return plain, nil
		case c == '\\':
			plain = false
			if err := s.escape(); err != nil {
				return false, err
			}
		case c < ' ':
			return false, errScanSyntax
		default:
			// Any byte from 0x80 passes, valid UTF-8 or not, as with
			// encoding/json; decodeJSONString replaces the invalid ones.
			if c >= utf8.RuneSelf {
				plain = false
			}
			s.i++
		}
	}
	return false, errScanSyntax
}

// escape validates the escape at s.i (s.b[s.i] is '\\') and moves past it.
// encoding/json also decodes \' but its scanner refuses it first: so does
// this one.
func (s *jsonScan) escape() error {
	if s.i+1 >= len(s.b) {
		return errScanSyntax
	}
	switch s.b[s.i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		s.i += 2
		return nil
	case 'u':
		if len(s.b)-s.i < 6 || hex4(s.b[s.i+2:s.i+6]) < 0 {
			return errScanSyntax
		}
		s.i += 6
		return nil
	}
	return errScanSyntax
}

// hex4 returns the value of four hexadecimal digits, or -1.
func hex4(h []byte) rune {
	var r rune
	for _, c := range h[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// stringValue decodes raw, which must be one JSON string (surrounding
// whitespace aside), as json.Unmarshal decodes it into a Go string. It
// reports false for anything else, null included.
func stringValue(raw []byte) (string, bool) {
	s := jsonScan{b: raw}
	s.skipSpace()
	if s.peek() != '"' {
		return "", false
	}
	start := s.i
	plain, err := s.str()
	if err != nil {
		return "", false
	}
	body := raw[start+1 : s.i-1]
	if !s.atEnd() {
		return "", false
	}
	return decodeJSONString(body, plain), true
}

// storeNames are the member names of the store's envelope and of KV v2's
// metadata: read on every poll, they are not allocated anew each time.
var storeNames = [...]string{
	"request_id", "lease_id", "renewable", "lease_duration", "data", "wrap_info",
	"warnings", "auth", "mount_type", "metadata", "created_time", "custom_metadata", "deletion_time",
	"destroyed", "version",
}

// memberName decodes a member name, body and plain as str and name give.
func memberName(body []byte, plain bool) string {
	if plain {
		for _, n := range storeNames {
			if string(body) == n {
				return n
			}
		}
	}
	return decodeJSONString(body, plain)
}

// decodeJSONString decodes body, the text between the quotes of a JSON
// string that str has validated.
func decodeJSONString(body []byte, plain bool) string {
	if plain || (bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body)) {
		return string(body)
	}
	// Escapes shrink; only invalid bytes grow (one byte to three).
	out := make([]byte, 0, len(body)+2*utf8.UTFMax)
	for i := 0; i < len(body); {
		switch c := body[i]; {
		case c == '\\':
			var n int
			out, n = appendEscape(out, body[i:])
			i += n
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			// utf8.RuneError with n == 1 for a byte that is not valid
			// UTF-8: appended as U+FFFD, which is what encoding/json does.
			r, n := utf8.DecodeRune(body[i:])
			out = utf8.AppendRune(out, r)
			i += n
		}
	}
	return string(out)
}

// appendEscape appends the value of the escape e starts with (validated by
// escape) and returns the number of bytes it took from e.
func appendEscape(out, e []byte) ([]byte, int) {
	switch e[1] {
	case 'b':
		return append(out, '\b'), 2
	case 'f':
		return append(out, '\f'), 2
	case 'n':
		return append(out, '\n'), 2
	case 'r':
		return append(out, '\r'), 2
	case 't':
		return append(out, '\t'), 2
	case 'u':
		r := hex4(e[2:6])
		if !utf16.IsSurrogate(r) {
			return utf8.AppendRune(out, r), 6
		}
		// A pair takes both escapes; any other surrogate is U+FFFD and
		// takes only its own, the next escape (if any) decoded on its own.
		// e[6:] starts a token: a \u there has four valid hex digits.
		if len(e) >= 12 && e[6] == '\\' && e[7] == 'u' {
			if p := utf16.DecodeRune(r, hex4(e[8:12])); p != utf8.RuneError {
				return utf8.AppendRune(out, p), 12
			}
		}
		return utf8.AppendRune(out, utf8.RuneError), 6
	}
	return append(out, e[1]), 2 // '"', '\\' or '/'
}

// compact returns raw, valid JSON, without its insignificant whitespace,
// as json.Compact does; strings and numbers are kept byte for byte. It
// returns raw itself (no copy) when there is nothing to remove.
func compact(raw []byte) []byte {
	var out []byte // nil until the first byte to drop
	start := 0     // raw[start:i] is kept but not yet in out
	inString := false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case inString && c == '\\':
			i++ // the escaped byte cannot end the string
		case inString:
			inString = c != '"'
		case c == '"':
			inString = true
		case isJSONSpace(c):
			if out == nil {
				out = make([]byte, 0, len(raw))
			}
			out = append(out, raw[start:i]...)
			start = i + 1
		}
	}
	if out == nil {
		return raw
	}
	return append(out, raw[start:]...)
}
