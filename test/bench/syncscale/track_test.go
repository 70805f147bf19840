// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncscale

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/cache"
)

func TestIndexOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		want int
		ok   bool
	}{
		{resourceName(0), 0, true},
		{resourceName(987), 987, true},
		{"s-x", 0, false},
		{"other-0001", 0, false},
		{"s--1", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := indexOf(tc.name)
			if got != tc.want || ok != tc.ok {
				t.Errorf("got %d, %t; want %d, %t", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// clock is a settable time for the tracker.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func secret(i int, value string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: resourceName(i), Namespace: namespace},
		Data:       map[string][]byte{valueKey: []byte(value)},
	}
}

func TestTrackerSecrets(t *testing.T) {
	t0 := time.Unix(1000, 0)
	c := &clock{t: t0}
	tr := newTracker(c.now)
	tr.onSecret(secret(3, storeValue(3, 1)))
	c.t = t0.Add(time.Second)
	tr.onSecret(secret(13, storeValue(3, 1)))
	tr.onSecret(secret(3, storeValue(3, 1))) // seen again: the first time stays
	tr.onSecret("not a secret")
	tr.onSecret(cache.DeletedFinalStateUnknown{Key: "x", Obj: secret(5, "")})
	if s, _, u := tr.counts(); s != 2 || u != 0 {
		t.Fatalf("before the change: got %d Secrets, %d updated; want 2, 0", s, u)
	}
	first, _ := tr.firstLast()
	if !first.Equal(t0) {
		t.Errorf("first Secret: got %s, want %s", first, t0)
	}

	written := map[int]time.Time{3: t0.Add(10 * time.Second)}
	tr.expect(3, storeValue(3, 2))
	c.t = t0.Add(20 * time.Second)
	tr.onSecret(secret(3, storeValue(3, 1))) // still the old value
	tr.onSecret(secret(13, storeValue(3, 2)))
	c.t = t0.Add(25 * time.Second)
	tr.onSecret(secret(3, storeValue(3, 2)))
	c.t = t0.Add(40 * time.Second)
	tr.onSecret(secret(3, storeValue(3, 2))) // updated again: the first time stays
	tr.onSecret(secret(4, storeValue(4, 2))) // path 4 is not expected to change
	got := tr.latencies(written)
	slices.Sort(got)
	if want := []time.Duration{10 * time.Second, 15 * time.Second}; !slices.Equal(got, want) {
		t.Errorf("latencies: got %v, want %v", got, want)
	}
	after := tr.afterFirst()
	slices.Sort(after)
	if want := []time.Duration{0, 5 * time.Second}; !slices.Equal(after, want) {
		t.Errorf("after the first of the path: got %v, want %v", after, want)
	}
	if s, _, u := tr.counts(); s != 3 || u != 2 {
		t.Errorf("after the change: got %d Secrets, %d updated; want 3, 2", s, u)
	}

	tr.newRound()
	tr.onSecret(secret(3, storeValue(3, 2))) // the previous round's value counts no more
	if s, _, u := tr.counts(); s != 3 || u != 0 {
		t.Errorf("a new round: got %d Secrets, %d updated; want 3, 0", s, u)
	}
}

func syncObject(i int, generation int64, conds ...map[string]any) *unstructured.Unstructured {
	u := resource(i)
	u.SetGeneration(generation)
	cs := make([]any, 0, len(conds))
	for _, c := range conds {
		cs = append(cs, c)
	}
	if len(cs) > 0 {
		u.Object["status"] = map[string]any{"conditions": cs}
	}
	return u
}

func cond(typ, status string, gen int64) map[string]any {
	return map[string]any{"type": typ, "status": status, "observedGeneration": gen}
}

func TestIsReady(t *testing.T) {
	for _, tc := range []struct {
		name string
		obj  *unstructured.Unstructured
		want bool
	}{
		{"no status", syncObject(1, 1), false},
		{"ready", syncObject(1, 1, cond("Synced", "True", 1), cond("Ready", "True", 1)), true},
		{"not ready", syncObject(1, 1, cond("Ready", "False", 1)), false},
		{"ready for an older generation", syncObject(1, 2, cond("Ready", "True", 1)), false},
		{"only synced", syncObject(1, 1, cond("Synced", "True", 1)), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := isReady(tc.obj); got != tc.want {
				t.Errorf("got %t, want %t", got, tc.want)
			}
		})
	}
}

func TestTrackerReady(t *testing.T) {
	t0 := time.Unix(1000, 0)
	c := &clock{t: t0}
	tr := newTracker(c.now)
	tr.onSync(syncObject(1, 1))
	c.t = t0.Add(time.Second)
	tr.onSync(syncObject(1, 1, cond("Ready", "True", 1)))
	c.t = t0.Add(3 * time.Second)
	tr.onSync(syncObject(2, 1, cond("Ready", "True", 1)))
	c.t = t0.Add(9 * time.Second)
	tr.onSync(syncObject(1, 1, cond("Ready", "True", 1))) // a later status write
	if _, r, _ := tr.counts(); r != 2 {
		t.Errorf("ready: got %d, want 2", r)
	}
	if _, last := tr.firstLast(); !last.Equal(t0.Add(3 * time.Second)) {
		t.Errorf("last Ready: got %s, want %s", last, t0.Add(3*time.Second))
	}
}

func TestResourceSpreadsIdentities(t *testing.T) {
	identities := map[string]string{}
	for i := range Resources {
		u := resource(i)
		sa, _, _ := unstructured.NestedString(u.Object, "spec", "serviceAccountName")
		data, _, _ := unstructured.NestedSlice(u.Object, "spec", "data")
		item, _ := data[0].(map[string]any)
		path, _, _ := unstructured.NestedString(item, "source", "path")
		if prev, ok := identities[sa]; ok && prev != path {
			t.Fatalf("ServiceAccount %s reads %s and %s: want one path per identity", sa, prev, path)
		}
		identities[sa] = path
	}
	if len(identities) != Identities {
		t.Errorf("got %d identities, want %d", len(identities), Identities)
	}
}

func TestSummarize(t *testing.T) {
	log := strings.Join([]string{
		`{"level":"INFO","msg":"Secret written","syncResource":"ns/a"}`,
		`{"level":"WARN","msg":"SecretsStoreSync not synced","reason":"StoreError"}`,
		`{"level":"WARN","msg":"SecretsStoreSync not synced","reason":"StoreError"}`,
		`{"level":"ERROR","msg":"controller stopped"}`,
		`panic: oops`,
	}, "\n")
	s := summarize(strings.NewReader(log))
	if s.lines != 5 {
		t.Errorf("lines: got %d, want 5", s.lines)
	}
	want := map[string]int{
		"WARN SecretsStoreSync not synced (StoreError)": 2,
		"ERROR controller stopped":                      1,
		"(not a JSON line)":                             1,
	}
	if !maps.Equal(s.bad, want) {
		t.Errorf("got %v, want %v", s.bad, want)
	}
	wantExamples := []string{
		`{"level":"WARN","msg":"SecretsStoreSync not synced","reason":"StoreError"}`,
		`{"level":"ERROR","msg":"controller stopped"}`,
		"panic: oops",
	}
	if !slices.Equal(s.examples, wantExamples) {
		t.Errorf("examples: got %q, want %q", s.examples, wantExamples)
	}
}
