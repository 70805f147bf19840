// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package httpone

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

type parseCase struct {
	name   string
	in     string
	head   bool
	limit  int64  // 0: 64
	status int    // want
	body   string // want
	keep   bool   // want
	rest   string // want: what is left unread, for responses that keep the connection
	err    string // want: a substring of the error; "" means success
}

const ok11 = "HTTP/1.1 200 OK\r\n"

// header returns n header lines of the given value length.
func header(n, valueLen int) string {
	return strings.Repeat("X-Pad: "+strings.Repeat("v", valueLen)+"\r\n", n)
}

var parseCases = []parseCase{
	// Status line.
	{name: "content-length", in: ok11 + "Content-Length: 5\r\n\r\nhellonext", status: 200, body: "hello", keep: true, rest: "next"},
	{name: "no reason", in: "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", status: 404, keep: true},
	{name: "empty reason", in: "HTTP/1.1 500 \r\nContent-Length: 1\r\n\r\nx", status: 500, body: "x", keep: true},
	{name: "reason with tab and utf-8", in: "HTTP/1.1 200 f\tin\xc3\xa9\r\nContent-Length: 0\r\n\r\n", status: 200, keep: true},
	{name: "unusual status", in: "HTTP/1.1 799 X\r\nContent-Length: 0\r\n\r\n", status: 799, keep: true},
	{name: "http/2", in: "HTTP/2 200 OK\r\n\r\n", err: "malformed status line"},
	{name: "http/1.2", in: "HTTP/1.2 200 OK\r\n\r\n", err: "malformed status line"},
	{name: "lowercase version", in: "http/1.1 200 OK\r\n\r\n", err: "malformed status line"},
	{name: "two digits", in: "HTTP/1.1 20 OK\r\n\r\n", err: "malformed status line"},
	{name: "four digits", in: "HTTP/1.1 2000 OK\r\n\r\n", err: "malformed status line"},
	{name: "status below 100", in: "HTTP/1.1 099 X\r\n\r\n", err: "malformed status line"},
	{name: "letters", in: "HTTP/1.1 2x0 OK\r\n\r\n", err: "malformed status line"},
	{name: "two spaces", in: "HTTP/1.1  200 OK\r\n\r\n", err: "malformed status line"},
	{name: "control in reason", in: "HTTP/1.1 200 O\x01K\r\n\r\n", err: "malformed status line"},
	{name: "bare LF", in: "HTTP/1.1 200 OK\nContent-Length: 0\n\n", err: "CRLF"},
	{name: "bare CR", in: "HTTP/1.1 200 OK\r\nX: a\rb\r\nContent-Length: 0\r\n\r\n", err: "bare CR"},
	{name: "empty input", in: "", err: "EOF"},
	{name: "truncated status line", in: "HTTP/1.1 200", err: "unexpected EOF"},
	{name: "truncated header block", in: ok11 + "Content-Length: 5\r\n", err: "unexpected EOF"},

	// Connection.
	{name: "http/1.0 closes", in: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", status: 200, body: "hi"},
	{name: "http/1.0 keep-alive", in: "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nhi", status: 200, body: "hi", keep: true},
	{name: "connection close", in: ok11 + "Connection: close\r\nContent-Length: 0\r\n\r\n", status: 200},
	{name: "connection token list", in: ok11 + "connection: keep-alive, CLOSE\r\nContent-Length: 0\r\n\r\n", status: 200},
	{name: "connection other token", in: ok11 + "Connection: closed\r\nContent-Length: 0\r\n\r\n", status: 200, keep: true},

	// Content-Length.
	{name: "name case", in: ok11 + "content-LENGTH: 2\r\n\r\nok", status: 200, body: "ok", keep: true},
	{name: "value spaces", in: ok11 + "Content-Length:   2 \t\r\n\r\nok", status: 200, body: "ok", keep: true},
	{name: "repeated equal", in: ok11 + "Content-Length: 2\r\nContent-Length: 2\r\n\r\nok", status: 200, body: "ok", keep: true},
	{name: "list equal", in: ok11 + "Content-Length: 2, 2,2\r\n\r\nok", status: 200, body: "ok", keep: true},
	{name: "repeated different", in: ok11 + "Content-Length: 2\r\nContent-Length: 3\r\n\r\nok!", err: "content-length"},
	{name: "list different", in: ok11 + "Content-Length: 2, 3\r\n\r\nok!", err: "content-length"},
	{name: "empty element", in: ok11 + "Content-Length: 2,\r\n\r\nok", err: "content-length"},
	{name: "empty", in: ok11 + "Content-Length:\r\n\r\n", err: "content-length"},
	{name: "negative", in: ok11 + "Content-Length: -1\r\n\r\n", err: "content-length"},
	{name: "plus sign", in: ok11 + "Content-Length: +2\r\n\r\nok", err: "content-length"},
	{name: "hex", in: ok11 + "Content-Length: 0x2\r\n\r\nok", err: "content-length"},
	{name: "inner space", in: ok11 + "Content-Length: 1 1\r\n\r\n", err: "content-length"},
	{name: "overflow", in: ok11 + "Content-Length: 99999999999999999999\r\n\r\n", err: "content-length"},
	{name: "max int64 over limit", in: ok11 + "Content-Length: 9223372036854775807\r\n\r\n", err: "over the limit"},
	{name: "over limit", in: ok11 + "Content-Length: 65\r\n\r\n", err: "over the limit of 64 bytes"},
	{name: "at limit", in: ok11 + "Content-Length: 4\r\n\r\nabcd", limit: 4, status: 200, body: "abcd", keep: true},
	{name: "truncated body", in: ok11 + "Content-Length: 10\r\n\r\nabc", err: "unexpected EOF"},

	// Chunked.
	{name: "chunked", in: ok11 + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nnext", status: 200, body: "hello world", keep: true, rest: "next"},
	{name: "chunked case and spaces", in: ok11 + "Transfer-Encoding:  Chunked \r\n\r\nA\r\n0123456789\r\n0\r\n\r\n", status: 200, body: "0123456789", keep: true},
	{name: "chunk extensions", in: ok11 + "Transfer-Encoding: chunked\r\n\r\n2;a=b;c=\"d\"\r\nok\r\n0 ; last\r\n\r\n", status: 200, body: "ok", keep: true},
	{name: "trailers", in: ok11 + "Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-Sum: 1\r\nX-More: 2\r\n\r\nnext", status: 200, body: "ok", keep: true, rest: "next"},
	{name: "leading zeros", in: ok11 + "Transfer-Encoding: chunked\r\n\r\n0002\r\nok\r\n000\r\n\r\n", status: 200, body: "ok", keep: true},
	{name: "http/1.0 chunked closes", in: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", status: 200, body: "ok"},
	{name: "trailer obs-fold", in: ok11 + "Transfer-Encoding: chunked\r\n\r\n0\r\nX: a\r\n b\r\n\r\n", err: "obsolete line folding"},
	{name: "bad chunk size", in: ok11 + "Transfer-Encoding: chunked\r\n\r\ng\r\n", err: "malformed chunk size"},
	{name: "negative chunk size", in: ok11 + "Transfer-Encoding: chunked\r\n\r\n-1\r\n", err: "malformed chunk size"},
	{name: "chunk size junk", in: ok11 + "Transfer-Encoding: chunked\r\n\r\n2 x\r\nok\r\n0\r\n\r\n", err: "malformed chunk size"},
	{name: "chunk size overflow", in: ok11 + "Transfer-Encoding: chunked\r\n\r\n8000000000000000\r\n", err: "malformed chunk size"},
	{name: "chunk without CRLF", in: ok11 + "Transfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n0\r\n\r\n", err: "not followed by CRLF"},
	{name: "chunk size line too long", in: ok11 + "Transfer-Encoding: chunked\r\n\r\n2;" + strings.Repeat("e", 4<<10) + "\r\nok\r\n0\r\n\r\n", err: "size limit"},
	{name: "chunks over limit", in: ok11 + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", limit: 4, err: "over the limit of 4 bytes"},
	{name: "chunks at limit", in: ok11 + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n1\r\nd\r\n0\r\n\r\n", limit: 4, status: 200, body: "abcd", keep: true},
	{name: "truncated chunk", in: ok11 + "Transfer-Encoding: chunked\r\n\r\n5\r\nhel", err: "unexpected EOF"},
	{name: "no last chunk", in: ok11 + "Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n", err: "unexpected EOF"},
	{name: "no trailer end", in: ok11 + "Transfer-Encoding: chunked\r\n\r\n0\r\n", err: "unexpected EOF"},
	{name: "gzip", in: ok11 + "Transfer-Encoding: gzip, chunked\r\n\r\n", err: "unsupported transfer-encoding"},
	{name: "chunked twice", in: ok11 + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", err: "unsupported transfer-encoding"},
	{name: "chunked and length", in: ok11 + "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\nok\r\n0\r\n\r\n", err: "both"},

	// Header block.
	{name: "obs-fold", in: ok11 + "X-A: a\r\n b\r\nContent-Length: 0\r\n\r\n", err: "obsolete line folding"},
	{name: "first line folded", in: ok11 + " X-A: a\r\nContent-Length: 0\r\n\r\n", err: "obsolete line folding"},
	{name: "no colon", in: ok11 + "X-A a\r\n\r\n", err: "malformed header line"},
	{name: "space before colon", in: ok11 + "Content-Length : 2\r\n\r\nok", err: "malformed header line"},
	{name: "empty name", in: ok11 + ": x\r\n\r\n", err: "malformed header line"},
	{name: "NUL in value", in: ok11 + "X-A: a\x00b\r\n\r\n", err: "malformed header line"},
	{name: "256 lines", in: ok11 + header(255, 1) + "Content-Length: 0\r\n\r\n", status: 200, keep: true},
	{name: "257 lines", in: ok11 + header(256, 1) + "Content-Length: 0\r\n\r\n", err: "more than 256 lines"},
	{name: "block at 64 KiB", in: ok11 + header(1, 64<<10-len(ok11)-9-19-2) + "Content-Length: 0\r\n\r\n", status: 200, keep: true},
	{name: "block over 64 KiB", in: ok11 + header(1, 64<<10-len(ok11)-9-19-1) + "Content-Length: 0\r\n\r\n", err: "size limit"},
	{name: "one huge line", in: ok11 + header(1, 1<<20), err: "size limit"},

	// Interim responses.
	{name: "100 continue", in: "HTTP/1.1 100 Continue\r\n\r\n" + ok11 + "Content-Length: 2\r\n\r\nok", status: 200, body: "ok", keep: true},
	{name: "103 with headers", in: "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n" + ok11 + "Content-Length: 0\r\n\r\n", status: 200, keep: true},
	{name: "101", in: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", err: "101"},
	{name: "16 interim", in: strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", 16) + ok11 + "Content-Length: 0\r\n\r\n", status: 200, keep: true},
	{name: "17 interim", in: strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", 17) + ok11 + "Content-Length: 0\r\n\r\n", err: "interim"},
	{name: "interim then EOF", in: "HTTP/1.1 100 Continue\r\n\r\n", err: "EOF"},

	// No body.
	{name: "head", head: true, in: ok11 + "Content-Length: 10\r\n\r\nnext", status: 200, keep: true, rest: "next"},
	{name: "head chunked", head: true, in: ok11 + "Transfer-Encoding: chunked\r\n\r\nnext", status: 200, keep: true, rest: "next"},
	{name: "head over limit", head: true, in: ok11 + "Content-Length: 1000\r\n\r\n", status: 200, keep: true},
	{name: "204", in: "HTTP/1.1 204 No Content\r\n\r\nnext", status: 204, keep: true, rest: "next"},
	{name: "304 with length", in: "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\nnext", status: 304, keep: true, rest: "next"},

	// Body framed by the end of the connection.
	{name: "to EOF", in: ok11 + "X-A: b\r\n\r\nsome body", status: 200, body: "some body"},
	{name: "to EOF empty", in: ok11 + "\r\n", status: 200},
	{name: "to EOF at limit", in: ok11 + "\r\nabcd", limit: 4, status: 200, body: "abcd"},
	{name: "to EOF over limit", in: ok11 + "\r\nabcde", limit: 4, err: "over the limit of 4 bytes"},
	{name: "to EOF long", in: ok11 + "\r\n" + strings.Repeat("z", 10000), limit: 10000, status: 200, body: strings.Repeat("z", 10000)},
}

// TestReadResponse runs every case with a tiny buffer, which makes lines span
// buffer refills, and with the default one.
func TestReadResponse(t *testing.T) {
	for _, tc := range parseCases {
		for _, size := range []int{16, 4096} {
			t.Run(fmt.Sprintf("%s/%d", tc.name, size), func(t *testing.T) {
				limit := tc.limit
				if limit == 0 {
					limit = 64
				}
				br := bufio.NewReaderSize(strings.NewReader(tc.in), size)
				r, err := readResponse(br, tc.head, limit)
				if tc.err != "" {
					if err == nil || !strings.Contains(err.Error(), tc.err) {
						t.Fatalf("err = %v, want one with %q", err, tc.err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if r.status != tc.status || string(r.body) != tc.body || r.keep != tc.keep {
					t.Errorf("got status %d, body %q, keep %t; want %d, %q, %t", r.status, r.body, r.keep, tc.status, tc.body, tc.keep)
				}
				if rest, _ := io.ReadAll(br); tc.keep && string(rest) != tc.rest {
					t.Errorf("left %q unread, want %q", rest, tc.rest)
				}
			})
		}
	}
}

// A length announced but not sent costs memory for what was sent, not for
// what was announced.
func TestReadResponseGrowsAsItReads(t *testing.T) {
	br := bufio.NewReader(strings.NewReader(ok11 + "Content-Length: 30000000\r\n\r\nabc"))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := readResponse(br, false, DefaultMaxBody)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Fatalf("err = %v, want unexpected EOF", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("allocated %d bytes for a 3-byte body", n)
	}
}

func FuzzReadResponse(f *testing.F) {
	for _, tc := range parseCases {
		// Megabyte seeds would slow every mutation down; smaller ones
		// reach the same limits.
		if len(tc.in) <= 70<<10 {
			f.Add([]byte(tc.in), tc.head, uint16(64))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte, head bool, limit uint16) {
		r, err := readResponse(bufio.NewReaderSize(bytes.NewReader(in), 16), head, int64(limit))
		if err != nil {
			return
		}
		if len(r.body) > int(limit) {
			t.Fatalf("body of %d bytes, limit %d", len(r.body), limit)
		}
		if r.status < 200 || r.status == 101 || r.status > 999 {
			t.Fatalf("returned status %d", r.status)
		}
		again := fmt.Appendf(nil, "HTTP/1.1 %d R\r\nContent-Length: %d\r\n\r\n%s", r.status, len(r.body), r.body)
		r2, err := readResponse(bufio.NewReader(bytes.NewReader(again)), head, int64(limit))
		if err != nil {
			t.Fatalf("re-serialized response: %v", err)
		}
		if r2.status != r.status || !bytes.Equal(r2.body, r.body) {
			t.Fatalf("re-serialized: status %d, body %q; first %d, %q", r2.status, r2.body, r.status, r.body)
		}
	})
}

// TestReadResponseLocation: a redirect's one Location is returned; two, or
// one on another status, are not.
func TestReadResponseLocation(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"HTTP/1.1 307 Temporary Redirect\r\nLocation: https://active:8200/v1/kv/data/a\r\nContent-Length: 0\r\n\r\n", "https://active:8200/v1/kv/data/a"},
		{"HTTP/1.1 302 Found\r\nlocation:  /v1/x \r\nContent-Length: 0\r\n\r\n", "/v1/x"},
		{"HTTP/1.1 307 Temporary Redirect\r\nLocation: https://a/\r\nLocation: https://b/\r\nContent-Length: 0\r\n\r\n", ""},
		{"HTTP/1.1 200 OK\r\nLocation: https://a/\r\nContent-Length: 0\r\n\r\n", ""},
	} {
		r, err := readResponse(bufio.NewReader(strings.NewReader(tc.in)), false, 64)
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if r.location != tc.want {
			t.Errorf("%q: location %q, want %q", tc.in, r.location, tc.want)
		}
	}
}
