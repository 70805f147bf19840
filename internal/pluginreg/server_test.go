// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package pluginreg

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	registerapi "k8s.io/kubelet/pkg/apis/pluginregistration/v1"
)

const driver = "secrets-store.csi.deckhouse.io"

func testConfig(t *testing.T) Config {
	dir := t.TempDir()
	return Config{
		DriverName: driver,
		Endpoint:   "/var/lib/kubelet/plugins/" + driver + "/csi.sock",
		SocketPath: filepath.Join(dir, driver+"-reg.sock"),
	}
}

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records returns the JSON log records written so far.
func (b *syncBuffer) records(t *testing.T) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	dec := json.NewDecoder(bytes.NewReader(b.buf.Bytes()))
	for dec.More() {
		var r map[string]any
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("decode log: %v", err)
		}
		out = append(out, r)
	}
	return out
}

// running is a Server under test, serving until stop is called.
type running struct {
	srv    *Server
	logs   *syncBuffer
	client registerapi.RegistrationClient
	cancel context.CancelFunc
	done   chan error
}

// start runs a Server for cfg and connects to it as the kubelet does.
func start(t *testing.T, cfg Config) *running {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := &running{srv: New(cfg, log), logs: logs, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(t.Context())
	r.cancel = cancel
	go func() { r.done <- r.srv.Run(ctx) }()
	t.Cleanup(func() {
		if err := r.stop(t); err != nil {
			t.Errorf("Run: %v", err)
		}
	})

	// Wait until the socket accepts connections: a stale socket file left by an earlier
	// run exists before Run replaces it.
	waitFor(t, "the registration socket", func() bool {
		fi, err := os.Lstat(cfg.SocketPath)
		if err != nil || fi.Mode().Type() != fs.ModeSocket {
			return false
		}
		var d net.Dialer
		c, err := d.DialContext(t.Context(), "unix", cfg.SocketPath)
		if err != nil {
			return false
		}
		return c.Close() == nil
	})
	conn, err := grpc.NewClient("unix://"+cfg.SocketPath, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	r.client = registerapi.NewRegistrationClient(conn)
	return r
}

// stop cancels Run and returns its result; later calls return nil.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok {
			close(r.done)
		}
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after its context ended")
		return nil
	}
}

// waitFor polls cond until it holds; the long limit only stops a hung test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestGetInfo(t *testing.T) {
	tests := []struct {
		name     string
		versions []string
		want     []string
	}{
		{name: "default versions", want: []string{"1.0.0"}},
		{name: "explicit versions", versions: []string{"1.0.0", "1.1.0"}, want: []string{"1.0.0", "1.1.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.Versions = tt.versions
			r := start(t, cfg)
			info, err := r.client.GetInfo(t.Context(), &registerapi.InfoRequest{})
			if err != nil {
				t.Fatalf("GetInfo: %v", err)
			}
			if info.GetType() != registerapi.CSIPlugin || info.GetName() != driver || info.GetEndpoint() != cfg.Endpoint ||
				!slices.Equal(info.GetSupportedVersions(), tt.want) {
				t.Errorf("GetInfo: got %v, want type %s, name %s, endpoint %s, versions %v",
					info, registerapi.CSIPlugin, driver, cfg.Endpoint, tt.want)
			}
			fi, err := os.Lstat(cfg.SocketPath)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != 0o600 {
				t.Errorf("socket mode: got %v, want 0600", got)
			}
		})
	}
}

func TestNotifyRegistrationStatus(t *testing.T) {
	cfg := testConfig(t)
	r := start(t, cfg)
	notify := func(registered bool, msg string) {
		t.Helper()
		_, err := r.client.NotifyRegistrationStatus(t.Context(), &registerapi.RegistrationStatus{PluginRegistered: registered, Error: msg})
		if err != nil {
			t.Fatalf("NotifyRegistrationStatus: %v", err)
		}
	}
	if r.srv.Registered() {
		t.Fatal("Registered: got true before the kubelet reported, want false")
	}

	steps := []struct {
		registered bool
		msg        string
	}{
		{true, ""},
		{false, "plugin name already registered"},
		{true, ""},
	}
	for _, st := range steps {
		notify(st.registered, st.msg)
		if got := r.srv.Registered(); got != st.registered {
			t.Errorf("Registered after status %v: got %v, want %v", st.registered, got, st.registered)
		}
	}
	var found bool
	for _, rec := range r.logs.records(t) {
		if rec["level"] == "ERROR" && rec["error"] == "plugin name already registered" && rec["driver"] == driver {
			found = true
		}
	}
	if !found {
		t.Errorf("no error record with the kubelet's message; log: %v", r.logs.records(t))
	}

	// The kubelet deregisters a driver whose socket is removed.
	if err := os.Remove(cfg.SocketPath); err != nil {
		t.Fatal(err)
	}
	if r.srv.Registered() {
		t.Error("Registered: got true after the socket was removed, want false")
	}
}

func TestStaleSocketReplaced(t *testing.T) {
	cfg := testConfig(t)
	var lc net.ListenConfig
	lis, err := lc.Listen(t.Context(), "unix", cfg.SocketPath)
	if err != nil {
		t.Fatal(err)
	}
	ul, ok := lis.(*net.UnixListener)
	if !ok {
		t.Fatalf("listener is a %T, want *net.UnixListener", lis)
	}
	ul.SetUnlinkOnClose(false) // leave the socket file behind, as a crash would
	if err := lis.Close(); err != nil {
		t.Fatal(err)
	}
	r := start(t, cfg)
	if _, err := r.client.GetInfo(t.Context(), &registerapi.InfoRequest{}); err != nil {
		t.Fatalf("GetInfo through the replaced socket: %v", err)
	}
}

func TestRunStops(t *testing.T) {
	cfg := testConfig(t)
	r := start(t, cfg)
	if _, err := r.client.NotifyRegistrationStatus(t.Context(), &registerapi.RegistrationStatus{PluginRegistered: true}); err != nil {
		t.Fatal(err)
	}
	if err := r.stop(t); err != nil {
		t.Errorf("Run: got %v, want nil after cancel", err)
	}
	if _, err := os.Lstat(cfg.SocketPath); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket after Run: got %v, want it removed", err)
	}
	if r.srv.Registered() {
		t.Error("Registered: got true after Run returned, want false")
	}
}

func TestRunRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, cfg *Config)
	}{
		{"no driver name", func(_ *testing.T, c *Config) { c.DriverName = "" }},
		{"endpoint with scheme", func(_ *testing.T, c *Config) { c.Endpoint = "unix://" + c.Endpoint }},
		{"relative socket path", func(_ *testing.T, c *Config) { c.SocketPath = "reg.sock" }},
		{"empty version", func(_ *testing.T, c *Config) { c.Versions = []string{""} }},
		{"missing directory", func(_ *testing.T, c *Config) { c.SocketPath = filepath.Join(c.SocketPath, "x", "reg.sock") }},
		{"not a socket", func(t *testing.T, c *Config) {
			if err := os.WriteFile(c.SocketPath, []byte("keep"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			tt.change(t, &cfg)
			if err := New(cfg, nil).Run(t.Context()); err == nil {
				t.Fatal("Run: got nil, want an error")
			}
			if tt.name == "not a socket" {
				if data, err := os.ReadFile(cfg.SocketPath); err != nil || string(data) != "keep" {
					t.Errorf("file at the socket path: got %q, %v, want it kept", data, err)
				}
			}
		})
	}
}
