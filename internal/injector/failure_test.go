// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"errors"
	"testing"

	"github.com/deckhouse/secrets-store-integration/internal/secretref"
)

func TestFailureError(t *testing.T) {
	reason := errors.New("reason")
	syntax := &secretref.SyntaxError{What: "secret reference", Reason: "bad"}
	tests := []struct {
		f    Failure
		want string
	}{
		{Failure{Var: "A", Ref: "secrets-store:p#k", Err: reason}, "A: secrets-store:p#k: reason"},
		{Failure{Var: "A", Err: syntax}, "A: invalid secret reference: bad: use secrets-store:PATH#KEY or secrets-store:PATH#KEY#VERSION"},
		{Failure{Ref: "kv/data/p", Err: reason}, "env-from-path kv/data/p: reason"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.f.Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if !errors.Is(&tt.f, tt.f.Err) {
				t.Errorf("got no match for the wrapped error")
			}
		})
	}
}

func TestValidEnvName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"DB_PASS", true},
		{"_x", true},
		{"a1", true},
		{"A", true},
		{"", false},
		{"1x", false},
		{"a-b", false},
		{"tls.crt", false},
		{"a b", false},
		{"a=b", false},
		{"\u043a\u043b\u044e\u0447", false},
		{"x\x00", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidEnvName(tt.name); got != tt.want {
				t.Errorf("ValidEnvName(%q): got %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}
