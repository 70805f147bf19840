// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"sync"
	"time"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// The seed's test environment (seed 004, "Preparing a test environment"), shared by the
// injection and CSI scenarios: kv v2 at demo-kv, myapp-ro-policy, myapp-role bound to
// myapp-sa in myapp-namespace.
const (
	seedNS     = "myapp-namespace"
	seedSA     = "myapp-sa"
	seedRole   = "myapp-role"
	seedKV     = "demo-kv"
	seedPolicy = "myapp-ro-policy"
)

// seedVersions records the KV versions written for demo-kv/myapp-secret.
var seedVersions []int

var seedFixture = sync.OnceValue(func() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	steps := []func() error{
		func() error { return stack.EnsureServiceAccount(ctx, kube, seedNS, seedSA) },
		func() error { return stk.EnableKV(ctx, seedKV, 2) },
		func() error {
			for _, pass := range []string{secretValue("old-password"), secretValue("secret-password")} {
				v, err := stk.PutKV2(ctx, seedKV, "myapp-secret", map[string]any{"DB_USER": "username", "DB_PASS": pass})
				if err != nil {
					return err
				}
				seedVersions = append(seedVersions, v)
			}
			return nil
		},
		func() error {
			_, err := stk.PutKV2(ctx, seedKV, "common-secret", map[string]any{"COMMON_SETTING": "shared", "DB_USER": "common-user"})
			return err
		},
		func() error {
			return stk.WritePolicy(ctx, seedPolicy, stack.ReadPolicy(seedKV+"/data/myapp-secret", seedKV+"/data/common-secret"))
		},
		func() error { return stk.WriteRole(ctx, AuthMount, seedRole, seedNS, seedSA, "10m", seedPolicy) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
})
