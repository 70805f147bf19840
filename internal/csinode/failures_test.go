// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/deckhouse/secrets-store-integration/internal/ssi"
)

// Every failed first publish returns a code and a message naming the
// resource, file, path and key, and leaves nothing behind.
func TestPublishFailures(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(h *harness) *ssi.SecretsStoreImport
		opts    []reqOption
		code    codes.Code
		message string
	}{
		{
			name: "missing key",
			setup: func(*harness) *ssi.SecretsStoreImport {
				return testSSI("x", ssi.File{Name: "db-password", Source: ssi.Source{Path: secretPath, Key: "DB_PASSWORD"}})
			},
			code:    codes.NotFound,
			message: `SecretsStoreImport myapp-namespace/x, file "db-password": key "DB_PASSWORD" not found in secret "demo-kv/data/myapp-secret": the secret has keys DB_PASS, DB_USER`,
		},
		{
			name: "missing path",
			setup: func(*harness) *ssi.SecretsStoreImport {
				return testSSI("x", ssi.File{Name: "a", Source: ssi.Source{Path: "demo-kv/data/empty", Key: "k"}})
			},
			code:    codes.NotFound,
			message: `SecretsStoreImport myapp-namespace/x, file "a": secret "demo-kv/data/empty" not found: check the path`,
		},
		{
			name: "denied",
			setup: func(*harness) *ssi.SecretsStoreImport {
				s := testSSI("x")
				s.Spec.Role = "other-role"
				return s
			},
			code:    codes.PermissionDenied,
			message: `SecretsStoreImport myapp-namespace/x, files "db-password", "db-user": role "other-role" may not read secret "demo-kv/data/myapp-secret"`,
		},
		{
			name: "login refused",
			setup: func(*harness) *ssi.SecretsStoreImport {
				s := testSSI("x")
				s.Spec.Role = "ghost-role"
				return s
			},
			code:    codes.PermissionDenied,
			message: `login as role "ghost-role" at "auth/kubernetes_local" refused`,
		},
		{
			name:    "unknown resource",
			setup:   func(*harness) *ssi.SecretsStoreImport { return nil },
			opts:    []reqOption{withSSI("nope")},
			code:    codes.NotFound,
			message: "SecretsStoreImport myapp-namespace/nope not found: create it in the pod's namespace",
		},
		{
			name: "invalid resource",
			setup: func(*harness) *ssi.SecretsStoreImport {
				return testSSI("x", ssi.File{Name: "../escape", Source: ssi.Source{Path: secretPath, Key: "DB_PASS"}})
			},
			code:    codes.FailedPrecondition,
			message: "SecretsStoreImport myapp-namespace/x: spec.files[0].name",
		},
		{
			name: "store down",
			setup: func(h *harness) *ssi.SecretsStoreImport {
				h.store.set(func(f *fakeStore) { f.sealed = true })
				return testSSI("x")
			},
			code:    codes.Unavailable,
			message: "store unavailable (HTTP 503)",
		},
		{
			name: "no token for the audience",
			setup: func(*harness) *ssi.SecretsStoreImport {
				s := testSSI("x")
				s.Spec.Audience = "vault"
				return s
			},
			code:    codes.FailedPrecondition,
			message: `SecretsStoreImport myapp-namespace/x asks for a token with audience "vault" (spec.audience), which the module does not request: add "vault" to additionalTokenAudiences`,
		},
		{
			name: "too large",
			setup: func(*harness) *ssi.SecretsStoreImport {
				return testSSI("x", ssi.File{Name: "big", Source: ssi.Source{Path: "demo-kv/data/binary", Key: "big"}})
			},
			code:    codes.ResourceExhausted,
			message: "more than its size of 4096 KiB",
		},
		{
			name: "no store address",
			setup: func(h *harness) *ssi.SecretsStoreImport {
				h.cfg.Store.Address = ""
				h.start()
				return testSSI("x")
			},
			code:    codes.FailedPrecondition,
			message: "no store address: set spec.address",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			opts := tt.opts
			if s := tt.setup(h); s != nil {
				h.ssis.put(s)
				opts = append(opts, withSSI(s.Name))
			}
			r := h.request(opts...)
			err := h.publish(r)
			if status.Code(err) != tt.code || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("got %v, want %v with %q", err, tt.code, tt.message)
			}
			if _, err := os.Lstat(r.TargetPath); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("target after a failed publish: got %v, want it removed", err)
			}
			if _, mounted := h.mounter.options(r.TargetPath); mounted {
				t.Error("tmpfs still mounted after a failed publish")
			}
			if _, ok := h.svc.states.get(r.TargetPath); ok {
				t.Error("state recorded for a failed publish")
			}
			if got := counter(t, h.svc.metrics.publishes.WithLabelValues(resultFailed, tt.code.String())); got != 1 {
				t.Errorf("failed publishes with code %v: got %v, want 1", tt.code, got)
			}
		})
	}
}
