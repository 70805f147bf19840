// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package watcher

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/httpone"
	"github.com/deckhouse/secrets-store-integration/internal/rawconn"
)

// maxRefreshMargin caps how long before its TTL ends the token is replaced
// by a new login; below it the margin is a tenth of the TTL (as the store
// client does).
const maxRefreshMargin = 30 * time.Second

// storeClient is the watcher's side of the store: reads of a poll sent
// together over one HTTP/1.1 connection, and the logins that keep its token
// valid. It is the store client's behavior for these few requests, without
// net/http, whose code alone would take most of the watcher's memory.
type storeClient struct {
	h   *httpone.Client
	s   *Store // the token is updated in place
	now func() time.Time
	// policyRefuses: the store refused every read right after a new login.
	policyRefuses bool
	// others are the clients of the nodes standbys redirected reads to, by
	// host:port.
	others map[string]*httpone.Client
}

func newStoreClient(s *Store) (*storeClient, error) {
	d := &net.Dialer{Timeout: s.Timeout, KeepAlive: 30 * time.Second}
	h := &httpone.Client{
		Addr: s.Addr, Host: s.Host, Dial: rawconn.Dial(d.DialContext), Gather: rawconn.Sleep,
		Header: []httpone.Header{{Name: "User-Agent", Value: "secrets-store-integration"}, {Name: "X-Vault-Request", Value: "true"}},
	}
	if s.Namespace != "" {
		h.Header = append(h.Header, httpone.Header{Name: "X-Vault-Namespace", Value: s.Namespace})
	}
	if s.TLS {
		cfg := &tls.Config{
			MinVersion:         tls.VersionTLS12,
			ServerName:         s.ServerName,
			InsecureSkipVerify: s.SkipVerify, //nolint:gosec // the explicit setting the injector was given, off by default
		}
		if len(s.CACert) > 0 {
			cfg.RootCAs = x509.NewCertPool()
			if !cfg.RootCAs.AppendCertsFromPEM(s.CACert) {
				return nil, errors.New("the store CA holds no PEM certificate")
			}
		}
		h.TLS = cfg
	}
	return &storeClient{h: h, s: s, now: time.Now}, nil
}

// read sends the reads of srcs together and returns their answers in order.
// When the store refuses every read, the token is taken as revoked or
// expired early and replaced by a new login, once. A refusal that outlives
// a new login is the policy's: the next polls do not log in for it again
// until a read succeeds or the token nears its end.
func (c *storeClient) read(ctx context.Context, srcs []Source) ([]httpone.Response, error) {
	if c.tokenDue() {
		if err := c.login(ctx); err != nil {
			return nil, err
		}
		c.policyRefuses = false
	}
	for attempt := 0; ; attempt++ {
		reqs, auth := make([]httpone.Request, len(srcs)), c.auth()
		for i := range srcs {
			reqs[i] = httpone.Request{Method: "GET", Target: srcs[i].Target, Header: auth}
		}
		resps, err := c.h.Do(ctx, reqs)
		if err != nil {
			return nil, err
		}
		refused := len(resps) > 0
		for _, r := range resps {
			refused = refused && r.Status == 403
		}
		switch {
		case !refused:
			c.policyRefuses = false
			c.follow(ctx, reqs, resps)
			return resps, nil
		case attempt > 0:
			c.policyRefuses = true
			return resps, nil
		case c.policyRefuses:
			return resps, nil
		}
		if err := c.login(ctx); err != nil {
			return nil, err
		}
	}
}

// follow sends each request a standby redirected (a store node that does
// not forward requests names the active one) once more to the node the
// redirect names, over a connection kept for that node, as the store client
// does: one redirect, never from https to http. A request that cannot
// follow keeps its redirect, which fails it.
func (c *storeClient) follow(ctx context.Context, reqs []httpone.Request, resps []httpone.Response) {
	for i, req := range reqs {
		if i >= len(resps) {
			return
		}
		if s := resps[i].Status; s != 301 && s != 302 && s != 307 && s != 308 {
			continue
		}
		to, target, ok := c.redirect(resps[i].Location)
		if !ok {
			continue
		}
		req.Target = target
		if got, err := to.Do(ctx, []httpone.Request{req}); err == nil {
			resps[i] = got[0]
		}
	}
}

// redirect returns the client and the request-target for a Location.
func (c *storeClient) redirect(loc string) (*httpone.Client, string, bool) {
	u, err := url.Parse(loc)
	if err != nil || loc == "" {
		return nil, "", false
	}
	target := u.EscapedPath()
	if u.RawQuery != "" {
		target += "?" + u.RawQuery
	}
	if u.Host == "" { // the same node
		return c.h, target, strings.HasPrefix(target, "/")
	}
	secure := c.h.TLS != nil
	if (secure && u.Scheme != "https") || (!secure && u.Scheme != "http" && u.Scheme != "https") {
		return nil, "", false // never from https to http
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	if o, ok := c.others[addr]; ok {
		return o, target, true
	}
	o := &httpone.Client{Addr: addr, Host: u.Host, Dial: c.h.Dial, Header: c.h.Header, Gather: c.h.Gather}
	if u.Scheme == "https" {
		// The node's own name is checked against its certificate, with the
		// settings of the first connection (CA, session cache); an http store
		// that redirects to https is verified with the system's roots.
		var cfg *tls.Config
		if c.h.TLS != nil {
			cfg = c.h.TLS.Clone()
		} else {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.s.SkipVerify} //nolint:gosec // the explicit setting the injector was given
		}
		cfg.ServerName = u.Hostname()
		o.TLS = cfg
	}
	if c.others == nil {
		c.others = map[string]*httpone.Client{}
	}
	c.others[addr] = o
	return o, target, true
}

func (c *storeClient) auth() []httpone.Header {
	return []httpone.Header{{Name: "X-Vault-Token", Value: c.s.Token}}
}

// tokenDue reports a token within its refresh margin of its end.
func (c *storeClient) tokenDue() bool {
	if c.s.TokenTTL <= 0 || c.s.TokenObtained.IsZero() {
		return false
	}
	margin := min(c.s.TokenTTL/10, maxRefreshMargin)
	return !c.now().Before(c.s.TokenObtained.Add(c.s.TokenTTL - margin))
}

// login logs in with the ServiceAccount JWT, read anew each time (kubelet
// rotates it), and keeps the new token.
func (c *storeClient) login(ctx context.Context) error {
	jwt, err := os.ReadFile(c.s.TokenFile)
	if err != nil {
		return fmt.Errorf("log in to the store again: read the ServiceAccount token: %w", err)
	}
	body := appendJSONString([]byte(`{"role":`), c.s.Role)
	body = appendJSONString(append(body, `,"jwt":`...), strings.TrimSpace(string(jwt)))
	body = append(body, '}')
	target := APITarget(c.s.PathPrefix, "auth/"+c.s.AuthPath+"/login", 0)
	obtained := c.now()
	resp, err := c.one(ctx, httpone.Request{Method: "POST", Target: target, Body: body})
	if err != nil {
		return fmt.Errorf("log in to the store again as role %q: %w", c.s.Role, err)
	}
	if resp.Status != 200 {
		return fmt.Errorf("log in to the store again as role %q at auth/%s: the store answered %d", c.s.Role, c.s.AuthPath, resp.Status)
	}
	token, ttl, ok := loginAnswer(resp.Body)
	if !ok {
		return fmt.Errorf("log in to the store again as role %q: the answer holds no token", c.s.Role)
	}
	c.s.Token, c.s.TokenObtained, c.s.TokenTTL = token, obtained, ttl
	return nil
}

// revoke gives the token up (auth/token/revoke-self).
func (c *storeClient) revoke(ctx context.Context) error {
	resp, err := c.one(ctx, httpone.Request{
		Method: "PUT", Target: APITarget(c.s.PathPrefix, "auth/token/revoke-self", 0), Header: c.auth(), Body: []byte("{}"),
	})
	if err != nil {
		return err
	}
	if resp.Status/100 != 2 {
		return errors.New("the store answered " + strconv.Itoa(resp.Status))
	}
	return nil
}

func (c *storeClient) one(ctx context.Context, r httpone.Request) (httpone.Response, error) {
	reqs := []httpone.Request{r}
	resps, err := c.h.Do(ctx, reqs)
	if err != nil {
		return httpone.Response{}, err
	}
	c.follow(ctx, reqs, resps)
	return resps[0], nil
}

// close closes the connections to the store's nodes.
func (c *storeClient) close() {
	_ = c.h.Close()
	for _, o := range c.others {
		_ = o.Close()
	}
}

// loginAnswer reads auth.client_token and auth.lease_duration (seconds)
// from a login's answer.
func loginAnswer(body []byte) (token string, ttl time.Duration, ok bool) {
	top, err := scanObject(body)
	if err != nil {
		return "", 0, false
	}
	auth, err := object(memberOf(top, "auth"))
	if err != nil {
		return "", 0, false
	}
	token, ok = stringValue(memberOf(auth, "client_token"))
	if !ok || token == "" {
		return "", 0, false
	}
	if secs, err := strconv.ParseInt(string(memberOf(auth, "lease_duration")), 10, 64); err == nil && secs > 0 {
		ttl = time.Duration(secs) * time.Second
	}
	return token, ttl, true
}

// appendJSONString appends s as a JSON string, written as encoding/json
// writes it.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendJSONChars(b, s, true)
	return append(b, '"')
}

// APITarget is the request-target of the store API path p under the store
// URL's path prefix, escaped as the store client escapes it, with
// ?version=N for a pinned version.
func APITarget(prefix, p string, version int) string {
	t := (&url.URL{Path: path.Join("/", prefix, "v1", p)}).EscapedPath()
	if version > 0 {
		t += "?version=" + strconv.Itoa(version)
	}
	return t
}
