// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/deckhouse/secrets-store-integration/internal/ssi"
)

func TestPublish(t *testing.T) {
	h := newHarness(t)
	gid := os.Getgid()
	r := h.request(withGroup(gid))
	h.mustPublish(r)

	if got := readFile(t, r.TargetPath, "db-password"); got != valuePass {
		t.Errorf("db-password: got %q, want the secret value", got)
	}
	if got := readFile(t, r.TargetPath, "db-user"); got != "username" {
		t.Errorf("db-user: got %q, want %q", got, "username")
	}
	fi, err := os.Stat(filepath.Join(r.TargetPath, "db-password"))
	if err != nil {
		t.Fatal(err)
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().Perm() != 0o440 || st == nil || int(st.Gid) != gid {
		t.Errorf("db-password: got mode %v gid %v, want 0440 and gid %d", fi.Mode().Perm(), st.Gid, gid)
	}
	opt, ok := h.mounter.options(r.TargetPath)
	if !ok || opt.Size != DefaultTmpfsSize || opt.Mode != 0o750 || opt.GID == nil || *opt.GID != int64(gid) {
		t.Errorf("tmpfs: got %+v (mounted %v), want size %d, mode 0750, gid %d", opt, ok, DefaultTmpfsSize, gid)
	}
	if g, w := opt.data(), "size=4194304,mode=750,gid="; !strings.HasPrefix(g, w) {
		t.Errorf("mount data: got %q, want prefix %q", g, w)
	}
	// Two files from one path: one read, one login; a path written with
	// data/ needs no mount lookup.
	for kind, want := range map[string]int{"login": 1, "read": 1, "mount": 0} {
		if got := h.store.count(kind); got != want {
			t.Errorf("store %s requests: got %d, want %d", kind, got, want)
		}
	}
	vs, ok := h.svc.states.get(r.TargetPath)
	if !ok || vs.Pod.UID != r.VolumeContext[ctxPodUID] || vs.SecretsStoreImport != "myapp-ssi" ||
		vs.ServiceAccount != saApp || vs.Version == "" || !vs.LastSuccess.Equal(h.clock.now()) {
		t.Errorf("state: got %+v, want the published volume", vs)
	}
	b, err := os.ReadFile(h.svc.states.file(r.TargetPath))
	if err != nil {
		t.Fatalf("state file: %v", err)
	}
	checkNoSecrets(t, "state file", string(b))
	if bytes.Contains(b, []byte(vs.Version)) {
		t.Errorf("state file holds the per-process version %s", vs.Version)
	}
	if got := gauge(t, h.svc.metrics.volumes); got != 1 {
		t.Errorf("volumes gauge: got %v, want 1", got)
	}
	if got := counter(t, h.svc.metrics.publishes.WithLabelValues(resultSuccess, "OK")); got != 1 {
		t.Errorf("successful publishes: got %v, want 1", got)
	}
	// The log names the volume by reference and version; the harness checks
	// that no secret is in it.
	for _, want := range []string{`"msg":"volume published"`, `"ssi":"myapp-namespace/myapp-ssi"`, `"version":"` + vs.Version + `"`} {
		if !strings.Contains(h.logs.String(), want) {
			t.Errorf("log: want %s in\n%s", want, h.logs.String())
		}
	}
}

func TestPublishIdempotent(t *testing.T) {
	h := newHarness(t)
	r := h.request()
	h.mustPublish(r)
	link := dataLink(t, r.TargetPath)
	for range 3 {
		h.mustPublish(r)
	}
	if got := dataLink(t, r.TargetPath); got != link {
		t.Errorf("..data: got %q, want %q (nothing rewritten)", got, link)
	}
	if got := h.store.count("read"); got != 1 {
		t.Errorf("store reads: got %d, want 1", got)
	}
	if h.mounter.mounts != 1 {
		t.Errorf("mounts: got %d, want 1", h.mounter.mounts)
	}
}

func TestPublishBase64(t *testing.T) {
	tests := []struct {
		key     string
		want    []byte // nil: the publish fails
		message string
	}{
		{key: "keytab", want: binaryValue},
		{key: "keytab_raw", want: binaryValue},
		{key: "wrapped_b64", want: binaryValue},
		{key: "not_base64", message: `SecretsStoreImport myapp-namespace/b64, file "keytab": the value of key "not_base64" in secret "demo-kv/data/myapp-secret" is not valid base64`},
		{key: "url_base64", message: `file "keytab": the value of key "url_base64"`},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			h := newHarness(t)
			h.ssis.put(testSSI("b64",
				ssi.File{Name: "keytab", DecodeBase64: true, Source: ssi.Source{Path: secretPath, Key: tt.key}},
				ssi.File{Name: "plain", Source: ssi.Source{Path: secretPath, Key: "DB_USER"}}))
			r := h.request(withSSI("b64"))
			err := h.publish(r)
			if tt.want == nil {
				if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), tt.message) {
					t.Fatalf("got %v, want FailedPrecondition with %q", err, tt.message)
				}
				if _, err := os.Lstat(r.TargetPath); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("target after a failed publish: got %v, want it removed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, r.TargetPath, "keytab"); !bytes.Equal([]byte(got), tt.want) {
				t.Errorf("keytab: got %d bytes, want the %d original bytes", len(got), len(tt.want))
			}
		})
	}
}

// A failed publish is retried by kubelet; it succeeds once the cause is gone.
func TestPublishRetryAfterStoreOutage(t *testing.T) {
	h := newHarness(t)
	h.store.set(func(f *fakeStore) { f.sealed = true })
	r := h.request()
	if err := h.publish(r); status.Code(err) != codes.Unavailable {
		t.Fatalf("got %v, want Unavailable", err)
	}
	h.store.set(func(f *fakeStore) { f.sealed = false })
	h.clock.advance(maxErrorTTL) // the failure is not reused any longer
	h.mustPublish(r)
	if got := readFile(t, r.TargetPath, "db-password"); got != valuePass {
		t.Errorf("db-password: got %q, want the secret value", got)
	}
}

func TestUnpublish(t *testing.T) {
	h := newHarness(t)
	r := h.request()
	h.mustPublish(r)
	stateFile := h.svc.states.file(r.TargetPath)
	for i := range 2 { // idempotent
		if err := h.unpublish(r); err != nil {
			t.Fatalf("unpublish %d: %v", i, err)
		}
	}
	if _, err := os.Lstat(r.TargetPath); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("target: got %v, want it removed", err)
	}
	if _, err := os.Lstat(stateFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("state file: got %v, want it removed", err)
	}
	if _, mounted := h.mounter.options(r.TargetPath); mounted || h.mounter.unmounts != 1 {
		t.Errorf("got mounted %v after %d unmounts, want unmounted once", mounted, h.mounter.unmounts)
	}
	if got := gauge(t, h.svc.metrics.volumes); got != 0 {
		t.Errorf("volumes gauge: got %v, want 0", got)
	}
}

// Two ServiceAccounts never share a read or a token, even with the same
// role and path.
func TestIsolation(t *testing.T) {
	h := newHarness(t)
	a, b := h.request(), h.request(withSA("other-sa", jwtOther))
	h.mustPublish(a)
	h.mustPublish(b)
	for _, sa := range []string{saApp, saOther} {
		if got := h.store.count("login:" + sa); got != 1 {
			t.Errorf("logins of %s: got %d, want 1", sa, got)
		}
		if got := h.store.count("read:" + sa); got != 1 {
			t.Errorf("reads with the token of %s: got %d, want 1", sa, got)
		}
	}
}

// A file pinned to a KV version 2 version reads that version; the same path unpinned reads the
// current one: two reads, one per (path, version).
func TestPublishVersionPinned(t *testing.T) {
	h := newHarness(t)
	h.store.set(func(f *fakeStore) {
		f.version[secretPath] = 2 // the current version is 3
		f.older[secretPath] = map[int]map[string]any{1: {"DB_PASS": "first-pass"}}
	})
	h.ssis.put(testSSI("pinned",
		ssi.File{Name: "current", Source: ssi.Source{Path: secretPath, Key: "DB_PASS"}},
		ssi.File{Name: "first", Source: ssi.Source{Path: secretPath, Key: "DB_PASS", Version: 1}},
	))
	r := h.request(withGroup(os.Getgid()), withSSI("pinned"))
	h.mustPublish(r)
	if got := readFile(t, r.TargetPath, "current"); got != valuePass {
		t.Errorf("current: got %q, want the current value", got)
	}
	if got := readFile(t, r.TargetPath, "first"); got != "first-pass" {
		t.Errorf("first: got %q, want version 1's value", got)
	}
	if got := h.store.count("read"); got != 2 {
		t.Errorf("store reads: got %d, want 2 (one per path and version)", got)
	}
}

// A file's mode reaches the volume: 0444 lets every user read it, and the directories let
// every user in; an edit of the mode alone is applied at the next refresh.
func TestPublishFileMode(t *testing.T) {
	h := newHarness(t)
	h.ssis.put(testSSI("modes",
		ssi.File{Name: "public", Mode: 0o444, Source: ssi.Source{Path: secretPath, Key: "DB_USER"}},
		ssi.File{Name: "private", Source: ssi.Source{Path: secretPath, Key: "DB_PASS"}},
	))
	r := h.request(withSSI("modes"))
	h.mustPublish(r)
	perm := func(rel string) os.FileMode {
		t.Helper()
		fi, err := os.Stat(filepath.Join(r.TargetPath, rel))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	for rel, want := range map[string]os.FileMode{"public": 0o444, "private": 0o440, ".": 0o755, "..data": 0o755} {
		if got := perm(rel); got != want {
			t.Errorf("mode of %s: got %v, want %v", rel, got, want)
		}
	}
	h.ssis.put(testSSI("modes",
		ssi.File{Name: "public", Source: ssi.Source{Path: secretPath, Key: "DB_USER"}},
		ssi.File{Name: "private", Mode: 0o400, Source: ssi.Source{Path: secretPath, Key: "DB_PASS"}},
	))
	h.clock.advance(DefaultRotationInterval)
	h.mustPublish(r)
	for rel, want := range map[string]os.FileMode{"public": 0o440, "private": 0o400, ".": 0o750, "..data": 0o750} {
		if got := perm(rel); got != want {
			t.Errorf("after the edit, mode of %s: got %v, want %v", rel, got, want)
		}
	}
}

// Every key of a filesFrom secret becomes a file with the entry's mode; files win over it; a
// key that cannot be a file name fails the mount with a message that names the key (not its
// value), and nothing is mounted.
func TestPublishFilesFrom(t *testing.T) {
	h := newHarness(t)
	h.ssis.put(&ssi.SecretsStoreImport{
		ObjectMeta: testSSI("from").ObjectMeta,
		Spec: ssi.Spec{
			Type: ssi.TypeCSI, Role: "myapp-role",
			FilesFrom: []ssi.FilesFrom{{Mode: 0o444, Source: ssi.PathSource{Path: secretPath}}},
			Files:     []ssi.File{{Name: "DB_PASS", Source: ssi.Source{Path: secretPath, Key: "DB_USER"}}},
		},
	})
	r := h.request(withSSI("from"))
	h.mustPublish(r)
	entries, err := os.ReadDir(r.TargetPath)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "..") {
			names = append(names, e.Name())
		}
	}
	want := []string{"DB_PASS", "DB_USER", "keytab", "keytab_raw", "not_base64", "url_base64", "wrapped_b64"}
	if !slices.Equal(names, want) {
		t.Errorf("files %q, want %q", names, want)
	}
	if got := readFile(t, r.TargetPath, "DB_PASS"); got != "username" {
		t.Errorf("DB_PASS: got %q, want the value of the file entry (DB_USER's)", got)
	}
	for name, mode := range map[string]os.FileMode{"DB_USER": 0o444, "DB_PASS": 0o440} {
		if fi, err := os.Stat(filepath.Join(r.TargetPath, name)); err != nil || fi.Mode().Perm() != mode {
			t.Errorf("mode of %s: %v, %v, want %v", name, fi.Mode().Perm(), err, mode)
		}
	}
	if got := h.store.count("read"); got != 1 {
		t.Errorf("store reads: got %d, want 1 (one path)", got)
	}

	h.store.set(func(f *fakeStore) {
		f.secrets["demo-kv/data/badkeys"] = map[string]any{".hidden": "VALUE-SECRET-1", "a/b": "VALUE-SECRET-2", "ok": "fine"}
		f.paths["myapp-role"] = append(f.paths["myapp-role"], "demo-kv/data/badkeys")
	})
	h.ssis.put(&ssi.SecretsStoreImport{
		ObjectMeta: testSSI("badkeys").ObjectMeta,
		Spec: ssi.Spec{
			Type: ssi.TypeCSI, Role: "myapp-role",
			FilesFrom: []ssi.FilesFrom{{Source: ssi.PathSource{Path: "demo-kv/data/badkeys"}}},
		},
	})
	bad := h.request(withSSI("badkeys"))
	err = h.publish(bad)
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), `keys ".hidden", "a/b" of secret "demo-kv/data/badkeys" are not valid file names`) ||
		!strings.Contains(err.Error(), "spec.files") {
		t.Errorf("got %v, want FailedPrecondition naming both keys and what to do", err)
	}
	if mounted, _ := h.mounter.IsMounted(bad.TargetPath); mounted {
		t.Error("a volume with invalid key names was mounted")
	}
}
