// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package httpone

import (
	"errors"
	"fmt"
	"strconv"
)

// The request checks below are what makes request smuggling impossible: a
// method, target or header name is a run of visible characters without
// spaces, a header value has no CR, LF or other control character but HTAB,
// and the headers that frame the message are only ever the client's own.
// Error messages name the offending part, never its content: header values
// carry the store token.

var (
	errMethod      = errors.New("the method is not a token")
	errTarget      = errors.New(`the target does not start with "/" or has spaces or control characters`)
	errHeaderName  = errors.New("the header name is not a token")
	errHeaderValue = errors.New("the header value has a control character other than tab")
	errHost        = errors.New("the host is empty or has spaces or control characters")
)

// encode checks every request and serializes the batch into one buffer, so
// that a bad request anywhere refuses the whole batch before a byte is sent.
// starts[i] is the offset of request i in wire: a reconnect sends
// wire[starts[i]:] for the first unanswered request i.
func (c *Client) encode(reqs []Request) (wire []byte, starts []int, err error) {
	host := c.host()
	if !visible(host) {
		return nil, nil, errHost
	}
	size := 0
	for i, h := range c.Header {
		if err := checkHeader(h); err != nil {
			return nil, nil, fmt.Errorf("client header %d: %w", i+1, err)
		}
		size += len(h.Name) + len(h.Value) + 4
	}
	size *= len(reqs)
	for i, r := range reqs {
		if err := checkRequest(r); err != nil {
			return nil, nil, fmt.Errorf("request %d of %d: %w", i+1, len(reqs), err)
		}
		size += len(r.Method) + len(r.Target) + len(host) + 64 + len(r.Body)
		for _, h := range r.Header {
			size += len(h.Name) + len(h.Value) + 4
		}
	}
	wire = make([]byte, 0, size)
	starts = make([]int, len(reqs))
	for i, r := range reqs {
		starts[i] = len(wire)
		wire = appendRequest(wire, host, c.Header, r)
	}
	return wire, starts, nil
}

func appendRequest(b []byte, host string, common []Header, r Request) []byte {
	b = append(b, r.Method...)
	b = append(b, ' ')
	b = append(b, r.Target...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\n"...)
	for _, h := range common {
		b = appendHeader(b, h)
	}
	for _, h := range r.Header {
		b = appendHeader(b, h)
	}
	if r.Body != nil {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(r.Body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	return append(b, r.Body...)
}

func appendHeader(b []byte, h Header) []byte {
	b = append(b, h.Name...)
	b = append(b, ": "...)
	b = append(b, h.Value...)
	return append(b, "\r\n"...)
}

func checkRequest(r Request) error {
	if !isToken(r.Method) {
		return errMethod
	}
	if len(r.Target) == 0 || r.Target[0] != '/' || !visible(r.Target) {
		return errTarget
	}
	for i, h := range r.Header {
		if err := checkHeader(h); err != nil {
			return fmt.Errorf("header %d: %w", i+1, err)
		}
	}
	return nil
}

func checkHeader(h Header) error {
	if !isToken(h.Name) {
		return errHeaderName
	}
	// Host and the framing headers are the client's: a second
	// Content-Length or a Transfer-Encoding would let the server read the
	// body as another request.
	for _, own := range [...]string{"host", "content-length", "transfer-encoding", "connection"} {
		if equalFold(h.Name, own) {
			return fmt.Errorf("header %s is set by the client", own)
		}
	}
	for i := 0; i < len(h.Value); i++ {
		if b := h.Value[i]; (b < ' ' && b != '\t') || b == 0x7f {
			return errHeaderValue
		}
	}
	return nil
}

// visible reports whether s is non-empty and only has visible ASCII
// characters: no space, control character or byte above 0x7e (an escaped
// target and a host have none).
func visible(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return s != ""
}

// isToken reports whether s is an RFC 9110 token: the syntax of methods and
// header names.
func isToken[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if !tokenChar(s[i]) {
			return false
		}
	}
	return len(s) > 0
}

func tokenChar(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	switch b {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// equalFold compares s with lower, which is lowercase ASCII, ignoring ASCII
// case only. Unicode folding (strings.EqualFold) would match "chunKed" with a
// Kelvin sign to "chunked", which no other HTTP parser does.
func equalFold[T string | []byte](s T, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if b != lower[i] {
			return false
		}
	}
	return true
}
