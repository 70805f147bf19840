// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxListedKeys bounds the key names listed in an ErrKeyNotFound message.
const maxListedKeys = 20

// Secret is one answer of the store: a secret read, or the response to a
// write.
type Secret struct {
	Path    string            // path as requested
	Version int               // KV v2 version read; 0 on KV v1 and other engines
	Data    map[string]string // key -> value; non-strings JSON-encoded
	// Raw is the same data as decoded from JSON, for templates that address
	// nested fields: objects are map[string]any, arrays []any, numbers
	// json.Number. On KV v2 it is the secret's data, without the metadata.
	Raw map[string]any
	// LeaseID names the lease of a dynamic secret (database credentials, …);
	// empty when the answer holds no lease (KV, most PKI reads). Concurrent
	// identical reads share one request and so one lease; reads that do not
	// overlap in time never share one.
	LeaseID string
	// LeaseDuration is how long the answer is valid from when it was
	// received. KV v1 sets it without a lease, as a refresh hint.
	LeaseDuration time.Duration
	// Renewable reports that the lease may be extended with RenewLease.
	Renewable bool
	// StorePath is the API path the answer came from: kv/data/app for
	// kv/app on a KV v2 mount, the path as written elsewhere.
	StorePath string
	// Body is the store's answer as received. A process that polls the path
	// later (the injector's watcher) decodes it with its own decoder, so
	// that its comparisons never depend on two decoders agreeing.
	Body []byte
}

// Value returns the value of key, or an ErrKeyNotFound error naming the path,
// the key and the keys the secret has (names only, never values).
func (s *Secret) Value(key string) (string, error) {
	if v, ok := s.Data[key]; ok {
		return v, nil
	}
	keys := slices.Sorted(maps.Keys(s.Data))
	detail := "the secret has no keys"
	if len(keys) > 0 {
		if len(keys) > maxListedKeys {
			keys = append(keys[:maxListedKeys], "…")
		}
		detail = "the secret has keys " + strings.Join(keys, ", ")
	}
	return "", &Error{Op: OpRead, Path: s.Path, Key: key, Version: s.Version, Kind: ErrKeyNotFound, Detail: detail}
}

// TemplateData is what a template sees: the secret's data as the store
// answered it, nested values included.
func (s *Secret) TemplateData() map[string]any {
	if s.Raw != nil {
		return s.Raw
	}
	m := make(map[string]any, len(s.Data))
	for k, v := range s.Data {
		m[k] = v
	}
	return m
}

// clone returns a copy that shares nothing mutable with s, so that callers
// sharing one request cannot see each other's changes.
func (s *Secret) clone() *Secret {
	c := *s
	c.Data = maps.Clone(s.Data)
	c.Body = slices.Clone(s.Body)
	if s.Raw != nil {
		c.Raw, _ = deepCopy(s.Raw).(map[string]any)
	}
	return &c
}

// deepCopy copies what encoding/json decodes into an any.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v // strings, json.Number, bool, nil: immutable
}

// newSecret turns the decoded values of one answer into a Secret with the
// answer's lease.
func newSecret(e Error, sec *apiSecret, values map[string]any, version int) (*Secret, error) {
	s := &Secret{
		Path: e.Path, Version: version, Data: make(map[string]string, len(values)), Raw: values,
		LeaseID: sec.LeaseID, LeaseDuration: time.Duration(sec.LeaseDuration) * time.Second, Renewable: sec.Renewable,
		StorePath: e.StorePath, Body: sec.body,
	}
	if s.Raw == nil {
		s.Raw = map[string]any{}
	}
	for k, v := range values {
		if str, ok := v.(string); ok {
			s.Data[k] = str
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			// The error would describe the value; say only which key.
			e.Key, e.Detail, e.Err = k, "value is not representable as JSON", errMalformed
			return nil, &e
		}
		s.Data[k] = string(b)
	}
	return s, nil
}

// toInt reads a JSON number decoded with UseNumber; anything else is 0.
func toInt(v any) int {
	var n int64
	switch x := v.(type) {
	case json.Number:
		n, _ = x.Int64()
	case float64:
		n = int64(x)
	case string:
		n, _ = strconv.ParseInt(x, 10, 64)
	}
	if n < 0 || n > math.MaxInt32 {
		return 0
	}
	return int(n)
}
