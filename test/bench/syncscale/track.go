// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncscale

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/deckhouse/secrets-store-integration/internal/syncctl"
)

// tracker records, from the watches, when each resource's Secret first appeared, when the
// resource was first Ready, and, once the store was changed, when its Secret first held the
// new value. Times are taken when the watch delivers the object.
type tracker struct {
	now func() time.Time

	mu      sync.Mutex
	secrets map[string]time.Time // resource name → its Secret first seen
	ready   map[string]time.Time // resource name → first seen Ready
	want    map[int]string       // path index → the value after the change
	updated map[string]time.Time // resource name → its Secret first seen with want
}

func newTracker(now func() time.Time) *tracker {
	return &tracker{
		now: now, secrets: map[string]time.Time{}, ready: map[string]time.Time{},
		want: map[int]string{}, updated: map[string]time.Time{},
	}
}

// indexOf is the number of a resource from its name (resourceName).
func indexOf(name string) (int, bool) {
	s, ok := strings.CutPrefix(name, "s-")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(s)
	if err != nil || i < 0 {
		return 0, false
	}
	return i, true
}

// onSecret records a Secret the watch delivered. The Secret has the resource's name.
func (t *tracker) onSecret(obj any) {
	s, ok := obj.(*corev1.Secret)
	if !ok {
		return
	}
	i, ok := indexOf(s.Name)
	if !ok {
		return
	}
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, seen := t.secrets[s.Name]; !seen {
		t.secrets[s.Name] = now
	}
	if want, ok := t.want[i%Identities]; ok && string(s.Data[valueKey]) == want {
		if _, done := t.updated[s.Name]; !done {
			t.updated[s.Name] = now
		}
	}
}

// onSync records a resource the watch delivered when it is Ready for its generation.
func (t *tracker) onSync(obj any) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok || !isReady(u) {
		return
	}
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, seen := t.ready[u.GetName()]; !seen {
		t.ready[u.GetName()] = now
	}
}

// isReady reports whether the resource's Ready condition is True for its generation.
func isReady(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] != syncctl.CondReady {
			continue
		}
		gen, _ := m["observedGeneration"].(int64)
		return m["status"] == string(metav1.ConditionTrue) && gen == u.GetGeneration()
	}
	return false
}

// newRound forgets the values and the updates of the previous change.
func (t *tracker) newRound() {
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.want)
	clear(t.updated)
}

// expect makes the Secrets of path p count as updated once they hold value.
func (t *tracker) expect(p int, value string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.want[p] = value
}

// counts are the Secrets seen, the resources Ready and the Secrets updated.
func (t *tracker) counts() (secrets, ready, updated int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.secrets), len(t.ready), len(t.updated)
}

// firstLast are the earliest Secret seen and the latest resource Ready.
func (t *tracker) firstLast() (firstSecret, lastReady time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, at := range t.secrets {
		if firstSecret.IsZero() || at.Before(firstSecret) {
			firstSecret = at
		}
	}
	for _, at := range t.ready {
		if at.After(lastReady) {
			lastReady = at
		}
	}
	return firstSecret, lastReady
}

// latencies are, per updated Secret, the time from the write of its path (written, by path
// index) to the update; never negative.
func (t *tracker) latencies(written map[int]time.Time) []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]time.Duration, 0, len(t.updated))
	for name, at := range t.updated {
		i, _ := indexOf(name)
		w, ok := written[i%Identities]
		if !ok {
			continue
		}
		out = append(out, max(0, at.Sub(w)))
	}
	return out
}

// afterFirst are, per updated Secret, the time from the first update of a Secret of the
// same path: the first one follows the controller's read of the path within milliseconds,
// so this is what the controller adds to the read, whatever the phase of the write.
func (t *tracker) afterFirst() []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	first := map[int]time.Time{}
	for name, at := range t.updated {
		i, _ := indexOf(name)
		if f, ok := first[i%Identities]; !ok || at.Before(f) {
			first[i%Identities] = at
		}
	}
	out := make([]time.Duration, 0, len(t.updated))
	for name, at := range t.updated {
		i, _ := indexOf(name)
		out = append(out, at.Sub(first[i%Identities]))
	}
	return out
}

// watch starts the watches of the Secrets carrying the controller's label and of the
// resources, both in the measured namespace, and returns what stops them.
func (b *bench) watch(ctx context.Context, t *tracker) (func(), error) {
	stop := make(chan struct{})
	secrets := informers.NewSharedInformerFactoryWithOptions(b.kube, 0, informers.WithNamespace(namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = syncctl.LabelSync }))
	syncs := dynamicinformer.NewFilteredDynamicSharedInformerFactory(b.dyn, 0, namespace, nil)
	si := secrets.Core().V1().Secrets().Informer()
	ri := syncs.ForResource(syncctl.GroupVersionResource).Informer()
	h := func(f func(any)) cache.ResourceEventHandlerFuncs {
		return cache.ResourceEventHandlerFuncs{AddFunc: f, UpdateFunc: func(_, n any) { f(n) }}
	}
	if _, err := si.AddEventHandler(h(t.onSecret)); err != nil {
		return nil, err
	}
	if _, err := ri.AddEventHandler(h(t.onSync)); err != nil {
		return nil, err
	}
	secrets.Start(stop)
	syncs.Start(stop)
	end := func() {
		close(stop)
		secrets.Shutdown()
		syncs.Shutdown()
	}
	if !cache.WaitForCacheSync(ctx.Done(), si.HasSynced, ri.HasSynced) {
		end()
		return nil, errors.Join(errors.New("the watches of the Secrets and the resources did not sync"), ctx.Err())
	}
	return end, nil
}
