// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package httpone

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"
)

// failure is how an exchange over one connection ended, as far as sending
// the unanswered requests again is concerned.
type failure int

const (
	// fatal: nothing is sent again (bad response, ctx ended, other I/O
	// error). Also the kind of an exchange that did not fail.
	fatal failure = iota
	// dropped: the server closed the connection before the first byte of a
	// response, typically a kept connection it closed while idle.
	dropped
	// announced: a response said the connection ends with it (Connection:
	// close, HTTP/1.0, or a body framed by the end of the connection) while
	// requests after it were still unanswered.
	announced
)

// Do sends reqs pipelined over one connection, all with a single write, and
// returns their responses in the same order. It uses the connection kept by
// the previous call, or dials one, and keeps the connection for the next call
// unless the server said it would close it.
//
// ctx bounds the whole call: its deadline becomes the connection's deadline,
// and its cancellation closes the connection; the error then wraps ctx.Err().
//
// A request that cannot be sent safely (see the package comment) makes Do fail
// before anything is dialed or written.
//
// When the server closes the connection before answering every request, Do
// sends the unanswered ones again on a new connection, but only if all of them
// are idempotent (GET, HEAD, OPTIONS) and no byte of the response being read
// had arrived. This covers the common case of a kept connection the server
// closed while idle, and a server (or a proxy in front of it) that closes every
// connection after one response. A connection that ends without answering
// anything may be followed by one more such connection per call; any other
// redial follows a connection that answered at least one request, so a call
// opens at most one connection per request, plus one.
//
// Do writes the whole batch before reading any response, so it is meant for
// small batches: the requests, and the responses the server writes while the
// batch is still being sent, must fit in the connection's socket buffers.
//
// On error, Do returns the responses it read before the failure, in order,
// with the error. Errors never include header values or bodies.
func (c *Client) Do(ctx context.Context, reqs []Request) ([]Response, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	wire, starts, err := c.encode(reqs)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	k := call{c: c, ctx: ctx, reqs: reqs, wire: wire, starts: starts, limit: c.maxBody()}
	k.out = make([]Response, 0, len(reqs))
	return k.run()
}

// call is the state of one Do.
type call struct {
	c      *Client
	ctx    context.Context
	reqs   []Request
	wire   []byte // the whole batch, serialized
	starts []int  // starts[i]: offset of request i in wire
	limit  int64
	out    []Response // responses read so far; len(out) is the next request to answer
}

func (k *call) run() ([]Response, error) {
	fruitless := false // a connection of this call ended without answering anything
	for {
		if err := k.ctx.Err(); err != nil {
			return k.out, fmt.Errorf("send request %d of %d: %w", len(k.out)+1, len(k.reqs), err)
		}
		cn, err := k.c.connection(k.ctx)
		if err != nil {
			return k.out, err
		}
		before := len(k.out)
		f, err := k.exchange(cn)
		if err == nil || f == fatal {
			return k.out, err
		}
		progress := len(k.out) > before
		if why := k.noResend(progress, fruitless); why != "" {
			return k.out, fmt.Errorf("%w; %s", err, why)
		}
		fruitless = fruitless || !progress
	}
}

// noResend says why the unanswered requests are not sent again after a
// failure that allows it, or "" if they are. progress: the connection that
// failed answered at least one request; fruitless: an earlier one of this
// call answered none.
func (k *call) noResend(progress, fruitless bool) string {
	if !progress && fruitless {
		return "not sent again: a second connection of this call ended without an answer"
	}
	for i := len(k.out); i < len(k.reqs); i++ {
		if m := k.reqs[i].Method; m != "GET" && m != "HEAD" && m != "OPTIONS" {
			return fmt.Sprintf("not sent again: request %d of %d (%s) is not idempotent", i+1, len(k.reqs), m)
		}
	}
	return ""
}

// exchange sends the unanswered requests over cn and reads their responses
// into k.out. It leaves cn either kept, with no deadline, or closed.
func (k *call) exchange(cn *conn) (failure, error) {
	// A canceled ctx closes the connection to unblock the read or write in
	// progress; ctxCause then reports ctx's error instead of the I/O error.
	stop := context.AfterFunc(k.ctx, func() { _ = cn.raw.Close() })
	if d, ok := k.ctx.Deadline(); ok {
		_ = cn.c.SetDeadline(d)
	}
	keep, f, err := k.transfer(cn)
	if !stop() {
		keep = false // the AfterFunc closed cn, or is closing it
	}
	if keep && err == nil && cn.c.SetDeadline(time.Time{}) == nil {
		return f, nil
	}
	k.c.drop(cn)
	return f, err
}

// transfer writes the unanswered requests and reads their responses. keep
// reports whether cn may carry the next call.
func (k *call) transfer(cn *conn) (keep bool, f failure, err error) {
	from, n := len(k.out), len(k.reqs)
	if _, err := cn.c.Write(k.wire[k.starts[from]:]); err != nil {
		what := fmt.Sprintf("requests %d to %d of %d", from+1, n, n)
		if from+1 == n {
			what = fmt.Sprintf("request %d of %d", n, n)
		}
		return false, k.kind(err), fmt.Errorf("send %s: %w", what, ctxCause(k.ctx, err))
	}
	br := k.c.br
	sent := time.Now()
	for i := from; i < n; i++ {
		// Peek tells a connection closed before the response began, after
		// which the request may be sent again, from one closed in its middle.
		if _, err := br.Peek(1); err != nil {
			return false, k.kind(err), k.readErr(i, err)
		}
		r, err := readResponse(br, k.reqs[i].Method == "HEAD", k.limit)
		if err != nil {
			return false, fatal, k.readErr(i, err)
		}
		k.out = append(k.out, Response{Status: r.status, Body: r.body, Location: r.location})
		if !r.keep {
			if i+1 < n {
				return false, announced, fmt.Errorf("the server closed the connection after the response to request %d of %d", i+1, n)
			}
			return false, fatal, nil
		}
		if i == from && i+1 < n && k.c.Gather != nil {
			k.c.Gather(min(time.Since(sent)*time.Duration(n-i-1), MaxGather))
		}
	}
	// Bytes past the last response answer no request: the connection is out
	// of step with the server and must not carry the next call.
	return br.Buffered() == 0, fatal, nil
}

func (k *call) readErr(i int, err error) error {
	return fmt.Errorf("read the response to request %d of %d: %w", i+1, len(k.reqs), ctxCause(k.ctx, err))
}

// kind classifies an error of the connection before the first byte of a
// response: the server closing it (EOF, reset, broken pipe) is "dropped",
// anything else, including the end of ctx, is fatal.
func (k *call) kind(err error) failure {
	if k.ctx.Err() != nil {
		return fatal
	}
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return dropped
	}
	return fatal
}

// ctxCause returns ctx's error if the call ended because of ctx: it was
// canceled (which closed the connection), or its deadline, which is also the
// connection's, passed. Otherwise it returns err.
func ctxCause(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	// The connection's deadline timer may fire just before ctx's own.
	var ne net.Error
	if d, ok := ctx.Deadline(); ok && errors.As(err, &ne) && ne.Timeout() && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return err
}
