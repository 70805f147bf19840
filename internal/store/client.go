// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/sync/singleflight"
)

// Request kinds reported to an Observer.
const (
	RequestLogin = "login"
	RequestMount = "mount" // sys/internal/ui/mounts lookup
	RequestRead  = "read"
	RequestWrite = "write" // Client.Write
	RequestRenew = "renew" // Client.RenewToken and Client.RenewLease
)

// Observer is told about every request sent to the store, e.g. to count them
// in metrics. err is nil on success or an *Error (safe to log). Calls come
// from many goroutines at once.
type Observer interface {
	OnRequest(kind string, d time.Duration, err error)
}

// Option adjusts a Client made by New.
type Option func(*Client)

// WithObserver reports every store request to o.
func WithObserver(o Observer) Option {
	return func(c *Client) { c.observer = o }
}

// Client is one store connection. It is safe for concurrent use; share one
// per (address, namespace, CA) in a process so that tokens, mount lookups
// and concurrent reads are shared.
type Client struct {
	// Requests carry no client-wide token: each sends the token of its
	// identity, so one client serves every identity without shared mutable
	// state.
	base      *url.URL
	namespace string
	hc        *http.Client
	gate      *connGate // one request opens a connection, the others wait for it
	timeout   time.Duration
	observer  Observer
	now       func() time.Time // token and mount expiry; replaced in tests

	tokens  tokenCache
	mounts  mountCache
	logins  singleflight.Group // key: identity
	reads   singleflight.Group // key: identity, path, version
	lookups singleflight.Group // key: identity, first path segment (or path)
}

// New validates cfg and builds a client; it reads cfg.CAFile once.
func New(cfg Config, opts ...Option) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	hc, err := cfg.httpClient()
	if err != nil {
		return nil, err
	}
	base, err := url.Parse(cfg.Address) // validated above
	if err != nil {
		return nil, err
	}
	c := &Client{base: base, namespace: cfg.Namespace, hc: hc, gate: &connGate{}, timeout: cfg.timeout(), now: time.Now}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// CloseIdleConnections closes idle connections to the store, e.g. when the
// client is replaced after a configuration change.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// withToken runs do with l's token. A 403 with a cached token makes one new
// login and one retry, since a token can lose access before its TTL ends
// (revoked, or the role's policies changed); a 403 with a token from a login
// made during this call is a policy decision and is returned at once.
func withToken[T any](ctx context.Context, c *Client, l Login, do func(tok string) (T, error)) (T, error) {
	var zero T
	tok, fresh, err := c.token(ctx, l, "")
	if err != nil {
		return zero, err
	}
	v, err := do(tok)
	if fresh || !errors.Is(err, ErrPermissionDenied) {
		return v, err
	}
	if tok, _, err = c.token(ctx, l, tok); err != nil {
		return zero, err
	}
	return do(tok)
}

// call sends one request with the client's deadline, classifies its error
// into a copy of e and reports it to the observer. secrets are redacted from
// whatever the store says.
func (c *Client) call(ctx context.Context, kind string, e Error, secrets []string,
	do func(context.Context) (*apiSecret, error),
) (*apiSecret, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := time.Now()
	sec, rawErr := do(ctx)
	var err error
	if rawErr != nil {
		e.Kind, e.Status, e.Detail, e.Err = classify(rawErr, secrets...)
		if e.Op == OpLogin && e.Status >= 400 && e.Status < 500 && !errors.Is(e.Kind, ErrUnavailable) {
			e.Kind = ErrLogin
		}
		if errors.Is(e.Err, context.DeadlineExceeded) {
			e.Detail = fmt.Sprintf("no answer within %s", c.timeout)
		}
		err = &e
	}
	if c.observer != nil {
		c.observer.OnRequest(kind, time.Since(start), err)
	}
	return sec, err
}

func ctxKind(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return ErrUnavailable
	}
	return nil
}
