// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/container-storage-interface/spec/lib/go/csi"
	corev1 "k8s.io/api/core/v1"
)

// published returns a harness with one published volume.
func published(t *testing.T) (*harness, *csi.NodePublishVolumeRequest) {
	t.Helper()
	h := newHarness(t)
	r := h.request()
	h.mustPublish(r)
	return h, r
}

func rotations(t *testing.T, h *harness, result string) float64 {
	t.Helper()
	return counter(t, h.svc.metrics.rotations.WithLabelValues(result))
}

func TestRefreshNotDue(t *testing.T) {
	h, r := published(t)
	before := h.store.count("read") + h.store.count("login") + h.store.count("mount")
	h.clock.advance(DefaultRotationInterval - 1)
	h.mustPublish(r)
	if after := h.store.count("read") + h.store.count("login") + h.store.count("mount"); after != before {
		t.Errorf("store requests: got %d more, want none before the interval has passed", after-before)
	}
	for _, res := range []string{resultUnchanged, resultUpdated, resultFailed} {
		if got := rotations(t, h, res); got != 0 {
			t.Errorf("rotations %s: got %v, want 0", res, got)
		}
	}
}

func TestRefreshUnchanged(t *testing.T) {
	h, r := published(t)
	link := dataLink(t, r.TargetPath)
	h.clock.advance(DefaultRotationInterval)
	h.mustPublish(r)
	if got := h.store.count("read"); got != 2 {
		t.Errorf("store reads: got %d, want 2", got)
	}
	if got := dataLink(t, r.TargetPath); got != link {
		t.Errorf("..data: got %q, want %q (unchanged content writes nothing)", got, link)
	}
	if got := rotations(t, h, resultUnchanged); got != 1 {
		t.Errorf("unchanged rotations: got %v, want 1", got)
	}
	if evs := h.events.list(); len(evs) != 0 {
		t.Errorf("events: got %+v, want none", evs)
	}
}

func TestRefreshChanged(t *testing.T) {
	h, r := published(t)
	link := dataLink(t, r.TargetPath)
	v1, _ := h.svc.states.get(r.TargetPath)
	h.store.setValue(secretPath, "DB_PASS", valueNew)
	h.clock.advance(DefaultRotationInterval)
	h.mustPublish(r)
	if got := readFile(t, r.TargetPath, "db-password"); got != valueNew {
		t.Errorf("db-password: got %q, want the new value", got)
	}
	if got := dataLink(t, r.TargetPath); got == link {
		t.Errorf("..data: still %q, want a new payload", got)
	}
	v2, _ := h.svc.states.get(r.TargetPath)
	if v2.Version == v1.Version || !v2.LastSuccess.Equal(h.clock.now()) {
		t.Errorf("state: got version %s (was %s), last success %v, want a new version now", v2.Version, v1.Version, v2.LastSuccess)
	}
	if got := rotations(t, h, resultUpdated); got != 1 {
		t.Errorf("updated rotations: got %v, want 1", got)
	}
	evs := h.events.list()
	if len(evs) != 1 || evs[0].reason != ReasonRotated || evs[0].eventType != corev1.EventTypeNormal || evs[0].obj.Kind != "Pod" {
		t.Errorf("events: got %+v, want one Normal %s on the pod", evs, ReasonRotated)
	}
}

func TestRefreshFailureKeepsFiles(t *testing.T) {
	h, r := published(t)
	link := dataLink(t, r.TargetPath)
	h.store.set(func(f *fakeStore) { f.sealed = true })
	h.clock.advance(DefaultRotationInterval)
	if err := h.publish(r); err != nil {
		t.Fatalf("republish during an outage: got %v, want success (the files stay valid)", err)
	}
	if got := readFile(t, r.TargetPath, "db-password"); got != valuePass {
		t.Errorf("db-password: got %q, want the last good value", got)
	}
	if got := dataLink(t, r.TargetPath); got != link {
		t.Errorf("..data: got %q, want %q", got, link)
	}
	if got := rotations(t, h, resultFailed); got != 1 {
		t.Errorf("failed rotations: got %v, want 1", got)
	}
	evs := h.events.list()
	kinds := map[string]recordedEvent{}
	for _, e := range evs {
		kinds[e.obj.Kind] = e
	}
	pod, res := kinds["Pod"], kinds["SecretsStoreImport"]
	if len(evs) != 2 || pod.reason != ReasonRotationFailed || res.reason != ReasonRotationFailed ||
		pod.eventType != corev1.EventTypeWarning || res.eventType != corev1.EventTypeWarning {
		t.Fatalf("events: got %+v, want a Warning %s on the pod and on the SecretsStoreImport", evs, ReasonRotationFailed)
	}
	if pod.obj.Name != r.VolumeContext[ctxPodName] || pod.obj.UID != r.VolumeContext[ctxPodUID] ||
		res.obj.Name != "myapp-ssi" || res.obj.UID != "uid-myapp-ssi" || res.obj.APIVersion != "deckhouse.io/v1alpha1" {
		t.Errorf("event objects: got %+v and %+v", pod.obj, res.obj)
	}
	for _, want := range []string{"keep their last content", "store unavailable", "SecretsStoreImport myapp-namespace/myapp-ssi"} {
		if !strings.Contains(pod.note, want) {
			t.Errorf("pod event: got %q, want it to contain %q", pod.note, want)
		}
	}
	if !strings.HasPrefix(res.note, "pod myapp-namespace/"+r.VolumeContext[ctxPodName]+": ") {
		t.Errorf("resource event: got %q, want it to name the pod", res.note)
	}

	// The next attempt comes one interval later, and succeeds once the store
	// is back.
	h.store.set(func(f *fakeStore) { f.sealed = false })
	h.clock.advance(DefaultRotationInterval / 2)
	h.mustPublish(r)
	if got := rotations(t, h, resultUnchanged); got != 0 {
		t.Errorf("unchanged rotations before the interval: got %v, want 0", got)
	}
	h.clock.advance(DefaultRotationInterval / 2)
	h.mustPublish(r)
	if got := rotations(t, h, resultUnchanged); got != 1 {
		t.Errorf("unchanged rotations after recovery: got %v, want 1", got)
	}
	if vs, _ := h.svc.states.get(r.TargetPath); vs.Failures != 0 || !vs.LastSuccess.Equal(h.clock.now()) {
		t.Errorf("state after recovery: got %+v", vs)
	}
}

func TestRefreshResourceDeleted(t *testing.T) {
	h, r := published(t)
	h.ssis.remove("myapp-namespace/myapp-ssi")
	h.clock.advance(DefaultRotationInterval)
	h.mustPublish(r)
	if got := readFile(t, r.TargetPath, "db-password"); got != valuePass {
		t.Errorf("db-password: got %q, want the last good value", got)
	}
	evs := h.events.list()
	if len(evs) != 1 || evs[0].obj.Kind != "Pod" || !strings.Contains(evs[0].note, "not found: create it") {
		t.Errorf("events: got %+v, want one on the pod naming the missing resource", evs)
	}
}

// A thousand volumes of one identity and path cost one read and one login;
// one interval later, their refreshes cost one more read.
func TestReadCacheSharing(t *testing.T) {
	h := newHarness(t)
	const volumes, workers = 1000, 16
	reqs := make([]*csi.NodePublishVolumeRequest, volumes)
	for i := range reqs {
		reqs[i] = h.request()
	}
	publishAll := func() {
		var wg sync.WaitGroup
		next := make(chan *csi.NodePublishVolumeRequest)
		for range workers {
			wg.Go(func() {
				for r := range next {
					if _, err := h.svc.NodePublishVolume(t.Context(), r); err != nil {
						t.Errorf("publish %s: %v", r.VolumeId, err)
					}
				}
			})
		}
		for _, r := range reqs {
			next <- r
		}
		close(next)
		wg.Wait()
	}
	publishAll()
	if got := h.store.count("read"); got > 1 {
		t.Errorf("store reads for %d volumes: got %d, want at most 1", volumes, got)
	}
	if got := h.store.count("login"); got > 1 {
		t.Errorf("logins for %d volumes: got %d, want at most 1", volumes, got)
	}
	h.clock.advance(DefaultRotationInterval)
	publishAll()
	if got := h.store.count("read"); got > 2 {
		t.Errorf("store reads after one rotation: got %d, want at most 2", got)
	}
	if got := h.store.count("login") + h.store.count("read") + h.store.count("mount"); got > 4 {
		t.Errorf("all store requests: got %d, want at most 4 (login, mount lookup, two reads)", got)
	}
	if got := rotations(t, h, resultUnchanged); got != volumes {
		t.Errorf("unchanged rotations: got %v, want %d", got, volumes)
	}
	if hits := counter(t, h.svc.metrics.cacheLookups.WithLabelValues(resultHit)); hits < 2*volumes-2 {
		t.Errorf("read cache hits: got %v, want at least %d", hits, 2*volumes-2)
	}
	if got := h.svc.reads.len(); got != 1 {
		t.Errorf("read cache entries: got %d, want 1", got)
	}
}

// After a restart the plugin keeps serving the volumes it published: no
// refresh before the interval, a refresh after it.
func TestStateSurvivesRestart(t *testing.T) {
	h, r := published(t)
	gone := h.request()
	h.mustPublish(gone)
	// The pod of "gone" was cleaned up while the plugin was down.
	h.mounter.mu.Lock()
	delete(h.mounter.mounted, gone.TargetPath)
	h.mounter.mu.Unlock()
	if err := os.RemoveAll(gone.TargetPath); err != nil {
		t.Fatal(err)
	}

	h.start()
	if _, ok := h.svc.states.get(r.TargetPath); !ok {
		t.Fatal("state of the published volume lost after restart")
	}
	if _, ok := h.svc.states.get(gone.TargetPath); ok {
		t.Error("state of a removed target kept after restart")
	}
	if got := gauge(t, h.svc.metrics.volumes); got != 1 {
		t.Errorf("volumes gauge: got %v, want 1", got)
	}
	reads := h.store.count("read")
	h.mustPublish(r)
	if got := h.store.count("read"); got != reads {
		t.Errorf("store reads right after restart: got %d more, want none", got-reads)
	}
	h.store.setValue(secretPath, "DB_PASS", valueNew)
	h.clock.advance(DefaultRotationInterval)
	h.mustPublish(r)
	if got := readFile(t, r.TargetPath, "db-password"); got != valueNew {
		t.Errorf("db-password after restart and rotation: got %q, want the new value", got)
	}
	if got := rotations(t, h, resultUpdated); got != 1 {
		t.Errorf("updated rotations: got %v, want 1", got)
	}
}

// A mounted volume with files but without state (state lost) is refreshed,
// never failed: an outage must not take files from a running pod.
func TestAdoptVolumeWithoutState(t *testing.T) {
	h, r := published(t)
	if err := os.RemoveAll(h.cfg.StateDir); err != nil {
		t.Fatal(err)
	}
	h.start()
	h.store.set(func(f *fakeStore) { f.sealed = true })
	if err := h.publish(r); err != nil {
		t.Fatalf("republish of an adopted volume during an outage: got %v, want success", err)
	}
	if got := readFile(t, r.TargetPath, "db-password"); got != valuePass {
		t.Errorf("db-password: got %q, want the last good value", got)
	}
	if got := rotations(t, h, resultFailed); got != 1 {
		t.Errorf("failed rotations: got %v, want 1", got)
	}
}
