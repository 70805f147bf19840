// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package podmutate

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
)

func TestMutateErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*corev1.Pod)
		want   []string // substrings of the message
		is     error
	}{
		{
			name:   "invalid annotation",
			change: func(p *corev1.Pod) { p.Annotations[ClientTimeoutAnnotation] = "ten" },
			want:   []string{`annotation secrets-store.deckhouse.io/client-timeout: "ten" is not a duration: use a Go duration such as 10s or 1m`},
		},
		{
			name:   "invalid role",
			change: func(p *corev1.Pod) { p.Annotations[RoleAnnotation] = " " },
			want:   []string{`annotation secrets-store.deckhouse.io/role: " " is not a valid role name`},
		},
		{
			name: "reserved variable",
			change: func(p *corev1.Pod) {
				p.Spec.Containers[0].Env = append(refEnv(), corev1.EnvVar{Name: "A", Value: "1"}, corev1.EnvVar{Name: envcontract.Addr, Value: "https://evil"})
			},
			want: []string{`container "app" sets SECRETS_STORE_ADDR: names starting with SECRETS_STORE_ are reserved for the injector's control variables: remove it and use the secrets-store.deckhouse.io/ annotations instead`},
		},
		{
			name: "reserved variable in init container",
			change: func(p *corev1.Pod) {
				p.Spec.InitContainers = []corev1.Container{{
					Name: "init", Image: "alpine:3.20", Command: []string{"true"},
					Env: append(refEnv(), corev1.EnvVar{Name: "SECRETS_STORE_X"}),
				}}
			},
			want: []string{`container "init" sets SECRETS_STORE_X`},
		},
		{
			name: "resolver error",
			change: func(p *corev1.Pod) {
				p.Spec.Containers[0].Command = nil
				p.Spec.Containers[0].Image = "registry.example.com/private:1"
			},
			want: []string{`container "app" has no command and reading the entrypoint of its image failed: ` +
				errRegistry.Error() + `; or set command in the container spec`},
			is: errRegistry,
		},
		{
			name: "image without entrypoint or cmd",
			change: func(p *corev1.Pod) {
				p.Spec.Containers[0].Command = nil
				p.Spec.Containers[0].Image = "scratch.example.com/empty:1"
			},
			want: []string{`container "app": image "scratch.example.com/empty:1": image defines neither entrypoint nor cmd: set command in the container spec`},
			is:   ErrNoCommand,
		},
		{
			name:   "no image and no command",
			change: func(p *corev1.Pod) { p.Spec.Containers[0].Command, p.Spec.Containers[0].Image = nil, "" },
			want:   []string{`container "app" has neither a command nor an image`},
		},
		{
			name: "reserved volume",
			change: func(p *corev1.Pod) {
				p.Spec.Volumes = []corev1.Volume{{Name: envcontract.TokenVolumeName}}
			},
			want: []string{`volume "secrets-store-token" is reserved for the secrets-store injector: rename it`},
		},
		{
			name: "reserved CA volume with tls-secret",
			change: func(p *corev1.Pod) {
				p.Annotations[TLSSecretAnnotation] = "ca"
				p.Spec.Volumes = []corev1.Volume{{Name: envcontract.CAVolumeName}}
			},
			want: []string{`volume "secrets-store-ca" is reserved`},
		},
		{
			name: "reserved container name",
			change: func(p *corev1.Pod) {
				p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: envcontract.InitContainerName, Image: "x", Command: []string{"x"}})
			},
			want: []string{`container name "secrets-store-injector" is reserved for the secrets-store injector: rename the container`},
		},
		{
			name: "reserved init container name",
			change: func(p *corev1.Pod) {
				p.Spec.InitContainers = []corev1.Container{{Name: envcontract.InitContainerName, Image: "x", Command: []string{"/bin/true"}}}
			},
			want: []string{`init container "secrets-store-injector" is reserved for the secrets-store injector: rename it`},
		},
		{
			name: "reserved mount path",
			change: func(p *corev1.Pod) {
				p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: envcontract.MountPath + "/"}}
			},
			want: []string{`container "app" mounts volume "data" at /secrets-store/, which is reserved for the secrets-store injector: mount it elsewhere`},
		},
		{
			name:   "windows",
			change: func(p *corev1.Pod) { p.Spec.OS = &corev1.PodOS{Name: corev1.Windows} },
			want:   []string{"entrypoint injection supports Linux containers only"},
		},
		{
			name:   "namespace not set by the caller",
			change: func(p *corev1.Pod) { p.Namespace = "" },
			want:   []string{"pod namespace is empty: set it from the admission request before mutating"},
		},
		{
			name: "every container problem at once",
			change: func(p *corev1.Pod) {
				p.Spec.Containers[0].Env = append(refEnv(), corev1.EnvVar{Name: envcontract.Role})
				p.Spec.Containers = append(p.Spec.Containers,
					corev1.Container{Name: "b", Image: "registry.example.com/private:1", Env: refEnv()},
					corev1.Container{Name: "c", Image: "registry.example.com/private:1", Env: refEnv()})
			},
			want: []string{`container "app" sets SECRETS_STORE_ROLE`, `container "b" has no command`, `container "c" has no command`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := simplePod(nil)
			tc.change(pod)
			before := pod.DeepCopy()
			m := &Mutator{Defaults: testDefaults(), Images: &fakeResolver{}}
			changed, err := m.Mutate(t.Context(), pod)
			if err == nil {
				t.Fatalf("got changed=%v and no error, want an error", changed)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got  %v\nwant it to contain %s", err, w)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("got %v, want errors.Is %v", err, tc.is)
			}
			if changed || !equality.Semantic.DeepEqual(pod, before) {
				t.Errorf("changed = %v and the pod was modified, want an error to leave it untouched", changed)
			}
		})
	}
}

func TestMutateWithoutResolver(t *testing.T) {
	pod := simplePod(nil)
	pod.Spec.Containers[0].Command = nil
	_, err := (&Mutator{Defaults: testDefaults()}).Mutate(t.Context(), pod)
	if err == nil || !strings.Contains(err.Error(), "image lookup is not configured") {
		t.Errorf("got %v, want an error about the missing image lookup", err)
	}
}

func TestMutateNotOptedIn(t *testing.T) {
	for name, a := range map[string]map[string]string{
		"no annotations": nil,
		"empty role":     {RoleAnnotation: "", ClientTimeoutAnnotation: "ten"},
	} {
		t.Run(name, func(t *testing.T) {
			pod := simplePod(nil)
			pod.Annotations = a
			before := pod.DeepCopy()
			changed, err := (&Mutator{Defaults: testDefaults()}).Mutate(t.Context(), pod)
			if changed || err != nil || !equality.Semantic.DeepEqual(pod, before) {
				t.Errorf("got %v, %v, want false, nil and the pod unchanged", changed, err)
			}
		})
	}
}

// TestMutateImageRefs checks what the resolver is asked: the pod's
// namespace, pull secrets and architecture, each distinct image once, a
// failing image once even when several containers use it.
func TestMutateImageRefs(t *testing.T) {
	pod := simplePod(nil)
	pod.Spec.NodeSelector = map[string]string{"kubernetes.io/arch": "arm64"}
	pod.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "regcred"}, {Name: ""}, {Name: "other"}}
	pod.Spec.InitContainers = []corev1.Container{{Name: "i", Image: "nginx:1.27", Env: refEnv()}}
	pod.Spec.Containers = []corev1.Container{
		{Name: "a", Image: "nginx:1.27", Env: refEnv()},
		{Name: "b", Image: "nginx:1.27", Args: []string{"x"}, Env: refEnv()},
		{Name: "c", Image: "alpine:3.20", Env: refEnv()},
		{Name: "d", Image: "alpine:3.20", Command: []string{"sh"}, Env: refEnv()},
		// Needs no injector: never looked up.
		{Name: "e", Image: "registry.example.com/team/app:1.0"},
	}
	r := &fakeResolver{}
	if _, err := (&Mutator{Defaults: testDefaults(), Images: r}).Mutate(t.Context(), pod); err != nil {
		t.Fatal(err)
	}
	want := []ImageRef{
		{Image: "nginx:1.27", Namespace: "myapp-namespace", PullSecrets: []string{"regcred", "other"}, Arch: "arm64"},
		{Image: "alpine:3.20", Namespace: "myapp-namespace", PullSecrets: []string{"regcred", "other"}, Arch: "arm64"},
	}
	if !reflect.DeepEqual(r.calls, want) {
		t.Errorf("got calls %+v, want %+v", r.calls, want)
	}

	pod = simplePod(nil)
	pod.Spec.Containers = []corev1.Container{{Name: "a", Image: "private:1", Env: refEnv()}, {Name: "b", Image: "private:1", Env: refEnv()}}
	r = &fakeResolver{}
	_, err := (&Mutator{Defaults: testDefaults(), Images: r}).Mutate(t.Context(), pod)
	if err == nil || !strings.Contains(err.Error(), `container "a"`) || !strings.Contains(err.Error(), `container "b"`) {
		t.Errorf("got %v, want errors for containers a and b", err)
	}
	if n := r.callsFor("private:1"); n != 1 {
		t.Errorf("got %d lookups of a failing image, want 1", n)
	}
	if r.calls[0].Arch != "" || r.calls[0].PullSecrets != nil {
		t.Errorf("got %+v, want no arch and no pull secrets", r.calls[0])
	}
}

// TestMutateOwnsItsObjects checks that pods never share memory with the
// defaults or with each other, so the caller may change one freely.
func TestMutateOwnsItsObjects(t *testing.T) {
	m := &Mutator{Defaults: testDefaults(), Images: &fakeResolver{}}
	a, b := simplePod(nil), simplePod(nil)
	for _, p := range []*corev1.Pod{a, b} {
		if _, err := m.Mutate(t.Context(), p); err != nil {
			t.Fatal(err)
		}
	}
	a.Spec.InitContainers[0].Resources.Limits[corev1.ResourceMemory] = resource.MustParse("1Gi")
	a.Spec.Volumes[0].EmptyDir.SizeLimit.Set(1)
	*a.Spec.Volumes[1].Projected.Sources[0].ServiceAccountToken.ExpirationSeconds = 1
	a.Spec.InitContainers[0].Command[0] = "changed"
	if !equality.Semantic.DeepEqual(m.Defaults, testDefaults()) {
		t.Error("changing a mutated pod changed the defaults")
	}
	if !equality.Semantic.DeepEqual(b.Spec.Volumes[0], injectorVolume()) || b.Spec.InitContainers[0].Command[0] != envcontract.InitBinaryPath {
		t.Error("changing a mutated pod changed another one")
	}
}
