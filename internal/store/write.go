// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
)

// Write logs in as l (or reuses its cached token) and writes body to path
// (a PUT to /v1/<path>), as "vault write" does: the path is sent as written,
// with no mount lookup and no data/ insertion, so a KV v2 write names
// <mount>/data/<name> and wraps its values in {"data": {...}}. It returns the
// store's answer as a Secret with its lease, e.g. the certificate of
// pki/issue/<role>. A write that is answered with no data (KV v1, or any
// path that only stores) is an ErrNotFound error saying so, after the store
// accepted it. Writes are never shared with other calls; a 403 with a cached
// token makes one new login and one retry, like reads, since the refused
// write changed nothing. Errors name the path and role, never the body: the
// body's values are cut from whatever the store says.
func (c *Client) Write(ctx context.Context, l Login, path string, body map[string]any) (*Secret, error) {
	l, err := l.normalize()
	if err != nil {
		return nil, err
	}
	e := Error{Op: OpWrite, Path: path, Role: l.Role, AuthPath: l.AuthPath}
	p, err := cleanPath(path)
	if err != nil {
		e.Kind, e.Detail = ErrInvalid, err.Error()
		return nil, &e
	}
	e.Path = p
	if err := ctx.Err(); err != nil {
		e.Kind, e.Err = ctxKind(err), err
		return nil, &e
	}
	if body == nil {
		body = map[string]any{}
	}
	values, err := bodyValues(body)
	if err != nil {
		// The marshaling error would describe a value; say only that.
		e.Kind, e.Detail = ErrInvalid, err.Error()
		return nil, &e
	}
	return withToken(ctx, c, l, func(tok string) (*Secret, error) {
		secrets := append([]string{tok}, values...)
		sec, err := c.call(ctx, RequestWrite, e, secrets, func(ctx context.Context) (*apiSecret, error) {
			return c.put(ctx, p, body, tok)
		})
		if err != nil {
			return nil, err
		}
		if sec == nil || len(sec.Data) == 0 {
			e.Kind = ErrNotFound
			return nil, &e
		}
		return newSecret(e, sec, sec.Data, 0)
	})
}

// bodyValues returns the text of every string and number in body, the values
// that must never show in an error. body goes through JSON first, so that
// any Go type is seen as the store sees it.
func bodyValues(body map[string]any) ([]string, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, errors.New("body is not representable as JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errors.New("body is not representable as JSON")
	}
	return leaves(v, nil), nil
}

func leaves(v any, out []string) []string {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			out = leaves(e, out)
		}
	case []any:
		for _, e := range x {
			out = leaves(e, out)
		}
	case string:
		out = append(out, x)
	case json.Number:
		out = append(out, x.String())
	}
	return out
}
