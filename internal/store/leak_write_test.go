// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestWriteAndRenewNeverLeak drives the errors of Write, Token, RenewToken
// and RenewLease against a store that echoes tokens, JWTs, lease IDs and
// written values in its messages, and checks that no error text carries any
// of them.
func TestWriteAndRenewNeverLeak(t *testing.T) {
	f := newFakeVault(t)
	f.set(func(f *fakeVault) { f.echo = true })
	f.allow("myapp-role", "pki/issue/web")
	o := &recordingObserver{}
	c := newTestClient(t, f, WithObserver(o))
	secrets := []string{
		jwtApp, "JWT-SECRET", tokenMark, "TOKEN-SECRET", leaseMark, "LEASE-SECRET",
		"VALUE-SECRET", "3600", "ttl null", ": bad",
	}
	unknownRole := appLogin()
	unknownRole.Role = "nope-role"
	cases := []struct {
		name    string
		do      func() error
		wantErr error
	}{
		{"token, login refused echoing the JWT", func() error { _, err := c.Token(t.Context(), unknownRole); return err }, ErrLogin},
		{"write refused echoing the values", func() error {
			_, err := c.Write(t.Context(), appLogin(), "pki/issue/web",
				map[string]any{"common_name": "bad-VALUE-SECRET.example", "ttl": 3600})
			return err
		}, nil},
		{"write refused echoing a short value", func() error {
			_, err := c.Write(t.Context(), appLogin(), "pki/issue/web", map[string]any{"common_name": "bad"})
			return err
		}, nil},
		{"write denied echoing the token", func() error {
			_, err := c.Write(t.Context(), appLogin(), "pki/issue/other", map[string]any{"common_name": "VALUE-SECRET"})
			return err
		}, ErrPermissionDenied},
		{"lease renewal echoing the lease id", func() error {
			_, err := c.RenewLease(t.Context(), appLogin(), "database/creds/app/"+leaseMark+"1", time.Hour)
			return err
		}, nil},
		{"token renewal refused echoing the token", func() error {
			f.set(func(f *fakeVault) {
				for k, v := range f.tokens {
					v.revoked = true
					f.tokens[k] = v
				}
			})
			_, err := c.RenewToken(t.Context(), appLogin())
			return err
		}, ErrPermissionDenied},
	}
	var texts []string
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			var e *Error
			if !errors.As(err, &e) || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("got %v, want an *Error matching %v", err, tt.wantErr)
			}
			texts = append(texts, err.Error(), fmt.Sprintf("%+v", err), e.Detail)
		})
	}
	checkNoLeak(t, append(texts, observed(o)...), secrets, len(cases))
}

func observed(o *recordingObserver) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var texts []string
	for _, err := range o.errs {
		if err != nil {
			texts = append(texts, err.Error())
		}
	}
	return texts
}

// checkNoLeak fails on any text holding one of secrets, and when fewer than
// minRedactions redaction markers show that the echoes were cut out.
func checkNoLeak(t *testing.T, texts, secrets []string, minRedactions int) {
	t.Helper()
	redactions := 0
	for _, text := range texts {
		redactions += strings.Count(text, redacted)
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("got error text containing %q: %s", s, text)
			}
		}
	}
	if redactions < minRedactions {
		t.Errorf("got %d %s markers, want every echo replaced", redactions, redacted)
	}
}
