// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
)

// RequestRevoke is the Observer kind of RevokeSelf's request.
const RequestRevoke = "revoke"

// RevokeSelf revokes the token the client holds for l (a write to
// auth/token/revoke-self with that token) and forgets it, expired or not.
// It is for a short-lived process that is done with the store, such as the
// injector before it executes the command: the token would otherwise stay
// valid until its TTL ends. It does nothing when the client holds no token
// for l, and only forgets a batch token (no accessor), which the store
// cannot revoke. The request is bounded by the client's timeout, also when
// ctx has no deadline; the token is forgotten even when the request fails.
// The error is an *Error, which never holds the token.
func (c *Client) RevokeSelf(ctx context.Context, l Login) error {
	l, err := l.normalize()
	if err != nil {
		return err
	}
	t, ok := c.tokens.take(l.key())
	if !ok || !t.revocable {
		return nil
	}
	e := Error{Op: OpRevoke, Role: l.Role, AuthPath: l.AuthPath, ServiceAccount: l.ServiceAccount}
	_, err = c.call(ctx, RequestRevoke, e, []string{t.token}, func(ctx context.Context) (*apiSecret, error) {
		return c.put(ctx, "auth/token/revoke-self", map[string]any{}, t.token)
	})
	return err
}
