// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncctl

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"

	"github.com/deckhouse/secrets-store-integration/internal/store"
	"github.com/deckhouse/secrets-store-integration/internal/storeconn"
)

// fieldManager owns the fields the controller writes.
const fieldManager = "secrets-store-integration-sync-controller"

// Retry timing of a failed resource: firstRetry, doubled per failure, at most
// the resource's refresh interval.
const firstRetry = 5 * time.Second

// eventObject is what events are recorded on: the resource as the informer
// holds it.
type eventObject = runtime.Object

// Controller reconciles SecretsStoreSync resources.
type Controller struct {
	cfg     Config
	log     *slog.Logger
	kube    kubernetes.Interface
	dyn     dynamic.Interface
	events  record.EventRecorder
	metrics *metrics
	now     func() time.Time

	syncLister   cache.GenericLister
	secretLister corelisters.SecretLister
	queue        workqueue.TypedDelayingInterface[string]

	clients *storeconn.Clients
	reads   *reads
	hmacKey []byte

	mu       sync.Mutex
	failures map[string]int  // key -> failures in a row
	synced   map[string]bool // key -> state of the last reconcile
}

// Deps are what a Controller works with.
type Deps struct {
	Kube         kubernetes.Interface
	Dynamic      dynamic.Interface
	Events       record.EventRecorder
	Registerer   prometheus.Registerer
	SyncLister   cache.GenericLister
	SecretLister corelisters.SecretLister
	HMACKey      []byte
	Now          func() time.Time // nil: time.Now
}

// NewController returns a controller; Start runs its workers.
func NewController(cfg Config, log *slog.Logger, d Deps) *Controller {
	return newControllerWithMetrics(cfg, log, d, newMetrics(d.Registerer))
}

func newControllerWithMetrics(cfg Config, log *slog.Logger, d Deps, m *metrics) *Controller {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	c := &Controller{
		cfg: cfg, log: log, kube: d.Kube, dyn: d.Dynamic, events: d.Events, metrics: m, now: now,
		syncLister: d.SyncLister, secretLister: d.SecretLister,
		queue:    workqueue.NewTypedDelayingQueueWithConfig(workqueue.TypedDelayingQueueConfig[string]{Name: "secretsstoresync"}),
		clients:  storeconn.NewClients(store.WithObserver(m)),
		reads:    newReads(now),
		hmacKey:  d.HMACKey,
		failures: make(map[string]int),
		synced:   make(map[string]bool),
	}
	c.reads.lookups = m.lookup
	return c
}

// SyncHandler is the event handler of the SecretsStoreSync informer: a new
// resource, a spec change (a new generation) and a deletion are reconciled;
// status writes are not, or every status write would reconcile again.
func (c *Controller) SyncHandler() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc: c.enqueue,
		UpdateFunc: func(oldObj, newObj any) {
			o, ok1 := oldObj.(metav1.Object)
			n, ok2 := newObj.(metav1.Object)
			if !ok1 || !ok2 || o.GetGeneration() != n.GetGeneration() || o.GetDeletionTimestamp() != n.GetDeletionTimestamp() {
				c.enqueue(newObj)
			}
		},
		DeleteFunc: c.enqueue,
	}
}

// SecretHandler is the event handler of the informer of the controller's
// Secrets: any change of one (an edit, a deletion, a label removed) brings
// its owner back, which repairs the drift.
func (c *Controller) SecretHandler() cache.ResourceEventHandler {
	owner := func(obj any) {
		if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = t.Obj
		}
		s, ok := obj.(*corev1.Secret)
		if !ok {
			return
		}
		if ref := metav1.GetControllerOf(s); ref != nil && ref.Kind == Kind {
			c.queue.Add(s.Namespace + "/" + ref.Name)
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    owner,
		UpdateFunc: func(_, newObj any) { owner(newObj) },
		DeleteFunc: owner,
	}
}

func (c *Controller) enqueue(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err == nil {
		c.queue.Add(key)
	}
}

// Run reconciles with cfg.Workers workers until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range c.cfg.Workers {
		wg.Go(func() {
			for c.next(ctx) {
			}
		})
	}
	<-ctx.Done()
	c.queue.ShutDown()
	wg.Wait()
}

func (c *Controller) next(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	c.reconcile(ctx, key)
	return true
}

// schedule brings key back after d, or after the backoff of its failures
// (firstRetry doubled per failure in a row, at most interval) when failed.
// A success comes back exactly when its reads are due, together with the
// other resources of its identity, which then share the next read; retries
// get a little jitter, so that resources failing together do not retry
// together.
func (c *Controller) schedule(key string, failed bool, d, interval time.Duration) {
	c.mu.Lock()
	if failed {
		n := c.failures[key]
		c.failures[key] = n + 1
		d = min(firstRetry<<min(n, 16), interval)
		d += time.Duration(rand.Int64N(int64(d/10) + 1)) //nolint:gosec // G404: jitter of a retry, not a secret; up to 10%
	} else {
		delete(c.failures, key)
	}
	c.mu.Unlock()
	c.queue.AddAfter(key, max(d, 0))
}

// setState records the state of key for the gauges; synced nil: gone.
func (c *Controller) setState(ns, name string, synced *bool) {
	key := ns + "/" + name
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.synced[key]; ok {
		c.metrics.resources.WithLabelValues(stateOf(old)).Dec()
	}
	if synced == nil {
		delete(c.synced, key)
		delete(c.failures, key)
		c.metrics.resourceSynced.DeleteLabelValues(ns, name)
		return
	}
	c.synced[key] = *synced
	c.metrics.resources.WithLabelValues(stateOf(*synced)).Inc()
	v := 0.0
	if *synced {
		v = 1
	}
	c.metrics.resourceSynced.WithLabelValues(ns, name).Set(v)
}

func stateOf(synced bool) string {
	if synced {
		return stateSynced
	}
	return stateFailed
}

// decode converts the informer's object.
func decode(obj runtime.Object) (*unstructured.Unstructured, *SecretsStoreSync, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return nil, nil, errInvalidSpec
	}
	res := &SecretsStoreSync{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, res); err != nil {
		return u, nil, err
	}
	return u, res, nil
}
