// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"strings"
	"testing"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"

	"github.com/deckhouse/secrets-store-integration/internal/ssi"
)

// dynamicSSI puts a SecretsStoreImport of database credentials from the fake store's
// leasing path.
func dynamicSSI(h *harness) {
	h.ssis.put(testSSI("myapp-ssi",
		ssi.File{Name: "username", Source: ssi.Source{Path: "dyn-db/creds/app", Key: "username"}},
		ssi.File{Name: "password", Source: ssi.Source{Path: "dyn-db/creds/app", Key: "password"}},
	))
}

// twoDynamicVolumes publishes two volumes of the credentials and returns when.
func twoDynamicVolumes(t *testing.T) (h *harness, a, b *csi.NodePublishVolumeRequest, start time.Time) {
	t.Helper()
	h = newHarness(t)
	dynamicSSI(h)
	start = h.clock.now()
	a, b = h.request(), h.request()
	h.mustPublish(a)
	h.mustPublish(b)
	return h, a, b, start
}

// A lease is renewed while volumes use it, never read again while the store extends it,
// and read again (new credentials, swapped into every volume) a margin before its max TTL
// ends.
func TestLeaseRenewedThenReadAgainBeforeMaxTTL(t *testing.T) {
	h, a, b, start := twoDynamicVolumes(t)
	if got := h.store.count("issue"); got != 1 {
		t.Fatalf("credentials issued for two volumes: %d, want 1", got)
	}
	user1 := readFile(t, a.TargetPath, "username")
	reissuedAt := time.Duration(0)
	for h.clock.now().Sub(start) < 70*time.Minute {
		h.clock.advance(DefaultRotationInterval)
		h.mustPublish(a)
		h.mustPublish(b)
		age := h.clock.now().Sub(start)
		if issued := h.store.count("issue"); issued > 1 && reissuedAt == 0 {
			reissuedAt = age
		}
		// The old lease ends at its max TTL (1h): the new credentials must be in both
		// volumes before.
		if age >= time.Hour && reissuedAt == 0 {
			t.Fatalf("at %s the lease (max TTL 1h) ended and no new credentials were read", age)
		}
		if ua, ub := readFile(t, a.TargetPath, "username"), readFile(t, b.TargetPath, "username"); ua != ub {
			t.Fatalf("at %s the volumes hold different credentials: %s and %s", age, ua, ub)
		}
	}
	if renewals := h.store.count("renew"); renewals < 10 {
		t.Errorf("renewals: %d, want the lease renewed along its hour (every few minutes)", renewals)
	}
	// Renewed until the store granted less than asked (at 52 minutes), then read again a
	// margin (two rotation intervals) before the end.
	if reissuedAt < 50*time.Minute || reissuedAt > 58*time.Minute {
		t.Errorf("new credentials read at %s, want between 50m and 58m (max TTL 1h, margin 4m)", reissuedAt)
	}
	if got := h.store.count("issue"); got != 2 {
		t.Errorf("credentials issued in 70 minutes: %d, want 2 (one renewed lease, then one more)", got)
	}
	if user2 := readFile(t, a.TargetPath, "username"); user2 == user1 {
		t.Errorf("username still %s after the re-read", user2)
	}
	if rotations(t, h, resultUpdated) != 2 {
		t.Errorf("updated rotations: %v, want 2 (one per volume)", rotations(t, h, resultUpdated))
	}
}

// A lease the store refuses to renew (revoked) is read again at the next refresh.
func TestLeaseRevokedIsReadAgain(t *testing.T) {
	h := newHarness(t)
	dynamicSSI(h)
	r := h.request()
	h.mustPublish(r)
	h.store.set(func(f *fakeStore) { clear(f.leases) })
	h.clock.advance(3 * DefaultRotationInterval) // past the renewal time (5m, half the lease)
	h.mustPublish(r)
	if got := h.store.count("renew"); got != 1 {
		t.Fatalf("renewals: %d, want 1", got)
	}
	h.clock.advance(DefaultRotationInterval)
	h.mustPublish(r)
	if got := h.store.count("issue"); got != 2 {
		t.Errorf("issued: %d, want a new lease after the renewal was refused", got)
	}
}

// A store that cannot be reached at renewal keeps the lease in use and renewal is tried
// again.
func TestLeaseRenewalRetriedWhenStoreDown(t *testing.T) {
	h := newHarness(t)
	dynamicSSI(h)
	r := h.request()
	h.mustPublish(r)
	h.store.set(func(f *fakeStore) { f.sealed = true })
	h.clock.advance(3 * DefaultRotationInterval) // past the renewal time (5m, half the lease)
	h.mustPublish(r)
	h.store.set(func(f *fakeStore) { f.sealed = false })
	h.clock.advance(DefaultRotationInterval)
	h.mustPublish(r)
	if issued, renewed := h.store.count("issue"), h.store.count("renew"); issued != 1 || renewed != 1 {
		t.Errorf("issued %d, renewed %d: want the lease kept and renewed once the store is back", issued, renewed)
	}
	if evs := h.events.list(); len(evs) != 0 {
		t.Errorf("events: %+v, want none: the files were never out of date", evs)
	}
}

// A write source: one write serves every file of it (certificate and key match), its body
// is sent as written, and the answer is written again a margin before its expiration.
func TestWriteSourceReissuedBeforeExpiration(t *testing.T) {
	h := newHarness(t)
	body := map[string]any{"common_name": "app.example.test", "ttl": "1h"}
	h.ssis.put(testSSI("myapp-ssi",
		ssi.File{Name: "tls.crt", Source: ssi.Source{Path: "pki/issue/web", Key: "certificate", Write: body}},
		ssi.File{Name: "tls.key", Source: ssi.Source{Path: "pki/issue/web", Key: "private_key", Write: map[string]any{"ttl": "1h", "common_name": "app.example.test"}}},
	))
	r, other := h.request(), h.request()
	h.mustPublish(r)
	h.mustPublish(other)
	if got := h.store.count("write"); got != 1 {
		t.Fatalf("writes for two volumes of one body: %d, want 1", got)
	}
	h.store.set(func(f *fakeStore) {
		if len(f.writes) != 1 || f.writes[0]["common_name"] != "app.example.test" || f.writes[0]["ttl"] != "1h" {
			t.Errorf("write bodies: %v", f.writes)
		}
	})
	crt, key := readFile(t, r.TargetPath, "tls.crt"), readFile(t, r.TargetPath, "tls.key")
	if strings.TrimPrefix(crt, "CERT-") != strings.TrimPrefix(key, "VALUE-SECRET-key-") {
		t.Errorf("certificate %q and key %q come from different writes", crt, key)
	}
	for range 19 { // 38 minutes: the certificate (1h) is used as it is
		h.clock.advance(DefaultRotationInterval)
		h.mustPublish(r)
	}
	if got := h.store.count("write"); got != 1 {
		t.Errorf("writes in 38 minutes: %d, want 1", got)
	}
	for range 11 { // to 60 minutes: written again a third of its life (20m) before the end
		h.clock.advance(DefaultRotationInterval)
		h.mustPublish(r)
	}
	if got := h.store.count("write"); got != 2 {
		t.Errorf("writes in 60 minutes: %d, want 2", got)
	}
	if got := readFile(t, r.TargetPath, "tls.crt"); got == crt {
		t.Errorf("certificate not replaced before it expired")
	}
}

func TestSourceKeyOfWrite(t *testing.T) {
	read := keyOf(ssi.Source{Path: "pki/issue/web", Key: "certificate"})
	w1 := keyOf(ssi.Source{Path: "pki/issue/web", Key: "certificate", Write: map[string]any{"b": 1, "a": "x"}})
	w2 := keyOf(ssi.Source{Path: "pki/issue/web", Key: "private_key", Write: map[string]any{"a": "x", "b": 1}})
	empty := keyOf(ssi.Source{Path: "pki/issue/web", Key: "certificate", Write: map[string]any{}})
	if w1 != w2 || w1 == read || empty == read || empty == w1 || read.cacheKey() == empty.cacheKey() {
		t.Errorf("keys: read %+v, writes %+v %+v, empty write %+v", read, w1, w2, empty)
	}
	if w1.write != `{"a":"x","b":1}` {
		t.Errorf("write body %q, want the canonical JSON", w1.write)
	}
}

// Without any republish from kubelet, the plugin's own maintenance renews the lease and,
// when the store stops extending it, reads new credentials and writes them into every
// volume before the old ones end.
func TestLeaseMaintainedWithoutRepublish(t *testing.T) {
	h, a, b, start := twoDynamicVolumes(t)
	user1 := readFile(t, a.TargetPath, "username")
	tick := h.cfg.maintainTick()
	var replacedAt time.Duration
	for h.clock.now().Sub(start) < 65*time.Minute {
		h.clock.advance(tick)
		h.svc.maintainLeases(t.Context())
		age := h.clock.now().Sub(start)
		ua, ub := readFile(t, a.TargetPath, "username"), readFile(t, b.TargetPath, "username")
		if ua != ub {
			t.Fatalf("at %s the volumes hold different users %s and %s", age, ua, ub)
		}
		if ua != user1 && replacedAt == 0 {
			replacedAt = age
		}
		if age >= time.Hour && replacedAt == 0 {
			t.Fatalf("at %s the lease (max TTL 1h) ended and the volumes still hold it", age)
		}
	}
	if got := h.store.count("issue"); got != 2 {
		t.Errorf("credentials issued: %d, want 2", got)
	}
	if renewals := h.store.count("renew"); renewals < 10 {
		t.Errorf("renewals: %d, want the lease renewed along its hour", renewals)
	}
	if replacedAt < 50*time.Minute || replacedAt > 58*time.Minute {
		t.Errorf("volumes took new credentials at %s, want between 50m and 58m", replacedAt)
	}
	// Once no volume uses it, the lease is left to end: no renewal, no read.
	if err := h.unpublish(a); err != nil {
		t.Fatal(err)
	}
	if err := h.unpublish(b); err != nil {
		t.Fatal(err)
	}
	issued, renewed := h.store.count("issue"), h.store.count("renew")
	for range 100 {
		h.clock.advance(tick)
		h.svc.maintainLeases(t.Context())
	}
	if h.store.count("issue") != issued || h.store.count("renew") != renewed {
		t.Errorf("after the last unpublish: issued %d → %d, renewed %d → %d; want nothing more",
			issued, h.store.count("issue"), renewed, h.store.count("renew"))
	}
}

// A store that cannot be reached when the lease must be read again leaves the files as
// they are; the read is tried at every maintenance until it succeeds.
func TestLeaseReadAgainRetriedWhileStoreDown(t *testing.T) {
	h, a, _, start := twoDynamicVolumes(t)
	user1 := readFile(t, a.TargetPath, "username")
	tick := h.cfg.maintainTick()
	for h.clock.now().Sub(start) < 55*time.Minute {
		h.clock.advance(tick)
		h.svc.maintainLeases(t.Context())
	}
	h.store.set(func(f *fakeStore) { f.sealed = true })
	for h.clock.now().Sub(start) < 58*time.Minute {
		h.clock.advance(tick)
		h.svc.maintainLeases(t.Context())
	}
	if got := readFile(t, a.TargetPath, "username"); got != user1 {
		t.Fatalf("username %s while the store was down, want the files kept", got)
	}
	if !strings.Contains(h.logs.String(), "failed, retrying") {
		t.Errorf("no warning about the failed read in the log:\n%s", h.logs.String())
	}
	h.store.set(func(f *fakeStore) { f.sealed = false })
	h.clock.advance(tick)
	h.svc.maintainLeases(t.Context())
	if got := readFile(t, a.TargetPath, "username"); got == user1 {
		t.Errorf("username still %s after the store came back, want new credentials", got)
	}
}
