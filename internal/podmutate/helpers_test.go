// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package podmutate

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"
)

// testCA is a placeholder PEM: Mutate passes the module CA through without
// parsing it (Defaults.Validate does, at start-up).
const testCA = "-----BEGIN CERTIFICATE-----\nMIIBtestCA\n-----END CERTIFICATE-----\n"

func testDefaults() Defaults {
	return Defaults{
		Addr:               "https://stronghold.d8-stronghold.svc:8300",
		AuthPath:           "kubernetes_local",
		InjectorImage:      "registry.example.com/secrets-store-integration/injector@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		InjectorPullPolicy: corev1.PullIfNotPresent,
		InitResources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("10m"),
				corev1.ResourceMemory: resource.MustParse("16Mi"),
			},
			Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("32Mi")},
		},
		TokenAudience: "secrets-store",
		CSIDriver:     "secrets-store.csi.deckhouse.io",
	}
}

var errRegistry = errors.New("GET https://registry.example.com/v2/private/manifests/1: UNAUTHORIZED")

// fakeResolver serves fixed image configurations and records every call.
type fakeResolver struct {
	mu    sync.Mutex
	calls []ImageRef
}

var fakeImages = map[string]ImageConfig{
	"nginx:1.27":  {Entrypoint: []string{"/docker-entrypoint.sh"}, Cmd: []string{"nginx", "-g", "daemon off;"}},
	"alpine:3.20": {Cmd: []string{"/bin/sh"}},
	"registry.example.com/team/app:1.0": {
		Entrypoint: []string{"/app", "--home=$(HOME)"},
		Cmd:        []string{"--path=$PATH", "$$"},
	},
	"registry.example.com/team/migrate:2": {Entrypoint: []string{"/migrate"}},
	"scratch.example.com/empty:1":         {},
}

func (r *fakeResolver) Resolve(_ context.Context, ref ImageRef) (ImageConfig, error) {
	r.mu.Lock()
	r.calls = append(r.calls, ref)
	r.mu.Unlock()
	cfg, ok := fakeImages[ref.Image]
	if !ok {
		return ImageConfig{}, errRegistry
	}
	return cfg, nil
}

func (r *fakeResolver) callsFor(image string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.calls {
		if c.Image == image {
			n++
		}
	}
	return n
}

func readPod(t testing.TB, file string) *corev1.Pod {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pod := new(corev1.Pod)
	if err := yaml.UnmarshalStrict(data, pod); err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	return pod
}

func podYAML(t testing.TB, pod *corev1.Pod) []byte {
	t.Helper()
	data, err := yaml.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// simplePod returns an opted-in pod with one container that has a command.
func simplePod(annotations map[string]string) *corev1.Pod {
	a := map[string]string{RoleAnnotation: "myapp-role"}
	for k, v := range annotations {
		a[k] = v
	}
	pod := &corev1.Pod{}
	pod.Name, pod.Namespace, pod.Annotations = "app", "myapp-namespace", a
	pod.Spec.Containers = []corev1.Container{{Name: "app", Image: "alpine:3.20", Command: []string{"sleep", "infinity"}, Env: refEnv()}}
	return pod
}

// refEnv is an env with one reference, which makes a container need the
// injector.
func refEnv() []corev1.EnvVar {
	return []corev1.EnvVar{{Name: "APP_PASSWORD", Value: "secrets-store:demo-kv/data/app#password"}}
}
