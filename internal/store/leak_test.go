// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestErrorsNeverLeakSecrets drives every error path against a store that
// echoes JWTs and tokens in its messages and returns secret values in broken
// bodies, and checks that no error text carries any of them.
func TestErrorsNeverLeakSecrets(t *testing.T) {
	f := newFakeVault(t)
	f.set(func(f *fakeVault) { f.echo = true })
	o := &recordingObserver{}
	c := newTestClient(t, f, WithObserver(o))
	secrets := []string{
		jwtApp, jwtOther, "JWT-SECRET", tokenMark, "TOKEN-SECRET", valuePass, "VALUE-SECRET",
		"v1-pass", "v2-pass", "v3-pass", "username",
	}

	tests := leakCases()
	var texts []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := c.Read(t.Context(), tt.login, tt.path, tt.version)
			if err == nil && tt.key != "" {
				_, err = s.Value(tt.key)
			}
			if tt.name == "warm-up" {
				if err != nil {
					t.Fatalf("warm-up: %v", err)
				}
				return
			}
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("got %v, want an error matching %v", err, tt.wantErr)
			}
			texts = append(texts, err.Error(), fmt.Sprintf("%+v", err))
			var e *Error
			if errors.As(err, &e) {
				texts = append(texts, e.Detail)
			}
		})
	}
	o.mu.Lock()
	for _, err := range o.errs {
		if err != nil {
			texts = append(texts, err.Error())
		}
	}
	o.mu.Unlock()
	redactions := 0
	for _, text := range texts {
		redactions += strings.Count(text, redacted)
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("got error text containing %q: %s", s, text)
			}
		}
	}
	if redactions == 0 {
		t.Errorf("got no %s marker, want the echoed JWT and token replaced", redacted)
	}
}

type leakCase struct {
	name    string
	login   Login
	path    string
	version int
	key     string
	wantErr error
}

func leakCases() []leakCase {
	unbound := appLogin()
	unbound.JWT = staticJWT(jwtOther)
	unknownRole := appLogin()
	unknownRole.Role = "nope-role"
	return []leakCase{
		{name: "login refused, store echoes the JWT", login: unknownRole, path: "kv1/app", wantErr: ErrLogin},
		{name: "service account not bound, store echoes the JWT", login: unbound, path: "kv1/app", wantErr: ErrLogin},
		{name: "warm-up", login: appLogin(), path: "kv1/app"},
		{name: "denied, store echoes the token", login: appLogin(), path: "demo-kv/data/other", wantErr: ErrPermissionDenied},
		{name: "malformed success body", login: appLogin(), path: "kv1/broken"},
		{name: "raw error body", login: appLogin(), path: "kv1/raw500", wantErr: ErrUnavailable},
		{name: "deleted version", login: appLogin(), path: "demo-kv/myapp-secret", version: 2, wantErr: ErrVersionDeleted},
		{name: "destroyed version", login: appLogin(), path: "demo-kv/myapp-secret", version: 3, wantErr: ErrVersionDestroyed},
		{name: "missing key", login: appLogin(), path: "demo-kv/myapp-secret", key: "NOPE", wantErr: ErrKeyNotFound},
		{name: "missing key, pinned", login: appLogin(), path: "demo-kv/myapp-secret", version: 1, key: "NOPE", wantErr: ErrKeyNotFound},
	}
}
