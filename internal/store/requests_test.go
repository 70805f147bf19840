// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"
)

// TestRequestCounts counts the requests of ten concurrent first reads of
// distinct paths, by kind. A path is read as written; the mount is looked
// up only when that answer is not the secret, and then once for all the
// paths of the mount: the fake holds every lookup until the ten reads as
// written are answered, so unmerged lookups would all be counted.
func TestRequestCounts(t *testing.T) {
	tests := []struct {
		name  string
		path  func(i int) string
		gate  bool // hold lookups until 10 reads are answered
		want  map[string]int
		again map[string]int // the same ten reads once more
	}{
		{
			name:  "kv2 with data/",
			path:  func(i int) string { return fmt.Sprintf("demo-kv/data/s%d", i) },
			want:  map[string]int{"login": 1, "read": 10},
			again: map[string]int{"read": 10},
		},
		{
			name: "kv2 without data/: refused as written, one lookup, then the data path",
			path: func(i int) string { return fmt.Sprintf("demo-kv/s%d", i) }, gate: true,
			want:  map[string]int{"login": 1, "read": 20, "mount": 1},
			again: map[string]int{"read": 10},
		},
		{
			name:  "kv1",
			path:  func(i int) string { return fmt.Sprintf("kv1/s%d", i) },
			want:  map[string]int{"login": 1, "read": 10},
			again: map[string]int{"read": 10},
		},
		{
			name:  "non-KV engine",
			path:  func(i int) string { return fmt.Sprintf("database/creds/s%d", i) },
			want:  map[string]int{"login": 1, "read": 10},
			again: map[string]int{"read": 10},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeVault(t)
			for i := range 10 {
				seedPath(f, tt.path(i))
			}
			if tt.gate {
				f.gateLookups(10)
			}
			c := newTestClient(t, f)
			readAll(t, c, tt.path)
			if got := countsOf(f); !maps.Equal(got, tt.want) {
				t.Errorf("first reads: got %v, want %v", got, tt.want)
			}
			before := countsOf(f)
			readAll(t, c, tt.path)
			got := countsOf(f)
			for k, n := range before {
				got[k] -= n
				if got[k] == 0 {
					delete(got, k)
				}
			}
			if !maps.Equal(got, tt.again) {
				t.Errorf("second reads: got %v, want %v", got, tt.again)
			}
		})
	}
}

// seedPath stores a secret at p (KV) and lets myapp-role read it, as the
// policy "<mount>/data/*" would on KV v2.
func seedPath(f *fakeVault, p string) {
	f.set(func(f *fakeVault) {
		r := f.roles["myapp-role"]
		m, v := f.mountOf(p)
		switch v {
		case 2:
			name := p[len(m):]
			if len(name) > 5 && name[:5] == "data/" {
				name = name[5:]
			}
			f.v2[m+name] = []fakeVersion{{data: map[string]any{"K": "v-" + name}}}
			r.paths = append(r.paths, m+"data/"+name)
		case 1:
			f.v1[p] = map[string]any{"K": "v-" + p}
			r.paths = append(r.paths, p)
		default:
			r.paths = append(r.paths, p)
		}
		f.roles["myapp-role"] = r
	})
}

func readAll(t *testing.T, c *Client, path func(int) string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range 10 {
		wg.Go(func() {
			s, err := c.Read(t.Context(), appLogin(), path(i), 0)
			if err == nil && s.Data["K"] == "" && s.Data["password"] == "" {
				err = errors.New("no value")
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("read %s: %v", path(i), err)
		}
	}
}

func countsOf(f *fakeVault) map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.counts)
}

// A lookup flight made for a path of another mount under the same first
// segment does not answer for this one: each mount is learned for itself.
func TestMountLookupNeighbors(t *testing.T) {
	f := newFakeVault(t)
	f.set(func(f *fakeVault) {
		f.mounts["team/a/"], f.mounts["team/b/"] = 2, 1
		f.v2["team/a/x"] = []fakeVersion{{data: map[string]any{"K": "a"}}}
	})
	f.allow("myapp-role", "team/a/data/x", "team/b/nope")
	f.gateLookups(2) // both paths are answered as written before any lookup
	c := newTestClient(t, f)
	var wg sync.WaitGroup
	var a *Secret
	var errA, errB error
	wg.Go(func() { a, errA = c.Read(t.Context(), appLogin(), "team/a/x", 0) })
	wg.Go(func() { _, errB = c.Read(t.Context(), appLogin(), "team/b/nope", 0) })
	wg.Wait()
	if errA != nil || a.Data["K"] != "a" {
		t.Errorf("team/a/x: got %v, %v, want K=a", a, errA)
	}
	if !errors.Is(errB, ErrNotFound) {
		t.Errorf("team/b/nope: got %v, want ErrNotFound", errB)
	}
	for _, p := range []string{"team/a/x", "team/b/nope"} {
		if _, ok := c.mounts.lookup(p, c.now()); !ok {
			t.Errorf("got the mount of %s unknown, want it learned", p)
		}
	}
	if got := f.count("mount"); got != 2 {
		t.Errorf("got %d lookups, want 2 (team/a/, team/b/)", got)
	}
}
