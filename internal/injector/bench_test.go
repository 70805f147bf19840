// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"testing"

	"github.com/deckhouse/secrets-store-integration/internal/store"
)

// BenchmarkResolve measures the injector's own work for 20 references over
// 3 paths, with a reader that answers at once: what a pod start pays beyond
// the store round trips.
func BenchmarkResolve(b *testing.B) {
	r := benchReader{}
	var environ []string
	for p := range 3 {
		path := "demo-kv/data/bench" + strconv.Itoa(p)
		data := map[string]string{}
		for k := range 7 {
			data["KEY_"+strconv.Itoa(k)] = "value-" + strconv.Itoa(k)
		}
		r[path] = &store.Secret{Path: path, Data: data}
		for k := range 7 {
			if len(environ) < 20 {
				environ = append(environ, "VAR_"+strconv.Itoa(p)+"_"+strconv.Itoa(k)+"=secrets-store:"+path+"#KEY_"+strconv.Itoa(k))
			}
		}
	}
	environ = append(environ, "PATH=/usr/bin:/bin", "HOME=/root", "HOSTNAME=app-0", "SECRETS_STORE_ROLE=myapp-role")
	cfg := testConfig()
	cfg.LogLevel = slog.LevelInfo // the default
	log := cfg.Logger(io.Discard, false)
	b.ReportAllocs()
	for b.Loop() {
		env, err := Resolve(b.Context(), cfg, r, environ, log)
		if err != nil || len(env) != 23 {
			b.Fatalf("got %d variables and %v, want 23 and nil", len(env), err)
		}
	}
}

// benchReader answers at once from memory, costing next to nothing.
type benchReader map[string]*store.Secret

func (r benchReader) Read(_ context.Context, _ store.Login, path string, _ int) (*store.Secret, error) {
	return r[path], nil
}

// The store client is the Reader the injector runs with.
var _ Reader = (*store.Client)(nil)
