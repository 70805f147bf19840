// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package openapi_test

import (
	"strings"
	"testing"
)

func TestTokenAudienceSettings(t *testing.T) {
	long := strings.Repeat("a", 257)
	tests := []struct {
		name     string
		settings string
		want     []string // each must appear in some error; none means valid
	}{
		{name: "defaults", settings: `{}`},
		{name: "dedicated audience", settings: `{"tokenAudience": "secrets-store"}`},
		{name: "url audience", settings: `{"tokenAudience": "https://stronghold.example.com:8200"}`},
		{name: "additional audiences", settings: `{"tokenAudience": "secrets-store", "additionalTokenAudiences": ["vault", "https://vault.example.com"]}`},
		{name: "additional with the API audience", settings: `{"additionalTokenAudiences": ["vault"]}`},
		{name: "audience with a space", settings: `{"tokenAudience": "secrets store"}`, want: []string{"tokenAudience"}},
		{name: "audience too long", settings: `{"tokenAudience": "` + long + `"}`, want: []string{"tokenAudience"}},
		{name: "empty additional audience", settings: `{"additionalTokenAudiences": [""]}`, want: []string{"additionalTokenAudiences"}},
		{
			name:     "duplicate additional audience",
			settings: `{"additionalTokenAudiences": ["vault", "a", "vault"]}`,
			want:     []string{"additionalTokenAudiences lists an audience more than once: list each audience once."},
		},
		{
			name:     "additional repeats tokenAudience",
			settings: `{"tokenAudience": "vault", "additionalTokenAudiences": ["vault"]}`,
			want:     []string{"additionalTokenAudiences repeats tokenAudience: every volume already gets a token for tokenAudience; remove it from additionalTokenAudiences."},
		},
		{name: "too many additional audiences", settings: `{"additionalTokenAudiences": ["a1","a2","a3","a4","a5","a6","a7","a8","a9"]}`, want: []string{"additionalTokenAudiences"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := validateSettings(t, fromJSON(t, tt.settings))
			if len(tt.want) == 0 {
				if len(errs) != 0 {
					t.Errorf("rejected:\n%s", strings.Join(errs, "\n"))
				}
				return
			}
			all := strings.Join(errs, "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("errors lack %q:\n%s", w, all)
				}
			}
		})
	}
}
