// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package httpone

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
)

// minGrow is the first allocation for a body, and the least a body grows by.
const minGrow = 4 << 10

var (
	errLineLimit = errors.New("line over the size limit")
	errChunkSize = errors.New("malformed chunk size")
)

func errTooLarge(limit int64) error {
	return fmt.Errorf("over the limit of %d bytes", limit)
}

// readLine reads one CRLF-terminated line and returns it without the CRLF.
// budget is how many bytes the line may take with its CRLF; it shrinks by
// what the line took. The line may alias br's buffer: it is valid until the
// next read from br. A bare CR or LF is an error, so that no line can be
// split differently by a parser that accepts them.
func readLine(br *bufio.Reader, budget *int) ([]byte, error) {
	var long []byte // only for a line longer than br's buffer
	for {
		frag, err := br.ReadSlice('\n')
		if len(frag) > *budget {
			return nil, errLineLimit
		}
		*budget -= len(frag)
		switch {
		case err == nil:
			if long != nil {
				frag = append(long, frag...)
			}
			return trimCRLF(frag)
		case errors.Is(err, bufio.ErrBufferFull):
			long = append(long, frag...)
		case errors.Is(err, io.EOF) && len(long)+len(frag) == 0:
			return nil, io.EOF
		case errors.Is(err, io.EOF):
			return nil, io.ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
}

func trimCRLF(line []byte) ([]byte, error) {
	n := len(line)
	if n < 2 || line[n-2] != '\r' {
		return nil, errors.New("line not terminated by CRLF")
	}
	if bytes.IndexByte(line[:n-2], '\r') >= 0 {
		return nil, errors.New("bare CR in a line")
	}
	return line[:n-2], nil
}

// readChunked reads a body in the chunked transfer coding and the trailer
// section after it, which it checks and discards.
func readChunked(br *bufio.Reader, limit int64) ([]byte, error) {
	var body []byte
	for {
		budget := maxChunkLine
		line, err := readLine(br, &budget)
		if err != nil {
			return nil, fmt.Errorf("chunk size line: %w", unexpected(err))
		}
		size, err := parseChunkSize(line)
		if err != nil {
			return nil, err
		}
		if size == 0 {
			break
		}
		if size > limit-int64(len(body)) {
			return nil, errTooLarge(limit)
		}
		if body, err = appendN(br, body, size); err != nil {
			return nil, fmt.Errorf("chunk: %w", err)
		}
		var crlf [2]byte
		if _, err := io.ReadFull(br, crlf[:]); err != nil {
			return nil, fmt.Errorf("chunk end: %w", unexpected(err))
		}
		if crlf != [2]byte{'\r', '\n'} {
			return nil, errors.New("chunk data not followed by CRLF")
		}
	}
	budget := maxHeaderBytes
	if err := readFields(br, &budget, nil); err != nil {
		return nil, fmt.Errorf("trailer section: %w", unexpected(err))
	}
	return body, nil
}

// parseChunkSize parses chunk-size [BWS ";" chunk-ext]. Extensions are not
// interpreted, only checked for control characters.
func parseChunkSize(line []byte) (int64, error) {
	var size int64
	i := 0
	for ; i < len(line); i++ {
		d := unhex(line[i])
		if d < 0 {
			break
		}
		if size > (math.MaxInt64-d)/16 {
			return 0, errChunkSize
		}
		size = size*16 + d
	}
	if i == 0 {
		return 0, errChunkSize
	}
	rest := bytes.TrimLeft(line[i:], " \t")
	if len(rest) > 0 && rest[0] != ';' {
		return 0, errChunkSize
	}
	for _, b := range rest {
		if (b < ' ' && b != '\t') || b == 0x7f {
			return 0, errChunkSize
		}
	}
	return size, nil
}

func unhex(b byte) int64 {
	switch {
	case '0' <= b && b <= '9':
		return int64(b - '0')
	case 'a' <= b && b <= 'f':
		return int64(b-'a') + 10
	case 'A' <= b && b <= 'F':
		return int64(b-'A') + 10
	}
	return -1
}

// appendN appends exactly n bytes from br to body. It grows body as the
// bytes arrive, at most doubling it each time, so a length the server
// announces but does not send costs no more memory than what it did send.
func appendN(br *bufio.Reader, body []byte, n int64) ([]byte, error) {
	for n > 0 {
		if len(body) == cap(body) {
			body = slices.Grow(body, int(min(n, grow(len(body)))))
		}
		m := min(n, int64(cap(body)-len(body)))
		got, err := io.ReadFull(br, body[len(body):len(body)+int(m)])
		body = body[:len(body)+got]
		n -= int64(got)
		if err != nil {
			return nil, unexpected(err)
		}
	}
	return body, nil
}

// readToEOF reads a body framed by the end of the connection.
func readToEOF(br *bufio.Reader, limit int64) ([]byte, error) {
	var body []byte
	for {
		// Reading one byte past limit is how a body over it is told from
		// one of exactly limit bytes.
		room := limit + 1 - int64(len(body))
		if len(body) == cap(body) {
			body = slices.Grow(body, int(min(room, grow(len(body)))))
		}
		end := len(body) + int(min(room, int64(cap(body)-len(body))))
		n, err := br.Read(body[len(body):end])
		body = body[:len(body)+n]
		if int64(len(body)) > limit {
			return nil, errTooLarge(limit)
		}
		if errors.Is(err, io.EOF) {
			return body, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// grow is how much a body of have bytes grows by when it is full.
func grow(have int) int64 {
	return int64(max(have, minGrow))
}

// unexpected turns io.EOF into io.ErrUnexpectedEOF: where it is used, the
// connection ended in the middle of a response.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
