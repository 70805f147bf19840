// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package storeconn

import (
	"errors"
	"strings"
	"testing"
)

// The connection of a resource: module settings overridden field by field;
// the key separates what must not share clients.
func TestOf(t *testing.T) {
	d := Defaults{Address: "https://module:8200", AuthPath: "kubernetes_local", Namespace: "ns", CAFile: "/ca.pem"}
	base, err := Of(d, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if base.cfg.Address != d.Address || base.AuthPath() != d.AuthPath || base.cfg.Namespace != "ns" || base.cfg.CAFile != "/ca.pem" {
		t.Errorf("defaults: got %+v", base)
	}
	own, _ := Of(d, Overrides{Address: "https://other:8200", AuthPath: "remote", Namespace: "finance", CACert: "PEM"})
	if own.cfg.Address != "https://other:8200" || own.authPath != "remote" || own.cfg.Namespace != "finance" ||
		own.cfg.CAFile != "" || string(own.Config().CACert) != "PEM" {
		t.Errorf("overrides: got %+v", own)
	}
	skip, _ := Of(d, Overrides{SkipTLSVerify: true})
	if !skip.cfg.SkipTLSVerify || skip.cfg.CAFile != "" {
		t.Errorf("skip verify: got %+v", skip)
	}
	if base.Key() == skip.Key() || base.Key() == own.Key() {
		t.Error("connections with different TLS settings share a key")
	}
	sameStore, _ := Of(d, Overrides{AuthPath: "auth/kubernetes_local/"})
	if sameStore.key != base.key || sameStore.Identity("r", "a/b") != base.Identity("r", "a/b") {
		t.Error("equal connections written differently got different keys")
	}
	if base.Identity("r", "ns/a") == base.Identity("r", "ns/b") || base.Identity("r1", "ns/a") == base.Identity("r2", "ns/a") ||
		base.ForAudience("").Identity("r", "ns/a") == base.ForAudience("secrets-store").Identity("r", "ns/a") {
		t.Error("different identities share a key")
	}
	_, err = Of(Defaults{}, Overrides{Kind: "SecretsStoreSync"})
	if !errors.Is(err, ErrSettings) || !strings.Contains(err.Error(), "spec.address in the SecretsStoreSync") {
		t.Errorf("no address: got %v, want an ErrSettings error naming the kind", err)
	}
}

// One client per key; a bad configuration is an ErrSettings error.
func TestClients(t *testing.T) {
	cs := NewClients()
	a, _ := Of(Defaults{Address: "https://a:8200"}, Overrides{})
	b, _ := Of(Defaults{Address: "https://b:8200"}, Overrides{})
	ca1, err := cs.Get(a)
	if err != nil {
		t.Fatal(err)
	}
	ca2, _ := cs.Get(a)
	cb, _ := cs.Get(b)
	if ca1 != ca2 || ca1 == cb {
		t.Error("clients are not one per connection key")
	}
	bad, _ := Of(Defaults{Address: "https://c:8200"}, Overrides{CACert: "not a certificate"})
	if _, err := cs.Get(bad); !errors.Is(err, ErrSettings) {
		t.Errorf("bad CA: got %v, want ErrSettings", err)
	}
}
