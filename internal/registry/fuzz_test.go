// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"testing"
	"unicode/utf8"
)

// FuzzParseDockerConfig: any document either fails or parses into
// credentials that survive a round trip through a fresh document; keys of
// any shape are safe to match against.
func FuzzParseDockerConfig(f *testing.F) {
	for _, seed := range []string{
		`{"auths":{"reg.example":{"auth":"dXNlcjpwYXNz"}}}`,
		`{"auths":{"https://index.docker.io/v1/":{"username":"u","password":"p","identitytoken":"t"}}}`,
		`{"reg.example":{"auth":"dTpwOnE","email":"e@x"}}`,
		`{"auths":{"reg.example":{"auth":"%%%"}}}`,
		`{"auths":{"*.example:5000/team":{"registrytoken":"r"}}}`,
		`{"auths":{"reg.example":{"auth":"//46gA=="}}}`, // invalid UTF-8 inside
		`{"auths":null}`,
		`[]`,
		``,
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, legacy bool) {
		got, err := parseDockerConfig(data, legacy)
		if err != nil {
			if got != nil {
				t.Fatalf("got %d entries with error %v", len(got), err)
			}
			return
		}
		auths := make(map[string]configEntry, len(got))
		for loc, c := range got {
			e := configEntry{
				Username: c.Username, Password: c.Password,
				IdentityToken: c.IdentityToken, RegistryToken: c.RegistryToken,
			}
			if !utf8.ValidString(c.Username) || !utf8.ValidString(c.Password) {
				// Only a decoded "auth" yields bytes JSON strings cannot
				// carry; its username never contains a colon.
				e.Username, e.Password = "", ""
				e.Auth = base64.StdEncoding.EncodeToString([]byte(c.Username + ":" + c.Password))
			}
			auths[loc] = e
			if p, ok := parsePattern(loc); ok {
				p.match("reg.example", "team/app")
				p.match("index.docker.io:443", "library/alpine")
			}
		}
		doc, err := json.Marshal(map[string]any{"auths": auths})
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseDockerConfig(doc, false)
		if err != nil {
			t.Fatalf("re-encoded document fails: %v", err)
		}
		if !maps.Equal(got, again) {
			t.Fatalf("round trip changed the credentials: %+v, then %+v", got, again)
		}
	})
}
