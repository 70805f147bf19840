// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncctl

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/deckhouse/secrets-store-integration/internal/secretref"
	"github.com/deckhouse/secrets-store-integration/internal/store"
	"github.com/deckhouse/secrets-store-integration/internal/tmpl"
)

// errInvalidData marks data that cannot make the Secret: keys the type
// requires are missing, a value is not Base64, a template fails, a dataFrom
// key is not a valid Secret key (Synced=False, reason InvalidData).
var errInvalidData = errors.New("invalid data")

// source is one read: a path at a version (0: the latest).
type source struct {
	path    string
	version int
}

// sources lists the distinct reads the spec needs, in order of appearance.
func sources(sp *Spec) []source {
	var out []source
	add := func(s Source) {
		src := source{path: s.Path, version: s.Version}
		if !slices.Contains(out, src) {
			out = append(out, src)
		}
	}
	for _, d := range sp.DataFrom {
		add(d.Source)
	}
	for _, d := range sp.Data {
		add(d.Source)
	}
	return out
}

// buildData makes the Secret's data from the secrets read: every key of the
// dataFrom paths (later paths win), then the data keys, which win over
// dataFrom. Errors name keys and paths, never values.
func buildData(sp *Spec, got map[source]*store.Secret) (map[string][]byte, error) {
	data := make(map[string][]byte)
	for i, d := range sp.DataFrom {
		sec := got[source{path: d.Source.Path, version: d.Source.Version}]
		for _, k := range slices.Sorted(maps.Keys(sec.Data)) {
			if err := validateSecretKey(k); err != nil {
				return nil, fmt.Errorf("%w: spec.dataFrom[%d] (path %s): %w: rename the key in the store, or list the keys you need in spec.data",
					errInvalidData, i, d.Source.Path, err)
			}
			data[k] = []byte(sec.Data[k])
		}
	}
	for i, d := range sp.Data {
		v, err := itemValue(d, got[source{path: d.Source.Path, version: d.Source.Version}])
		if err != nil {
			return nil, fmt.Errorf("spec.data[%d] (key %q): %w", i, d.Key, err)
		}
		data[d.Key] = v
	}
	return data, nil
}

func itemValue(d DataItem, sec *store.Secret) ([]byte, error) {
	var v string
	if d.Template != "" {
		t, err := tmpl.ParseIsolated(d.Template)
		if err == nil {
			v, err = t.Execute(sec.TemplateData())
		}
		if err != nil {
			return nil, fmt.Errorf("%w: template: %w", errInvalidData, err)
		}
	} else {
		var err error
		if v, err = sec.Value(d.Source.Key); err != nil {
			return nil, err
		}
	}
	if !d.DecodeBase64 {
		return []byte(v), nil
	}
	b, err := secretref.DecodeBase64(v)
	if err != nil {
		return nil, fmt.Errorf("%w: decodeBase64 is set but the value is not valid Base64: store it Base64-encoded, or unset decodeBase64", errInvalidData)
	}
	return b, nil
}

// checkDockerConfigJSON requires a JSON object with an "auths" object, as
// the kubelet reads it. The error never quotes the document.
func checkDockerConfigJSON(b []byte) error {
	var doc struct {
		Auths map[string]json.RawMessage `json:"auths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.Auths == nil {
		return fmt.Errorf("%w: %s is not a JSON object with an \"auths\" object: build it with a template, such as "+
			`{"auths": {"registry.example.com": {"auth": "${ printf "%%s:%%s" .username .password | b64enc }"}}}`,
			errInvalidData, corev1.DockerConfigJsonKey)
	}
	return nil
}

// hmacOf is the keyed HMAC of a Secret's type and data, as status.dataHMAC
// holds it. Without the key it tells nothing about the values, not even for
// short ones that a plain hash would give away to a dictionary.
func hmacOf(key []byte, t corev1.SecretType, data map[string][]byte) string {
	m := hmac.New(sha256.New, key)
	field := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		m.Write(n[:])
		m.Write(b)
	}
	field([]byte(t))
	for _, k := range slices.Sorted(maps.Keys(data)) {
		field([]byte(k))
		field(data[k])
	}
	return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil))
}
