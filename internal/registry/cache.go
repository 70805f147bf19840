// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"sync"
	"time"
)

// lru is a size-bounded map whose entries expire ttl after they were added.
// It is safe for concurrent use; one mutex guards the map and the list,
// which is fine for the few thousand lookups per second a webhook sees.
type lru[V any] struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	now   func() time.Time
	head  lruNode[V] // sentinel: head.next is the most recently used
	items map[string]*lruNode[V]
}

type lruNode[V any] struct {
	prev, next *lruNode[V]
	key        string
	value      V
	expires    time.Time
}

func newLRU[V any](maxEntries int, ttl time.Duration, now func() time.Time) *lru[V] {
	c := &lru[V]{max: maxEntries, ttl: ttl, now: now, items: make(map[string]*lruNode[V])}
	c.head.prev, c.head.next = &c.head, &c.head
	return c
}

// get returns the live value of key and marks it recently used; an expired
// entry is dropped.
func (c *lru[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero V
	n, ok := c.items[key]
	if !ok {
		return zero, false
	}
	if !c.now().Before(n.expires) {
		c.remove(n)
		return zero, false
	}
	c.unlink(n)
	c.pushFront(n)
	return n.value, true
}

// add stores value under key for ttl and evicts the least recently used
// entries beyond max.
func (c *lru[V]) add(key string, value V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	expires := c.now().Add(c.ttl)
	if n, ok := c.items[key]; ok {
		n.value, n.expires = value, expires
		c.unlink(n)
		c.pushFront(n)
		return
	}
	n := &lruNode[V]{key: key, value: value, expires: expires}
	c.items[key] = n
	c.pushFront(n)
	for len(c.items) > c.max {
		c.remove(c.head.prev)
	}
}

// len returns the number of entries, expired ones included.
func (c *lru[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}

func (c *lru[V]) pushFront(n *lruNode[V]) {
	n.prev, n.next = &c.head, c.head.next
	c.head.next.prev = n
	c.head.next = n
}

func (c *lru[V]) unlink(n *lruNode[V]) {
	n.prev.next, n.next.prev = n.next, n.prev
}

func (c *lru[V]) remove(n *lruNode[V]) {
	c.unlink(n)
	delete(c.items, n.key)
}
