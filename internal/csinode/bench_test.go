// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/deckhouse/secrets-store-integration/internal/ssi"
	"github.com/deckhouse/secrets-store-integration/internal/store"
)

// benchSSIs serves, for any name, a resource with one file read from
// "bench-kv/data/<name>": each name is a path the read cache has not seen.
type benchSSIs struct{}

func (benchSSIs) Get(_ context.Context, ns, name string) (*ssi.SecretsStoreImport, error) {
	s := testSSI(name, ssi.File{Name: "value", Source: ssi.Source{Path: "bench-kv/data/" + name, Key: "v"}})
	s.Namespace = ns
	return s, nil
}

// benchHarness puts the volumes on a tmpfs when it can (as in production,
// where the files are written to the volume's tmpfs), so that the numbers
// do not measure the fsyncs of the test machine's disk.
func benchHarness(b *testing.B) *harness {
	h := newHarness(b)
	if os.Geteuid() == 0 {
		dir := filepath.Join(b.TempDir(), "kubelet")
		if err := os.Mkdir(dir, 0o750); err != nil {
			b.Fatal(err)
		}
		if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=256m"); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
		h.cfg.KubeletDir = dir
		h.start()
	}
	return h
}

func (h *harness) startWith(g ssi.Getter) {
	h.t.Helper()
	h.start()
	h.svc.ssis = g
}

// warm publishes once so that the token and the mount lookup are cached.
func warm(b *testing.B, h *harness) {
	r := h.request(withSSI("warm"))
	h.mustPublish(r)
	if err := h.unpublish(r); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPublishWarm is a first publish with a warm token: one store read
// (a path not cached yet), decode, atomic write, state file. Compare with
// BenchmarkStoreRead, one store round trip.
func BenchmarkPublishWarm(b *testing.B) {
	h := benchHarness(b)
	h.startWith(benchSSIs{})
	warm(b, h)
	reads := h.store.count("read")
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		r := h.request(withSSI("p" + strconv.Itoa(i)))
		b.StartTimer()
		h.mustPublish(r)
		b.StopTimer()
		if err := h.unpublish(r); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	if got := h.store.count("read") - reads; got != i {
		b.Fatalf("store reads: got %d for %d publishes, want one each", got, i)
	}
}

// BenchmarkPublishCached is a first publish whose read the node-wide cache
// already holds (another volume of the same identity and path): no store
// request at all.
func BenchmarkPublishCached(b *testing.B) {
	h := benchHarness(b)
	h.startWith(benchSSIs{})
	warm(b, h)
	reads := h.store.count("read")
	for b.Loop() {
		b.StopTimer()
		r := h.request(withSSI("warm"))
		b.StartTimer()
		h.mustPublish(r)
		b.StopTimer()
		if err := h.unpublish(r); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	if got := h.store.count("read") - reads; got > 1 {
		b.Fatalf("store reads: got %d, want at most 1", got)
	}
}

// BenchmarkRepublishNotDue is kubelet's periodic republish between
// rotations: no store request, no write.
func BenchmarkRepublishNotDue(b *testing.B) {
	h := benchHarness(b)
	r := h.request()
	h.mustPublish(r)
	for b.Loop() {
		h.mustPublish(r)
	}
}

// BenchmarkStoreRead is one store read round trip with a warm token, through
// the same client and fake store: the baseline of BenchmarkPublishWarm.
func BenchmarkStoreRead(b *testing.B) {
	f := newFakeStore(b)
	c, err := store.New(store.Config{Address: f.srv.URL, CAFile: f.caFile})
	if err != nil {
		b.Fatal(err)
	}
	login := store.Login{
		AuthPath: DefaultStoreAuthPath, Role: "myapp-role", ServiceAccount: saApp,
		JWT: func(context.Context) (string, error) { return jwtApp, nil },
	}
	ctx := b.Context()
	if _, err := c.Read(ctx, login, "bench-kv/data/warm", 0); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		i++
		if _, err := c.Read(ctx, login, fmt.Sprintf("bench-kv/data/p%d", i), 0); err != nil {
			b.Fatal(err)
		}
	}
}
