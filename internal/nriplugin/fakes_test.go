// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package nriplugin

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/nri/pkg/api"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/internal/injector"
	"github.com/deckhouse/secrets-store-integration/internal/store"
)

// Distinctive values: no test may find them in a log line or an error.
const (
	secretPass = "VALUE-SECRET-db-pass"
	secretUser = "VALUE-SECRET-db-user"
	podToken   = "TOKEN-SECRET-pod-jwt"
	podUID     = "0f6c8a52-7d4e-4bb3-9d0a-2f1c5e9a1b01"
)

// fakeStore serves secrets from memory; every read logs in first, through
// the login's token source, as the real client does on a cold cache.
type fakeStore struct {
	secrets map[string]map[string]string
	block   bool
	// deadline is that of the last read's context (block only).
	deadline time.Time

	mu     sync.Mutex
	logins []store.Login
	jwts   []string
	reads  int
}

func newFakeStore() *fakeStore {
	return &fakeStore{secrets: map[string]map[string]string{
		"demo-kv/data/myapp": {"DB_PASS": secretPass, "DB_USER": secretUser},
	}}
}

func (f *fakeStore) Read(ctx context.Context, l store.Login, path string, _ int) (*store.Secret, error) {
	jwt, err := l.JWT(ctx)
	f.mu.Lock()
	f.logins = append(f.logins, l)
	f.jwts = append(f.jwts, jwt)
	f.reads++
	f.mu.Unlock()
	if err != nil {
		return nil, &store.Error{Op: store.OpLogin, Role: l.Role, AuthPath: l.AuthPath, Kind: store.ErrInvalid, Detail: err.Error()}
	}
	if f.block {
		f.mu.Lock()
		f.deadline, _ = ctx.Deadline()
		f.mu.Unlock()
		<-ctx.Done()
		return nil, &store.Error{Op: store.OpRead, Path: path, Kind: store.ErrUnavailable, Detail: ctx.Err().Error()}
	}
	d, ok := f.secrets[path]
	if !ok {
		return nil, &store.Error{Op: store.OpRead, Path: path, Role: l.Role, Kind: store.ErrNotFound, Status: 404}
	}
	raw := make(map[string]any, len(d))
	for k, v := range d {
		raw[k] = v
	}
	return &store.Secret{Path: path, Data: d, Raw: raw}, nil
}

func (f *fakeStore) readCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

// newTestPlugin returns a plugin whose store is f, with the pod of podUID
// opted in, and the buffer its log goes to.
func newTestPlugin(t *testing.T, f *fakeStore) (*Plugin, *Pods, *bytes.Buffer) {
	t.Helper()
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	pods := NewPods()
	pods.Set(podUID, "demo/myapp1", "demo/myapp-sa", "/var/lib/kubelet/pods/"+podUID+"/volumes/x/mount", podToken)
	p := New(pods, func(store.Config) (injector.Reader, error) { return f, nil }, log).WithStoreAddress(testStoreAddress)
	return p, pods, &buf.b
}

// testStoreAddress is the module's store in these tests.
const testStoreAddress = "https://store.example:8200"

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// testPod is the opted-in pod; its settings annotation holds controlEnv()
// and extra, and names the container "app".
func testPod(extra ...string) *api.PodSandbox {
	b, err := json.Marshal(Settings{Env: append(controlEnv(), extra...), Containers: []string{"app"}})
	if err != nil {
		panic(err)
	}
	return &api.PodSandbox{
		Id: "sandbox-1", Name: "myapp1", Namespace: "demo", Uid: podUID,
		Annotations: map[string]string{envcontract.NRISettingsAnnotation: string(b)},
	}
}

// controlEnv is what the webhook puts in the settings of an opted-in pod.
func controlEnv() []string {
	return []string{
		"SECRETS_STORE_ADDR=" + testStoreAddress,
		"SECRETS_STORE_AUTH_PATH=kubernetes_local",
		"SECRETS_STORE_ROLE=myapp",
		"SECRETS_STORE_SERVICE_ACCOUNT=demo/myapp-sa",
	}
}

// envMap is the effect of adj on environ, as the runtime applies it.
func envMap(environ []string, adj *api.ContainerAdjustment) map[string]string {
	m := map[string]string{}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue // the runtime drops such entries
		}
		if _, dup := m[k]; !dup {
			m[k] = v
		}
	}
	for _, e := range adj.GetEnv() {
		if k, removed := api.IsMarkedForRemoval(e.GetKey()); removed {
			delete(m, k)
			continue
		}
		m[e.GetKey()] = e.GetValue()
	}
	return m
}

// assertNoSecrets fails if any of texts holds a secret value or the token.
func assertNoSecrets(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		for _, v := range []string{secretPass, secretUser, podToken} {
			if strings.Contains(s, v) {
				t.Errorf("secret %q leaked into %q", v, s)
			}
		}
	}
}
