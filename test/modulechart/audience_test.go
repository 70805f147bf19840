// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package modulechart

import (
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The install lets SecretsStoreImports ask for ExtraTokenAudience, and tokenAudience reaches
// the CSIDriver and both programs.
func TestRenderTokenAudiences(t *testing.T) {
	for _, tt := range []struct {
		audience string
		requests []string
		arg      string // "" means no --token-audience flag
	}{
		{audience: "", requests: []string{"", ExtraTokenAudience}},
		{audience: "secrets-store", requests: []string{"secrets-store", ExtraTokenAudience}, arg: "--token-audience=secrets-store"},
	} {
		s := fakeStack(t)
		values, err := Values(s, Options{AuthMount: "kubernetes_local", RotationInterval: 5 * time.Second, TokenAudience: tt.audience})
		if err != nil {
			t.Fatal(err)
		}
		objs, err := Render(s.RepoRoot, values)
		if err != nil {
			t.Fatal(err)
		}
		reqs, _, err := unstructured.NestedSlice(find(t, objs, "CSIDriver", DriverName).Object, "spec", "tokenRequests")
		if err != nil {
			t.Fatalf("CSIDriver spec.tokenRequests: %v", err)
		}
		var got []string
		for _, r := range reqs {
			req, ok := r.(map[string]any)
			if !ok {
				t.Fatalf("CSIDriver tokenRequest %v is %T, want an object", r, r)
			}
			aud, ok := req["audience"].(string)
			if !ok {
				t.Fatalf("CSIDriver tokenRequest %v: audience is not a string", req)
			}
			got = append(got, aud)
		}
		if !slices.Equal(got, tt.requests) {
			t.Errorf("tokenAudience %q: tokenRequests audiences %q, want %q", tt.audience, got, tt.requests)
		}
		for _, o := range []*unstructured.Unstructured{find(t, objs, "DaemonSet", csiDaemonSet), find(t, objs, "Deployment", webhookDeployment)} {
			args := containerArgs(t, o)
			has := slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--token-audience=") })
			if tt.arg == "" && has || tt.arg != "" && !slices.Contains(args, tt.arg) {
				t.Errorf("tokenAudience %q: %s args %q, want token audience flag %q", tt.audience, o.GetName(), args, tt.arg)
			}
		}
	}
}
