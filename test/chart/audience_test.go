// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package chart_test

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	storagev1 "k8s.io/api/storage/v1"
	"sigs.k8s.io/yaml"

	"github.com/deckhouse/secrets-store-integration/test/modulechart"
)

// tokenAudience and additionalTokenAudiences become the CSIDriver's tokenRequests and the
// programs' --token-audience; the API server's audience is requested only while tokenAudience
// is empty.
func TestTokenAudiences(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		requests []string
		flag     string // "" means no --token-audience
	}{
		{name: "defaults", settings: `{}`, requests: []string{""}},
		{name: "explicit defaults", settings: `{"tokenAudience": "", "additionalTokenAudiences": []}`, requests: []string{""}},
		{
			name:     "dedicated audience",
			settings: `{"tokenAudience": "secrets-store"}`,
			requests: []string{"secrets-store"}, flag: "--token-audience=secrets-store",
		},
		{
			name:     "dedicated and additional audiences",
			settings: `{"tokenAudience": "secrets-store", "additionalTokenAudiences": ["vault", "https://stronghold.example.com:8200"]}`,
			requests: []string{"secrets-store", "vault", "https://stronghold.example.com:8200"}, flag: "--token-audience=secrets-store",
		},
		{
			name:     "API audience and additional audiences",
			settings: `{"additionalTokenAudiences": ["vault"]}`,
			requests: []string{"", "vault"},
		},
	}
	ch := loadChart(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var settings map[string]any
			if err := yaml.Unmarshal([]byte(tt.settings), &settings); err != nil {
				t.Fatal(err)
			}
			values := modulechart.Merge(caseValues(t, renderCases[0]), map[string]any{"secretsStoreIntegration": settings})
			ms, err := render(t, ch, values, false)
			if err != nil {
				t.Fatal(err)
			}
			objs := decode(t, ms)
			d := one[*storagev1.CSIDriver](t, objs, "secrets-store.csi.deckhouse.io")
			var got []string
			for _, r := range d.Spec.TokenRequests {
				got = append(got, r.Audience)
				if r.ExpirationSeconds != nil {
					t.Errorf("audience %q: expirationSeconds %d, want kubelet's default", r.Audience, *r.ExpirationSeconds)
				}
			}
			if !slices.Equal(got, tt.requests) {
				t.Errorf("tokenRequests audiences %q, want %q", got, tt.requests)
			}
			ds := one[*appsv1.DaemonSet](t, objs, "csi-driver").Spec.Template.Spec.Containers[0].Args
			wh := one[*appsv1.Deployment](t, objs, webhookDeployment).Spec.Template.Spec.Containers[0].Args
			for name, args := range map[string][]string{"csi-driver": ds, "webhook": wh} {
				var flags []string
				for _, a := range args {
					if strings.HasPrefix(a, "--token-audience") {
						flags = append(flags, a)
					}
				}
				want := []string{tt.flag}
				if tt.flag == "" {
					want = nil
				}
				if !slices.Equal(flags, want) {
					t.Errorf("%s: token audience flags %q, want %q", name, flags, want)
				}
			}
		})
	}
}
