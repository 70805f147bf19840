// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package watcher

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func fullHandoff() *Handoff {
	return &Handoff{
		Store: Store{
			Addr: "store.example:8200", Host: "store.example:8200", PathPrefix: "/prefix", TLS: true,
			ServerName: "store.example", CACert: []byte("-----BEGIN CERTIFICATE-----\n"), SkipVerify: true,
			Namespace: "team/a", Timeout: 7 * time.Second, AuthPath: "kubernetes_local", Role: "app",
			TokenFile: "/var/run/secrets/token", Token: "s.token", TokenTTL: time.Hour,
			TokenObtained: time.Unix(0, 1_700_000_000_123_456_789),
		},
		Interval: 95 * time.Second, Grace: 30 * time.Second, IgnoreMissing: true, KeepToken: true,
		LogLevel: -4, JSONLog: true,
		Sources: []Source{
			{
				Path: "kv/app", Target: "/prefix/v1/kv/data/app", V2: true, Keys: []string{"a", "b"}, Required: []string{"a"},
				Body: []byte(`{"data":{"data":{"a":"1"}}}`),
			},
			{Path: "kv/pinned", Version: 3, Target: "/prefix/v1/kv/data/pinned?version=3", V2: true, All: true, Body: []byte(`{}`)},
		},
		Path: "/bin/app", Argv: []string{"app", "--flag", ""}, Env: []string{"A=1", "B=two words", "=odd"},
	}
}

// TestHandoffRoundTrip: every field survives encoding.
func TestHandoffRoundTrip(t *testing.T) {
	for _, h := range []*Handoff{fullHandoff(), {}} {
		b, err := h.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseHandoff(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, h) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, h)
		}
	}
}

// TestHandoffRefused: a truncated, extended or foreign hand-off is an
// error, never a partial Handoff.
func TestHandoffRefused(t *testing.T) {
	b, err := fullHandoff().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(b) {
		if h, err := ParseHandoff(b[:i]); err == nil || !errors.Is(err, errHandoff) {
			t.Fatalf("truncated to %d of %d bytes: %+v, %v; want an error", i, len(b), h, err)
		}
	}
	if _, err := ParseHandoff(append(b, 0)); err == nil || !strings.Contains(err.Error(), "after the end") {
		t.Errorf("with a byte more: %v; want an error", err)
	}
	other := append([]byte(nil), b...)
	other[len(handoffMagic)-1] = 2
	if _, err := ParseHandoff(other); err == nil || !strings.Contains(err.Error(), "different builds") {
		t.Errorf("another format version: %v; want an error naming different builds", err)
	}
}

// FuzzParseHandoff: any input is refused or parsed into a Handoff that
// encodes and parses back to itself.
func FuzzParseHandoff(f *testing.F) {
	for _, h := range []*Handoff{fullHandoff(), {}} {
		b, err := h.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(handoffMagic + "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHandoff(b)
		if err != nil {
			if !errors.Is(err, errHandoff) {
				t.Fatalf("error %v does not wrap errHandoff", err)
			}
			return
		}
		again, err := h.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		h2, err := ParseHandoff(again)
		if err != nil {
			t.Fatalf("a parsed hand-off does not parse once encoded again: %v", err)
		}
		if !reflect.DeepEqual(h, h2) {
			t.Fatalf("parse, encode, parse changed it:\n%+v\n%+v", h, h2)
		}
	})
}
