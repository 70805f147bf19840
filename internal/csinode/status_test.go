// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deckhouse/secrets-store-integration/internal/ssi"
)

// flushStatus writes what the reporter has gathered and returns the status
// and the number of writes made by this flush.
func (h *harness) flushStatus() (ssi.Status, int) {
	h.t.Helper()
	_, before := h.ssis.status("myapp-namespace", "myapp-ssi")
	h.svc.status.flush(h.t.Context())
	st, after := h.ssis.status("myapp-namespace", "myapp-ssi")
	return st, after - before
}

func condition(t *testing.T, st ssi.Status, typ string) metav1.Condition {
	t.Helper()
	c := meta.FindStatusCondition(st.Conditions, typ)
	if c == nil {
		t.Fatalf("condition %s missing: %+v", typ, st.Conditions)
	}
	return *c
}

func setGeneration(h *harness, gen int64, edit func(*ssi.SecretsStoreImport)) {
	s, err := h.ssis.Get(h.t.Context(), "myapp-namespace", "myapp-ssi")
	if err != nil {
		h.t.Fatal(err)
	}
	s.Generation = gen
	if edit != nil {
		edit(s)
	}
	h.ssis.put(s)
}

func TestStatusBurstOfPodsIsOneWrite(t *testing.T) {
	h := newHarness(t)
	setGeneration(h, 1, nil)
	for range 50 {
		h.mustPublish(h.request())
	}
	st, writes := h.flushStatus()
	if writes != 1 {
		t.Errorf("status writes after 50 publishes: got %d, want 1", writes)
	}
	if st.Pods != 50 || len(st.Nodes) != 1 || st.Nodes[0].Name != "node-1" || st.Nodes[0].Pods != 50 {
		t.Errorf("pods: got %d, nodes %+v; want 50 on node-1", st.Pods, st.Nodes)
	}
	v := condition(t, st, ssi.CondValid)
	if v.Status != metav1.ConditionTrue || v.Reason != ssi.ReasonRead || v.ObservedGeneration != 1 {
		t.Errorf("Valid: got %+v, want True/Read for generation 1", v)
	}
	if u := condition(t, st, ssi.CondUpToDate); u.Status != metav1.ConditionTrue {
		t.Errorf("UpToDate: got %+v, want True", u)
	}
	if st.LastRotationTime != nil {
		t.Errorf("lastRotationTime: got %v, want none before any rotation", st.LastRotationTime)
	}
	// Nothing changed: nothing to write.
	if _, writes := h.flushStatus(); writes != 0 {
		t.Errorf("status writes with nothing new: got %d, want 0", writes)
	}
}

func TestStatusRotation(t *testing.T) {
	h := newHarness(t)
	setGeneration(h, 1, nil)
	a, b := h.request(), h.request()
	h.mustPublish(a)
	h.mustPublish(b)
	h.flushStatus()

	// An unchanged refresh of both volumes writes nothing.
	h.clock.advance(DefaultRotationInterval)
	h.mustPublish(a)
	h.mustPublish(b)
	if _, writes := h.flushStatus(); writes != 0 {
		t.Errorf("status writes after unchanged refreshes: got %d, want 0", writes)
	}

	// New content: both volumes take it, one write.
	h.store.setValue(secretPath, "DB_PASS", valueNew)
	h.clock.advance(DefaultRotationInterval)
	rotatedAt := h.clock.now().Truncate(time.Second)
	h.mustPublish(a)
	h.clock.advance(time.Minute)
	h.mustPublish(b)
	st, writes := h.flushStatus()
	if writes != 1 {
		t.Errorf("status writes after a rotation of two volumes: got %d, want 1", writes)
	}
	if st.LastRotationTime == nil || !st.LastRotationTime.Time.Equal(rotatedAt) {
		t.Errorf("lastRotationTime: got %v, want %v", st.LastRotationTime, rotatedAt)
	}

	// A failing store: UpToDate turns False once, naming the node.
	h.store.set(func(f *fakeStore) { f.sealed = true })
	for range 3 {
		h.clock.advance(DefaultRotationInterval)
		h.mustPublish(a)
		h.mustPublish(b)
	}
	st, writes = h.flushStatus()
	if writes != 1 {
		t.Errorf("status writes after failed refreshes: got %d, want 1", writes)
	}
	u := condition(t, st, ssi.CondUpToDate)
	if u.Status != metav1.ConditionFalse || u.Reason != ssi.ReasonRotationFailed ||
		!strings.Contains(u.Message, "node-1: ") || !strings.Contains(u.Message, "store unavailable") {
		t.Errorf("UpToDate: got %+v, want False/RotationFailed naming node-1 and the error", u)
	}
	if v := condition(t, st, ssi.CondValid); v.Status != metav1.ConditionTrue {
		t.Errorf("Valid: got %+v, want True: an unavailable store says nothing about the resource", v)
	}
	h.clock.advance(DefaultRotationInterval)
	h.mustPublish(a)
	if _, writes = h.flushStatus(); writes != 0 {
		t.Errorf("status writes after the same failure again: got %d, want 0", writes)
	}

	h.store.set(func(f *fakeStore) { f.sealed = false })
	h.clock.advance(DefaultRotationInterval)
	h.mustPublish(a)
	st, _ = h.flushStatus()
	if u := condition(t, st, ssi.CondUpToDate); u.Status != metav1.ConditionTrue || st.Nodes[0].RotationError != "" {
		t.Errorf("UpToDate after recovery: got %+v, node %+v; want True", u, st.Nodes[0])
	}
}

func TestStatusValid(t *testing.T) {
	h := newHarness(t)
	// The role may not read this path.
	setGeneration(h, 1, func(s *ssi.SecretsStoreImport) {
		s.Spec.Files = []ssi.File{{Name: "x", Source: ssi.Source{Path: "demo-kv/data/other", Key: "k"}}}
	})
	r := h.request()
	if err := h.publish(r); err == nil {
		t.Fatal("publish succeeded, want permission denied")
	}
	st, writes := h.flushStatus()
	v := condition(t, st, ssi.CondValid)
	if writes != 1 || v.Status != metav1.ConditionFalse || v.Reason != ssi.ReasonPermissionDenied || v.ObservedGeneration != 1 ||
		!strings.Contains(v.Message, "myapp-namespace/myapp-1") {
		t.Errorf("Valid after %d writes: got %+v, want False/PermissionDenied naming the pod", writes, v)
	}
	if st.Pods != 0 || len(st.Nodes) != 0 || meta.FindStatusCondition(st.Conditions, ssi.CondUpToDate) != nil {
		t.Errorf("status without pods: got %+v", st)
	}
	// kubelet retries: the same verdict writes nothing.
	_ = h.publish(r)
	if _, writes := h.flushStatus(); writes != 0 {
		t.Errorf("status writes for a repeated failure: got %d, want 0", writes)
	}

	// An unavailable store says nothing about the resource.
	setGeneration(h, 2, func(s *ssi.SecretsStoreImport) { s.Spec.Files = testSSI("x").Spec.Files })
	h.store.set(func(f *fakeStore) { f.sealed = true })
	_ = h.publish(r)
	st, _ = h.flushStatus()
	if v := condition(t, st, ssi.CondValid); v.ObservedGeneration != 1 {
		t.Errorf("Valid after an unavailable store: got %+v, want the verdict of generation 1 kept", v)
	}

	h.store.set(func(f *fakeStore) { f.sealed = false })
	h.clock.advance(time.Minute) // past the failure kept by the read cache
	h.mustPublish(r)
	st, _ = h.flushStatus()
	if v := condition(t, st, ssi.CondValid); v.Status != metav1.ConditionTrue || v.ObservedGeneration != 2 {
		t.Errorf("Valid after the fix: got %+v, want True for generation 2", v)
	}
	if st.Pods != 1 {
		t.Errorf("pods: got %d, want 1", st.Pods)
	}
}

func TestStatusUnpublish(t *testing.T) {
	h := newHarness(t)
	a, b := h.request(), h.request()
	h.mustPublish(a)
	h.mustPublish(b)
	if st, _ := h.flushStatus(); st.Pods != 2 {
		t.Fatalf("pods: got %d, want 2", st.Pods)
	}
	if err := h.unpublish(a); err != nil {
		t.Fatal(err)
	}
	if st, _ := h.flushStatus(); st.Pods != 1 || st.Nodes[0].Pods != 1 {
		t.Errorf("pods after one unpublish: got %d, nodes %+v; want 1", st.Pods, st.Nodes)
	}
	if err := h.unpublish(b); err != nil {
		t.Fatal(err)
	}
	st, _ := h.flushStatus()
	if st.Pods != 0 || len(st.Nodes) != 0 || meta.FindStatusCondition(st.Conditions, ssi.CondUpToDate) != nil {
		t.Errorf("status after the last unpublish: got %+v, want no pods, no nodes, no UpToDate", st)
	}
	if meta.FindStatusCondition(st.Conditions, ssi.CondValid) == nil {
		t.Error("Valid was removed with the last pod, want it kept")
	}
	h.svc.status.mu.Lock()
	parts := len(h.svc.status.parts)
	h.svc.status.mu.Unlock()
	if parts != 0 {
		t.Errorf("parts kept after the last pod: %d, want 0", parts)
	}
}

func TestStatusOtherNodes(t *testing.T) {
	h := newHarness(t)
	h.nodes = map[string]bool{"node-2": true}
	old := metav1.NewTime(h.clock.now().Add(-time.Hour))
	rotated := metav1.NewTime(h.clock.now().Add(-30 * time.Minute))
	setGeneration(h, 1, func(s *ssi.SecretsStoreImport) {
		s.Status.Nodes = []ssi.NodeStatus{
			{Name: "node-0-gone", Pods: 2, LastUpdateTime: old},
			{Name: "node-2", Pods: 3, RotationError: "store unavailable (HTTP 503)", LastRotationTime: &rotated, LastUpdateTime: old},
		}
	})
	h.ssis.conflicts = 2 // two other nodes write first
	h.mustPublish(h.request())
	st, writes := h.flushStatus()
	if writes != 1 {
		t.Errorf("writes: got %d, want 1", writes)
	}
	var names []string
	for _, n := range st.Nodes {
		names = append(names, n.Name)
	}
	if strings.Join(names, ",") != "node-1,node-2" || st.Pods != 4 {
		t.Errorf("nodes %v, pods %d: want node-1,node-2 (the removed node dropped) and 4 pods", names, st.Pods)
	}
	if st.LastRotationTime == nil || !st.LastRotationTime.Equal(&rotated) {
		t.Errorf("lastRotationTime: got %v, want node-2's %v", st.LastRotationTime, rotated)
	}
	u := condition(t, st, ssi.CondUpToDate)
	if u.Status != metav1.ConditionFalse || !strings.Contains(u.Message, "1 of 2 nodes") || !strings.Contains(u.Message, "node-2: store unavailable") {
		t.Errorf("UpToDate: got %+v, want False naming node-2", u)
	}
}

func TestStatusResyncAfterRestart(t *testing.T) {
	h := newHarness(t)
	h.ssis.put(testSSI("left-behind"))
	// An entry of this node for a resource none of its volumes uses any
	// longer (its pods went away while the plugin was down).
	s, _ := h.ssis.Get(t.Context(), "myapp-namespace", "left-behind")
	s.Status = ssi.Status{Pods: 1, Nodes: []ssi.NodeStatus{{Name: "node-1", Pods: 1}}}
	h.ssis.put(s)
	h.mustPublish(h.request())
	h.start() // a restart: nothing gathered survives
	each := func(fn func(*ssi.SecretsStoreImport)) {
		for _, name := range []string{"myapp-ssi", "left-behind"} {
			s, _ := h.ssis.Get(t.Context(), "myapp-namespace", name)
			fn(s)
		}
	}
	h.svc.status.resync(each, h.svc.states.used())
	h.svc.status.flush(t.Context())
	if st, _ := h.ssis.status("myapp-namespace", "left-behind"); st.Pods != 0 || len(st.Nodes) != 0 {
		t.Errorf("left-behind after resync: got %+v, want no pods", st)
	}
	if st, _ := h.ssis.status("myapp-namespace", "myapp-ssi"); st.Pods != 1 {
		t.Errorf("myapp-ssi after resync: got %d pods, want 1", st.Pods)
	}
}

func TestStatusRunWritesGatheredChanges(t *testing.T) {
	h := newHarness(t)
	h.cfg.StatusDelay = 20 * time.Millisecond
	h.start()
	for range 20 {
		h.mustPublish(h.request())
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- h.svc.RunStatus(ctx, func() bool { return true }, func(func(*ssi.SecretsStoreImport)) {})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, writes := h.ssis.status("myapp-namespace", "myapp-ssi")
		if writes > 0 {
			if writes != 1 || st.Pods != 20 {
				t.Errorf("got %d writes, %d pods; want one write of 20 pods", writes, st.Pods)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no status write")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("RunStatus: %v", err)
	}
}
