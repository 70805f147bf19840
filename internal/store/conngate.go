// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptrace"
	"net/url"
	"sync"
)

// connGate keeps a burst of requests from opening a connection each.
//
// net/http dials for every request that finds no usable connection, even
// when the store speaks HTTP/2 and one connection would carry them all: a
// node plugin restarted with many volumes, or a poll after the store closed
// the idle connection, would make the store do as many TLS handshakes as
// there are requests. So the first request of a burst (one sent while no
// other is in flight) goes alone until it has a connection, a kept one or a
// new one, and the requests sent meanwhile wait for it; then they go
// together and share it (HTTP/2), or dial their own (HTTP/1.1, which needs
// one per request in flight). With a live connection the wait is a few
// microseconds. When the first request gets no connection (the store
// refuses it or cannot be reached, its certificate is refused, the TLS
// handshake times out), the others fail with its error at once instead of
// each trying for itself; a first request that ended with its own context
// (its caller gave up, or its deadline passed) passes its turn to one of the
// others, whose own deadlines bound their wait.
//
// Each host has its own turns: a standby's redirects send a burst on to the
// active node, where it gets one connection too.
type connGate struct {
	mu    sync.Mutex
	hosts map[string]*hostTurns // without an entry: nothing in flight
}

// hostTurns is the gate's state for one host.
type hostTurns struct {
	inFlight int      // requests sent and not yet answered
	first    *pioneer // the first request of a burst until it has a connection; nil when none
}

// pioneer is the request that gets a connection for the others.
type pioneer struct {
	done chan struct{} // closed once it has a connection, or ended without
	err  error         // why it got none, for the others; set before done closes
}

// errNoConnection says a request was not sent: the request before it
// could not connect to the store.
var errNoConnection = errors.New("not sent: the request before it could not connect to the store")

// enter waits for the turn of a request to host. It returns the context to
// send the request with and the function to call with the request's error
// once it has been answered; or an error when the request must not be sent
// (ctx ended, or the request before it could not connect).
func (g *connGate) enter(ctx context.Context, host string) (context.Context, func(error), error) {
	for {
		g.mu.Lock()
		h := g.hosts[host]
		if h == nil {
			h = &hostTurns{}
			if g.hosts == nil {
				g.hosts = map[string]*hostTurns{}
			}
			g.hosts[host] = h
		}
		if p := h.first; p != nil {
			g.mu.Unlock()
			select {
			case <-p.done:
			case <-ctx.Done():
				return nil, nil, ctx.Err()
			}
			if p.err != nil {
				return nil, nil, p.err
			}
			continue // it has a connection now, or it gave up on its own
		}
		h.inFlight++
		if h.inFlight > 1 {
			g.mu.Unlock()
			return ctx, func(error) { g.leave(host, h) }, nil
		}
		p := &pioneer{done: make(chan struct{})}
		h.first = p
		g.mu.Unlock()
		var once sync.Once
		// finish ends the turn: at its connection (GotConn), or at its end
		// (leaving), whichever comes first. A request that ends leaves in the
		// same critical section, so that a request it wakes counts only
		// itself in flight and takes the next turn.
		finish := func(err error, leaving bool) {
			g.mu.Lock()
			defer g.mu.Unlock()
			if leaving {
				h.inFlight--
			}
			once.Do(func() {
				h.first = nil
				p.err = err
				close(p.done)
			})
			if leaving {
				g.forget(host, h)
			}
		}
		trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { finish(nil, false) }}
		return httptrace.WithClientTrace(ctx, trace), func(err error) {
			finish(connectFailure(ctx, err), true)
		}, nil
	}
}

// leave ends a request to host, and forgets the host when nothing is in
// flight there.
func (g *connGate) leave(host string, h *hostTurns) {
	g.mu.Lock()
	defer g.mu.Unlock()
	h.inFlight--
	g.forget(host, h)
}

// forget drops the turns of host when nothing is in flight there. The
// caller holds g.mu.
func (g *connGate) forget(host string, h *hostTurns) {
	if h.inFlight == 0 && h.first == nil && g.hosts[host] == h {
		delete(g.hosts, host)
	}
}

// connectFailure is what the requests held back get when the one sent first
// ended with err before it had a connection: nil, so that they go on, when
// it ended without an error or with its own context; otherwise its error as
// the reason they were not sent.
func connectFailure(ctx context.Context, err error) error {
	if err == nil || ctx.Err() != nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is the first request's; each request names its own
	}
	return fmt.Errorf("%w: %w", errNoConnection, err)
}
