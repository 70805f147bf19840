// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package watcher

import "errors"

// The watcher reads the store's answers with this scanner rather than with
// encoding/json: reflection-based decoding costs about half a MiB of
// resident memory, a large share of the watcher's budget. The scanner
// accepts exactly what encoding/json accepts (RFC 8259, nothing more) and
// decodes strings exactly as encoding/json does, so that the watcher sees
// the data the injector saw. It validates every nested value but decodes
// only the member names of the outer object; values stay raw JSON text.
//
// Its errors never quote the input: the input is secret data.

// maxScanDepth is encoding/json's nesting limit. The outer object is level
// 1; each array or object inside another adds one.
const maxScanDepth = 10000

var (
	errScanSyntax    = errors.New("the store's answer is not valid JSON")
	errScanNotObject = errors.New("the store's answer is not a JSON object")
	errScanDepth     = errors.New("the store's answer nests too deeply")
)

// member is one member of a JSON object: its name decoded, its value as
// raw JSON text, a sub-slice of the scanned input without surrounding
// whitespace.
type member struct {
	name string
	raw  []byte
}

// jsonScan is a position in an input. Its methods move i past what they
// have validated; on error i is left anywhere, as the input is then
// dropped whole.
type jsonScan struct {
	b []byte
	i int
}

// scanObject validates that b, surrounding JSON whitespace aside, is
// exactly one JSON object, and returns its members in order of appearance,
// duplicates included (see memberOf).
func scanObject(b []byte) ([]member, error) {
	s := jsonScan{b: b}
	s.skipSpace()
	if s.peek() != '{' {
		// Tell "valid but not an object" from "not JSON" for the log.
		if s.value(0) == nil && s.atEnd() {
			return nil, errScanNotObject
		}
		return nil, errScanSyntax
	}
	s.i++
	s.skipSpace()
	if s.peek() == '}' {
		s.i++
		return nil, s.end()
	}
	// An envelope of the store has nine members: one allocation for it.
	ms := make([]member, 0, 10)
	for {
		s.skipSpace()
		body, plain, err := s.name()
		if err != nil {
			return nil, err
		}
		s.skipSpace()
		start := s.i
		if err := s.value(1); err != nil {
			return nil, err
		}
		ms = append(ms, member{name: memberName(body, plain), raw: s.b[start:s.i]})
		s.skipSpace()
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			if err := s.end(); err != nil {
				return nil, err
			}
			return ms, nil
		default:
			return nil, errScanSyntax
		}
	}
}

// memberOf returns the raw value of the last member named name, or nil:
// encoding/json keeps the last of duplicate names.
func memberOf(ms []member, name string) []byte {
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].name == name {
			return ms[i].raw
		}
	}
	return nil
}

// value validates the JSON value at s.i, whitespace before it skipped.
// depth is the level of the container the value is in (0 for none).
// Nesting is followed with an explicit stack, not recursion, so that a
// deep answer costs a byte a level rather than a stack frame a level.
func (s *jsonScan) value(depth int) error {
	var buf [64]byte
	open := buf[:0] // '{' or '[' per open container, innermost last
	for {
		s.skipSpace()
		c := s.peek()
		if c == '{' || c == '[' {
			if depth+len(open)+1 > maxScanDepth {
				return errScanDepth
			}
			s.i++
			s.skipSpace()
			if s.peek() != c+2 { // '{'+2 is '}', '['+2 is ']'
				open = append(open, c)
				if c == '{' {
					if _, _, err := s.name(); err != nil {
						return err
					}
				}
				continue
			}
			s.i++ // an empty container is complete
		} else if err := s.scalar(c); err != nil {
			return err
		}
		var err error
		if open, err = s.afterValue(open); err != nil || len(open) == 0 {
			return err
		}
	}
}

// afterValue follows a complete value inside the containers open: it
// closes those the value completes and stops before the next element's
// value (past its name in an object). It returns open emptied once the
// outermost is closed.
func (s *jsonScan) afterValue(open []byte) ([]byte, error) {
	for len(open) > 0 {
		s.skipSpace()
		top := open[len(open)-1]
		switch c := s.peek(); c {
		case ',':
			s.i++
			if top == '{' {
				s.skipSpace()
				if _, _, err := s.name(); err != nil {
					return nil, err
				}
			}
			return open, nil
		case top + 2: // the closer of top
			s.i++
			open = open[:len(open)-1]
		default:
			return nil, errScanSyntax
		}
	}
	return open, nil
}

// name validates a member name and the colon after it, and returns the
// name's text between the quotes (see str for plain).
func (s *jsonScan) name() (body []byte, plain bool, err error) {
	start := s.i
	if s.peek() != '"' {
		return nil, false, errScanSyntax
	}
	if plain, err = s.str(); err != nil {
		return nil, false, err
	}
	body = s.b[start+1 : s.i-1]
	s.skipSpace()
	if s.peek() != ':' {
		return nil, false, errScanSyntax
	}
	s.i++
	return body, plain, nil
}

// scalar validates the string, number or literal that starts with c.
func (s *jsonScan) scalar(c byte) error {
	switch {
	case c == '"':
		_, err := s.str()
		return err
	case c == '-' || isJSONDigit(c):
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return errScanSyntax
}

// number validates RFC 8259's number: an optional minus, an integer part
// without leading zeros, an optional fraction and an optional exponent,
// each with at least one digit.
func (s *jsonScan) number() error {
	if s.peek() == '-' {
		s.i++
	}
	switch c := s.peek(); {
	case c == '0':
		s.i++ // "01" ends the number at "0"; what follows then fails
	case isJSONDigit(c):
		s.digits()
	default:
		return errScanSyntax
	}
	if s.peek() == '.' {
		s.i++
		if !isJSONDigit(s.peek()) {
			return errScanSyntax
		}
		s.digits()
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if !isJSONDigit(s.peek()) {
			return errScanSyntax
		}
		s.digits()
	}
	return nil
}

func (s *jsonScan) digits() {
	for isJSONDigit(s.peek()) {
		s.i++
	}
}

func (s *jsonScan) literal(lit string) error {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return errScanSyntax
	}
	s.i += len(lit)
	return nil
}

// end checks that only whitespace follows the outer value.
func (s *jsonScan) end() error {
	if !s.atEnd() {
		return errScanSyntax
	}
	return nil
}

func (s *jsonScan) atEnd() bool {
	s.skipSpace()
	return s.i == len(s.b)
}

// peek returns the byte at s.i, or 0 at the end of the input: no JSON
// token starts with 0, so the end fails wherever a token is due.
func (s *jsonScan) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *jsonScan) skipSpace() {
	for s.i < len(s.b) && isJSONSpace(s.b[s.i]) {
		s.i++
	}
}

// isJSONSpace reports JSON's four whitespace bytes, and only them.
func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isJSONDigit(c byte) bool { return '0' <= c && c <= '9' }
