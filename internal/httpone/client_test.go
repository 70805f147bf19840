// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package httpone

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A batch goes out in one write and comes back in order over one
// connection, which the next call reuses; after Close the next call dials.
func TestDoBatch(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%t", useTLS), func(t *testing.T) {
			f := newFixture(t, useTLS)
			c := f.client(t)
			var writes atomic.Int32
			if !useTLS {
				countWrites(c, &writes) // with TLS, the handshake writes too
			}
			var reqs []Request
			for i := range 10 {
				target := fmt.Sprintf("/v1/kv/data/s%d?version=%d", i, i)
				if i%2 == 1 {
					target = fmt.Sprintf("/chunked?i=%d", i)
				}
				reqs = append(reqs, Request{Method: "GET", Target: target})
			}
			for call := 1; call <= 3; call++ {
				if call == 3 {
					if err := c.Close(); err != nil {
						t.Fatal(err)
					}
				}
				resps, err := c.Do(t.Context(), reqs)
				if err != nil {
					t.Fatalf("call %d: %v", call, err)
				}
				checkBodies(t, reqs, resps)
				if got, want := f.conns.Load(), int32(1+call/3); got != want {
					t.Errorf("after call %d: %d connections, want %d", call, got, want)
				}
				if got := writes.Load(); !useTLS && got != int32(call) {
					t.Errorf("after call %d: %d writes, want %d", call, got, call)
				}
			}
		})
	}
}

// Gather is called once per batch, after the first response, with about as
// long again per unanswered request and never more than MaxGather; never
// for a batch of one.
func TestDoGather(t *testing.T) {
	f := newFixture(t, true)
	c := f.client(t)
	var waits []time.Duration
	c.Gather = func(d time.Duration) {
		waits = append(waits, d)
		time.Sleep(d)
	}
	if _, err := c.Do(t.Context(), gets("/slow")); err != nil {
		t.Fatal(err)
	}
	if len(waits) != 0 {
		t.Fatalf("a batch of one waited %v", waits)
	}
	reqs := gets("/slow?i=1", "/slow?i=2", "/slow?i=3", "/slow?i=4", "/slow?i=5")
	for call := 1; call <= 2; call++ {
		waits = nil
		start := time.Now()
		resps, err := c.Do(t.Context(), reqs)
		if err != nil {
			t.Fatalf("call %d: %v", call, err)
		}
		checkBodies(t, reqs, resps)
		if len(waits) != 1 {
			t.Fatalf("call %d: waits %v, want one", call, waits)
		}
		// The first response took at least the 2 ms of its handler: the
		// wait is at least four times that, and within the call.
		if d := waits[0]; d < 8*time.Millisecond || d > MaxGather || d > time.Since(start) {
			t.Errorf("call %d: waited %v, want 8 ms to %v and less than the call's %v", call, d, MaxGather, time.Since(start))
		}
	}
	var none Client
	none.Addr = c.Addr
	none.Host, none.TLS = c.Host, c.TLS
	defer func() { _ = none.Close() }()
	resps, err := none.Do(t.Context(), reqs) // Gather unset: no wait, the same answers
	if err != nil {
		t.Fatal(err)
	}
	checkBodies(t, reqs, resps)
}

// Responses without a body (HEAD, 204, 304) and with either framing keep
// the pipeline in step.
func TestDoFraming(t *testing.T) {
	f := newFixture(t, false)
	c := f.client(t)
	reqs := []Request{
		{Method: "GET", Target: "/status/204"},
		{Method: "HEAD", Target: "/head"},
		{Method: "GET", Target: "/status/304"},
		{Method: "GET", Target: "/chunked?a=1"},
		{Method: "HEAD", Target: "/chunked?a=2"},
		{Method: "PUT", Target: "/put", Body: []byte("data")},
		{Method: "POST", Target: "/empty", Body: []byte{}},
		{Method: "OPTIONS", Target: "/options"},
		{Method: "GET", Target: "/last", Header: []Header{{Name: "X-Any", Value: "v"}}},
	}
	resps, err := c.Do(t.Context(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	checkBodies(t, reqs, resps)
	if n := f.conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

// A connection the server closed between calls is replaced: with
// keep-alives off the server says so in the response, with "close idle" it
// closes the kept connection without a word, and the next call finds it
// closed. With TLS, the new connection resumes the session: this fails if
// the client had no session cache.
func TestDoReconnect(t *testing.T) {
	tests := []struct {
		name      string
		tls       bool
		closeIdle bool // else keep-alives are off
		second    []Request
	}{
		{name: "keep-alives off", second: gets("/b")},
		{name: "keep-alives off/tls", tls: true, second: gets("/b")},
		{name: "close idle", closeIdle: true, second: gets("/b", "/c", "/d")},
		{name: "close idle/tls", tls: true, closeIdle: true, second: gets("/b", "/c", "/d")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.tls)
			f.srv.Config.SetKeepAlivesEnabled(tc.closeIdle)
			c := f.client(t)
			first := gets("/a")
			resps, err := c.Do(t.Context(), first)
			if err != nil {
				t.Fatal(err)
			}
			checkBodies(t, first, resps)
			if tc.closeIdle {
				f.srv.CloseClientConnections()
			}
			resps, err = c.Do(t.Context(), tc.second)
			if err != nil {
				t.Fatal(err)
			}
			checkBodies(t, tc.second, resps)
			if n := f.conns.Load(); n != 2 {
				t.Errorf("%d connections, want 2", n)
			}
			if got, want := f.resumed.Load(), int32(len(tc.second)); tc.tls && got != want {
				t.Errorf("%d requests over a resumed TLS session, want %d", got, want)
			}
		})
	}
}

var resendCases = []struct {
	name          string
	keepAlivesOff bool
	reqs          []Request
	err           string // "" when the batch must succeed
	answered      int    // responses returned with the error
	conns         int32
	hits          map[string]int
}{
	{
		name: "close announced", reqs: gets("/a", "/close", "/b", "/c"), conns: 2,
		hits: map[string]int{"GET /a": 1, "GET /close": 1, "GET /b": 1, "GET /c": 1},
	},
	{
		name: "dropped", reqs: gets("/a", "/drop", "/b"), conns: 2,
		hits: map[string]int{"GET /a": 1, "GET /drop": 2, "GET /b": 1},
	},
	{
		name: "POST after close announced",
		reqs: []Request{{Method: "GET", Target: "/close"}, {Method: "POST", Target: "/p", Body: []byte("x")}, {Method: "GET", Target: "/b"}},
		err:  "not sent again: request 2 of 3 (POST) is not idempotent", answered: 1, conns: 1,
		hits: map[string]int{"POST /p": 0, "GET /b": 0},
	},
	{
		name: "POST dropped",
		reqs: []Request{{Method: "GET", Target: "/a"}, {Method: "POST", Target: "/drop"}, {Method: "GET", Target: "/b"}},
		err:  "read the response to request 2 of 3: EOF; not sent again: request 2 of 3 (POST)", answered: 1, conns: 1,
		hits: map[string]int{"POST /drop": 1, "GET /b": 0},
	},
	{
		name: "one response per connection", keepAlivesOff: true, reqs: gets("/a", "/b", "/c"), conns: 3,
		hits: map[string]int{"GET /a": 1, "GET /b": 1, "GET /c": 1},
	},
	{
		name: "no answer on two connections", reqs: gets("/a", "/dropall", "/b"),
		err: "not sent again: a second connection of this call ended without an answer", answered: 1, conns: 3,
		hits: map[string]int{"GET /a": 1, "GET /dropall": 3, "GET /b": 0},
	},
}

// When the server closes the connection in the middle of a batch, the
// unanswered requests are sent again if they are all idempotent, as long as
// each connection answers something.
func TestDoResend(t *testing.T) {
	for _, tc := range resendCases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, false)
			f.srv.Config.SetKeepAlivesEnabled(!tc.keepAlivesOff)
			c := f.client(t)
			resps, err := c.Do(t.Context(), tc.reqs)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				checkBodies(t, tc.reqs, resps)
			} else {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one with %q", err, tc.err)
				}
				checkBodies(t, tc.reqs[:tc.answered], resps)
			}
			if n := f.conns.Load(); n != tc.conns {
				t.Errorf("%d connections, want %d", n, tc.conns)
			}
			for key, want := range tc.hits {
				if got := f.hit(key); got != want {
					t.Errorf("%s: %d hits, want %d", key, got, want)
				}
			}
		})
	}
}
