// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// revokeStore is a plain-HTTP store for RevokeSelf: logins hand out
// numbered tokens (with an accessor unless batch is set), kv1/app is
// readable with any live token, and auth/token/revoke-self revokes the
// caller's token or answers status (echoing the token, as a careless
// server might) when it is set. hang makes revoke-self never answer.
type revokeStore struct {
	srv *httptest.Server

	mu      sync.Mutex
	batch   bool
	status  int
	hang    bool
	seq     int
	live    map[string]bool
	revokes []string // token of every revoke-self request
}

func newRevokeStore(t *testing.T) *revokeStore {
	t.Helper()
	s := &revokeStore{live: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *revokeStore) serve(w http.ResponseWriter, r *http.Request) {
	tok := r.Header.Get("X-Vault-Token")
	s.mu.Lock()
	defer s.mu.Unlock()
	switch p := strings.TrimPrefix(r.URL.Path, "/v1/"); {
	case p == "auth/kubernetes_local/login":
		s.seq++
		tok := tokenMark + strconv.Itoa(s.seq)
		s.live[tok] = true
		auth := map[string]any{"client_token": tok, "lease_duration": 600}
		if !s.batch {
			auth["accessor"] = "accessor-" + strconv.Itoa(s.seq)
		}
		reply(w, http.StatusOK, map[string]any{"auth": auth})
	case !s.live[tok]:
		reply(w, http.StatusForbidden, errorsBody("permission denied"))
	case p == "auth/token/revoke-self":
		s.revokes = append(s.revokes, tok)
		switch {
		case s.hang:
			s.mu.Unlock()
			_, _ = io.Copy(io.Discard, r.Body) // then the server sees the client go away
			<-r.Context().Done()
			s.mu.Lock()
		case s.status != 0:
			reply(w, s.status, errorsBody("internal error revoking "+tok))
		default:
			delete(s.live, tok)
			w.WriteHeader(http.StatusNoContent)
		}
	case strings.HasPrefix(p, "sys/internal/ui/mounts/"):
		reply(w, http.StatusOK, map[string]any{"data": map[string]any{"path": "kv1/", "type": "kv", "options": map[string]any{"version": "1"}}})
	case p == "kv1/app":
		reply(w, http.StatusOK, map[string]any{"data": map[string]any{"K": "v"}})
	default:
		reply(w, http.StatusNotFound, errorsBody())
	}
}

// state returns the revoke-self requests so far and the live tokens.
func (s *revokeStore) state() (revokes []string, live int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.revokes...), len(s.live)
}

func newRevokeClient(t *testing.T, s *revokeStore, timeout time.Duration, opts ...Option) *Client {
	t.Helper()
	c, err := New(Config{Address: s.srv.URL, Timeout: timeout}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRevokeSelf(t *testing.T) {
	s := newRevokeStore(t)
	o := &recordingObserver{}
	c := newRevokeClient(t, s, 0, WithObserver(o))
	if err := c.RevokeSelf(t.Context(), appLogin()); err != nil {
		t.Fatalf("without a token: got %v, want nil", err)
	}
	if revokes, _ := s.state(); len(revokes) != 0 {
		t.Fatalf("without a token: got %d revoke requests, want none", len(revokes))
	}
	for i := range 2 { // the second round logs in anew: the revoked token is forgotten
		if _, err := c.Read(t.Context(), appLogin(), "kv1/app", 0); err != nil {
			t.Fatalf("read: %v", err)
		}
		if err := c.RevokeSelf(t.Context(), appLogin()); err != nil {
			t.Fatalf("revoke: %v", err)
		}
		want := []string{tokenMark + "1", tokenMark + "2"}[:i+1]
		if revokes, live := s.state(); strings.Join(revokes, " ") != strings.Join(want, " ") || live != 0 {
			t.Fatalf("round %d: got revokes %q and %d live tokens, want %q and none", i, revokes, live, want)
		}
	}
	if err := c.RevokeSelf(t.Context(), appLogin()); err != nil {
		t.Fatalf("again: got %v, want nil", err)
	}
	if revokes, _ := s.state(); len(revokes) != 2 {
		t.Errorf("again: got %d revoke requests, want still 2", len(revokes))
	}
	if got := strings.Join(o.kinds, ","); got != "login,read,revoke,login,read,revoke" {
		t.Errorf("got observed kinds %s", got)
	}
}

// A batch token has no accessor and cannot be revoked: it is only
// forgotten.
func TestRevokeSelfBatchToken(t *testing.T) {
	s := newRevokeStore(t)
	s.batch = true
	c := newRevokeClient(t, s, 0)
	if _, err := c.Read(t.Context(), appLogin(), "kv1/app", 0); err != nil {
		t.Fatalf("read: %v", err)
	}
	if err := c.RevokeSelf(t.Context(), appLogin()); err != nil {
		t.Fatalf("got %v, want nil", err)
	}
	if revokes, _ := s.state(); len(revokes) != 0 {
		t.Errorf("got %d revoke requests, want none", len(revokes))
	}
	if _, err := c.Read(t.Context(), appLogin(), "kv1/app", 0); err != nil {
		t.Fatalf("read after: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seq != 2 {
		t.Errorf("got %d logins, want 2: the batch token is forgotten", s.seq)
	}
}

// A failed revocation is an *Error that never holds the token; a store
// that does not answer is given the client's timeout, not more.
func TestRevokeSelfFailures(t *testing.T) {
	tests := []struct {
		name    string
		set     func(s *revokeStore)
		wantErr error
		want    string
	}{
		{
			"server error echoing the token", func(s *revokeStore) { s.status = http.StatusInternalServerError },
			ErrUnavailable, `revoke the token of role "myapp-role" from "auth/kubernetes_local": store unavailable (HTTP 500)`,
		},
		{
			"no answer", func(s *revokeStore) { s.hang = true },
			ErrUnavailable, "no answer within 200ms",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newRevokeStore(t)
			c := newRevokeClient(t, s, 200*time.Millisecond)
			if _, err := c.Read(t.Context(), appLogin(), "kv1/app", 0); err != nil {
				t.Fatalf("read: %v", err)
			}
			s.mu.Lock()
			tt.set(s)
			s.mu.Unlock()
			err := c.RevokeSelf(t.Context(), appLogin())
			var se *Error
			if !errors.As(err, &se) || se.Op != OpRevoke || !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want a revoke *Error matching %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "TOKEN-SECRET") {
				t.Errorf("got the token in %q", err)
			}
		})
	}
}

func TestRevokeSelfInvalidLogin(t *testing.T) {
	c := newRevokeClient(t, newRevokeStore(t), 0)
	l := appLogin()
	l.Role = ""
	if err := c.RevokeSelf(t.Context(), l); !errors.Is(err, ErrInvalid) {
		t.Errorf("got %v, want ErrInvalid", err)
	}
}
