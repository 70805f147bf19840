// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Read logs in as l (or reuses its cached token) and reads path on any
// engine; version > 0 pins a KV v2 version. Concurrent identical reads
// share one request, and so one lease when the path hands out leases
// (database credentials, …): fine for callers in one process that want the
// same values at the same moment, and never the case for reads that do not
// overlap in time, since nothing read is cached. The returned Secret is the
// caller's own copy.
func (c *Client) Read(ctx context.Context, l Login, path string, version int) (*Secret, error) {
	l, err := l.normalize()
	if err != nil {
		return nil, err
	}
	e := Error{Op: OpRead, Path: path, Version: version, Role: l.Role, AuthPath: l.AuthPath}
	p, err := cleanPath(path)
	if err == nil && version < 0 {
		err = fmt.Errorf("version %d is negative", version)
	}
	if err != nil {
		e.Kind, e.Detail = ErrInvalid, err.Error()
		return nil, &e
	}
	if err := ctx.Err(); err != nil {
		e.Path, e.Kind, e.Err = p, ctxKind(err), err
		return nil, &e
	}
	key := l.key() + " " + strconv.Quote(p) + " " + strconv.Itoa(version)
	ch := c.reads.DoChan(key, func() (any, error) {
		// Detached: one caller giving up must not fail the others sharing
		// this read; every request in it has its own deadline.
		ctx := context.WithoutCancel(ctx)
		return withToken(ctx, c, l, func(tok string) (*Secret, error) {
			return c.readWith(ctx, l, tok, p, version)
		})
	})
	select {
	case <-ctx.Done():
		e.Path, e.Kind, e.Err = p, ctxKind(ctx.Err()), ctx.Err()
		return nil, &e
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		s, _ := r.Val.(*Secret) // readWith returns a secret whenever err is nil
		return s.clone(), nil
	}
}

// readWith reads p with tok. A mount the client has learned decides the API
// path at once. Otherwise p is read as written, and only an answer that
// does not hold what was asked makes the client learn the mount and, on a
// KV v2 mount, read again at the mount's data path.
func (c *Client) readWith(ctx context.Context, l Login, tok, p string, version int) (*Secret, error) {
	e := Error{Op: OpRead, Path: p, Version: version, Role: l.Role, AuthPath: l.AuthPath}
	if m, ok := c.mounts.lookup(p, c.now()); ok {
		return c.readOnMount(ctx, e, tok, m)
	}
	sec, err := c.readAt(ctx, e, tok, p)
	if !needsMount(sec, err, p) {
		return asWritten(e, sec, err)
	}
	m, known, lerr := c.mountOf(ctx, l, e, tok, p)
	switch {
	case lerr != nil:
		return nil, lerr
	case !known:
		return asWritten(e, sec, err)
	case m.v2:
		if sp, derr := m.dataPath(p); derr != nil || sp != p {
			return c.readOnMount(ctx, e, tok, m)
		}
	case version > 0:
		e.StorePath, e.Kind = p, ErrVersionUnsupported
		return nil, &e
	}
	// The mount confirms the path as written; its answer stands.
	if err != nil {
		return nil, err
	}
	e.StorePath = p
	return decode(e, sec, m.v2)
}

// readOnMount reads p on its known mount m: at the data path on KV v2.
func (c *Client) readOnMount(ctx context.Context, e Error, tok string, m mount) (*Secret, error) {
	sp := e.Path
	if m.v2 {
		var err error
		if sp, err = m.dataPath(e.Path); err != nil {
			e.Kind, e.Detail = ErrInvalid, err.Error()
			return nil, &e
		}
	}
	if !m.v2 && e.Version > 0 {
		e.StorePath, e.Kind = sp, ErrVersionUnsupported
		return nil, &e
	}
	sec, err := c.readAt(ctx, e, tok, sp)
	if err != nil {
		return nil, err
	}
	e.StorePath = sp
	return decode(e, sec, m.v2)
}

// readAt sends one read of the API path sp, with e.Version as ?version=.
func (c *Client) readAt(ctx context.Context, e Error, tok, sp string) (*apiSecret, error) {
	e.StorePath = sp
	var q url.Values
	if e.Version > 0 {
		q = url.Values{"version": []string{strconv.Itoa(e.Version)}}
	}
	return c.call(ctx, RequestRead, e, []string{tok}, func(ctx context.Context) (*apiSecret, error) {
		return c.get(ctx, sp, q, tok)
	})
}

// asWritten decodes the answer of p as written, the mount being unknown: the
// answer's shape tells KV v2 from anything else.
func asWritten(e Error, sec *apiSecret, err error) (*Secret, error) {
	if err != nil {
		return nil, err
	}
	e.StorePath = e.Path
	return decode(e, sec, looksV2(sec) && hasDataSegment(e.Path))
}

// needsMount reports that p as written did not answer what was asked, so
// that the mount must be learned: a refusal or absence (a KV v2 mount
// answers a path without data/ with 404 and a warning, and a policy written
// for <mount>/data/* refuses it), an operation the path does not support,
// or the shape of a KV v2 endpoint that is not a secret (metadata, config,
// subkeys, a listing). A KV v2 shaped answer counts only at a path with a
// "data" segment, where a KV v2 mount would give it.
func needsMount(sec *apiSecret, err error, p string) bool {
	if err != nil {
		var e *Error
		return errors.As(err, &e) &&
			(e.Status == http.StatusForbidden || e.Status == http.StatusNotFound || e.Status == http.StatusMethodNotAllowed)
	}
	if sec == nil || sec.Data == nil {
		return true
	}
	if looksV2(sec) {
		return !hasDataSegment(p)
	}
	return looksKVEndpoint(sec.Data)
}

// looksKVEndpoint recognizes the answers of KV v2 endpoints other than
// data/: metadata/<name>, config, subkeys/<name> and a listing.
func looksKVEndpoint(d map[string]any) bool {
	has := func(keys ...string) bool {
		for _, k := range keys {
			if _, ok := d[k]; !ok {
				return false
			}
		}
		return true
	}
	_, list := d["keys"].([]any)
	return has("versions", "current_version") ||
		has("max_versions", "cas_required") ||
		(len(d) == 2 && has("subkeys", "metadata")) ||
		(len(d) == 1 && list)
}

// hasDataSegment reports a "data" segment after the first, where a KV v2
// mount's data path has one.
func hasDataSegment(p string) bool {
	segs := strings.Split(p, "/")
	return len(segs) > 2 && slices.Contains(segs[1:len(segs)-1], "data")
}

// looksV2 recognizes a KV v2 read response: exactly "data" (an object or
// null) and "metadata" with a numeric version. Another engine could answer
// so, which is why a learned mount always wins and the shape counts only at
// a path with a "data" segment.
func looksV2(sec *apiSecret) bool {
	if sec == nil || len(sec.Data) != 2 {
		return false
	}
	meta, ok := sec.Data["metadata"].(map[string]any)
	if !ok {
		return false
	}
	var hasVersion bool
	switch meta["version"].(type) {
	case json.Number, float64:
		hasVersion = true
	}
	data, hasData := sec.Data["data"]
	_, isMap := data.(map[string]any)
	return hasVersion && hasData && (data == nil || isMap)
}

// decode turns a read response into a Secret; e carries the context for
// errors. A nil secret is a 404 or an empty answer.
func decode(e Error, sec *apiSecret, v2 bool) (*Secret, error) {
	if sec == nil || sec.Data == nil {
		e.Kind = ErrNotFound
		if sec != nil {
			// e.g. the store's hint that a KV v2 path lacks data/.
			e.Detail = storeDetail(sec.Warnings)
		}
		return nil, &e
	}
	if !v2 {
		if e.Version > 0 {
			e.Kind = ErrVersionUnsupported
			return nil, &e
		}
		return newSecret(e, sec, sec.Data, 0)
	}
	meta, _ := sec.Data["metadata"].(map[string]any)
	version := toInt(meta["version"])
	if values, ok := sec.Data["data"].(map[string]any); ok {
		return newSecret(e, sec, values, version)
	}
	// No data: the version is deleted, destroyed or does not exist.
	if version > 0 {
		e.Version = version
	}
	deleted, _ := meta["deletion_time"].(string)
	switch {
	case meta["destroyed"] == true:
		e.Kind = ErrVersionDestroyed
	case deleted != "":
		e.Kind = ErrVersionDeleted
	default:
		e.Kind = ErrNotFound
	}
	return nil, &e
}
