// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncctl

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A pull secret built by a template, dataFrom under the keys' own names,
// data overriding dataFrom, Base64 decoded.
func TestTemplatesAndDataFrom(t *testing.T) {
	h := newHarness(t)
	h.store.set("kv/data/registry", map[string]any{"username": valueUser, "password": valuePass})
	h.store.set("kv/data/all", map[string]any{"a": "1", "b": "2", "bin": base64.StdEncoding.EncodeToString([]byte{0, 1, 2})})
	h.create("pull", map[string]any{
		"serviceAccountName": "ci", "role": "ci",
		"data": []any{map[string]any{
			"key": ".dockerconfigjson", "source": map[string]any{"path": "kv/data/registry"},
			"template": `{"auths":{"registry.example.com":{"auth":"${ printf "%s:%s" .username .password | b64enc }"}}}`,
		}},
		"target": map[string]any{"type": "kubernetes.io/dockerconfigjson"},
	})
	h.create("all", map[string]any{
		"serviceAccountName": "ci", "role": "ci",
		"dataFrom": []any{map[string]any{"source": map[string]any{"path": "kv/data/all"}}},
		"data": []any{
			map[string]any{"key": "b", "source": map[string]any{"path": "kv/data/registry", "key": "username"}},
			map[string]any{"key": "raw", "decodeBase64": true, "source": map[string]any{"path": "kv/data/all", "key": "bin"}},
		},
	})
	h.reconcile("pull")
	h.reconcile("all")
	auth := base64.StdEncoding.EncodeToString([]byte(valueUser + ":" + valuePass))
	if got := string(h.secret("pull").Data[".dockerconfigjson"]); got != `{"auths":{"registry.example.com":{"auth":"`+auth+`"}}}` || h.secret("pull").Type != corev1.SecretTypeDockerConfigJson {
		t.Errorf("pull secret: type %s, document of %d bytes", h.secret("pull").Type, len(got))
	}
	all := h.secret("all").Data
	if string(all["a"]) != "1" || string(all["b"]) != valueUser || string(all["raw"]) != "\x00\x01\x02" || len(all) != 4 {
		t.Errorf("dataFrom + data: keys %v", keysOf(all))
	}
}

// Data that cannot make the Secret fails the sync with InvalidData, names
// the keys, quotes no value and writes nothing.
func TestInvalidData(t *testing.T) {
	h := newHarness(t)
	h.store.set("kv/data/web", map[string]any{"crt": "CERT", "key": valueTLSKey, "bad key": valuePass})
	cases := map[string]struct {
		spec map[string]any
		want string
	}{
		"tls without tls.key": {map[string]any{
			"serviceAccountName": "s", "role": "r", "target": map[string]any{"type": "kubernetes.io/tls"},
			"data": []any{map[string]any{"key": "tls.crt", "source": map[string]any{"path": "kv/data/web", "key": "crt"}}},
		}, "it lacks tls.key"},
		"dockerconfigjson not JSON": {map[string]any{
			"serviceAccountName": "s", "role": "r", "target": map[string]any{"type": "kubernetes.io/dockerconfigjson"},
			"data": []any{map[string]any{"key": ".dockerconfigjson", "source": map[string]any{"path": "kv/data/web", "key": "key"}}},
		}, `"auths" object`},
		"not base64": {map[string]any{
			"serviceAccountName": "s", "role": "r",
			"data": []any{map[string]any{"key": "k", "decodeBase64": true, "source": map[string]any{"path": "kv/data/web", "key": "key"}}},
		}, "not valid Base64"},
		"dataFrom key": {map[string]any{
			"serviceAccountName": "s", "role": "r",
			"dataFrom": []any{map[string]any{"source": map[string]any{"path": "kv/data/web"}}},
		}, `"bad key" is not a valid key`},
		"template fails": {map[string]any{
			"serviceAccountName": "s", "role": "r",
			"data": []any{map[string]any{"key": "k", "template": `${ fail "no" }`, "source": map[string]any{"path": "kv/data/web"}}},
		}, "template"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rname := strings.ToLower(strings.ReplaceAll(name, " ", "-"))
			h.create(rname, tc.spec)
			h.reconcile(rname)
			c := condition(h.status(rname), CondSynced)
			if c.Status != metav1.ConditionFalse || c.Reason != ReasonInvalidData || !strings.Contains(c.Message, tc.want) {
				t.Errorf("Synced %s/%s %q, want False/InvalidData with %q", c.Status, c.Reason, c.Message, tc.want)
			}
			if _, err := h.kube.CoreV1().Secrets(testNS).Get(t.Context(), rname, metav1.GetOptions{}); err == nil {
				t.Error("a Secret was written")
			}
			h.noLeak(c.Message)
		})
	}
}

// Failures before the store: an invalid spec (never retried until it
// changes), an audience the module does not allow, a ServiceAccount that
// does not exist.
func TestFailuresBeforeTheStore(t *testing.T) {
	h := newHarness(t)
	h.store.set("kv/data/web", map[string]any{"key": valueTLSKey})
	data := []any{map[string]any{"key": "k", "source": map[string]any{"path": "kv/data/web", "key": "key"}}}
	cases := map[string]struct {
		spec   map[string]any
		reason string
		want   string
	}{
		"bad-interval": {map[string]any{"serviceAccountName": "s", "role": "r", "refreshInterval": "5s", "data": data}, ReasonInvalidSpec, "spec.refreshInterval"},
		"reserved-label": {map[string]any{
			"serviceAccountName": "s", "role": "r", "data": data,
			"target": map[string]any{"labels": map[string]any{LabelSync: "x"}},
		}, ReasonInvalidSpec, "controller's own"},
		"audience":   {map[string]any{"serviceAccountName": "s", "role": "r", "audience": "other", "data": data}, ReasonAudienceNotAllowed, "additionalTokenAudiences"},
		"missing-sa": {map[string]any{"serviceAccountName": "missing", "role": "r", "data": data}, ReasonTokenRequestFailed, "ServiceAccount app/missing does not exist"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			h.create(name, tc.spec)
			h.reconcile(name)
			c := condition(h.status(name), CondSynced)
			if c.Reason != tc.reason || !strings.Contains(c.Message, tc.want) {
				t.Errorf("Synced %s/%s %q, want %s with %q", c.Status, c.Reason, c.Message, tc.reason, tc.want)
			}
		})
	}
	// An allowed extra audience is asked for in the token request.
	h.create("vault", map[string]any{"serviceAccountName": "s", "role": "r", "audience": "vault", "data": data})
	h.reconcile("vault")
	h.mu.Lock()
	defer h.mu.Unlock()
	last := h.tokens[len(h.tokens)-1]
	if len(last.Audiences) != 1 || last.Audiences[0] != "vault" {
		t.Errorf("token request audiences %v, want [vault]", last.Audiences)
	}
}

// A dynamic secret keeps its lease: renewed at 2/3 of it without a new read
// (so the Secret and its consumers keep their credentials), and read again
// when a renewal grants too little.
func TestLeasedSecret(t *testing.T) {
	h := newHarness(t)
	h.store.leaseTTL, h.store.renewTTL = 90, 90
	h.create("db", map[string]any{
		"serviceAccountName": "s", "role": "r", "refreshInterval": "10m",
		"data": []any{map[string]any{"key": "username", "source": map[string]any{"path": "db/creds/app", "key": "username"}}},
	})
	h.reconcile("db")
	user := string(h.secret("db").Data["username"])
	h.clock.add(61 * time.Second) // past 2/3 of 90 s
	h.reconcile("db")
	if h.store.count("renew") != 1 || h.store.count("read") != 1 || string(h.secret("db").Data["username"]) != user {
		t.Fatalf("at 2/3 of the lease: renewals %d, reads %d, username kept %t, want 1, 1, true",
			h.store.count("renew"), h.store.count("read"), string(h.secret("db").Data["username"]) == user)
	}
	h.store.renewTTL = 10 // the lease's maximum TTL is near
	h.clock.add(61 * time.Second)
	h.reconcile("db")
	if h.store.count("read") != 2 || string(h.secret("db").Data["username"]) == user {
		t.Errorf("a short renewal: reads %d, want 2 and new credentials", h.store.count("read"))
	}
}

// A template runs in the controller: file, env and the other functions that
// read the controller's surroundings are refused before anything is read.
func TestTemplateIsolated(t *testing.T) {
	h := newHarness(t)
	h.store.set("kv/data/web", map[string]any{"key": valueTLSKey})
	h.create("steal", map[string]any{
		"serviceAccountName": "s", "role": "r",
		"data": []any{map[string]any{
			"key": "token", "template": `${ file "/var/run/secrets/kubernetes.io/serviceaccount/token" }`,
			"source": map[string]any{"path": "kv/data/web"},
		}},
	})
	h.reconcile("steal")
	c := condition(h.status("steal"), CondSynced)
	if c.Reason != ReasonInvalidSpec || !strings.Contains(c.Message, "function file is not supported") {
		t.Errorf("Synced %s/%s %q, want InvalidSpec refusing file", c.Status, c.Reason, c.Message)
	}
	if h.store.count("read") != 0 {
		t.Error("the store was read for a refused template")
	}
}
