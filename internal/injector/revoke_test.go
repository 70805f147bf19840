// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/internal/store"
)

// revokingReader is a fakeReader that can revoke its token; it records
// revocations and executions in order in events.
type revokingReader struct {
	*fakeReader
	err error // what RevokeSelf returns

	mu      sync.Mutex
	events  []string
	logins  []store.Login
	ctxDone bool // whether a RevokeSelf context was already done
}

func (r *revokingReader) RevokeSelf(ctx context.Context, l store.Login) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, "revoke")
	r.logins = append(r.logins, l)
	r.ctxDone = r.ctxDone || ctx.Err() != nil
	return r.err
}

func (r *revokingReader) system() system {
	return system{
		newReader: func(store.Config) (Reader, error) { return r, nil },
		exec: func(Command) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.events = append(r.events, "exec")
			return nil
		},
		selfCopy: func(string) error { return nil },
	}
}

// The token is revoked once after the resolution, whatever its outcome, and
// before the command starts; a failed revocation is a warning only.
func TestRunRevokesTheToken(t *testing.T) {
	env := slices.Concat(validEnv(), []string{"PATH=/bin", "PASS=secrets-store:demo-kv/data/app#DB_PASS"})
	tests := []struct {
		name       string
		env        []string
		cancel     bool
		revokeErr  error
		wantEvents []string
		wantErr    bool
		wantLog    string
	}{
		{name: "resolved", env: env, wantEvents: []string{"revoke", "exec"}},
		{
			name: "a reference failed", env: append(slices.Clone(env), "X=secrets-store:demo-kv/data/denied#K"),
			wantEvents: []string{"revoke"}, wantErr: true,
		},
		{name: "interrupted", env: env, cancel: true, wantEvents: []string{"revoke"}, wantErr: true},
		{
			name: "revocation failed", env: env, wantEvents: []string{"revoke", "exec"},
			revokeErr: &store.Error{Op: store.OpRevoke, Role: "myapp-role", AuthPath: "kubernetes_local", Kind: store.ErrUnavailable, Status: 503},
			wantLog:   `level=WARN msg="store token not revoked: it stays valid until its TTL ends" error="revoke the token of role \"myapp-role\"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &revokingReader{fakeReader: newFakeReader(), err: tt.revokeErr}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tt.cancel {
				cancel()
			}
			var stderr bytes.Buffer
			err := run(ctx, []string{"app"}, tt.env, &stderr, r.system())
			if (err != nil) != tt.wantErr {
				t.Fatalf("got %v, want error %v", err, tt.wantErr)
			}
			if !slices.Equal(r.events, tt.wantEvents) {
				t.Errorf("got events %q, want %q", r.events, tt.wantEvents)
			}
			if len(r.logins) != 1 || r.logins[0].Role != "myapp-role" || r.logins[0].ServiceAccount == "" {
				t.Errorf("got revocations for %+v, want one for the run's identity", r.logins)
			}
			if r.ctxDone {
				t.Errorf("got a done context for the revocation, want one that outlives an interruption")
			}
			if !strings.Contains(stderr.String(), tt.wantLog) {
				t.Errorf("got stderr\n%s\nwant %q", stderr.String(), tt.wantLog)
			}
		})
	}
}

// A reader without RevokeSelf (a test fake, or a store client of another
// kind) is simply not asked.
func TestRunWithoutRevoker(t *testing.T) {
	f := &fakeSystem{reader: newFakeReader()}
	env := slices.Concat(validEnv(), []string{"PATH=/bin"})
	if err := run(t.Context(), []string{"app"}, env, &bytes.Buffer{}, f.system()); err != nil || f.executed == nil {
		t.Fatalf("got %v, executed %v, want the command", err, f.executed)
	}
}

// The real binary revokes its token at the store, in probe mode too, and
// says nothing about it at the default level.
func TestBinaryRevokesTheToken(t *testing.T) {
	for _, probe := range []bool{false, true} {
		f := newFakeStore(t)
		env := moveFirst(storeEnv(t, f), "PASS=secrets-store:demo-kv/data/app#DB_PASS")
		env = moveFirst(env, envcontract.LogLevel+"=info")
		args := []string{testExecutable(t)}
		if probe {
			args = append([]string{envcontract.ProbeFlag}, args...)
		}
		r := runInjector(t, env, args...)
		if r.code != 0 || r.env["PASS"] != secretPass {
			t.Fatalf("probe %v: got exit code %d, PASS=%q, want 0 and the secret\nstderr:\n%s", probe, r.code, r.env["PASS"], r.stderr)
		}
		if n := f.revokeCount(); n != 1 {
			t.Errorf("probe %v: got %d revocations, want 1", probe, n)
		}
		if strings.Contains(r.stderr, "revoke") || strings.Contains(r.stderr, "WARN") {
			t.Errorf("probe %v: got stderr\n%s\nwant no word about the revocation", probe, r.stderr)
		}
		checkClean(t, r)
	}
}
