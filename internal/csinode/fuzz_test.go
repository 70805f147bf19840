// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// FuzzParseTokens: any volume context value parses or fails without
// echoing the input (it holds tokens).
func FuzzParseTokens(f *testing.F) {
	f.Add(tokensJSON(map[string]string{"": jwtApp}))
	f.Add(`{"vault": {"token": "x"}, "": {"token": ""}}`)
	f.Add(`{"": {"token": 1}}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := parseTokens(s)
		if err != nil {
			if len(s) > 8 && strings.Contains(err.Error(), s) {
				t.Fatalf("error %q echoes the input", err)
			}
			return
		}
		for aud, v := range tok {
			if v == "" {
				t.Fatalf("audience %q: empty token accepted", aud)
			}
		}
	})
}

// FuzzDecodeBase64: padded and unpadded standard encodings of any bytes
// decode to those bytes, and whatever decodes has the length its input says.
func FuzzDecodeBase64(f *testing.F) {
	f.Add([]byte{0, 1, 2, 0xff}, "QUJD")
	f.Add([]byte("keytab"), "-_-_")
	f.Fuzz(func(t *testing.T, data []byte, s string) {
		for _, enc := range []string{base64.StdEncoding.EncodeToString(data), base64.RawStdEncoding.EncodeToString(data)} {
			got, err := decodeBase64(enc)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("decode %q: got %x, %v, want %x", enc, got, err, data)
			}
		}
		got, err := decodeBase64(s)
		if err != nil {
			return
		}
		// Trailing bits of the last character are ignored, as base64 -d
		// does; the length always follows from the input's.
		digits := len(strings.TrimRight(strings.NewReplacer("\r", "", "\n", "").Replace(s), "="))
		if len(got) != digits*6/8 {
			t.Fatalf("decode %q: got %d bytes, want %d", s, len(got), digits*6/8)
		}
	})
}
