// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncctl

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	c, err := ParseFlags([]string{"--store-addr=https://s:8200", "--additional-token-audiences=a, b,a,", "--refresh-interval=5s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.AdditionalTokenAudiences, ",") != "a,b" || c.RefreshInterval != 5*time.Second || c.Store.AuthPath != "kubernetes_local" {
		t.Errorf("parsed %+v", c)
	}
	if !c.audienceAllowed("b") || !c.audienceAllowed("") || c.audienceAllowed("c") {
		t.Error("audienceAllowed does not follow tokenAudience and additionalTokenAudiences")
	}
	for _, bad := range [][]string{
		{"--refresh-interval=0s"},
		{"--refresh-interval=25h"},
		{"--workers=0"},
		{"--log-level=loud"},
		{"--token-audience= spaced"},
		{"extra"},
	} {
		if _, err := ParseFlags(bad, io.Discard); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}
