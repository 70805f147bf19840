// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package ssi

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"
)

// Getter returns the SecretsStoreImport namespace/name. A missing resource is
// an error matching ErrNotFound. The result is the caller's own copy.
type Getter interface {
	Get(ctx context.Context, namespace, name string) (*SecretsStoreImport, error)
}

// Client reads SecretsStoreImports from the API server, one GET per call.
type Client struct {
	dyn dynamic.Interface
}

// NewClient returns a Getter that asks the API server every time.
func NewClient(dyn dynamic.Interface) *Client {
	return &Client{dyn: dyn}
}

// Get reads namespace/name from the API server.
func (c *Client) Get(ctx context.Context, namespace, name string) (*SecretsStoreImport, error) {
	u, err := c.dyn.Resource(GroupVersionResource).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, notFound(namespace, name)
	}
	if err != nil {
		return nil, fmt.Errorf("get SecretsStoreImport %s/%s: %w", namespace, name, err)
	}
	return FromUnstructured(u)
}

func notFound(namespace, name string) error {
	return fmt.Errorf("%w: SecretsStoreImport %s/%s not found: create it in the pod's namespace", ErrNotFound, namespace, name)
}

// FromUnstructured converts an object read with the dynamic client.
func FromUnstructured(u *unstructured.Unstructured) (*SecretsStoreImport, error) {
	var s SecretsStoreImport
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.UnstructuredContent(), &s); err != nil {
		return nil, fmt.Errorf("%w: SecretsStoreImport %s/%s: decode: %w", ErrInvalid, u.GetNamespace(), u.GetName(), err)
	}
	return &s, nil
}

// Cache serves SecretsStoreImports from a cluster-wide informer, so that
// rotations of many volumes cost no API requests. A name the informer does
// not hold (yet) is read from the API server: a resource created just before
// the pod must not fail its volume because the watch lags.
type Cache struct {
	live     *Client
	informer cache.SharedIndexInformer
}

// NewCache builds the informer; Run starts it.
func NewCache(dyn dynamic.Interface, resync time.Duration) *Cache {
	// A plain informer on a list-watch of the dynamic client: the dynamic
	// informer factory would link the typed informers of every API group into
	// the binary, for nothing.
	res := dyn.Resource(GroupVersionResource)
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return res.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return res.Watch(ctx, o)
		},
	}
	inf := cache.NewSharedIndexInformer(lw, &unstructured.Unstructured{}, resync, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	return &Cache{live: NewClient(dyn), informer: inf}
}

// Run runs the informer until ctx ends.
func (c *Cache) Run(ctx context.Context) error {
	c.informer.Run(ctx.Done())
	return nil
}

// Synced reports whether the informer holds a full list.
func (c *Cache) Synced() bool { return c.informer.HasSynced() }

// Get returns namespace/name from the informer, or from the API server when
// the informer does not hold it.
func (c *Cache) Get(ctx context.Context, namespace, name string) (*SecretsStoreImport, error) {
	if c.informer.HasSynced() {
		obj, ok, err := c.informer.GetStore().GetByKey(namespace + "/" + name)
		if err == nil && ok {
			if u, isU := obj.(*unstructured.Unstructured); isU {
				return FromUnstructured(u)
			}
		}
	}
	return c.live.Get(ctx, namespace, name)
}
