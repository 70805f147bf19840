// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncctl

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/deckhouse/secrets-store-integration/internal/store"
)

// FuzzBuildData: any key, value and template a store or a resource may hold
// builds a Secret or fails with an error that quotes no value; a Secret of a
// type always holds the keys the type requires.
func FuzzBuildData(f *testing.F) {
	f.Add("tls.crt", "VALUE-1", "", false, "kubernetes.io/tls")
	f.Add("k", "eyJhIjoxfQ==", "", true, "Opaque")
	f.Add(".dockerconfigjson", "VALUE-2", `{"auths":{"r":{"auth":"${ .k | b64enc }"}}}`, false, "kubernetes.io/dockerconfigjson")
	f.Add("bad key", "VALUE-3", "${ fail .k }", false, "kubernetes.io/basic-auth")
	f.Fuzz(func(t *testing.T, key, value, template string, decode bool, typ string) {
		const mark = "\x00MARK\x00"
		secretValue := mark + value
		sp := &Spec{
			ServiceAccountName: "sa", Role: "r",
			Data:     []DataItem{{Key: key, Source: Source{Path: "kv/data/a", Key: "k"}, DecodeBase64: decode}},
			DataFrom: []DataFromItem{{Source: Source{Path: "kv/data/a"}}},
			Target:   Target{Type: typ},
		}
		if template != "" {
			sp.Data[0].Source.Key, sp.Data[0].Template = "", template
		}
		if sp.validate() != nil {
			return
		}
		sec := &store.Secret{Path: "kv/data/a", Data: map[string]string{"k": secretValue, key: secretValue}}
		data, err := buildData(sp, map[source]*store.Secret{{path: "kv/data/a"}: sec})
		if err == nil {
			err = checkType(corev1.SecretType(typ), data)
		}
		if err != nil {
			if strings.Contains(err.Error(), mark) {
				t.Fatalf("the error quotes a value: %v", err)
			}
			return
		}
		for _, k := range secretTypes[corev1.SecretType(typ)].allOf {
			if _, ok := data[k]; !ok {
				t.Fatalf("type %s without its key %s", typ, k)
			}
		}
	})
}
