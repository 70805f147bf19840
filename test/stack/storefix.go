// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package stack

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Store fixtures: what an administrator does with `d8 stronghold` or curl (seed 004's test
// environment), done through the store's HTTP API with the root token.

// EnableKV mounts a key-value engine of the given version (1 or 2) at mount; an existing
// mount is kept.
func (s *Stack) EnableKV(ctx context.Context, mount string, version int) error {
	err := s.StoreAPI(ctx, http.MethodPost, "sys/mounts/"+mount, map[string]any{
		"type": "kv", "options": map[string]string{"version": fmt.Sprint(version)},
	}, nil)
	if err != nil && !strings.Contains(err.Error(), "path is already in use") {
		return err
	}
	if version != 2 {
		return nil
	}
	// A new KV v2 mount upgrades its storage first and answers 400 "Upgrading from
	// non-versioned to versioned data" until it is done.
	return Poll(ctx, 30*time.Second, func(ctx context.Context) (bool, error) {
		return s.StoreAPI(ctx, http.MethodGet, mount+"/config", nil, nil) == nil, nil
	})
}

// PutKV2 writes a new version of a KV v2 secret (path without "data/": mount and name) and
// returns the version number the store gave it.
func (s *Stack) PutKV2(ctx context.Context, mount, name string, data map[string]any) (int, error) {
	var out struct {
		Data struct {
			Version int `json:"version"`
		} `json:"data"`
	}
	err := s.StoreAPI(ctx, http.MethodPut, mount+"/data/"+name, map[string]any{"data": data}, &out)
	return out.Data.Version, err
}

// PutKV1 writes a KV v1 secret.
func (s *Stack) PutKV1(ctx context.Context, mount, name string, data map[string]any) error {
	return s.StoreAPI(ctx, http.MethodPut, mount+"/"+name, data, nil)
}

// WritePolicy creates or replaces an ACL policy.
func (s *Stack) WritePolicy(ctx context.Context, name, hcl string) error {
	return s.StoreAPI(ctx, http.MethodPut, "sys/policies/acl/"+name, map[string]string{"policy": hcl}, nil)
}

// ReadPolicy returns the HCL text of a policy allowing read on each path.
func ReadPolicy(paths ...string) string {
	var b strings.Builder
	for _, p := range paths {
		fmt.Fprintf(&b, "path %q {\n  capabilities = [\"read\"]\n}\n", p)
	}
	return b.String()
}

// WriteRole creates a kubernetes auth role at auth/<mount>/role/<name> bound to a
// ServiceAccount, with the seed's recommended token TTL of 10 minutes unless ttl is set.
func (s *Stack) WriteRole(ctx context.Context, mount, name, namespace, serviceAccount, ttl string, policies ...string) error {
	if ttl == "" {
		ttl = "10m"
	}
	return s.StoreAPI(ctx, http.MethodPut, "auth/"+mount+"/role/"+name, map[string]any{
		"bound_service_account_names":      serviceAccount,
		"bound_service_account_namespaces": namespace,
		"policies":                         strings.Join(policies, ","),
		"ttl":                              ttl,
	}, nil)
}
