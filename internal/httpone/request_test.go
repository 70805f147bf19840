// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package httpone

import (
	"bufio"
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

var encodeCases = []struct {
	name   string
	host   string
	common []Header
	reqs   []Request
	want   string // the wire bytes; "" when an error is wanted
	err    string
}{
	{
		name: "get", host: "store:8200", common: []Header{{Name: "X-Vault-Token", Value: "s.secret"}},
		reqs: []Request{{Method: "GET", Target: "/v1/kv/data/a?version=2", Header: []Header{{Name: "Accept", Value: "*/*"}}}},
		want: "GET /v1/kv/data/a?version=2 HTTP/1.1\r\nHost: store:8200\r\nX-Vault-Token: s.secret\r\nAccept: */*\r\n\r\n",
	},
	{
		name: "batch with bodies", host: "h",
		reqs: []Request{{Method: "POST", Target: "/a", Body: []byte("{}")}, {Method: "PUT", Target: "/b", Body: []byte{}}, {Method: "GET", Target: "/"}},
		want: "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}" +
			"PUT /b HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n" +
			"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
	},
	{
		name: "tab and utf-8 in a value", host: "h",
		reqs: []Request{{Method: "GET", Target: "/", Header: []Header{{Name: "X-A", Value: "a\tb é"}}}},
		want: "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\tb é\r\n\r\n",
	},
	{name: "CRLF in a value", host: "h", reqs: []Request{{Method: "GET", Target: "/", Header: []Header{{Name: "X-A", Value: "a\r\nX-Injected: 1"}}}}, err: "request 1 of 1: header 1: the header value"},
	{name: "LF in a value", host: "h", reqs: []Request{{Method: "GET", Target: "/"}, {Method: "GET", Target: "/", Header: []Header{{Name: "X-A", Value: "a\nb"}}}}, err: "request 2 of 2: header 1: the header value"},
	{name: "NUL in a value", host: "h", reqs: []Request{{Method: "GET", Target: "/", Header: []Header{{Name: "X-A", Value: "a\x00"}}}}, err: "the header value"},
	{name: "CR in a client header", host: "h", common: []Header{{Name: "X-Vault-Token", Value: "s.x\r"}}, reqs: []Request{{Method: "GET", Target: "/"}}, err: "client header 1: the header value"},
	{name: "colon in a name", host: "h", reqs: []Request{{Method: "GET", Target: "/", Header: []Header{{Name: "X-A: b\r\nX-B", Value: "c"}}}}, err: "the header name"},
	{name: "space in a name", host: "h", reqs: []Request{{Method: "GET", Target: "/", Header: []Header{{Name: "X A", Value: "c"}}}}, err: "the header name"},
	{name: "empty name", host: "h", reqs: []Request{{Method: "GET", Target: "/", Header: []Header{{Value: "c"}}}}, err: "the header name"},
	{name: "content-length", host: "h", reqs: []Request{{Method: "GET", Target: "/", Header: []Header{{Name: "content-Length", Value: "5"}}}}, err: "header content-length is set by the client"},
	{name: "transfer-encoding", host: "h", reqs: []Request{{Method: "POST", Target: "/", Header: []Header{{Name: "Transfer-Encoding", Value: "chunked"}}}}, err: "transfer-encoding is set by the client"},
	{name: "host", host: "h", common: []Header{{Name: "HOST", Value: "other"}}, reqs: []Request{{Method: "GET", Target: "/"}}, err: "host is set by the client"},
	{name: "connection", host: "h", reqs: []Request{{Method: "GET", Target: "/", Header: []Header{{Name: "Connection", Value: "close"}}}}, err: "connection is set by the client"},
	{name: "space in target", host: "h", reqs: []Request{{Method: "GET", Target: "/a HTTP/1.1\r\nX: y"}}, err: "the target"},
	{name: "space only in target", host: "h", reqs: []Request{{Method: "GET", Target: "/a b"}}, err: "the target"},
	{name: "absolute target", host: "h", reqs: []Request{{Method: "GET", Target: "http://h/"}}, err: "the target"},
	{name: "empty target", host: "h", reqs: []Request{{Method: "GET"}}, err: "the target"},
	{name: "DEL in target", host: "h", reqs: []Request{{Method: "GET", Target: "/\x7f"}}, err: "the target"},
	{name: "space in method", host: "h", reqs: []Request{{Method: "GET /x", Target: "/"}}, err: "the method"},
	{name: "empty method", host: "h", reqs: []Request{{Target: "/"}}, err: "the method"},
	{name: "CRLF in host", host: "h\r\nX: y", reqs: []Request{{Method: "GET", Target: "/"}}, err: "the host"},
}

// Requests serialize to exactly the expected bytes; anything that could
// inject a header or a request is refused, and the error shows no header value.
func TestEncode(t *testing.T) {
	for _, tc := range encodeCases {
		t.Run(tc.name, func(t *testing.T) {
			c := &Client{Addr: "addr:1", Host: tc.host, Header: tc.common}
			wire, starts, err := c.encode(tc.reqs)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one with %q", err, tc.err)
				}
				if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "Injected") {
					t.Errorf("the error shows a header value: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(wire) != tc.want {
				t.Errorf("wire:\n%q\nwant\n%q", wire, tc.want)
			}
			for i, s := range starts {
				if !strings.HasPrefix(string(wire[s:]), tc.reqs[i].Method+" "+tc.reqs[i].Target+" ") {
					t.Errorf("starts[%d] = %d does not point at request %d", i, s, i)
				}
			}
		})
	}
}

// recorder is a server that answers every request with an empty 200 and
// records every byte it receives.
type recorder struct {
	ln  net.Listener
	mu  sync.Mutex
	got strings.Builder
}

func newRecorder(t *testing.T) *recorder {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{ln: ln}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { rec.serve(conn) })
		}
	})
	return rec
}

func (rec *recorder) serve(conn net.Conn) {
	defer func() { _ = conn.Close() }()
	br := bufio.NewReader(conn)
	for {
		line, err := br.ReadString('\n')
		rec.mu.Lock()
		rec.got.WriteString(line)
		rec.mu.Unlock()
		if err != nil {
			return
		}
		if line == "\r\n" {
			if _, err := conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")); err != nil {
				return
			}
		}
	}
}

func (rec *recorder) String() string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.got.String()
}

// A refused request is refused before anything is dialed or written: the
// recorder sees only the one good request sent afterwards.
func TestDoRefusesInjection(t *testing.T) {
	rec := newRecorder(t)
	var dials atomic.Int32
	c := &Client{
		Addr: rec.ln.Addr().String(), Host: "store",
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}
	t.Cleanup(func() { _ = c.Close() })
	good := Request{Method: "GET", Target: "/ok"}
	for _, bad := range []Request{
		{Method: "GET", Target: "/a", Header: []Header{{Name: "X-A", Value: "v\r\nX-Injected: 1"}}},
		{Method: "GET", Target: "/a\r\n\r\nGET /smuggled HTTP/1.1"},
		{Method: "GET", Target: "/a b"},
		{Method: "GET", Target: "/a", Header: []Header{{Name: "Content-Length", Value: "0"}}},
	} {
		resps, err := c.Do(t.Context(), []Request{good, bad})
		if err == nil || resps != nil {
			t.Fatalf("Do(%q) = %v, %v; want an error", bad.Target, resps, err)
		}
	}
	if n := dials.Load(); n != 0 {
		t.Fatalf("%d dials for refused batches", n)
	}
	resps, err := c.Do(t.Context(), []Request{good})
	if err != nil || len(resps) != 1 || resps[0].Status != 200 {
		t.Fatalf("good request: %v, %v", resps, err)
	}
	if got, want := rec.String(), "GET /ok HTTP/1.1\r\nHost: store\r\n\r\n"; got != want {
		t.Errorf("the server received %q, want %q", got, want)
	}
	if err := c.Close(); err != nil {
		t.Error(err)
	}
}
