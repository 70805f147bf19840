// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package watcher

import (
	"io"
	"testing"
)

// BenchmarkPoll is one poll of ten paths against a local TLS store: what a
// watching container pays every interval, in the watcher's own process.
func BenchmarkPoll(b *testing.B) {
	f := newFakeStore(b, `{"password":"p","user":"u","host":"db.example"}`)
	h := f.handoff(b, "/bin/true")
	src := h.Sources[0]
	h.Sources = nil
	for range 10 {
		s := src
		s.Body = append([]byte(nil), src.Body...)
		h.Sources = append(h.Sources, s)
	}
	store, err := newStoreClient(&h.Store)
	if err != nil {
		b.Fatal(err)
	}
	defer store.close()
	w := &watch{h: h, log: newLineLogger(io.Discard, levelInfo, false), store: store}
	if err := w.baseline(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if changed := w.poll(b.Context()); changed != nil {
			b.Fatalf("changed: %v", changed)
		}
	}
}
