// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
)

// The store's HTTP API, as much of it as this package uses: a logical read
// (GET) and a logical write (PUT) of /v1/<path>, answered by the JSON
// envelope below. It is spoken directly over net/http rather than through a
// client library: each request is one round trip with no retry layer, no
// environment reading and no per-request copies of a shared configuration,
// which keeps the injector's start, memory and each poll small.

// maxResponseBytes bounds what is read of one answer. The stores' own limit
// of a request body is 32 MiB by default, and a secret read back cannot be
// larger than what was written.
const maxResponseBytes = 32 << 20

// Headers the store reads.
const (
	headerToken     = "X-Vault-Token" //nolint:gosec // G101: a header's name, not a credential
	headerNamespace = "X-Vault-Namespace"
	// headerRequest marks a request as an API call: the store refuses
	// browser-style requests to some endpoints without it (its SSRF guard).
	headerRequest = "X-Vault-Request"
)

// userAgent names the client in the store's audit log.
const userAgent = "secrets-store-integration"

// apiSecret is the JSON envelope of a store answer.
type apiSecret struct {
	RequestID     string          `json:"request_id"`
	LeaseID       string          `json:"lease_id"`
	LeaseDuration int             `json:"lease_duration"`
	Renewable     bool            `json:"renewable"`
	Data          map[string]any  `json:"data"`
	Warnings      []string        `json:"warnings"`
	Auth          *apiAuth        `json:"auth"`
	WrapInfo      json.RawMessage `json:"wrap_info"`
	MountType     string          `json:"mount_type"`

	body []byte // the answer as received
}

// apiAuth is the auth part of a login or token renewal answer.
type apiAuth struct {
	ClientToken   string `json:"client_token"`
	Accessor      string `json:"accessor"`
	LeaseDuration int    `json:"lease_duration"`
	Renewable     bool   `json:"renewable"`
}

// empty reports an envelope with none of its fields, as a plugin that
// answers its own JSON object gives.
func (s *apiSecret) empty() bool {
	return s.RequestID == "" && s.LeaseID == "" && s.LeaseDuration == 0 && !s.Renewable &&
		s.Data == nil && s.Warnings == nil && s.Auth == nil && isJSONNull(s.WrapInfo) && s.MountType == ""
}

func isJSONNull(m json.RawMessage) bool {
	return len(m) == 0 || string(m) == "null"
}

// responseError is the store's answer with a status of 400 or more.
type responseError struct {
	Method     string
	URL        string // never carries a token: tokens travel in headers
	StatusCode int
	// Errors are the store's messages; RawError says the body was not the
	// store's JSON (a proxy's page), and Errors then holds nothing.
	Errors   []string
	RawError bool
}

func (e *responseError) Error() string {
	return fmt.Sprintf("%s %s: the store answered %d", e.Method, e.URL, e.StatusCode)
}

// parseSecret decodes an answer's body; an empty body is no secret. JSON
// numbers stay json.Number, as the store's values are read back exactly.
// A body that is not an envelope is taken as the data itself, and one that
// holds only the store's errors is no secret.
func parseSecret(body []byte) (*apiSecret, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	var s apiSecret
	if err := decodeJSON(body, &s); err != nil {
		return nil, err
	}
	s.body = body
	if !s.empty() {
		return &s, nil
	}
	var raw map[string]any
	if err := decodeJSON(body, &raw); err != nil {
		return nil, err
	}
	if _, hasErrors := raw["errors"]; hasErrors {
		if len(raw) == 1 {
			return nil, nil
		}
		return nil, errors.New("the store answered errors along with data")
	}
	s.Data = raw
	return &s, nil
}

func decodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	return dec.Decode(v)
}

// get reads p. A 404 is no secret unless its body says why (the store's
// warnings, e.g. that a KV v2 path lacks data/), and then is that answer.
func (c *Client) get(ctx context.Context, p string, q url.Values, tok string) (*apiSecret, error) {
	status, body, err := c.send(ctx, http.MethodGet, p, q, nil, tok)
	if status == http.StatusNotFound {
		if sec, perr := parseSecret(body); perr == nil && sec != nil && (len(sec.Warnings) > 0 || len(sec.Data) > 0) {
			return sec, nil
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return parseSecret(body)
}

// put writes body to p. A 404 stays an error; its answer comes with it when
// the body says why.
func (c *Client) put(ctx context.Context, p string, body map[string]any, tok string) (*apiSecret, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode the request body: %w", err)
	}
	status, resp, err := c.send(ctx, http.MethodPut, p, nil, b, tok)
	if status == http.StatusNotFound {
		if sec, perr := parseSecret(resp); perr == nil && sec != nil && (len(sec.Warnings) > 0 || len(sec.Data) > 0) {
			return sec, err
		}
	}
	if err != nil {
		return nil, err
	}
	return parseSecret(resp)
}

// send makes one request to /v1/p and reads its answer. It follows one
// redirect (a standby that does not forward names the active node), never
// from https to http. Statuses of 400 or more come back with their body and
// a *responseError.
func (c *Client) send(ctx context.Context, method, p string, q url.Values, body []byte, tok string) (int, []byte, error) {
	u := *c.base
	u.Path = path.Join("/", c.base.Path, "v1", p)
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	for redirected := false; ; redirected = true {
		req, err := c.newRequest(ctx, method, &u, body, tok)
		if err != nil {
			return 0, nil, err
		}
		resp, err := c.do(req)
		if err != nil {
			return 0, nil, err // a *url.Error naming the URL, never a header
		}
		data, err := readBody(resp.Body)
		_ = resp.Body.Close()
		switch {
		case errors.Is(err, errTooLarge):
			return 0, nil, err
		case err != nil:
			return 0, nil, &url.Error{Op: method, URL: u.Redacted(), Err: err}
		}
		switch resp.StatusCode {
		case http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect:
			if redirected {
				return 0, nil, &url.Error{Op: method, URL: u.Redacted(), Err: errors.New("the store redirected a second time: refused")}
			}
			loc, err := resp.Location()
			if err != nil {
				return 0, nil, &url.Error{Op: method, URL: u.Redacted(), Err: fmt.Errorf("redirect without a usable Location: %w", err)}
			}
			if u.Scheme == "https" && loc.Scheme != "https" {
				return 0, nil, &url.Error{Op: method, URL: u.Redacted(), Err: errors.New("the store redirected from https to http: refused")}
			}
			u = *loc
			continue
		}
		if resp.StatusCode >= http.StatusBadRequest {
			return resp.StatusCode, data, newResponseError(method, &u, resp.StatusCode, data)
		}
		return resp.StatusCode, data, nil
	}
}

// do sends req through the connection gate.
func (c *Client) do(req *http.Request) (*http.Response, error) {
	ctx, sent, err := c.gate.enter(req.Context(), req.URL.Host)
	if err != nil {
		return nil, &url.Error{Op: req.Method, URL: req.URL.Redacted(), Err: err}
	}
	resp, err := c.hc.Do(req.WithContext(ctx))
	sent(err)
	return resp, err
}

func (c *Client) newRequest(ctx context.Context, method string, u *url.URL, body []byte, tok string) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("build the store request: %w", err)
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(headerRequest, "true")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.namespace != "" {
		req.Header.Set(headerNamespace, c.namespace)
	}
	if tok != "" {
		req.Header.Set(headerToken, tok)
	}
	return req, nil
}

var errTooLarge = fmt.Errorf("the store's answer is larger than %d bytes", maxResponseBytes)

// readBody reads an answer's body, up to maxResponseBytes.
func readBody(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxResponseBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxResponseBytes {
		return nil, errTooLarge
	}
	return b, nil
}

func newResponseError(method string, u *url.URL, status int, body []byte) *responseError {
	e := &responseError{Method: method, URL: u.Redacted(), StatusCode: status}
	var eb struct {
		Errors []string `json:"errors"`
	}
	if err := json.Unmarshal(body, &eb); err != nil {
		e.RawError = true
		return e
	}
	e.Errors = eb.Errors
	return e
}
