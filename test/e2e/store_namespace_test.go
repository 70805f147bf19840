// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"net/http"
	"os"
	"testing"

	"github.com/deckhouse/secrets-store-integration/internal/store"
	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// The client sends the store namespace (X-Vault-Namespace) on login and reads: the same
// auth path, role and secret path resolve inside namespace team-a only.
func TestStoreNamespace(t *testing.T) {
	setupStore(t)
	ctx := t.Context()
	if err := stk.StoreAPI(ctx, http.MethodPost, "sys/namespaces/team-a", map[string]any{}, nil); err != nil {
		t.Fatalf("create store namespace: %v", err)
	}
	ns := stk.InNamespace("team-a")
	steps := []func() error{
		func() error { return ns.EnableKubernetesAuth(ctx, AuthMount) },
		func() error { return ns.EnableKV(ctx, "team-kv", 2) },
		func() error {
			_, err := ns.PutKV2(ctx, "team-kv", "app", map[string]any{"TOKEN": secretValue("team-a-value")})
			return err
		},
		func() error { return ns.WritePolicy(ctx, "team-read", stack.ReadPolicy("team-kv/data/app")) },
		func() error { return ns.WriteRole(ctx, AuthMount, "team-reader", itNS, itReader, "", "team-read") },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("prepare namespace team-a: %v", err)
		}
	}
	login := loginAs(itNS, itReader, "team-reader")
	s, err := newStoreClient(t, store.Config{CAFile: stk.Env.CAFile, Namespace: "team-a"}).Read(ctx, login, "team-kv/data/app", 0)
	if err != nil {
		t.Fatalf("read in namespace team-a: %v", err)
	}
	if got, _ := s.Value("TOKEN"); got != "team-a-value" {
		t.Fatalf("got %q, want team-a-value", got)
	}
	// Without the namespace the role does not exist at the root.
	if _, err := newStoreClient(t, store.Config{CAFile: stk.Env.CAFile}).Read(ctx, login, "team-kv/data/app", 0); err == nil {
		t.Fatal("read without the namespace succeeded, want an error")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
