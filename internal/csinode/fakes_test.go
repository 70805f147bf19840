// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/deckhouse/secrets-store-integration/internal/atomicdir"
	"github.com/deckhouse/secrets-store-integration/internal/ssi"
)

// fakeSSIs is an in-memory ssi.Getter and ssi.StatusUpdater.
type fakeSSIs struct {
	mu sync.Mutex
	m  map[string]*ssi.SecretsStoreImport
	// statusWrites counts the status writes; conflicts, when above 0, makes
	// that many writes lose a race first.
	statusWrites int
	conflicts    int
}

// UpdateStatus applies mutate to a copy of the resource and keeps the
// status when mutate reports a change.
func (f *fakeSSIs) UpdateStatus(_ context.Context, ns, name string, mutate func(*ssi.SecretsStoreImport) bool) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		cur, ok := f.m[ns+"/"+name]
		if !ok {
			return false, fmt.Errorf("%w: SecretsStoreImport %s/%s not found", ssi.ErrNotFound, ns, name)
		}
		c := deepCopySSI(cur)
		if !mutate(c) {
			return false, nil
		}
		if f.conflicts > 0 {
			f.conflicts--
			continue
		}
		f.m[ns+"/"+name] = c
		f.statusWrites++
		return true, nil
	}
}

func (f *fakeSSIs) status(ns, name string) (ssi.Status, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := deepCopySSI(f.m[ns+"/"+name])
	return s.Status, f.statusWrites
}

func deepCopySSI(s *ssi.SecretsStoreImport) *ssi.SecretsStoreImport {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	var c ssi.SecretsStoreImport
	if err := json.Unmarshal(b, &c); err != nil {
		panic(err)
	}
	return &c
}

func (f *fakeSSIs) put(s *ssi.SecretsStoreImport) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[s.Ref()] = s
}

func (f *fakeSSIs) remove(ref string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.m, ref)
}

func (f *fakeSSIs) Get(_ context.Context, ns, name string) (*ssi.SecretsStoreImport, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.m[ns+"/"+name]
	if !ok {
		return nil, fmt.Errorf("%w: SecretsStoreImport %s/%s not found: create it in the pod's namespace", ssi.ErrNotFound, ns, name)
	}
	c := *s
	c.Spec.Files = append([]ssi.File(nil), s.Spec.Files...)
	return &c, nil
}

func testSSI(name string, files ...ssi.File) *ssi.SecretsStoreImport {
	if len(files) == 0 {
		files = []ssi.File{
			{Name: "db-password", Source: ssi.Source{Path: secretPath, Key: "DB_PASS"}},
			{Name: "db-user", Source: ssi.Source{Path: secretPath, Key: "DB_USER"}},
		}
	}
	return &ssi.SecretsStoreImport{
		ObjectMeta: metav1.ObjectMeta{Namespace: "myapp-namespace", Name: name, UID: types.UID("uid-" + name)},
		Spec:       ssi.Spec{Type: ssi.TypeCSI, Role: "myapp-role", Files: files},
	}
}

type recordedEvent struct {
	obj                     ObjectRef
	eventType, reason, note string
}

type fakeEvents struct {
	mu     sync.Mutex
	events []recordedEvent
}

func (f *fakeEvents) Event(obj ObjectRef, eventType, reason, message string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, recordedEvent{obj, eventType, reason, message})
}

func (f *fakeEvents) list() []recordedEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recordedEvent(nil), f.events...)
}

// fakeMounter records mounts instead of making them; a "mounted" target is a
// plain directory, written directly.
type fakeMounter struct {
	mu       sync.Mutex
	mounted  map[string]TmpfsOptions
	mounts   int
	unmounts int
	writable int // Writable calls
	binds    int // BindReadOnly calls
	// failMount makes MountReadOnly fail after fill, as a failed bind would.
	failMount error
}

func newFakeMounter() *fakeMounter { return &fakeMounter{mounted: map[string]TmpfsOptions{}} }

func (f *fakeMounter) IsMounted(target string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.mounted[target]
	return ok, nil
}

func (f *fakeMounter) MountReadOnly(target string, opt TmpfsOptions, fill func(string) error) error {
	f.mu.Lock()
	_, ok := f.mounted[target]
	failMount := f.failMount
	f.mu.Unlock()
	if ok {
		return fmt.Errorf("%s mounted twice", target)
	}
	if err := fill(target); err != nil {
		return err
	}
	if failMount != nil {
		// The real mounter's staging tmpfs goes with the failure.
		_ = atomicdir.Clear(target)
		return failMount
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mounted[target] = opt
	f.mounts++
	return nil
}

func (f *fakeMounter) Writable(target string, fn func(string) error) error {
	f.mu.Lock()
	_, ok := f.mounted[target]
	f.writable++
	f.mu.Unlock()
	if !ok {
		return fmt.Errorf("%s is not mounted", target)
	}
	return fn(target)
}

func (f *fakeMounter) Unmount(target string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.mounted, target)
	f.unmounts++
	if st, err := os.Lstat(target); err == nil && st.Mode()&os.ModeSymlink != 0 {
		// A bind of BindReadOnly: the directory under it comes back.
		if err := os.Remove(target); err != nil {
			return err
		}
		return os.Mkdir(target, 0o750)
	}
	return nil
}

// BindReadOnly stands a symbolic link to src in for the bind mount: it has
// src's inode when followed, as a bind mount has.
func (f *fakeMounter) BindReadOnly(src, target string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := os.Remove(target); err != nil {
		return err
	}
	f.mounts++
	f.binds++
	return os.Symlink(src, target)
}

func (f *fakeMounter) options(target string) (TmpfsOptions, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.mounted[target]
	return o, ok
}

func (f *fakeMounter) writes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writable
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
