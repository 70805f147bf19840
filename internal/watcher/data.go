// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package watcher

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"
)

// envelopeKeys are members of the store's answer envelope: an answer with
// one of them is an envelope whose data is under "data"; one with none is
// taken as the data itself, as the store client takes a plugin's own JSON.
var envelopeKeys = []string{"request_id", "lease_id", "lease_duration", "renewable", "data", "warnings", "auth", "wrap_info", "mount_type"}

// secretData decodes an answer as the store client does: the answer's data,
// data.data on KV v2; string values as they are, others as JSON. The watcher
// compares answers it decoded itself (the start's included), so what matters
// is that equal data decodes equally; numbers stay as written.
func secretData(body []byte, v2 bool) (map[string]string, error) {
	var top map[string]any
	if err := decodeJSON(body, &top); err != nil {
		return nil, errors.New("the store's answer is not a JSON object")
	}
	data := top
	if slices.ContainsFunc(envelopeKeys, func(k string) bool { _, ok := top[k]; return ok }) {
		data, _ = top["data"].(map[string]any)
	}
	if v2 {
		data, _ = data["data"].(map[string]any)
	}
	if data == nil {
		return nil, errors.New("the store's answer holds no data")
	}
	out := make(map[string]string, len(data))
	for k, v := range data {
		if s, ok := v.(string); ok {
			out[k] = s
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, errors.New("a value of the store's answer cannot be encoded")
		}
		out[k] = string(b)
	}
	return out, nil
}

func decodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	return dec.Decode(v)
}

// digestKey keys the digests of one watcher run: drawn at start, never
// written anywhere, so that a digest cannot be tested against a guessed
// value outside the process.
type digestKey []byte

// sum digests the keys of data that src depends on (all keys when src.All),
// a key's absence included; it never holds a value in the clear.
func (k digestKey) sum(src *Source, data map[string]string) []byte {
	keys := src.Keys
	if src.All {
		keys = make([]string, 0, len(data))
		for key := range data {
			keys = append(keys, key)
		}
	}
	keys = slices.Clone(keys)
	slices.Sort(keys)
	m := hmac.New(sha256.New, k)
	var b []byte
	for _, key := range slices.Compact(keys) {
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

// missing returns the first key of src.Required absent from data, or "".
func missing(src *Source, data map[string]string) string {
	for _, key := range src.Required {
		if _, ok := data[key]; !ok {
			return key
		}
	}
	return ""
}
