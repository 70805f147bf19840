// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package nriplugin

import (
	"strings"
	"testing"
)

// FuzzAdjustment checks that applying Adjustment(before, after) to before
// gives, for every name, the value getenv would return from after.
func FuzzAdjustment(f *testing.F) {
	f.Add("A=1\x00B=secrets-store:p#k\x00SECRETS_STORE_ROLE=r", "A=1\x00B=v")
	f.Add("A=1\x00A=2\x00junk\x00=x", "A=3\x00N=")
	f.Add("", "X=y")
	f.Fuzz(func(t *testing.T, b, a string) {
		before, after := strings.Split(b, "\x00"), strings.Split(a, "\x00")
		adj, err := Adjustment(before, after)
		if err != nil {
			if !strings.Contains(a, "-") {
				t.Fatalf("refused without a dash name: %v", err)
			}
			return
		}
		got := envMap(before, adj)
		want := map[string]string{}
		for _, kv := range after {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				continue
			}
			if _, dup := want[k]; !dup {
				want[k] = v
			}
		}
		for k := range got {
			if k == "" {
				continue
			}
			if _, ok := want[k]; !ok {
				if _, wasValid := firstValues(before).vals[k]; wasValid {
					t.Errorf("%q kept, want it removed", k)
				}
			}
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%q = %q, want %q", k, got[k], v)
			}
		}
	})
}

// FuzzParseSettings: no panic; accepted settings hold only control
// variables and valid container names.
func FuzzParseSettings(f *testing.F) {
	f.Add(`{"env":["SECRETS_STORE_ADDR=https://s:8200","SECRETS_STORE_ROLE=r"],"containers":["app"]}`)
	f.Add(`{"env":["PATH=/x"],"containers":["App"]}`)
	f.Add(`{"env":null,"containers":[]} {}`)
	f.Add(`{"extra":1}`)
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseSettings(s)
		if err != nil {
			return
		}
		for _, kv := range st.Env {
			if !strings.HasPrefix(kv, "SECRETS_STORE_") || !strings.Contains(kv, "=") {
				t.Errorf("accepted env entry %q", kv)
			}
		}
		for _, c := range st.Containers {
			if c == "" || len(c) > 63 {
				t.Errorf("accepted container name %q", c)
			}
		}
	})
}
