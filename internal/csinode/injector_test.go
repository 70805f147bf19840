// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
)

func writeInjector(t *testing.T, dir, content string) string {
	t.Helper()
	p := filepath.Join(dir, "src-injector")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInstallInjector(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "injector")
	src := writeInjector(t, root, "#!injector v1")
	got, err := installInjector(src, dir)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(got) != dir || len(filepath.Base(got)) != injectorDigestLen {
		t.Errorf("installed in %s, want %s/<%d hex digits>", got, dir, injectorDigestLen)
	}
	bin := filepath.Join(got, envcontract.BinaryName)
	st, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o555 {
		t.Errorf("mode %v, want 0555", st.Mode().Perm())
	}
	if b, _ := os.ReadFile(bin); string(b) != "#!injector v1" {
		t.Errorf("content %q", b)
	}
	// Installed again: the same directory, the same file.
	again, err := installInjector(src, dir)
	if err != nil || again != got {
		t.Fatalf("second install: %s, %v, want %s", again, err, got)
	}
	if st2, _ := os.Stat(bin); !os.SameFile(st, st2) {
		t.Error("the second install rewrote the binary")
	}
	// A new binary gets a directory of its own; the old one stays.
	src2 := writeInjector(t, root, "#!injector v2")
	got2, err := installInjector(src2, dir)
	if err != nil || got2 == got {
		t.Fatalf("install of another binary: %s, %v", got2, err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Errorf("the old binary is gone: %v", err)
	}
	if _, err := installInjector(filepath.Join(root, "missing"), dir); err == nil || !strings.Contains(err.Error(), "open the injector") {
		t.Errorf("missing source: got %v", err)
	}
}

// TestInstallInjectorWithWatcher: the watcher next to the injector is
// installed beside it, in a directory of its own digest.
func TestInstallInjectorWithWatcher(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "injector")
	src := writeInjector(t, root, "#!injector v1")
	alone, err := installInjector(src, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(alone, envcontract.WatcherBinaryName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a watcher was installed without one next to the injector: %v", err)
	}
	if err := os.WriteFile(filepath.Join(root, envcontract.WatcherBinaryName), []byte("#!watcher v1"), 0o644); err != nil {
		t.Fatal(err)
	}
	both, err := installInjector(src, dir)
	if err != nil {
		t.Fatal(err)
	}
	if both == alone {
		t.Fatalf("the injector with a watcher went to the directory of the injector alone, %s", both)
	}
	for name, want := range map[string]string{envcontract.BinaryName: "#!injector v1", envcontract.WatcherBinaryName: "#!watcher v1"} {
		p := filepath.Join(both, name)
		b, err := os.ReadFile(p)
		if err != nil || string(b) != want {
			t.Errorf("%s: %q, %v; want %q", p, b, err, want)
		}
		if st, err := os.Stat(p); err != nil {
			t.Error(err)
		} else if st.Mode().Perm() != 0o555 {
			t.Errorf("%s: mode %v, want 0555", p, st.Mode().Perm())
		}
	}
	if err := os.WriteFile(filepath.Join(root, envcontract.WatcherBinaryName), []byte("#!watcher v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	if other, err := installInjector(src, dir); err != nil || other == both {
		t.Errorf("a new watcher: %s, %v; want a directory of its own", other, err)
	}
}

func TestPruneInjectors(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "injector")
	old, err := installInjector(writeInjector(t, root, "old"), dir)
	if err != nil {
		t.Fatal(err)
	}
	used, err := installInjector(writeInjector(t, root, "used"), dir)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := installInjector(writeInjector(t, root, "current"), dir)
	if err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(dir, ".install-123")
	if err := os.Mkdir(leftover, 0o700); err != nil {
		t.Fatal(err)
	}
	// A pod's bind mount of the used directory; its path has a space, escaped.
	mountinfo := "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n" +
		"500 22 8:1 /var/lib/kubelet/plugins/x/injector/" + filepath.Base(used) + " /var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/my\\040vol/mount ro,nosuid,nodev shared:1 - ext4 /dev/sda1 rw\n"
	removed, err := pruneInjectors(dir, cur, strings.NewReader(mountinfo))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	if want := []string{".install-123", filepath.Base(old)}; !slices.Equal(removed, want) {
		t.Errorf("removed %q, want %q", removed, want)
	}
	for _, d := range []string{used, cur} {
		if _, err := os.Stat(filepath.Join(d, envcontract.BinaryName)); err != nil {
			t.Errorf("%s was removed: %v", d, err)
		}
	}
}

func TestUnescapeMountinfo(t *testing.T) {
	for in, want := range map[string]string{
		`/a\040b`: "/a b", `/tab\011x`: "/tab\tx", `/back\134slash`: `/back\slash`, `/plain`: "/plain", `/bad\09`: `/bad\09`,
	} {
		if got := unescapeMountinfo(in); got != want {
			t.Errorf("unescapeMountinfo(%q) = %q, want %q", in, got, want)
		}
	}
}

func withInjector() reqOption {
	return func(r *csi.NodePublishVolumeRequest) {
		delete(r.VolumeContext, AttrSecretsStoreImport)
		r.VolumeContext[envcontract.InjectorVolumeAttribute] = "true"
	}
}

// newInjectorHarness is a harness whose plugin serves an injector.
func newInjectorHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t)
	h.cfg.InjectorFile = writeInjector(t, t.TempDir(), "#!injector")
	h.cfg.InjectorDir = filepath.Join(h.cfg.KubeletDir, "plugins", DefaultDriverName, "injector")
	h.start()
	return h
}

// An injector volume shows the node's one copy of the injector, reads
// nothing from the store, survives republishes unchanged and is unmounted
// without touching that copy.
func TestPublishInjector(t *testing.T) {
	h := newInjectorHarness(t)
	r := h.request(withInjector())
	h.mustPublish(r)
	if b, err := os.ReadFile(filepath.Join(r.TargetPath, envcontract.BinaryName)); err != nil || string(b) != "#!injector" {
		t.Fatalf("the volume shows %q, %v, want the injector", b, err)
	}
	h.mustPublish(r) // kubelet's periodic republish
	if h.mounter.binds != 1 {
		t.Errorf("binds = %d after a republish, want 1", h.mounter.binds)
	}
	for _, kind := range []string{"login", "read"} {
		if n := h.store.count(kind); n != 0 {
			t.Errorf("the store got %d %s requests for an injector volume, want 0", n, kind)
		}
	}
	// A second pod's volume shows the same file.
	r2 := h.request(withInjector())
	h.mustPublish(r2)
	a, _ := os.Stat(filepath.Join(r.TargetPath, envcontract.BinaryName))
	b, _ := os.Stat(filepath.Join(r2.TargetPath, envcontract.BinaryName))
	if !os.SameFile(a, b) {
		t.Error("two volumes show two copies of the injector")
	}
	if err := h.unpublish(r); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(r.TargetPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("target after unpublish: %v, want it removed", err)
	}
	if b, err := os.ReadFile(filepath.Join(r2.TargetPath, envcontract.BinaryName)); err != nil || string(b) != "#!injector" {
		t.Errorf("the other volume after an unpublish: %q, %v", b, err)
	}
	// A restarted plugin finds the same installation and still recognizes
	// the volume.
	h.start()
	if err := h.unpublish(r2); err != nil {
		t.Fatal(err)
	}
	if h.svc.injectorDir == "" || gauge(t, h.svc.metrics.injector) != 1 {
		t.Fatal("the restarted plugin serves no injector")
	}
	if _, err := os.Stat(filepath.Join(h.svc.injectorDir, envcontract.BinaryName)); err != nil {
		t.Errorf("the injector is gone after its volumes: %v", err)
	}
}

func TestPublishInjectorRefused(t *testing.T) {
	h := newHarness(t) // no --injector-file
	err := h.publish(h.request(withInjector()))
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "serves no injector") ||
		!strings.Contains(err.Error(), "injector-delivery: InitContainer") {
		t.Errorf("got %v, want FailedPrecondition that says what to do", err)
	}
	hi := newInjectorHarness(t)
	for name, opt := range map[string]reqOption{
		"both attributes": func(r *csi.NodePublishVolumeRequest) { r.VolumeContext[envcontract.InjectorVolumeAttribute] = "true" },
		"other value": func(r *csi.NodePublishVolumeRequest) {
			delete(r.VolumeContext, AttrSecretsStoreImport)
			r.VolumeContext[envcontract.InjectorVolumeAttribute] = "yes"
		},
	} {
		if err := hi.publish(hi.request(opt)); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: got %v, want InvalidArgument", name, err)
		}
	}
	// A broken installation leaves the other volumes working.
	hb := newHarness(t)
	hb.cfg.InjectorFile = filepath.Join(t.TempDir(), "missing")
	hb.cfg.InjectorDir = filepath.Join(hb.cfg.KubeletDir, "injector")
	hb.start()
	if err := hb.publish(hb.request(withInjector())); status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "installing it failed") {
		t.Errorf("broken installation: got %v", err)
	}
	if got := gauge(t, hb.svc.metrics.injector); got != 0 {
		t.Errorf("injector_available = %v after a failed installation, want 0", got)
	}
	hb.mustPublish(hb.request())
}

// The real bind: read-only for everyone who reaches it through the target
// or a peer of its mount, executable, and the source intact after unmount.
func TestBindReadOnlyPropagates(t *testing.T) {
	needRoot(t)
	root := t.TempDir()
	plugin, kubelet, staging := peerDirs(t, root)
	src, err := installInjector(writeInjector(t, root, "#!/bin/sh\nexit 0\n"), filepath.Join(root, "injector"))
	if err != nil {
		t.Fatal(err)
	}
	target, seen := filepath.Join(plugin, "vol"), filepath.Join(kubelet, "vol")
	if err := os.Mkdir(target, 0o750); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Unmount(seen, unix.MNT_DETACH); _ = unix.Unmount(target, unix.MNT_DETACH) })
	m := NewTmpfs(staging)
	if err := m.BindReadOnly(src, target); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{target, seen} {
		sfs := statfs(t, p)
		if sfs.Flags&unix.ST_RDONLY == 0 || sfs.Flags&unix.ST_NOSUID == 0 || sfs.Flags&unix.ST_NOEXEC != 0 {
			t.Errorf("%s: flags %#x, want read-only, nosuid, exec", p, sfs.Flags)
		}
		if err := os.WriteFile(filepath.Join(p, "x"), nil, 0o600); !errors.Is(err, unix.EROFS) {
			t.Errorf("write in %s: got %v, want EROFS", p, err)
		}
		if err := unix.Access(filepath.Join(p, envcontract.BinaryName), unix.X_OK); err != nil {
			t.Errorf("the injector in %s is not executable: %v", p, err)
		}
	}
	emptyDir(t, staging)
	if err := m.Unmount(target); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(src, envcontract.BinaryName)); err != nil {
		t.Errorf("the source after unmount: %v", err)
	}
	emptyDir(t, target)
}
