// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package podmutate

import (
	"strings"
	"testing"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
)

// The module's tokenAudience reaches the projected token the injector logs
// in with; "" is the API server's audience.
func TestTokenVolumeAudience(t *testing.T) {
	for _, aud := range []string{"", "secrets-store", "https://stronghold.example.com:8200"} {
		d := testDefaults()
		d.TokenAudience = aud
		v := tokenVolume(d)
		if v.Name != envcontract.TokenVolumeName || v.Projected == nil || len(v.Projected.Sources) != 1 ||
			v.Projected.Sources[0].ServiceAccountToken == nil {
			t.Fatalf("token volume %+v, want one projected ServiceAccount token", v)
		}
		if got := v.Projected.Sources[0].ServiceAccountToken.Audience; got != aud {
			t.Errorf("audience: got %q, want %q", got, aud)
		}
	}
}

func TestDefaultsTokenAudience(t *testing.T) {
	for _, tt := range []struct {
		aud, err string
	}{
		{aud: ""},
		{aud: "secrets-store"},
		{aud: "https://stronghold.example.com:8200"},
		{aud: "secrets store", err: `token audience "secrets store" has spaces`},
		{aud: "aud\n", err: "control"},
		{aud: strings.Repeat("a", 257), err: "more than 256"},
	} {
		d := testDefaults()
		d.TokenAudience = tt.aud
		err := d.Validate()
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%q: got %v, want no error", tt.aud, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%q: got %v, want an error with %q", tt.aud, err, tt.err)
		}
	}
}
