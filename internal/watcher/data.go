// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package watcher

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"slices"
)

// envelopeKeys are members of the store's answer envelope: an answer with
// one of them is an envelope whose data is under "data"; one with none is
// taken as the data itself, as the store client takes a plugin's own JSON.
var envelopeKeys = []string{"request_id", "lease_id", "lease_duration", "renewable", "data", "warnings", "auth", "wrap_info", "mount_type"}

// secretData decodes an answer as the store client does: the answer's data,
// data.data on KV v2; string values decoded, others as their JSON text
// without whitespace. The watcher compares answers it decoded itself (the
// start's included), so what matters is that equal data decodes equally.
// It scans the JSON itself (scan.go): decoding with encoding/json would
// take the watcher's memory past its budget.
func secretData(body []byte, v2 bool) (map[string]string, error) {
	top, err := scanObject(body)
	if err != nil {
		return nil, err
	}
	data := top
	if slices.ContainsFunc(envelopeKeys, func(k string) bool { return memberOf(top, k) != nil }) {
		if data, err = object(memberOf(top, "data")); err != nil {
			return nil, err
		}
	}
	if v2 {
		if data, err = object(memberOf(data, "data")); err != nil {
			return nil, err
		}
	}
	out := make(map[string]string, len(data))
	for _, m := range data { // in order: a later duplicate wins, as in encoding/json
		if s, ok := stringValue(m.raw); ok {
			out[m.name] = s
			continue
		}
		out[m.name] = string(compact(m.raw))
	}
	return out, nil
}

// errNoData: the answer holds no data object (a KV v2 version deleted or
// destroyed, an answer without data).
var errNoData = errors.New("the store's answer holds no data")

// object scans raw, a member's value, as an object; absent or null is
// errNoData.
func object(raw []byte) ([]member, error) {
	if raw == nil || string(raw) == "null" {
		return nil, errNoData
	}
	ms, err := scanObject(raw)
	if errors.Is(err, errScanNotObject) {
		return nil, errNoData
	}
	return ms, err
}

// digestKey keys the digests of one watcher run: drawn at start, never
// written anywhere, so that a digest cannot be tested against a guessed
// value outside the process.
type digestKey []byte

// sum digests the keys of data that src depends on (all keys when src.All),
// a key's absence included; it never holds a value in the clear.
func (k digestKey) sum(src *Source, data map[string]string) []byte {
	var keys []string
	if src.All {
		keys = make([]string, 0, len(data))
		for key := range data {
			keys = append(keys, key)
		}
		slices.Sort(keys)
	} else {
		keys = keySet(src.Keys)
	}
	m := hmac.New(sha256.New, k)
	var b []byte
	for _, key := range keys {
		// Lengths first, so that no two key sets write the same bytes.
		b = append(binary.AppendUvarint(b[:0], uint64(len(key))), key...)
		if v, ok := data[key]; ok {
			b = append(binary.AppendUvarint(append(b, 1), uint64(len(v))), v...)
		} else {
			b = append(b, 0)
		}
		_, _ = m.Write(b)
	}
	return m.Sum(nil)
}

// keySet returns keys sorted, without repeats: keys itself when it is so
// already (baseline sorts each source's keys once), a sorted copy otherwise.
func keySet(keys []string) []string {
	for i := 1; i < len(keys); i++ {
		if keys[i-1] >= keys[i] {
			return slices.Compact(slices.Sorted(slices.Values(keys)))
		}
	}
	return keys
}

// missing returns the first key of src.Required absent from data, or "".
func missing(src *Source, data map[string]string) string {
	for _, key := range src.Required {
		if _, ok := data[key]; !ok {
			return key
		}
	}
	return ""
}
