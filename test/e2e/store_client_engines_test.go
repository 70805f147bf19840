// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

// The store client (internal/store) on the real OpenBao beyond KV reads: the
// requests a first read sends, dynamic database credentials with their lease,
// lease and token renewal, PKI reads and writes.

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/store"
	"github.com/deckhouse/secrets-store-integration/test/stack"
)

type kindCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (k *kindCounter) OnRequest(kind string, _ time.Duration, _ error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.n == nil {
		k.n = map[string]int{}
	}
	k.n[kind]++
}

func (k *kindCounter) get() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return fmt.Sprintf("login %d mount %d read %d", k.n["login"], k.n["mount"], k.n["read"])
}

func TestStoreClientRequestCounts(t *testing.T) {
	setupStore(t)
	for i := range 10 {
		if _, err := stk.PutKV2(t.Context(), itKV2, fmt.Sprintf("cnt%d", i), map[string]any{"K": "v"}); err != nil {
			t.Fatal(err)
		}
	}
	reader := loginAs(itNS, itReader, "it-reader")
	for _, tt := range []struct{ name, format, want string }{
		{"with data/", itKV2 + "/data/cnt%d", "login 1 mount 0 read 10"},
		{"without data/", itKV2 + "/cnt%d", "login 1 mount 1 read 20"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var k kindCounter
			c := newStoreClient(t, store.Config{CAFile: stk.Env.CAFile}, store.WithObserver(&k))
			var wg sync.WaitGroup
			for i := range 10 {
				wg.Go(func() {
					s, err := c.Read(t.Context(), reader, fmt.Sprintf(tt.format, i), 0)
					if err != nil || s.Data["K"] != "v" {
						t.Errorf("read %d: %v", i, err)
					}
				})
			}
			wg.Wait()
			if got := k.get(); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	var k kindCounter
	c := newStoreClient(t, store.Config{CAFile: stk.Env.CAFile}, store.WithObserver(&k))
	if _, err := c.Read(t.Context(), reader, itKV1+"/app", 2); !errors.Is(err, store.ErrVersionUnsupported) {
		t.Errorf("kv1 pinned: got %v, want ErrVersionUnsupported", err)
	}
	if got := k.get(); got != "login 1 mount 0 read 1" {
		t.Errorf("kv1 pinned: got %s", got)
	}
}

func TestStoreClientEngines(t *testing.T) {
	setupStore(t)
	ctx := t.Context()
	pg, err := stk.StartPostgres(ctx)
	if err != nil {
		t.Fatalf("start postgresql: %v", err)
	}
	secretValue(pg.Password)
	const db, pki = "it-client-db", "it-client-pki"
	if err := stk.EnableDatabase(ctx, db, pg, "app", "10m", "1h"); err != nil {
		t.Fatal(err)
	}
	if err := stk.EnablePKI(ctx, pki, "web", "example.test", "1h"); err != nil {
		t.Fatal(err)
	}
	policy := stack.ReadPolicy(db+"/creds/*", pki+"/cert/ca") +
		fmt.Sprintf("path %q {\n  capabilities = [\"update\"]\n}\n", pki+"/issue/*")
	if err := stk.WritePolicy(ctx, "it-client-engines", policy); err != nil {
		t.Fatal(err)
	}
	if err := stk.WriteRole(ctx, AuthMount, "it-engines", itNS, itReader, "", "it-client-engines"); err != nil {
		t.Fatal(err)
	}
	l := loginAs(itNS, itReader, "it-engines")
	var k kindCounter
	c := newStoreClient(t, store.Config{CAFile: stk.Env.CAFile}, store.WithObserver(&k))

	creds, err := c.Read(ctx, l, db+"/creds/app", 0)
	if err != nil {
		t.Fatalf("database creds: %v", err)
	}
	secretValue(creds.Data["password"])
	if !strings.HasPrefix(creds.LeaseID, db+"/creds/app/") || creds.LeaseDuration != 10*time.Minute || !creds.Renewable {
		t.Errorf("lease: got %q %s %v", creds.LeaseID, creds.LeaseDuration, creds.Renewable)
	}
	if err := pg.CanLogin(ctx, creds.Data["username"], creds.Data["password"]); err != nil {
		t.Errorf("creds do not log in: %v", err)
	}
	lease, err := c.RenewLease(ctx, l, creds.LeaseID, 30*time.Minute)
	if err != nil || lease.ID != creds.LeaseID || lease.Duration != 30*time.Minute {
		t.Errorf("renew lease: got %+v, %v", lease, err)
	}
	_, err = c.RenewLease(ctx, l, db+"/creds/app/nonexistent", 0)
	if err == nil || strings.Contains(err.Error(), "nonexistent") || !strings.Contains(err.Error(), db+"/creds/app") {
		t.Errorf("unknown lease: got %v, want an error naming the lease's path, not its id", err)
	}
	if info, ok := c.TokenInfo(l); !ok || info.TTL != 10*time.Minute || !info.Renewable {
		t.Errorf("token info: got %+v %v, want the role's 10m, renewable", info, ok)
	}
	renewed, err := c.RenewToken(ctx, l)
	if err != nil || renewed.TTL <= 0 || !renewed.Renewable {
		t.Errorf("renew token: got %+v, %v", renewed, err)
	}

	ca, err := c.Read(ctx, l, pki+"/cert/ca", 0)
	if err != nil || !strings.Contains(ca.Data["certificate"], "BEGIN CERTIFICATE") {
		t.Errorf("pki ca: got %v, %v", ca, err)
	}
	cert, err := c.Write(ctx, l, pki+"/issue/web", map[string]any{"common_name": "app.example.test", "ttl": "10m"})
	if err != nil || !strings.Contains(cert.Data["certificate"], "BEGIN CERTIFICATE") || cert.Data["private_key"] == "" {
		t.Fatalf("pki issue: %v", err)
	}
	secretValue(cert.Data["private_key"])
	if _, ok := cert.Raw["ca_chain"].([]any); !ok {
		t.Errorf("raw ca_chain: got %T", cert.Raw["ca_chain"])
	}
	_, err = c.Write(ctx, l, pki+"/issue/web", map[string]any{"common_name": "app.other.test"})
	if err == nil || strings.Contains(err.Error(), "app.other.test") {
		t.Errorf("refused write: got %v, want an error without the body value", err)
	}
	_, err = c.Write(ctx, l, itKV2+"/data/app", map[string]any{"data": map[string]any{"K": "x"}})
	if !errors.Is(err, store.ErrPermissionDenied) {
		t.Errorf("denied write: got %v", err)
	}
	// No lookups: every path answered as written.
	if got := k.get(); got != "login 2 mount 0 read 2" {
		t.Errorf("got %s, want login 2 (one more after the denied write) mount 0 read 2", got)
	}
}
