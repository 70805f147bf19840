// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"
)

// API paths of renewals; Error.StorePath tells them apart.
const (
	tokenRenewPath = "auth/token/renew-self" //nolint:gosec // G101: an API path, not a credential
	leaseRenewPath = "sys/leases/renew"
)

// TokenInfo describes the token the client holds for an identity, as the
// store gave it at the login or the last RenewToken.
type TokenInfo struct {
	// TTL is the token's lifetime from Obtained; zero when the store set
	// none. The client stops reusing the token a margin before it ends
	// (min(10% of TTL, 30s)) and logs in anew.
	TTL time.Duration
	// Renewable reports that RenewToken may extend the token.
	Renewable bool
	// Obtained is when the answer holding TTL arrived, on the client's
	// clock.
	Obtained time.Time
}

// Lease is a lease after a renewal.
type Lease struct {
	ID        string
	Duration  time.Duration // from the renewal on
	Renewable bool          // whether it may be renewed again
}

// Token returns l's store token, logging in when the client holds none that
// is still fresh. It is the only exported way to a token, for an
// application that asked to receive it (VAULT_TOKEN=secrets-store:login):
// the caller hands it over and must not log it. The token stays cached and
// is used by the client's own requests.
func (c *Client) Token(ctx context.Context, l Login) (string, error) {
	l, err := l.normalize()
	if err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", &Error{Op: OpLogin, Role: l.Role, AuthPath: l.AuthPath, Kind: ctxKind(err), Err: err}
	}
	tok, _, err := c.token(ctx, l, "")
	return tok, err
}

// TokenInfo reports the token the client holds for l without a request;
// false when it holds none (no login yet, revoked, refused on renewal, or
// forgotten after its reuse time when another identity logged in).
func (c *Client) TokenInfo(l Login) (TokenInfo, bool) {
	l, err := l.normalize()
	if err != nil {
		return TokenInfo{}, false
	}
	t, ok := c.tokens.peek(l.key())
	if !ok {
		return TokenInfo{}, false
	}
	return TokenInfo{TTL: t.ttl, Renewable: t.renewable, Obtained: t.obtained}, true
}

// RenewToken extends the token the client holds for l (auth/token/renew-self
// with that token), also one past its reuse time while the store still
// accepts it, and returns its new TTL; the client then reuses it for the
// new TTL. It never logs in: without a token it is an ErrInvalid error,
// and a token the store refuses (ErrPermissionDenied: revoked or expired)
// is forgotten so that the next request logs in anew. A token at its
// maximum TTL is renewed for less than asked; TokenInfo.TTL says how long.
func (c *Client) RenewToken(ctx context.Context, l Login) (TokenInfo, error) {
	l, err := l.normalize()
	if err != nil {
		return TokenInfo{}, err
	}
	e := Error{Op: OpRenew, StorePath: tokenRenewPath, Role: l.Role, AuthPath: l.AuthPath, ServiceAccount: l.ServiceAccount}
	key := l.key()
	t, ok := c.tokens.peek(key)
	if !ok {
		e.Kind, e.Detail = ErrInvalid, "the client holds no token for this identity: log in first (Token, Read or Write)"
		return TokenInfo{}, &e
	}
	sec, err := c.call(ctx, RequestRenew, e, []string{t.token}, func(ctx context.Context) (*apiSecret, error) {
		return c.put(ctx, tokenRenewPath, map[string]any{}, t.token)
	})
	if errors.Is(err, ErrPermissionDenied) {
		c.tokens.drop(key, t.token)
	}
	if err != nil {
		return TokenInfo{}, err
	}
	if sec == nil || sec.Auth == nil {
		e.Detail, e.Err = "the store answered the renewal without the token's lease", errMalformed
		return TokenInfo{}, &e
	}
	now := c.now()
	info := TokenInfo{TTL: time.Duration(sec.Auth.LeaseDuration) * time.Second, Renewable: sec.Auth.Renewable, Obtained: now}
	c.tokens.renewed(key, t.token, now, info.TTL, info.Renewable)
	return info, nil
}

// RenewLease extends the lease leaseID of a secret read or written as l
// (sys/leases/renew with l's token, logging in if needed) by increment, or
// by the store's default when increment is zero, and returns the lease's
// new duration. The store may grant less than asked (the lease's maximum
// TTL); when renewal fails or the duration runs short, read the path again
// for a new lease. Errors name the lease's path, never its ID.
func (c *Client) RenewLease(ctx context.Context, l Login, leaseID string, increment time.Duration) (Lease, error) {
	l, err := l.normalize()
	if err != nil {
		return Lease{}, err
	}
	e := Error{Op: OpRenew, Path: leasePath(leaseID), StorePath: leaseRenewPath, Role: l.Role, AuthPath: l.AuthPath}
	switch {
	case e.Path == "" || strings.ContainsFunc(leaseID, unicode.IsControl):
		e.Kind, e.Detail = ErrInvalid, "a lease id reads <path>/<id>, without control characters"
	case increment < 0:
		e.Kind, e.Detail = ErrInvalid, "increment is negative"
	}
	if e.Kind != nil {
		return Lease{}, &e
	}
	body := map[string]any{"lease_id": leaseID}
	if increment > 0 {
		body["increment"] = int64((increment + time.Second - 1) / time.Second)
	}
	return withToken(ctx, c, l, func(tok string) (Lease, error) {
		sec, err := c.call(ctx, RequestRenew, e, []string{tok, leaseID}, func(ctx context.Context) (*apiSecret, error) {
			return c.put(ctx, leaseRenewPath, body, tok)
		})
		if err != nil {
			return Lease{}, err
		}
		if sec == nil {
			e.Detail, e.Err = "the store answered the renewal without the lease", errMalformed
			return Lease{}, &e
		}
		lease := Lease{ID: sec.LeaseID, Duration: time.Duration(sec.LeaseDuration) * time.Second, Renewable: sec.Renewable}
		if lease.ID == "" {
			lease.ID = leaseID
		}
		return lease, nil
	})
}

// leasePath is the path a lease was issued for: its ID without the last
// segment (database/creds/app/<id> -> database/creds/app); "" when the ID
// has no such form.
func leasePath(leaseID string) string {
	if i := strings.LastIndexByte(leaseID, '/'); i > 0 && i < len(leaseID)-1 {
		return leaseID[:i]
	}
	return ""
}
