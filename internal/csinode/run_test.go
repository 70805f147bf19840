// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

type fakeRegistrar struct{ registered atomic.Bool }

func (f *fakeRegistrar) Run(ctx context.Context) error { <-ctx.Done(); return nil }
func (f *fakeRegistrar) Registered() bool              { return f.registered.Load() }

// fakeAPIServer answers the SecretsStoreImport informer's list and watch
// and accepts Events.
func fakeAPIServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/apis/deckhouse.io/v1alpha1/secretsstoreimports" && r.URL.Query().Get("watch") == "true":
			w.WriteHeader(http.StatusOK)
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Errorf("flush the watch response: %v", err)
				return
			}
			<-r.Context().Done()
		case r.URL.Path == "/apis/deckhouse.io/v1alpha1/secretsstoreimports":
			_ = json.NewEncoder(w).Encode(map[string]any{
				"apiVersion": "deckhouse.io/v1alpha1", "kind": "SecretsStoreImportList",
				"metadata": map[string]any{"resourceVersion": "1"}, "items": []any{},
			})
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/events"):
			w.WriteHeader(http.StatusCreated)
			_, _ = io.Copy(w, r.Body)
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`)
		}
	}))
	t.Cleanup(srv.Close)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: " + srv.URL + "}}]\n" +
		"users: [{name: u, user: {token: test}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n"
	if err := os.WriteFile(kubeconfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return kubeconfig
}

// TestRun runs the whole program: health reflects registration, metrics are
// served, the CSI socket answers, and canceling stops everything.
func TestRun(t *testing.T) {
	root := t.TempDir()
	cfg := Config{
		DriverName: DefaultDriverName, Version: "1.2.3", NodeID: "node-1",
		Endpoint: filepath.Join(root, "csi", "csi.sock"), KubeletDir: root, StateDir: filepath.Join(root, "state"),
		StagingDir:       filepath.Join(root, "staging"),
		RotationInterval: DefaultRotationInterval, TmpfsSize: DefaultTmpfsSize,
		Store:        StoreDefaults{Address: "https://127.0.0.1:1", AuthPath: DefaultStoreAuthPath},
		HealthListen: "127.0.0.1:0", Kubeconfig: fakeAPIServer(t),
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	reg := &fakeRegistrar{}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, log, reg) }()

	addr := waitForAddress(t, logs)
	get := func(path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+addr+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// The CSI server starts alongside the HTTP server; then the health
	// check waits for kubelet's registration only.
	for code, body := get("/healthz"); !strings.Contains(body, "not registered"); code, body = get("/healthz") {
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "not serving") {
			t.Fatalf("healthz before registration: got %d %q, want 503", code, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	reg.registered.Store(true)
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("healthz: got %d, want 200", code)
	}
	if code, body := get("/metrics"); code != http.StatusOK || !strings.Contains(body, "secrets_store_csi_volumes 0") {
		t.Errorf("metrics: got %d, want 200 with the volumes gauge", code)
	}

	conn, err := grpc.NewClient("unix://"+cfg.Endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	info, err := csi.NewIdentityClient(conn).GetPluginInfo(t.Context(), &csi.GetPluginInfoRequest{})
	_ = conn.Close()
	if err != nil || info.GetName() != DefaultDriverName || info.GetVendorVersion() != "1.2.3" {
		t.Errorf("GetPluginInfo: got %v, %v", info, err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: got %v, want nil after cancel", err)
		}
	case <-time.After(stopGrace + httpStopGrace):
		t.Fatal("Run did not return after cancel")
	}
	if _, err := os.Lstat(cfg.Endpoint); err == nil {
		t.Error("CSI socket left behind")
	}
}

func waitForAddress(t *testing.T, logs *syncBuffer) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for line := range strings.SplitSeq(logs.String(), "\n") {
			var rec struct{ Msg, Address string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "http server listening" {
				return rec.Address
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the http server did not start; log:\n%s", logs.String())
	return ""
}
