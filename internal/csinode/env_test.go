// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
)

// fakeEnv records what environment volumes hand to the NRI plugin.
type fakeEnv struct {
	mu        sync.Mutex
	connected error
	pods      map[string]envPod // by target
}

type envPod struct{ uid, pod, sa, token string }

func (f *fakeEnv) Connected() error { f.mu.Lock(); defer f.mu.Unlock(); return f.connected }

func (f *fakeEnv) SetPod(uid, pod, sa, target, token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pods[target] = envPod{uid, pod, sa, token}
}

func (f *fakeEnv) ForgetTarget(target string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.pods[target]
	delete(f.pods, target)
	return ok
}

func withEnvVolume() reqOption {
	return func(r *csi.NodePublishVolumeRequest) {
		delete(r.VolumeContext, AttrSecretsStoreImport)
		r.VolumeContext[envcontract.EnvVolumeAttribute] = "true"
	}
}

func newEnvHarness(t *testing.T) (*harness, *fakeEnv) {
	t.Helper()
	h := newHarness(t)
	env := &fakeEnv{pods: map[string]envPod{}}
	h.env = env
	h.start()
	return h, env
}

func TestEnvVolumeHandsTokenToNRIPlugin(t *testing.T) {
	h, env := newEnvHarness(t)
	r := h.request(withEnvVolume())
	h.mustPublish(r)
	got, ok := env.pods[r.TargetPath]
	if !ok || got.uid != r.VolumeContext[ctxPodUID] || got.sa != "myapp-namespace/myapp-sa" || got.token != jwtApp {
		t.Fatalf("NRI plugin got %+v (token matches: %v)", got.pod, got.token == jwtApp)
	}
	if st, err := os.Stat(r.TargetPath); err != nil || !st.IsDir() {
		t.Errorf("target: %v", err)
	}
	if len(h.mounter.mounted) != 0 || h.store.count("read") != 0 {
		t.Errorf("an environment volume mounted %d tmpfs and read %d times, want none", len(h.mounter.mounted), h.store.count("read"))
	}
	// A republish refreshes the token.
	r.VolumeContext[ctxTokens] = tokensJSON(map[string]string{"": jwtApp + "-2"})
	h.mustPublish(r)
	if env.pods[r.TargetPath].token != jwtApp+"-2" {
		t.Error("republish did not refresh the token")
	}
	if err := h.unpublish(r); err != nil {
		t.Fatal(err)
	}
	if _, ok := env.pods[r.TargetPath]; ok {
		t.Error("unpublish left the pod's token with the NRI plugin")
	}
	if _, err := os.Stat(r.TargetPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("target left: %v", err)
	}
}

func TestEnvVolumeWaitsForNRIPlugin(t *testing.T) {
	h, env := newEnvHarness(t)
	env.connected = errors.New("the NRI plugin is not connected to the container runtime: dial unix /run/nri.sock: no such file")
	r := h.request(withEnvVolume())
	err := h.publish(r)
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("publish: %v, want FailedPrecondition", err)
	}
	for _, w := range []string{"not connected", "no container starts with secret references unresolved", "node-1", "NRI enabled"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	if len(env.pods) != 0 {
		t.Error("token handed over while not connected")
	}
	env.connected = nil // kubelet retries
	h.mustPublish(r)
}

func TestEnvVolumeWithoutNRIPlugin(t *testing.T) {
	h := newHarness(t)
	err := h.publish(h.request(withEnvVolume()))
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "--nri-socket") {
		t.Errorf("publish: %v, want FailedPrecondition naming --nri-socket", err)
	}
}

func TestEnvVolumeValidation(t *testing.T) {
	h, _ := newEnvHarness(t)
	for name, opt := range map[string]reqOption{
		"not true": func(r *csi.NodePublishVolumeRequest) { r.VolumeContext[envcontract.EnvVolumeAttribute] = "yes" },
		"with ssi": func(r *csi.NodePublishVolumeRequest) { r.VolumeContext[AttrSecretsStoreImport] = "x" },
		"no token": func(r *csi.NodePublishVolumeRequest) { delete(r.VolumeContext, ctxTokens) },
	} {
		t.Run(name, func(t *testing.T) {
			err := h.publish(h.request(withEnvVolume(), opt))
			if status.Code(err) != codes.InvalidArgument {
				t.Errorf("publish: %v, want InvalidArgument", err)
			}
		})
	}
}
