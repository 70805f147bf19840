// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"io"
	"strings"
	"testing"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/deckhouse/secrets-store-integration/internal/ssi"
)

// withTokens sets the tokens kubelet sends, by audience.
func withTokens(byAudience map[string]string) reqOption {
	return func(r *csi.NodePublishVolumeRequest) { r.VolumeContext[ctxTokens] = tokensJSON(byAudience) }
}

// audienceSSI is the default resource with role "vault-role", which only
// the token with audience "vault" logs in to, and spec.audience aud.
func audienceSSI(name, aud string) *ssi.SecretsStoreImport {
	s := testSSI(name)
	s.Spec.Role, s.Spec.Audience = "vault-role", aud
	return s
}

// Which token is presented: spec.audience, else the module's tokenAudience;
// a missing token fails with a message naming the module setting to change.
func TestAudience(t *testing.T) {
	both := map[string]string{"": jwtApp, "vault": jwtVault}
	tests := []struct {
		name           string
		moduleAudience string // --token-audience
		specAudience   string
		tokens         map[string]string // what kubelet sends
		code           codes.Code
		message        string
	}{
		{name: "module audience", moduleAudience: "vault", tokens: map[string]string{"vault": jwtVault}},
		{name: "module audience among others", moduleAudience: "vault", tokens: both},
		{name: "spec audience", specAudience: "vault", tokens: both},
		{name: "spec audience equal to the module's", moduleAudience: "vault", specAudience: "vault", tokens: map[string]string{"vault": jwtVault}},
		{
			name: "API audience refused by the role", tokens: both,
			code: codes.PermissionDenied, message: `login as role "vault-role" at "auth/kubernetes_local" refused`,
		},
		{
			name: "spec audience not requested", moduleAudience: "secrets-store", specAudience: "vault",
			tokens: map[string]string{"secrets-store": jwtApp},
			code:   codes.FailedPrecondition,
			message: `SecretsStoreImport myapp-namespace/x asks for a token with audience "vault" (spec.audience), which the module does not request: ` +
				`add "vault" to additionalTokenAudiences in the settings of the secrets-store-integration module, or remove spec.audience to use the module's tokenAudience ("secrets-store")`,
		},
		{
			name: "module audience not requested", moduleAudience: "vault", tokens: map[string]string{"": jwtApp},
			code: codes.FailedPrecondition,
			message: `kubelet sent no token with the module's tokenAudience ("vault") for SecretsStoreImport myapp-namespace/x: ` +
				`the CSIDriver secrets-store.csi.deckhouse.io does not request it yet`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.cfg.TokenAudience = tt.moduleAudience
			h.start()
			h.ssis.put(audienceSSI("x", tt.specAudience))
			r := h.request(withSSI("x"), withTokens(tt.tokens))
			err := h.publish(r)
			if tt.message == "" {
				if err != nil {
					t.Fatalf("publish: %v", err)
				}
				if got := readFile(t, r.TargetPath, "db-password"); got != valuePass {
					t.Errorf("db-password: got %q, want the secret value", got)
				}
				return
			}
			if status.Code(err) != tt.code || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("got %v, want %v with %q", err, tt.code, tt.message)
			}
		})
	}
}

// A pod holds a token for every audience the module requests. A resource
// whose audience its role refuses still fails after another resource of the
// same role and ServiceAccount logged in with the right one: logins, store
// tokens and reads are never shared between audiences.
func TestAudiencesNotShared(t *testing.T) {
	h := newHarness(t)
	both := withTokens(map[string]string{"": jwtApp, "vault": jwtVault})
	h.ssis.put(audienceSSI("good", "vault"))
	h.ssis.put(audienceSSI("bad", ""))
	h.mustPublish(h.request(withSSI("good"), both))
	err := h.publish(h.request(withSSI("bad"), both))
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("resource with the API audience after a login with another: got %v, want PermissionDenied", err)
	}
	if got := h.store.count("login:" + saApp); got != 1 {
		t.Errorf("successful logins: got %d, want 1", got)
	}
}

func TestTokenAudienceFlag(t *testing.T) {
	for _, tt := range []struct {
		arg, want, err string
	}{
		{arg: "", want: ""},
		{arg: "--token-audience=secrets-store", want: "secrets-store"},
		{arg: "--token-audience=https://stronghold.example.com", want: "https://stronghold.example.com"},
		{arg: "--token-audience=a b", err: "token audience: audience \"a b\" has spaces"},
		{arg: "--token-audience=" + strings.Repeat("a", 257), err: "more than 256"},
	} {
		args := []string{"--node-name=n"}
		if tt.arg != "" {
			args = append(args, tt.arg)
		}
		c, err := ParseFlags(args, io.Discard)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: got %v, want an error with %q", tt.arg, err, tt.err)
		case tt.err == "" && (err != nil || c.TokenAudience != tt.want):
			t.Errorf("%s: got %q, %v, want %q", tt.arg, c.TokenAudience, err, tt.want)
		}
	}
}
