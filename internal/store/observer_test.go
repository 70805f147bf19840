// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

type recordingObserver struct {
	mu    sync.Mutex
	kinds []string
	errs  []error
}

func (o *recordingObserver) OnRequest(kind string, _ time.Duration, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.kinds = append(o.kinds, kind)
	o.errs = append(o.errs, err)
}

func TestObserver(t *testing.T) {
	f := newFakeVault(t)
	o := &recordingObserver{}
	c := newTestClient(t, f, WithObserver(o))
	if _, err := c.Read(t.Context(), appLogin(), "demo-kv/myapp-secret", 0); err != nil {
		t.Fatalf("read: %v", err)
	}
	if _, err := c.Read(t.Context(), appLogin(), "demo-kv/other", 0); !errors.Is(err, ErrPermissionDenied) {
		t.Fatalf("got %v, want ErrPermissionDenied", err)
	}
	got := strings.Join(o.kinds, ",")
	// The path without data/ is refused as written, then its mount is
	// learned and the data path read; the denied path is retried once after
	// a new login.
	want := "login,read,mount,read,read,login,read"
	if got != want {
		t.Errorf("got kinds %s, want %s", got, want)
	}
	if !errors.Is(o.errs[len(o.errs)-1], ErrPermissionDenied) {
		t.Errorf("got last observed error %v, want ErrPermissionDenied", o.errs[len(o.errs)-1])
	}
}
