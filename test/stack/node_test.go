// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package stack

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

func configTestStack(t *testing.T) *Stack {
	t.Helper()
	dir := t.TempDir()
	s := &Stack{Dir: dir, Bins: CachedBinaries()}
	s.Env.ContainerdSocket = filepath.Join(dir, "run", "containerd.sock")
	s.Env.NRISocket = filepath.Join(dir, "run", "nri.sock")
	return s
}

// lookup walks nested tables of a decoded TOML document.
func lookup(t *testing.T, doc map[string]any, keys ...string) any {
	t.Helper()
	var cur any = doc
	for i, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("%s is not a table", strings.Join(keys[:i], "."))
		}
		if cur, ok = m[k]; !ok {
			t.Fatalf("no %s in the containerd configuration", strings.Join(keys[:i+1], "."))
		}
	}
	return cur
}

// The containerd configuration enables NRI with its socket in the stack's directory, runs the
// cached shim, and names no path outside the stack's directory but the host's CNI plugins, so
// that several stacks can run side by side.
func TestContainerdConfig(t *testing.T) {
	s := configTestStack(t)
	var doc map[string]any
	if _, err := toml.Decode(s.containerdConfig(), &doc); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if v := lookup(t, doc, "version"); v != int64(4) {
		t.Errorf("version = %v, want 4", v)
	}
	nri := []string{"plugins", "io.containerd.nri.v1.nri"}
	if v := lookup(t, doc, append(nri, "disable")...); v != false {
		t.Errorf("NRI disable = %v, want false", v)
	}
	if v := lookup(t, doc, append(nri, "disable_connections")...); v != false {
		t.Errorf("NRI disable_connections = %v, want false", v)
	}
	if v := lookup(t, doc, append(nri, "socket_path")...); v != s.Env.NRISocket {
		t.Errorf("NRI socket_path = %v, want %s", v, s.Env.NRISocket)
	}
	if v := lookup(t, doc, append(nri, "default_validator", "enable")...); v != true {
		t.Errorf("NRI default_validator.enable = %v, want true (required-plugins annotations enforced)", v)
	}
	runc := []string{"plugins", "io.containerd.cri.v1.runtime", "containerd", "runtimes", "runc"}
	if v := lookup(t, doc, append(runc, "runtime_path")...); v != s.Bins.ContainerdShim {
		t.Errorf("runc runtime_path = %v, want %s", v, s.Bins.ContainerdShim)
	}
	if v := lookup(t, doc, "plugins", "io.containerd.cri.v1.images", "pinned_images", "sandbox"); v != PauseImage {
		t.Errorf("sandbox image = %v, want %s", v, PauseImage)
	}
	if v := lookup(t, doc, "plugins", "io.containerd.cri.v1.images", "registry", "config_path"); v != s.registryHostsDir() {
		t.Errorf("registry config_path = %v, want %s", v, s.registryHostsDir())
	}
	allowed := map[string]bool{"/usr/lib/cni": true, s.Bins.ContainerdShim: true}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				walk(path+"."+k, e)
			}
		case []any:
			for _, e := range v {
				walk(path, e)
			}
		case string:
			if filepath.IsAbs(v) && !allowed[v] && !strings.HasPrefix(v, s.Dir+"/") {
				t.Errorf("%s = %s: outside the stack's directory %s", path, v, s.Dir)
			}
		}
	}
	walk("", doc)
}

// The containerd the stack runs reads the configuration without a warning (no unknown key,
// no migration) and ends up with NRI on at the stack's socket. Skipped when the cached
// containerd is not built (`make cluster-build`).
func TestContainerdConfigDump(t *testing.T) {
	s := configTestStack(t)
	if _, err := os.Stat(s.Bins.Containerd); err != nil {
		t.Skipf("containerd %s is not built: %v", ContainerdVersion, err)
	}
	path := filepath.Join(s.Dir, "containerd.toml")
	if err := os.WriteFile(path, []byte(s.containerdConfig()), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.Bins.Containerd, "--config", path, "config", "dump")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("containerd config dump: %v: %s", err, stderr.String())
	}
	for _, w := range []string{"level=warning", "level=error"} {
		if strings.Contains(stderr.String(), w) {
			t.Errorf("containerd config dump logged %s:\n%s", w, stderr.String())
		}
	}
	var doc map[string]any
	if _, err := toml.Decode(string(out), &doc); err != nil {
		t.Fatalf("decode the dump: %v\n%s", err, out)
	}
	nri := []string{"plugins", "io.containerd.nri.v1.nri"}
	if v := lookup(t, doc, append(nri, "disable")...); v != false {
		t.Errorf("dumped NRI disable = %v, want false", v)
	}
	if v := lookup(t, doc, append(nri, "socket_path")...); v != s.Env.NRISocket {
		t.Errorf("dumped NRI socket_path = %v, want %s", v, s.Env.NRISocket)
	}
	if v := lookup(t, doc, append(nri, "default_validator", "enable")...); v != true {
		t.Errorf("dumped NRI default_validator.enable = %v, want true", v)
	}
	if v := lookup(t, doc, "plugins", "io.containerd.server.v1.ttrpc", "address"); v != s.Env.ContainerdSocket+".ttrpc" {
		t.Errorf("dumped ttrpc address = %v, want %s.ttrpc", v, s.Env.ContainerdSocket)
	}
}
