// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/internal/execfile"
)

// The injector volume. A pod mutated for entrypoint injection can get the
// injector binary from a read-only volume of this driver (volume attribute
// envcontract.InjectorVolumeAttribute) instead of an init container that
// copies it. The plugin installs the binary, and the watcher a watching
// injector executes (envcontract.WatcherBinaryName) when one lies next to
// it, once per node, in a directory
// named after its digest under Config.InjectorDir, and publishes every such
// volume as a read-only bind mount of that directory: no store access, no
// memory per pod, and the pod starts without an extra container.
//
// A directory of an older binary stays while a volume still uses it (a
// container of such a pod that restarts runs it again) and is removed by a
// later start of the plugin.

// errNoInjector: this plugin serves no injector (codes.FailedPrecondition).
var errNoInjector = errors.New("no injector")

// injectorDigestLen is the length of the hex digest that names a directory.
const injectorDigestLen = 32

// installInjector makes sure dir/<digest>/injector is a copy of src, mode
// 0555, with the watcher next to src (envcontract.WatcherBinaryName) copied
// beside it when there is one, and returns its directory. The digest covers
// both files. The copies are written to a temporary directory and renamed
// into place, so a directory with the digest's name is always complete.
func installInjector(src, dir string) (string, error) {
	files, err := openInjector(src)
	if err != nil {
		return "", err
	}
	defer func() {
		for _, f := range files {
			_ = f.Close()
		}
	}()
	h := sha256.New()
	names := []string{envcontract.BinaryName, envcontract.WatcherBinaryName}
	for i, f := range files {
		// The name too: the injector alone and the injector with a watcher differ.
		_, _ = io.WriteString(h, names[i]+"\x00")
		if _, err := io.Copy(h, f); err != nil {
			return "", fmt.Errorf("read %s: %w", f.Name(), err)
		}
	}
	final := filepath.Join(dir, hex.EncodeToString(h.Sum(nil))[:injectorDigestLen])
	if st, err := os.Stat(filepath.Join(final, envcontract.BinaryName)); err == nil && st.Mode().IsRegular() {
		return final, nil
	}
	// Only the plugin goes through dir; a pod sees a digest directory as the root of its bind mount.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(dir, ".install-")
	if err != nil {
		return "", fmt.Errorf("create a directory in %s: %w", dir, err)
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	for i, f := range files {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return "", fmt.Errorf("read %s: %w", f.Name(), err)
		}
		// Executable by any user of any pod; writable by no one.
		if err := execfile.Copy(f, filepath.Join(tmp, names[i]), 0o555); err != nil {
			return "", fmt.Errorf("install the injector: %w", err)
		}
	}
	// The root of every pod's bind mount: its users, whoever they are, must reach the binary.
	if err := os.Chmod(tmp, 0o755); err != nil { //nolint:gosec // G302: public, read-only content
		return "", fmt.Errorf("chmod %s: %w", tmp, err)
	}
	_ = os.RemoveAll(final) // an incomplete leftover; a complete one returned above
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("rename %s to %s: %w", tmp, final, err)
	}
	return final, execfile.SyncDir(dir)
}

// openInjector opens src and the watcher next to it, if there is one.
func openInjector(src string) ([]*os.File, error) {
	f, err := os.Open(src) //nolint:gosec // G304: the plugin's own --injector-file
	if err != nil {
		return nil, fmt.Errorf("open the injector: %w", err)
	}
	w, err := os.Open(filepath.Join(filepath.Dir(src), envcontract.WatcherBinaryName))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return []*os.File{f}, nil // the injector then watches in its own process
	case err != nil:
		_ = f.Close()
		return nil, fmt.Errorf("open the injector's watcher: %w", err)
	}
	return []*os.File{f, w}, nil
}

// pruneInjectors removes the directories of dir other than keep that no mount
// in mountinfo (the content of /proc/self/mountinfo) has as its root, and
// leftovers of interrupted installs. It returns what it removed.
func pruneInjectors(dir, keep string, mountinfo io.Reader) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	used, err := mountRoots(mountinfo)
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if p == keep || used[e.Name()] && !strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, e.Name())
	}
	return removed, errors.Join(errs...)
}

// mountRoots returns the last element of the root of every mount in
// mountinfo: a bind mount of an injector directory has that directory's name.
func mountRoots(mountinfo io.Reader) (map[string]bool, error) {
	roots := map[string]bool{}
	sc := bufio.NewScanner(mountinfo)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw
		f := strings.Fields(sc.Text())
		if len(f) < 5 {
			continue
		}
		root := strings.TrimSuffix(unescapeMountinfo(f[3]), "//deleted")
		roots[filepath.Base(root)] = true
	}
	return roots, sc.Err()
}

// unescapeMountinfo undoes the octal escapes (\040 for a space) of a path in
// mountinfo.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// setUpInjector installs the injector of Config.InjectorFile and prunes the
// directories of older ones. A failure is logged and leaves the plugin
// without an injector: injector volumes then fail with a message that says
// why, while the volumes of SecretsStoreImports keep working.
func (s *Service) setUpInjector() {
	if s.cfg.InjectorFile == "" {
		return
	}
	dir, err := installInjector(s.cfg.InjectorFile, s.cfg.InjectorDir)
	if err != nil {
		s.injectorErr = err
		s.log.Error("installing the injector failed: injector volumes on this node will fail", "error", err)
		return
	}
	s.injectorDir = dir
	s.metrics.injector.Set(1)
	s.log.Info("injector installed", "dir", dir)
	mi, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		s.log.Warn("older injectors not pruned", "error", err)
		return
	}
	defer func() { _ = mi.Close() }()
	removed, err := pruneInjectors(s.cfg.InjectorDir, dir, mi)
	if len(removed) > 0 {
		s.log.Info("older injectors removed", "dirs", removed)
	}
	if err != nil {
		s.log.Warn("older injectors not pruned", "error", err)
	}
}

// publishInjector publishes an injector volume: a read-only bind mount of
// the injector's directory. A republish of a target that already shows an
// injector changes nothing, even if the plugin has a newer one since: the
// pod keeps the injector it started with.
func (s *Service) publishInjector(v *volume) error {
	if s.injectorDir == "" {
		why := "the plugin was started without --injector-file"
		if s.injectorErr != nil {
			why = "installing it failed: " + s.injectorErr.Error()
		}
		return fmt.Errorf("%w: the CSI plugin on this node serves no injector (%s); "+
			"see the plugin's log, or set the pod's annotation secrets-store.deckhouse.io/injector-delivery: InitContainer", errNoInjector, why)
	}
	if ok, err := s.isInjectorMount(v.target); err != nil || ok {
		return err
	}
	if _, err := makeTarget(v.target); err != nil {
		return fmt.Errorf("%w: %w", errMount, err)
	}
	if err := s.mounter.BindReadOnly(s.injectorDir, v.target); err != nil {
		return fmt.Errorf("%w: %w", errMount, err)
	}
	s.log.Info("injector volume published", "volume_id", v.id, "target", v.target, "pod", v.pod.String())
	return nil
}

// isInjectorMount reports whether target shows one of the injector
// directories: a bind mount has the inode of its source.
func (s *Service) isInjectorMount(target string) (bool, error) {
	if s.cfg.InjectorDir == "" {
		return false, nil
	}
	st, err := os.Stat(target)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%w: stat %s: %w", errMount, target, err)
	}
	entries, err := os.ReadDir(s.cfg.InjectorDir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%w: read %s: %w", errMount, s.cfg.InjectorDir, err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if src, err := os.Stat(filepath.Join(s.cfg.InjectorDir, e.Name())); err == nil && os.SameFile(st, src) {
			return true, nil
		}
	}
	return false, nil
}

// unpublishInjector unmounts an injector volume and removes its target.
func (s *Service) unpublishInjector(target string) error {
	if err := s.mounter.Unmount(target); err != nil {
		return fmt.Errorf("%w: %w", errMount, err)
	}
	if err := os.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: remove target: %w", errWrite, err)
	}
	return nil
}
