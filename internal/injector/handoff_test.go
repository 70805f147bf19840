// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/internal/secretref"
	"github.com/deckhouse/secrets-store-integration/internal/watcher"
)

// watchEnv is storeEnv for watch-for-data every 20ms, reading
// demo-kv/app#DB_PASS into A, with the helper exiting with status 5.
func watchEnv(t *testing.T, f *fakeStore) []string {
	t.Helper()
	return append(storeEnv(t, f),
		envcontract.RestartOn+"="+envcontract.RestartWatchData, envcontract.PollInterval+"=20ms",
		envcontract.GracePeriod+"=5s", "A=secrets-store:demo-kv/app#DB_PASS", helperExitEnv+"=5")
}

// TestBinaryHandsOffToWatcher: a watch-for-data injector executes the
// watcher next to it, which runs the command with the resolved environment
// and polls; the command's status is the container's; the token is revoked
// at the end; nothing secret is logged.
func TestBinaryHandsOffToWatcher(t *testing.T) {
	f := newFakeStore(t)
	// The helper sleeps in a shell until the watcher has polled twice.
	done := filepath.Join(t.TempDir(), "done")
	env := watchEnv(t, f)
	go func() {
		for f.readCount("demo-kv/data/app") < 3 {
			time.Sleep(5 * time.Millisecond)
		}
		_ = os.WriteFile(done, nil, 0o600)
	}()
	r := runInjector(t, env, "/bin/sh", "-c", `while [ ! -e "$0" ]; do sleep 0.01; done; exec "$1"`, done, os.Args[0])
	if r.code != 5 {
		t.Fatalf("exit status %d, want the command's 5; stderr:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, `watcher="separate process"`) {
		t.Errorf("the injector watched in its own process; stderr:\n%s", r.stderr)
	}
	if r.env["A"] != secretPass {
		t.Errorf("A = %q, want the secret", r.env["A"])
	}
	if got := f.revokeCount(); got != 1 {
		t.Errorf("%d revocations, want 1", got)
	}
	checkClean(t, r)
}

// TestBinaryWatcherRestarts: a change of the key the command uses ends the
// container with ExitRestart, after stopping the command.
func TestBinaryWatcherRestarts(t *testing.T) {
	f := newFakeStore(t)
	go func() {
		for f.readCount("demo-kv/data/app") < 3 {
			time.Sleep(5 * time.Millisecond)
		}
		f.setSecret("demo-kv/data/app", map[string]string{"DB_PASS": "VALUE-SECRET-new", "DB_USER": secretUser})
	}()
	r := runInjector(t, watchEnv(t, f), "/bin/sleep", "60")
	if r.code != ExitRestart {
		t.Fatalf("exit status %d, want %d; stderr:\n%s", r.code, ExitRestart, r.stderr)
	}
	if !strings.Contains(r.stderr, "secret changed: restarting the container") {
		t.Errorf("no restart reason; stderr:\n%s", r.stderr)
	}
	checkClean(t, r)
}

// TestKeysOf: the keys a source is used for.
func TestKeysOf(t *testing.T) {
	p := newPlan([]string{
		"A=secrets-store:kv/app#user",
		"B=x-${secrets-store:kv/app#pass}",
		"C=secrets-store:kv/app#${.host}:${.port}",
		"D=secrets-store:kv/other#${toJson .}",
		"E=secrets-store:kv/app#user#3",
	}, []secretref.PathVersion{{Path: "kv/imported"}})
	if len(p.invalid) > 0 {
		t.Fatal(p.invalid[0])
	}
	for _, tc := range []struct {
		s              source
		keys, required []string
		all            bool
	}{
		{s: source{path: "kv/app"}, keys: []string{"host", "pass", "port", "user"}, required: []string{"pass", "user"}},
		{s: source{path: "kv/app", version: 3}, keys: []string{"user"}, required: []string{"user"}},
		{s: source{path: "kv/other"}, all: true},
		{s: source{path: "kv/imported"}, all: true},
	} {
		var src watcher.Source
		p.keysOf(tc.s, &src)
		slices.Sort(src.Keys)
		slices.Sort(src.Required)
		if !slices.Equal(src.Keys, tc.keys) || !slices.Equal(src.Required, tc.required) || src.All != tc.all {
			t.Errorf("%v: keys %v, required %v, all %v; want %v, %v, %v", tc.s, src.Keys, src.Required, src.All, tc.keys, tc.required, tc.all)
		}
	}
}

func TestWatcherEnv(t *testing.T) {
	got := watcherEnv([]string{"A=secret", "TZ=Europe/Berlin", "SECRETS_STORE_ADDR=x", "TZX=1"})
	if want := []string{"GOMAXPROCS=1", "GOGC=25", "TZ=Europe/Berlin"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestStoreOf(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want watcher.Store
		bad  bool
	}{
		{addr: "https://store.example", want: watcher.Store{Addr: "store.example:443", Host: "store.example", TLS: true, ServerName: "store.example"}},
		{addr: "https://10.0.0.1:8200/", want: watcher.Store{Addr: "10.0.0.1:8200", Host: "10.0.0.1:8200", TLS: true, ServerName: "10.0.0.1"}},
		{addr: "http://[::1]:8200/pre/fix/", want: watcher.Store{Addr: "[::1]:8200", Host: "[::1]:8200", PathPrefix: "/pre/fix", ServerName: "::1"}},
		{addr: "ftp://x", bad: true},
		{addr: "store.example:8200", bad: true},
	} {
		var cfg Config
		cfg.Store.Address = tc.addr
		got, err := storeOf(cfg)
		if tc.bad {
			if err == nil {
				t.Errorf("%s: %+v, want an error", tc.addr, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.addr, err)
			continue
		}
		tc.want.Timeout = 10 * time.Second
		if got.Addr != tc.want.Addr || got.Host != tc.want.Host || got.PathPrefix != tc.want.PathPrefix ||
			got.TLS != tc.want.TLS || got.ServerName != tc.want.ServerName || got.Timeout != tc.want.Timeout {
			t.Errorf("%s: %+v, want %+v", tc.addr, *got, tc.want)
		}
	}
	t.Setenv("HTTPS_PROXY", "http://proxy.example:3128")
	var cfg Config
	cfg.Store.Address = "https://store.example"
	if _, err := storeOf(cfg); err == nil || !strings.Contains(err.Error(), "proxy") {
		t.Errorf("with a proxy: %v, want an error naming it", err)
	}
}

// TestSelfCopyWithoutWatcher: an executable with no watcher next to it (an
// image of an earlier build) is copied alone.
func TestSelfCopyWithoutWatcher(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(exe), envcontract.WatcherBinaryName)); err == nil {
		t.Skip("a watcher lies next to the test binary")
	}
	dir := t.TempDir()
	if err := SelfCopy(filepath.Join(dir, "injector")); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "injector" {
		t.Errorf("copied %v, want the injector alone", entries)
	}
}
