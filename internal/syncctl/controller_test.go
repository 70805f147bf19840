// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncctl

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func tlsSpec() map[string]any {
	return map[string]any{
		"serviceAccountName": "web", "role": "web",
		"data": []any{
			map[string]any{"key": "tls.crt", "source": map[string]any{"path": "kv/data/web", "key": "crt"}},
			map[string]any{"key": "tls.key", "source": map[string]any{"path": "kv/data/web", "key": "key"}},
		},
		"target":                map[string]any{"name": "web-tls", "type": "kubernetes.io/tls", "labels": map[string]any{"team": "a"}},
		"rolloutRestartTargets": []any{map[string]any{"kind": "Deployment", "name": "web"}},
	}
}

// Create → the Secret with its type, keys, owner and label; a change in the
// store → the Secret updated after the interval and the target restarted
// once; nothing changed → no write, no restart.
func TestSyncLifecycle(t *testing.T) {
	h := newHarness(t)
	h.store.set("kv/data/web", map[string]any{"crt": "CERT-1", "key": valueTLSKey})
	h.create("web", tlsSpec())
	h.reconcile("web")

	s := h.secret("web-tls")
	if s.Type != corev1.SecretTypeTLS || string(s.Data["tls.crt"]) != "CERT-1" || string(s.Data["tls.key"]) != valueTLSKey {
		t.Fatalf("Secret: type %s, keys %v", s.Type, keysOf(s.Data))
	}
	if ref := metav1.GetControllerOf(s); ref == nil || ref.UID != "uid-web" || ref.Kind != Kind {
		t.Errorf("owner: %+v", ref)
	}
	if s.Labels[LabelSync] != "web" || s.Labels["team"] != "a" || s.Annotations[AnnotationSyncedFrom] != "app/web" {
		t.Errorf("metadata: labels %v annotations %v", s.Labels, s.Annotations)
	}
	res := h.status("web")
	first := res.Status.DataHMAC
	if condition(res, CondReady).Status != metav1.ConditionTrue || condition(res, CondSynced).Status != metav1.ConditionTrue ||
		!strings.HasPrefix(first, "hmac-sha256:") || res.Status.SecretName != "web-tls" || res.Status.ObservedGeneration != 1 {
		t.Fatalf("status after the first sync: %+v", res.Status)
	}
	if r := h.restarts(); len(r) != 0 {
		t.Errorf("the first sync restarted %v", r)
	}
	if ev := h.drainEvents(); len(ev) != 1 || ev[0] != "Normal Synced Secret web-tls: created with 2 keys read from the store" {
		t.Errorf("events of the first sync: %q", ev)
	}

	h.store.set("kv/data/web", map[string]any{"crt": "CERT-2", "key": valueTLSKey})
	h.reconcile("web") // within the interval: the shared read is still used
	if string(h.secret("web-tls").Data["tls.crt"]) != "CERT-1" {
		t.Error("the store was read again within the interval")
	}
	h.clock.add(time.Minute)
	h.reconcile("web")
	if got := string(h.secret("web-tls").Data["tls.crt"]); got != "CERT-2" {
		t.Fatalf("after the interval tls.crt is %q, want CERT-2", got)
	}
	if r := h.restarts(); len(r) != 1 || r[0] != "deployments/web" {
		t.Errorf("restarts after a change: %v, want one of deployments/web", r)
	}
	if h.status("web").Status.DataHMAC == first {
		t.Error("dataHMAC did not change with the data")
	}
	h.clock.add(time.Minute)
	h.reconcile("web")
	if r := h.restarts(); len(r) != 1 {
		t.Errorf("a refresh without a change restarted: %v", r)
	}
	h.noLeak(fmt.Sprint(h.status("web").Status), strings.Join(h.drainEvents(), "\n"))
}

// An edited or deleted Secret is restored from the shared read, without a
// request to the store.
func TestDriftRepaired(t *testing.T) {
	h := newHarness(t)
	h.store.set("kv/data/web", map[string]any{"crt": "CERT", "key": valueTLSKey})
	h.create("web", tlsSpec())
	h.reconcile("web")
	reads := h.store.count("read")

	s := h.secret("web-tls")
	s.Data["tls.key"] = []byte("edited")
	s.Labels["extra"] = "kept"
	if _, err := h.kube.CoreV1().Secrets(testNS).Update(t.Context(), s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.reconcile("web")
	s = h.secret("web-tls")
	if string(s.Data["tls.key"]) != valueTLSKey || s.Labels["extra"] != "kept" {
		t.Errorf("after an edit: tls.key restored %t, foreign label kept %t", string(s.Data["tls.key"]) == valueTLSKey, s.Labels["extra"] == "kept")
	}
	if err := h.kube.CoreV1().Secrets(testNS).Delete(t.Context(), "web-tls", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	h.reconcile("web")
	if string(h.secret("web-tls").Data["tls.crt"]) != "CERT" {
		t.Error("a deleted Secret was not created again")
	}
	if got := h.store.count("read"); got != reads {
		t.Errorf("drift repairs read the store %d times, want 0", got-reads)
	}
	if r := h.restarts(); len(r) != 0 {
		t.Errorf("a drift repair restarted %v: the data did not change", r)
	}
}

// A Secret of the name that the resource does not own is never touched.
func TestForeignSecretNotOverwritten(t *testing.T) {
	foreign := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "web-tls", Namespace: testNS}, Data: map[string][]byte{"mine": []byte("x")}}
	h := newHarness(t, foreign)
	h.store.set("kv/data/web", map[string]any{"crt": "CERT", "key": valueTLSKey})
	h.create("web", tlsSpec())
	h.reconcile("web")
	s := h.secret("web-tls")
	if string(s.Data["mine"]) != "x" || len(s.Data) != 1 || s.Type != "" {
		t.Errorf("the foreign Secret changed: keys %v type %q", keysOf(s.Data), s.Type)
	}
	res := h.status("web")
	for _, typ := range []string{CondSynced, CondReady} {
		if c := condition(res, typ); c.Status != metav1.ConditionFalse || c.Reason != ReasonSecretNotOwned {
			t.Errorf("%s: %s/%s, want False/%s", typ, c.Status, c.Reason, ReasonSecretNotOwned)
		}
	}
	if ev := strings.Join(h.drainEvents(), "\n"); !strings.Contains(ev, "Warning SecretNotOwned") || !strings.Contains(ev, "spec.target.name") {
		t.Errorf("events: %s", ev)
	}
}

// Store down: the Secret stays, Synced turns False (Ready stays True), and
// the resource recovers once the store is back.
func TestStoreDownKeepsSecret(t *testing.T) {
	h := newHarness(t)
	h.store.set("kv/data/web", map[string]any{"crt": "CERT", "key": valueTLSKey})
	h.create("web", tlsSpec())
	h.reconcile("web")
	h.store.setDown(true)
	h.clock.add(time.Minute)
	h.reconcile("web")
	if string(h.secret("web-tls").Data["tls.key"]) != valueTLSKey {
		t.Fatal("the Secret lost its data while the store was down")
	}
	res := h.status("web")
	if c := condition(res, CondSynced); c.Status != metav1.ConditionFalse || c.Reason != ReasonStoreError {
		t.Errorf("Synced: %s/%s %q, want False/StoreError", c.Status, c.Reason, c.Message)
	}
	if c := condition(res, CondReady); c.Status != metav1.ConditionTrue {
		t.Errorf("Ready: %s/%s, want True: the last good Secret is kept", c.Status, c.Reason)
	}
	if got := metricValue(t, h.c.metrics.resourceSynced.WithLabelValues(testNS, "web")); got != 0 {
		t.Errorf("resource_synced = %v while failing, want 0", got)
	}
	h.store.setDown(false)
	h.clock.add(errorReuse)
	h.reconcile("web")
	if c := condition(h.status("web"), CondSynced); c.Status != metav1.ConditionTrue {
		t.Errorf("after recovery Synced is %s/%s", c.Status, c.Reason)
	}
	if got := metricValue(t, h.c.metrics.resourceSynced.WithLabelValues(testNS, "web")); got != 1 {
		t.Errorf("resource_synced = %v after recovery, want 1", got)
	}
	h.noLeak(strings.Join(h.drainEvents(), "\n"))
}

// Many resources of one identity and path: one login and one read; another
// ServiceAccount logs in on its own with its own token request.
func TestReadsShared(t *testing.T) {
	h := newHarness(t)
	h.store.set("kv/data/shared", map[string]any{"password": valuePass})
	spec := func(sa string) map[string]any {
		return map[string]any{
			"serviceAccountName": sa, "role": "r",
			"data": []any{map[string]any{"key": "password", "source": map[string]any{"path": "kv/data/shared", "key": "password"}}},
		}
	}
	for i := range 20 {
		h.create(fmt.Sprintf("a%d", i), spec("sa-a"))
		h.create(fmt.Sprintf("b%d", i), spec("sa-b"))
	}
	for i := range 20 {
		h.reconcile(fmt.Sprintf("a%d", i))
		h.reconcile(fmt.Sprintf("b%d", i))
	}
	if got := h.store.count("read"); got != 2 {
		t.Errorf("store reads for 40 resources of 2 identities: %d, want 2", got)
	}
	if a, b := h.store.count("login:app/sa-a"), h.store.count("login:app/sa-b"); a != 1 || b != 1 {
		t.Errorf("logins: sa-a %d, sa-b %d, want 1 each", a, b)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.tokens) != 2 {
		t.Fatalf("token requests: %d, want 2", len(h.tokens))
	}
	if tr := h.tokens[0]; tr.ExpirationSeconds == nil || *tr.ExpirationSeconds != 600 || len(tr.Audiences) != 0 {
		t.Errorf("token request %+v: want 600 s and the API server's audience", tr)
	}
}

func keysOf(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// The type of a Secret cannot change and the controller never deletes one:
// a new spec.target.type waits, with a condition saying what to do, until
// the Secret is deleted, then the Secret is created with the new type.
func TestTypeChangeWaitsForDeletion(t *testing.T) {
	h := newHarness(t)
	h.store.set("kv/data/web", map[string]any{"crt": "CERT", "key": valueTLSKey})
	spec := tlsSpec()
	spec["target"] = map[string]any{"name": "web-tls"}
	h.create("web", spec)
	h.reconcile("web")
	h.updateSpec("web", tlsSpec())
	h.reconcile("web")
	c := condition(h.status("web"), CondSynced)
	if c.Reason != ReasonSecretNotUpdatable || !strings.Contains(c.Message, "delete the Secret") {
		t.Fatalf("Synced %s/%s %q, want SecretNotUpdatable saying to delete the Secret", c.Status, c.Reason, c.Message)
	}
	if h.secret("web-tls").Type != corev1.SecretTypeOpaque {
		t.Fatal("the Secret changed")
	}
	for _, a := range h.kube.Actions() {
		if a.GetVerb() == "delete" {
			t.Fatalf("the controller deleted %s", a.GetResource().Resource)
		}
	}
	if err := h.kube.CoreV1().Secrets(testNS).Delete(t.Context(), "web-tls", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	h.reconcile("web")
	if h.secret("web-tls").Type != corev1.SecretTypeTLS {
		t.Error("the Secret was not created with the new type")
	}
}

// Access revoked in the store (403 even after a new login): the Secret
// keeps its data and Synced says the store refused.
func TestPermissionRevokedKeepsSecret(t *testing.T) {
	h := newHarness(t)
	h.store.set("kv/data/web", map[string]any{"crt": "CERT", "key": valueTLSKey})
	h.create("web", tlsSpec())
	h.reconcile("web")
	h.store.mu.Lock()
	h.store.denied["kv/data/web"] = true
	h.store.mu.Unlock()
	logins := h.store.count("login")
	h.clock.add(time.Minute)
	h.reconcile("web")
	c := condition(h.status("web"), CondSynced)
	if c.Status != metav1.ConditionFalse || c.Reason != ReasonStoreError || !strings.Contains(c.Message, "kv/data/web") {
		t.Errorf("Synced %s/%s %q, want False/StoreError naming the path", c.Status, c.Reason, c.Message)
	}
	if h.store.count("login") == logins {
		t.Error("a 403 with a cached token gave up without a new login")
	}
	if string(h.secret("web-tls").Data["tls.key"]) != valueTLSKey {
		t.Error("the Secret lost its data when access was revoked")
	}
}
