// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"context"
	"fmt"
	"maps"
	"sync"

	"github.com/deckhouse/secrets-store-integration/internal/store"
)

// Values the fake store holds. They are distinctive so that a test can prove
// none of them ever shows up in a log line or an error.
const (
	secretPass   = "VALUE-SECRET-db-pass"
	secretUser   = "VALUE-SECRET-db-user"
	secretCommon = "VALUE-SECRET-common"
)

// fakeReader serves secrets from memory and counts reads per source. wait,
// when set, runs inside every read (before the answer), e.g. to block.
type fakeReader struct {
	secrets map[source]map[string]string
	errs    map[source]error

	mu     sync.Mutex
	calls  map[source]int
	logins []store.Login
	wait   func(ctx context.Context, s source) error
}

func newFakeReader() *fakeReader {
	return &fakeReader{
		secrets: map[source]map[string]string{
			{path: "demo-kv/data/app"}: {
				"DB_PASS": secretPass, "DB_USER": secretUser,
			},
			{path: "demo-kv/data/app", version: 2}: {"DB_PASS": "VALUE-SECRET-v2"},
			{path: "demo-kv/data/common"}: {
				"COMMON": secretCommon, "DB_USER": "VALUE-SECRET-common-user",
			},
			{path: "demo-kv/data/odd"}: {
				"a-b": "VALUE-SECRET-dash", "1x": "VALUE-SECRET-digit", "tls.crt": "VALUE-SECRET-dot",
				"SECRETS_STORE_ROLE": "VALUE-SECRET-reserved", "NUL": "VALUE-SECRET\x00nul",
				"GOOD": "VALUE-SECRET-good",
			},
			{path: "demo-kv/data/nul"}: {"K": "VALUE-SECRET\x00nul"},
		},
		errs: map[source]error{
			{path: "demo-kv/data/denied"}: &store.Error{
				Op: store.OpRead, Path: "demo-kv/data/denied", Role: "myapp-role",
				Kind: store.ErrPermissionDenied, Status: 403,
			},
		},
		calls: map[source]int{},
	}
}

func (f *fakeReader) Read(ctx context.Context, l store.Login, path string, version int) (*store.Secret, error) {
	s := source{path: path, version: version}
	f.mu.Lock()
	f.calls[s]++
	f.logins = append(f.logins, l)
	wait := f.wait
	f.mu.Unlock()
	if wait != nil {
		if err := wait(ctx, s); err != nil {
			return nil, &store.Error{Op: store.OpRead, Path: path, Version: version, Kind: store.ErrUnavailable, Err: err}
		}
	}
	if err, ok := f.errs[s]; ok {
		return nil, err
	}
	data, ok := f.secrets[s]
	if !ok {
		return nil, &store.Error{Op: store.OpRead, Path: path, Version: version, Kind: store.ErrNotFound, Status: 404}
	}
	return &store.Secret{Path: path, Version: version, Data: maps.Clone(data)}, nil
}

func (f *fakeReader) count(s source) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[s]
}

func (f *fakeReader) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		n += c
	}
	return n
}

func (s source) String() string { return fmt.Sprintf("%s@%d", s.path, s.version) }
