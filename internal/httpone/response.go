// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package httpone

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
)

// Limits on what one response may make the client read besides its body.
// They bound the memory and time a broken or hostile server can take.
const (
	maxHeaderBytes = 64 << 10 // status line and header lines, CRLFs included; the same again for trailers
	maxHeaderLines = 256      // header lines after the status line; the same again for trailers
	maxChunkLine   = 4 << 10  // one chunk size line with its CRLF
	maxInterim     = 16       // interim (1xx) responses skipped before the final one
)

var (
	errStatusLine = errors.New("malformed status line")
	errFieldLine  = errors.New("malformed header line")
	errObsFold    = errors.New("obsolete line folding")
	errLength     = errors.New("malformed or conflicting content-length")
)

// response is one final response as read by readResponse.
type response struct {
	status   int
	body     []byte
	keep     bool   // the connection may carry another response after this one
	location string // the Location field of a redirect (3xx)
}

// framing is what a header block says about the body and the connection.
type framing struct {
	http10    bool
	length    int64 // -1: no Content-Length
	chunked   bool  // Transfer-Encoding: chunked
	close     bool  // Connection: close
	keepAlive bool  // Connection: keep-alive
	location  []byte
	locations int // Location fields seen
}

// readResponse reads the final response to one request from br, skipping
// interim (1xx) responses. head: the request was HEAD, so the response has no
// body whatever its headers say. A body over limit bytes is an error, found
// before the body is read when the response announces its length.
func readResponse(br *bufio.Reader, head bool, limit int64) (response, error) {
	for interim := 0; ; interim++ {
		status, fr, err := readHead(br)
		if err != nil {
			return response{}, err
		}
		switch {
		case status == 101:
			return response{}, errors.New("unexpected 101 switching protocols")
		case status >= 200:
			return readFinal(br, status, fr, head, limit)
		case interim == maxInterim:
			return response{}, fmt.Errorf("more than %d interim (1xx) responses", maxInterim)
		}
	}
}

// readHead reads a status line and its header block.
func readHead(br *bufio.Reader) (int, framing, error) {
	budget := maxHeaderBytes
	line, err := readLine(br, &budget)
	if err != nil {
		return 0, framing{}, fmt.Errorf("status line: %w", err)
	}
	status, http10, ok := parseStatusLine(line)
	if !ok {
		return 0, framing{}, errStatusLine
	}
	fr := framing{http10: http10, length: -1}
	if err := readFields(br, &budget, fr.add); err != nil {
		return 0, framing{}, fmt.Errorf("header block: %w", unexpected(err))
	}
	return status, fr, nil
}

// parseStatusLine parses HTTP-version SP 3DIGIT [SP reason-phrase].
func parseStatusLine(line []byte) (status int, http10, ok bool) {
	if len(line) < 12 || line[8] != ' ' {
		return 0, false, false
	}
	switch string(line[:8]) {
	case "HTTP/1.1":
	case "HTTP/1.0":
		http10 = true
	default:
		return 0, false, false
	}
	for _, d := range line[9:12] {
		if d < '0' || d > '9' {
			return 0, false, false
		}
		status = status*10 + int(d-'0')
	}
	if status < 100 {
		return 0, false, false
	}
	rest := line[12:]
	if len(rest) > 0 && rest[0] != ' ' {
		return 0, false, false
	}
	for _, b := range rest {
		if (b < ' ' && b != '\t') || b == 0x7f {
			return 0, false, false
		}
	}
	return status, http10, true
}

// readFields reads field lines up to and including the empty line that ends
// them, and passes each name and value to add (nil: check and discard). The
// slices passed to add are only valid during the call.
func readFields(br *bufio.Reader, budget *int, add func(name, value []byte) error) error {
	for n := 0; ; n++ {
		line, err := readLine(br, budget)
		if err != nil {
			return err
		}
		if len(line) == 0 {
			return nil
		}
		if n == maxHeaderLines {
			return fmt.Errorf("more than %d lines", maxHeaderLines)
		}
		if line[0] == ' ' || line[0] == '\t' {
			return errObsFold
		}
		// No whitespace is allowed between the name and the colon: a
		// name with it would be read differently by different parsers.
		colon := bytes.IndexByte(line, ':')
		if colon < 0 || !isToken(line[:colon]) {
			return errFieldLine
		}
		value := bytes.Trim(line[colon+1:], " \t")
		if bytes.IndexByte(value, 0) >= 0 {
			return errFieldLine
		}
		if add != nil {
			if err := add(line[:colon], value); err != nil {
				return err
			}
		}
	}
}

// add records the header fields that frame the message; it ignores others.
func (fr *framing) add(name, value []byte) error {
	switch {
	case equalFold(name, "content-length"):
		return eachElement(value, func(v []byte) error {
			n, ok := parseLength(v)
			if !ok || (fr.length >= 0 && fr.length != n) {
				return errLength
			}
			fr.length = n
			return nil
		})
	case equalFold(name, "transfer-encoding"):
		// Only chunked is supported, and only once: "chunked, chunked"
		// or a second field is refused rather than interpreted.
		if fr.chunked || !equalFold(value, "chunked") {
			return errors.New("unsupported transfer-encoding")
		}
		fr.chunked = true
	case equalFold(name, "location"):
		fr.location = value
		fr.locations++
	case equalFold(name, "connection"):
		return eachElement(value, func(v []byte) error {
			fr.close = fr.close || equalFold(v, "close")
			fr.keepAlive = fr.keepAlive || equalFold(v, "keep-alive")
			return nil
		})
	}
	return nil
}

// eachElement calls f with each comma-separated element of a field value,
// without surrounding whitespace.
func eachElement(value []byte, f func([]byte) error) error {
	for {
		elem, rest, more := bytes.Cut(value, []byte{','})
		if err := f(bytes.Trim(elem, " \t")); err != nil {
			return err
		}
		if !more {
			return nil
		}
		value = rest
	}
}

// parseLength parses a non-negative decimal Content-Length: digits only, no
// sign, no overflow.
func parseLength(v []byte) (int64, bool) {
	var n int64
	for _, d := range v {
		if d < '0' || d > '9' || n > (math.MaxInt64-int64(d-'0'))/10 {
			return 0, false
		}
		n = n*10 + int64(d-'0')
	}
	return n, len(v) > 0
}

// readFinal reads the body of a final response as its status and headers
// frame it (RFC 9112, section 6.3).
func readFinal(br *bufio.Reader, status int, fr framing, head bool, limit int64) (response, error) {
	r := response{status: status, keep: !fr.close && (!fr.http10 || fr.keepAlive)}
	if status/100 == 3 && fr.locations == 1 {
		// A redirect with two Locations names no single target.
		r.location = string(fr.location)
	}
	if fr.chunked {
		// Both framings at once is how responses get split; an HTTP/1.0
		// message has no transfer codings, so its framing is suspect.
		if fr.length >= 0 {
			return response{}, errors.New("both transfer-encoding and content-length")
		}
		if fr.http10 {
			r.keep = false
		}
	}
	var err error
	switch {
	case head || status == 204 || status == 304:
	case fr.chunked:
		r.body, err = readChunked(br, limit)
	case fr.length > limit:
		err = errTooLarge(limit)
	case fr.length >= 0:
		r.body, err = appendN(br, nil, fr.length)
	default:
		r.keep = false
		r.body, err = readToEOF(br, limit)
	}
	if err != nil {
		return response{}, fmt.Errorf("body: %w", err)
	}
	return r, nil
}
