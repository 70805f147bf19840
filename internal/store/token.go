// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

const (
	// maxRefreshMargin caps how long before its TTL ends a token is
	// replaced; the margin is 10% of the TTL below that.
	maxRefreshMargin = 30 * time.Second
	// noTTLReuse bounds the reuse of a token the store issued without a TTL,
	// so that role changes are still picked up.
	noTTLReuse = 5 * time.Minute
)

// Login says who reads: a ServiceAccount logging in with Kubernetes auth.
type Login struct {
	// AuthPath is the Kubernetes auth mount, e.g. "kubernetes_local" for
	// auth/kubernetes_local/login. A leading "auth/" and surrounding slashes
	// are dropped.
	AuthPath string
	// Role is the store role to log in as.
	Role string
	// ServiceAccount names the owner of the JWT, "namespace/name" (optionally
	// "/uid"), from a trusted source such as the pod spec or the volume
	// context kubelet sends. It is only a cache key: the store verifies the
	// JWT itself, and the JWT is never parsed here.
	ServiceAccount string
	// JWT returns the ServiceAccount token; it is called only when a login
	// is needed, with the client's per-request timeout.
	JWT func(context.Context) (string, error)
}

// Normalized returns l with AuthPath as the store's API names the mount
// ("kubernetes_local" for "auth/kubernetes_local/"), or an error saying
// what is missing.
func (l Login) Normalized() (Login, error) { return l.normalize() }

func (l Login) normalize() (Login, error) {
	a := strings.Trim(l.AuthPath, "/")
	l.AuthPath = strings.Trim(strings.TrimPrefix(a+"/", "auth/"), "/")
	var problem string
	switch {
	case l.AuthPath == "" || !validSegments(l.AuthPath):
		problem = "auth path must be a mount path like kubernetes_local"
	case l.Role == "":
		problem = "role is empty"
	case l.ServiceAccount == "":
		problem = "service account is empty"
	case l.JWT == nil:
		problem = "no service account token source"
	case strings.ContainsFunc(l.Role+l.ServiceAccount, unicode.IsControl):
		problem = "role or service account has control characters"
	default:
		return l, nil
	}
	return l, &Error{Op: OpLogin, Role: l.Role, AuthPath: l.AuthPath, ServiceAccount: l.ServiceAccount, Kind: ErrInvalid, Detail: problem}
}

// key identifies the store identity within a Client (which fixes address and
// namespace).
func (l Login) key() string {
	return strconv.Quote(l.AuthPath) + " " + strconv.Quote(l.Role) + " " + strconv.Quote(l.ServiceAccount)
}

// token returns a token for l: from the cache, or from one login shared by
// all concurrent callers of the identity. stale is a token the store just
// refused; it is never returned from the cache. fresh reports a token that
// came from a login made during this call.
func (c *Client) token(ctx context.Context, l Login, stale string) (tok string, fresh bool, err error) {
	key := l.key()
	if stale != "" {
		c.tokens.drop(key, stale)
	}
	// Two rounds: a caller with a stale token may join a flight that began
	// before the token went stale and so returns it.
	for range 2 {
		if t, ok := c.tokens.get(key, c.now()); ok && t != stale {
			return t, false, nil
		}
		ch := c.logins.DoChan(key, func() (any, error) {
			// A login may have finished between the lookup and this flight.
			if t, ok := c.tokens.get(key, c.now()); ok && t != stale {
				return t, nil
			}
			// Detached: one caller giving up must not fail the others.
			return c.login(context.WithoutCancel(ctx), l, key)
		})
		select {
		case <-ctx.Done():
			return "", false, &Error{Op: OpLogin, Role: l.Role, AuthPath: l.AuthPath, Kind: ctxKind(ctx.Err()), Err: ctx.Err()}
		case r := <-ch:
			if r.Err != nil {
				return "", false, r.Err
			}
			tok, _ = r.Val.(string) // login returns a token whenever err is nil
		}
		if tok != stale {
			return tok, true, nil
		}
	}
	return tok, true, nil
}

// login posts {role, jwt} to auth/<path>/login and caches the token.
func (c *Client) login(ctx context.Context, l Login, key string) (string, error) {
	e := Error{Op: OpLogin, Role: l.Role, AuthPath: l.AuthPath, ServiceAccount: l.ServiceAccount}
	jctx, cancel := context.WithTimeout(ctx, c.timeout)
	jwt, err := l.JWT(jctx)
	cancel()
	jwt = strings.TrimSpace(jwt)
	if err == nil && jwt == "" {
		err = errors.New("token is empty")
	}
	if err != nil {
		e.Kind, e.Detail, e.Err = ErrLogin, "read service account token", err
		return "", &e
	}
	body := map[string]any{"role": l.Role, "jwt": jwt}
	sec, err := c.call(ctx, RequestLogin, e, []string{jwt}, func(ctx context.Context) (*apiSecret, error) {
		return c.put(ctx, "auth/"+l.AuthPath+"/login", body, "")
	})
	if err != nil {
		return "", err
	}
	if sec == nil || sec.Auth == nil || sec.Auth.ClientToken == "" {
		e.Kind, e.Detail = ErrLogin, "the store answered without a token"
		return "", &e
	}
	ttl := time.Duration(sec.Auth.LeaseDuration) * time.Second
	// A token without an accessor is a batch token: the store keeps no
	// state for it and cannot revoke it.
	c.tokens.put(key, cachedToken{
		token: sec.Auth.ClientToken, revocable: sec.Auth.Accessor != "", renewable: sec.Auth.Renewable,
	}, c.now(), ttl)
	return sec.Auth.ClientToken, nil
}

// tokenCache maps an identity key to its token. One mutex guards the map;
// it is held only for map operations, never across requests.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]cachedToken
}

type cachedToken struct {
	token     string
	refreshAt time.Time // reuse until then; a safety margin before expiry
	revocable bool      // a service token, which RevokeSelf revokes
	renewable bool      // as the store said at the login or last renewal
	ttl       time.Duration
	obtained  time.Time // when the store gave ttl
}

func (tc *tokenCache) get(key string, now time.Time) (string, bool) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	t, ok := tc.m[key]
	if !ok || !now.Before(t.refreshAt) {
		return "", false
	}
	return t.token, true
}

// put stores t for key; its refreshAt is set from now and ttl.
func (tc *tokenCache) put(key string, t cachedToken, now time.Time, ttl time.Duration) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.m == nil {
		tc.m = make(map[string]cachedToken)
	}
	// Expired entries are garbage; sweeping here keeps the map bounded by
	// the identities active within one TTL.
	for k, old := range tc.m {
		if !now.Before(old.refreshAt) {
			delete(tc.m, k)
		}
	}
	t.refreshAt, t.ttl, t.obtained = now.Add(reuseFor(ttl)), ttl, now
	tc.m[key] = t
}

// peek returns key's token, also past its reuse time (it may still be
// renewed until its TTL ends).
func (tc *tokenCache) peek(key string) (cachedToken, bool) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	t, ok := tc.m[key]
	return t, ok
}

// renewed records a renewal of token: a new TTL from now. A token replaced
// or forgotten meanwhile stays so.
func (tc *tokenCache) renewed(key, token string, now time.Time, ttl time.Duration, renewable bool) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if t, ok := tc.m[key]; ok && t.token == token {
		t.refreshAt, t.ttl, t.obtained, t.renewable = now.Add(reuseFor(ttl)), ttl, now, renewable
		tc.m[key] = t
	}
}

// take removes key's token and returns it, expired or not.
func (tc *tokenCache) take(key string) (cachedToken, bool) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	t, ok := tc.m[key]
	delete(tc.m, key)
	return t, ok
}

// drop forgets key's token only if it is still token, so that a newer token
// stored by another caller survives.
func (tc *tokenCache) drop(key, token string) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if t, ok := tc.m[key]; ok && t.token == token {
		delete(tc.m, key)
	}
}

// reuseFor is how long a token with this TTL is reused.
func reuseFor(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		return noTTLReuse
	}
	return ttl - min(ttl/10, maxRefreshMargin)
}
