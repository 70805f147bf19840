// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package nriplugin

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containerd/nri/pkg/adaptation"
	validator "github.com/containerd/nri/plugins/default-validator"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
)

// runtimeSide starts the runtime's end of NRI (what containerd embeds) on a
// socket in a temporary directory, with the default validator on.
func runtimeSide(t *testing.T) (*adaptation.Adaptation, string) {
	t.Helper()
	dir := shortTempDir(t)
	return runtimeAt(t, dir), filepath.Join(dir, "nri.sock")
}

// shortTempDir is a temporary directory with a short path: a socket path
// has at most 107 bytes.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "nri") //nolint:usetesting // t.TempDir makes socket paths longer than 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// runtimeAt starts the runtime side with its socket and directories in dir.
func runtimeAt(t *testing.T, dir string) *adaptation.Adaptation {
	t.Helper()
	sock := filepath.Join(dir, "nri.sock")
	sync := func(ctx context.Context, cb adaptation.SyncCB) error {
		_, err := cb(ctx, nil, nil)
		return err
	}
	update := func(context.Context, []*adaptation.ContainerUpdate) ([]*adaptation.ContainerUpdate, error) {
		return nil, nil
	}
	r, err := adaptation.New("test-runtime", "v0.0.0", sync, update,
		adaptation.WithSocketPath(sock),
		adaptation.WithPluginPath(filepath.Join(dir, "plugins")),
		adaptation.WithPluginConfigPath(filepath.Join(dir, "conf.d")),
		adaptation.WithDefaultValidator(&validator.DefaultValidatorConfig{Enable: true}),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r
}

func waitConnected(t *testing.T, p *Plugin) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for p.Connected() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("plugin not connected: %v", p.Connected())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Through the real NRI protocol: the runtime's CreateContainer gets the
// resolved variables and loses the control ones; a failure fails it.
func TestNRICreateContainer(t *testing.T) {
	r, sock := runtimeSide(t)
	f := newFakeStore()
	p, _, logs := newTestPlugin(t, f)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, sock) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	waitConnected(t, p)

	env := []string{"DB_PASS=secrets-store:demo-kv/data/myapp#DB_PASS", "PLAIN=x"}
	rpl, err := r.CreateContainer(ctx, &adaptation.CreateContainerRequest{
		Pod:       testPod(),
		Container: &adaptation.Container{Id: "c1", PodSandboxId: "sandbox-1", Name: "app", Env: env},
	})
	if err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}
	got := envMap(env, rpl.GetAdjust())
	if got["DB_PASS"] != secretPass || got["PLAIN"] != "x" || len(got) != 2 {
		t.Errorf("environment after NRI: DB_PASS resolved %v, PLAIN %q, %d variables",
			got["DB_PASS"] == secretPass, got["PLAIN"], len(got))
	}

	_, err = r.CreateContainer(ctx, &adaptation.CreateContainerRequest{
		Pod: testPod(),
		Container: &adaptation.Container{
			Id: "c2", PodSandboxId: "sandbox-1", Name: "app",
			Env: []string{"X=secrets-store:demo-kv/data/myapp#NOPE"},
		},
	})
	if err == nil || !strings.Contains(err.Error(), "demo-kv/data/myapp#NOPE") {
		t.Errorf("CreateContainer of an unresolvable container: %v, want a refusal naming the reference", err)
	}
	assertNoSecrets(t, logs.String())
	if err != nil {
		assertNoSecrets(t, err.Error())
	}
}

// With the plugin absent, a container that the webhook's annotation names
// it as required for (the default validator's, which the runtime must
// enable) is refused; without that annotation the runtime would create the
// container unresolved.
func TestNRIRequiredPluginAbsent(t *testing.T) {
	r, _ := runtimeSide(t)
	pod := testPod()
	pod.Annotations = map[string]string{envcontract.RequiredPluginsAnnotation("app"): `["` + Name + `"]`}
	env := []string{"DB_PASS=secrets-store:demo-kv/data/myapp#DB_PASS"}
	_, err := r.CreateContainer(t.Context(), &adaptation.CreateContainerRequest{
		Pod:       pod,
		Container: &adaptation.Container{Id: "c1", PodSandboxId: "sandbox-1", Name: "app", Env: env},
	})
	if err == nil || !strings.Contains(err.Error(), Name) {
		t.Errorf("CreateContainer without the plugin: %v, want a refusal naming %q", err, Name)
	}
}

// A plugin started before the runtime (containerd restarting) says why it
// is not connected, and connects once the runtime is up on its socket.
func TestNRIConnectsWhenRuntimeComesUp(t *testing.T) {
	dir := shortTempDir(t)
	p, _, _ := newTestPlugin(t, newFakeStore())
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, filepath.Join(dir, "nri.sock")) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for p.lastErr.Load() == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := p.Connected(); err == nil || !strings.Contains(err.Error(), "nri.sock") {
		t.Fatalf("Connected() = %v, want a reason naming the socket", err)
	}
	runtimeAt(t, dir)
	waitConnected(t, p)
}
