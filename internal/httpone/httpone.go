// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package httpone is a small HTTP/1.1 client that sends a batch of requests
// pipelined over one kept-alive connection and reads the responses in order.
//
// It exists for the watcher, a long-lived process that polls the secrets store
// every few seconds and must stay small. net/http would bring a connection
// pool, HTTP/2, proxy support, URL and MIME parsing and per-connection
// goroutines, none of which one poller talking to one server needs. This
// package imports only small standard packages, keeps a single connection (and
// its TLS session, so that a reconnect resumes it instead of doing a full
// handshake), starts no goroutine and allocates little beyond the bodies it
// returns.
//
// It supports HTTP/1.1 over TCP or TLS (ALPN "http/1.1"); request bodies sent
// with Content-Length; response bodies framed by Content-Length, by the chunked
// transfer coding or by the end of the connection; interim (1xx) responses,
// which it skips; and sending the unanswered requests of a batch again when the
// server closed the connection (see Client.Do for the exact rule).
//
// It refuses requests that could smuggle another request or header (CR, LF,
// spaces or control characters where they do not belong, or a Host,
// Content-Length, Transfer-Encoding or Connection header of the caller's: the
// client writes Host and Content-Length itself), and responses with obsolete
// line folding, malformed or conflicting Content-Length values, a transfer
// coding other than chunked, 101 Switching Protocols, an oversized header
// block or a body over the client's MaxBody. It has no proxies, redirects,
// cookies, compression, HTTP/2 or request targets other than the origin form
// ("/path?query").
package httpone

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// DefaultMaxBody is the limit on one response body when Client.MaxBody is zero.
const DefaultMaxBody = 32 << 20

// MaxGather bounds the wait of a Client with Gather set, per batch.
const MaxGather = 20 * time.Millisecond

// Header is one header field of a request.
type Header struct{ Name, Value string }

// Request is one request of a batch.
type Request struct {
	Method string   // "GET", "POST", "PUT", ...
	Target string   // request-target: absolute path with query, already escaped ("/v1/kv/data/a?version=2")
	Header []Header // this request's headers; Host, Content-Length, Connection are the client's
	Body   []byte   // sent with Content-Length when non-nil (also for an empty non-nil body: "Content-Length: 0")
}

// Response is the final response to one request. Interim (1xx) responses
// are not returned.
type Response struct {
	Status int
	Body   []byte
	// Location is the Location field of a redirect (a 3xx status with
	// exactly one such field); empty otherwise. The client never follows it.
	Location string
}

// Client keeps one connection to one server and sends batches of requests
// over it. Set the exported fields before the first Do and leave them
// unchanged afterwards: the TLS configuration is cloned once, on first use.
// Do and Close may be called from different goroutines; Do calls are
// serialized.
type Client struct {
	Addr    string                                                            // host:port to dial
	Host    string                                                            // Host header; Addr when empty
	Dial    func(ctx context.Context, network, addr string) (net.Conn, error) // nil: a net.Dialer
	TLS     *tls.Config                                                       // nil: plain HTTP; else used on a clone with NextProtos = ["http/1.1"] and a session cache (tls.NewLRUClientSessionCache) so reconnects resume the TLS session
	Header  []Header                                                          // sent with every request (after Host)
	MaxBody int64                                                             // per response body; 0 means DefaultMaxBody (32 MiB)
	// Gather, when set, is called once the first response of a batch has
	// been read, with about as long again for each request still unanswered
	// (at most MaxGather), to wait that long before Do reads on. A server
	// that answers pipelined requests one after another, as Go's net/http
	// does, sends each response as soon as it is ready; read at once, every
	// response costs the reader a wake-up and a few system calls. Gathered,
	// the rest of the batch is read at one wake-up, if Gather waits where
	// the data that arrives does not wake it (rawconn.Sleep; time.Sleep
	// waits in the runtime's network poller, which it does wake). It trades
	// a few milliseconds of latency for CPU time: for a poller, not for a
	// caller waiting on the answer. Do's context does not end the wait, so
	// keep it short.
	Gather func(time.Duration)

	// mu serializes Do calls and is held for a whole call. It guards tlsConf
	// and br, which only Do uses. Lock order: mu, then connMu.
	mu      sync.Mutex
	tlsConf *tls.Config
	br      *bufio.Reader // reads conn; Reset on every new connection, so reconnects reuse its buffer

	// connMu guards conn, the kept connection or the one a Do is using. Close
	// takes only connMu, so it can close a connection a Do is blocked on.
	connMu sync.Mutex
	conn   *conn
}

// conn is one connection. raw is what Dial returned; c is raw or the TLS
// client over it. Closing raw (not c) drops the connection without sending a
// close_notify alert, which could block on a server that does not read.
type conn struct {
	raw net.Conn
	c   net.Conn
}

// Close closes the kept connection, or the one a running Do uses (that Do
// then fails). The client stays usable: the next Do dials again.
func (c *Client) Close() error {
	c.connMu.Lock()
	cn := c.conn
	c.conn = nil
	c.connMu.Unlock()
	if cn == nil {
		return nil
	}
	// A canceled Do may have closed raw already; that is not Close's failure.
	if err := cn.c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("close the connection to %s: %w", c.Addr, err)
	}
	return nil
}

// connection returns the kept connection or dials a new one and makes it the
// kept one. The caller holds mu.
func (c *Client) connection(ctx context.Context) (*conn, error) {
	c.connMu.Lock()
	cn := c.conn
	c.connMu.Unlock()
	if cn != nil {
		return cn, nil
	}
	cn, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	c.connMu.Lock()
	c.conn = cn
	c.connMu.Unlock()
	if c.br == nil {
		c.br = bufio.NewReader(cn.c)
	} else {
		c.br.Reset(cn.c)
	}
	return cn, nil
}

// drop closes cn and forgets it if it is still the kept connection.
func (c *Client) drop(cn *conn) {
	c.connMu.Lock()
	if c.conn == cn {
		c.conn = nil
	}
	c.connMu.Unlock()
	_ = cn.raw.Close()
}

func (c *Client) dial(ctx context.Context) (*conn, error) {
	dial := c.Dial
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	raw, err := dial(ctx, "tcp", c.Addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", c.Addr, ctxCause(ctx, err))
	}
	if raw == nil {
		return nil, fmt.Errorf("dial %s: the dial function returned no connection", c.Addr)
	}
	if c.TLS == nil {
		return &conn{raw: raw, c: raw}, nil
	}
	tc := tls.Client(raw, c.tlsConfig())
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = raw.Close()
		return nil, fmt.Errorf("tls handshake with %s: %w", c.Addr, ctxCause(ctx, err))
	}
	return &conn{raw: raw, c: tc}, nil
}

// tlsConfig returns the clone of c.TLS the client dials with. The session
// cache is what lets a reconnect after the server dropped an idle connection
// resume the session; one entry is enough because a client only ever talks
// to one server name. A cache set by the caller is kept (it may be shared).
// The caller holds mu.
func (c *Client) tlsConfig() *tls.Config {
	if c.tlsConf == nil {
		conf := c.TLS.Clone()
		conf.NextProtos = []string{"http/1.1"}
		if conf.ClientSessionCache == nil {
			conf.ClientSessionCache = tls.NewLRUClientSessionCache(1)
		}
		if conf.ServerName == "" {
			conf.ServerName = hostname(c.host())
		}
		c.tlsConf = conf
	}
	return c.tlsConf
}

func (c *Client) host() string {
	if c.Host != "" {
		return c.Host
	}
	return c.Addr
}

// maxBody is the body limit in effect. A negative MaxBody, which has no
// meaning, also gives the default rather than refusing every body.
func (c *Client) maxBody() int64 {
	if c.MaxBody > 0 {
		return c.MaxBody
	}
	return DefaultMaxBody
}

// hostname is hostport without its port and IPv6 brackets.
func hostname(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}
