// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deckhouse/secrets-store-integration/internal/podmutate"
)

func TestResolve(t *testing.T) {
	tr := newTestRegistry(t)
	tr.pushImage(t, "public/app:v1", []string{"/bin/app"}, []string{"serve", "--port=80"})
	tr.pushImage(t, "private/app:v1", []string{"/bin/secret-app"}, nil)
	tr.pushImage(t, "public/cmd-only:v1", nil, []string{"sh", "-c", "echo $HOME"})
	idx := tr.pushIndex(t, "public/multi:v1", "linux/amd64", "linux/arm64/v8", "linux/arm/v6", "linux/arm/v7")
	tr.pushIndex(t, "public/amd64-only:v1", "linux/amd64")

	secrets := newFakeSecrets(
		dockerSecret("team", "good", tr.host, testUser, testPassword),
		dockerSecret("team", "wrong", tr.host, testUser, "not-the-password"),
		dockerSecret("team", "other-host", "registry.example.com", testUser, testPassword),
		legacySecret("team", "legacy", "https://"+tr.host+"/v1/", testUser, testPassword),
		dockerSecret("team", "by-path", tr.host+"/private", testUser, testPassword),
		&corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "opaque"},
			Type:       corev1.SecretTypeOpaque,
		},
	)
	r := newTestResolver(t, tr, secrets, Config{})

	tests := []struct {
		name    string
		ref     podmutate.ImageRef
		want    podmutate.ImageConfig
		wantErr error
		// wantMsg are parts the error message must contain.
		wantMsg []string
	}{
		{
			name: "public image anonymously",
			ref:  podmutate.ImageRef{Image: tr.host + "/public/app:v1"},
			want: podmutate.ImageConfig{Entrypoint: []string{"/bin/app"}, Cmd: []string{"serve", "--port=80"}},
		},
		{
			name: "public image with an unrelated pull secret",
			ref:  podmutate.ImageRef{Image: tr.host + "/public/app:v1", Namespace: "team", PullSecrets: []string{"other-host"}},
			want: podmutate.ImageConfig{Entrypoint: []string{"/bin/app"}, Cmd: []string{"serve", "--port=80"}},
		},
		{
			name: "cmd only",
			ref:  podmutate.ImageRef{Image: tr.host + "/public/cmd-only:v1"},
			want: podmutate.ImageConfig{Cmd: []string{"sh", "-c", "echo $HOME"}},
		},
		{
			name: "private image with the right secret",
			ref:  podmutate.ImageRef{Image: tr.host + "/private/app:v1", Namespace: "team", PullSecrets: []string{"good"}},
			want: podmutate.ImageConfig{Entrypoint: []string{"/bin/secret-app"}},
		},
		{
			name: "private image with a legacy dockercfg secret",
			ref:  podmutate.ImageRef{Image: tr.host + "/private/app:v1", Namespace: "team", PullSecrets: []string{"legacy"}},
			want: podmutate.ImageConfig{Entrypoint: []string{"/bin/secret-app"}},
		},
		{
			name: "private image with a path-scoped secret",
			ref:  podmutate.ImageRef{Image: tr.host + "/private/app:v1", Namespace: "team", PullSecrets: []string{"by-path"}},
			want: podmutate.ImageConfig{Entrypoint: []string{"/bin/secret-app"}},
		},
		{
			name: "wrong secret tried before the right one",
			ref: podmutate.ImageRef{
				Image: tr.host + "/private/app:v1", Namespace: "team",
				PullSecrets: []string{"wrong", "missing", "good"},
			},
			want: podmutate.ImageConfig{Entrypoint: []string{"/bin/secret-app"}},
		},
		{
			name:    "private image without secrets",
			ref:     podmutate.ImageRef{Image: tr.host + "/private/app:v1", Namespace: "team"},
			wantErr: ErrDenied,
			wantMsg: []string{tr.host + "/private/app:v1", "denied anonymous access", "add an imagePullSecret"},
		},
		{
			name:    "private image with a wrong password",
			ref:     podmutate.ImageRef{Image: tr.host + "/private/app:v1", Namespace: "team", PullSecrets: []string{"wrong"}},
			wantErr: ErrDenied,
			wantMsg: []string{"denied access", `imagePullSecrets (wrong) exists in namespace "team", is of type kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg and holds credentials for registry "` + tr.host + `"`},
		},
		{
			name:    "private image with a missing secret",
			ref:     podmutate.ImageRef{Image: tr.host + "/private/app:v1", Namespace: "team", PullSecrets: []string{"missing"}},
			wantErr: ErrDenied,
			wantMsg: []string{`imagePullSecrets (missing) exists in namespace "team"`},
		},
		{
			name:    "private image with a secret of another type",
			ref:     podmutate.ImageRef{Image: tr.host + "/private/app:v1", Namespace: "team", PullSecrets: []string{"opaque"}},
			wantErr: ErrDenied,
			wantMsg: []string{`imagePullSecrets (opaque) exists in namespace "team"`},
		},
		{
			name:    "private image with a secret for another registry",
			ref:     podmutate.ImageRef{Image: tr.host + "/private/app:v1", Namespace: "team", PullSecrets: []string{"other-host"}},
			wantErr: ErrDenied,
		},
		{
			name:    "unknown tag",
			ref:     podmutate.ImageRef{Image: tr.host + "/public/app:v2"},
			wantErr: ErrNotFound,
			wantMsg: []string{"not found in registry", "check the image name and tag"},
		},
		{
			name:    "unknown repository",
			ref:     podmutate.ImageRef{Image: tr.host + "/public/nothing:v1"},
			wantErr: ErrNotFound,
		},
		{
			name:    "invalid reference",
			ref:     podmutate.ImageRef{Image: "UPPER/Case::bad"},
			wantErr: ErrInvalid,
			wantMsg: []string{`image "UPPER/Case::bad": invalid image reference`},
		},
		{
			name: "index, default architecture amd64",
			ref:  podmutate.ImageRef{Image: tr.host + "/public/multi:v1"},
			want: podmutate.ImageConfig{Entrypoint: []string{"/entry"}, Cmd: []string{"linux/amd64"}},
		},
		{
			name: "index, arm64",
			ref:  podmutate.ImageRef{Image: tr.host + "/public/multi:v1", Arch: "arm64"},
			want: podmutate.ImageConfig{Entrypoint: []string{"/entry"}, Cmd: []string{"linux/arm64/v8"}},
		},
		{
			name: "index, arm picks the default variant v7",
			ref:  podmutate.ImageRef{Image: tr.host + "/public/multi:v1", Arch: "arm"},
			want: podmutate.ImageConfig{Entrypoint: []string{"/entry"}, Cmd: []string{"linux/arm/v7"}},
		},
		{
			name: "index by digest",
			ref:  podmutate.ImageRef{Image: tr.host + "/public/multi@" + idx.String(), Arch: "arm64"},
			want: podmutate.ImageConfig{Entrypoint: []string{"/entry"}, Cmd: []string{"linux/arm64/v8"}},
		},
		{
			name:    "index without the platform",
			ref:     podmutate.ImageRef{Image: tr.host + "/public/amd64-only:v1", Arch: "arm64"},
			wantErr: ErrPlatform,
			wantMsg: []string{"no image for platform linux/arm64 in the image index (has linux/amd64)", "kubernetes.io/arch"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Resolve(t.Context(), tt.ref)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got error %v, want %v", err, tt.wantErr)
				}
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("got %T, want *Error", err)
				}
				for _, part := range tt.wantMsg {
					if !strings.Contains(err.Error(), part) {
						t.Errorf("got message %q, want it to contain %q", err, part)
					}
				}
				if strings.Contains(err.Error(), testPassword) {
					t.Errorf("message %q contains the password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if !slices.Equal(got.Entrypoint, tt.want.Entrypoint) || !slices.Equal(got.Cmd, tt.want.Cmd) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestResolveReturnsCopies(t *testing.T) {
	tr := newTestRegistry(t)
	tr.pushImage(t, "public/app:v1", []string{"/bin/app"}, []string{"run"})
	r := newTestResolver(t, tr, newFakeSecrets(), Config{})
	ref := podmutate.ImageRef{Image: tr.host + "/public/app:v1"}

	first, err := r.Resolve(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	first.Entrypoint[0] = "changed"
	second, err := r.Resolve(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := second.Entrypoint[0], "/bin/app"; got != want {
		t.Errorf("got cached entrypoint %q after the caller changed its copy, want %q", got, want)
	}
}

func TestResolveConcurrentShareOneRequest(t *testing.T) {
	tr := newTestRegistry(t)
	tr.pushImage(t, "private/app:v1", []string{"/bin/app"}, nil)
	secrets := newFakeSecrets(dockerSecret("team", "pull", tr.host, testUser, testPassword))
	r := newTestResolver(t, tr, secrets, Config{})
	tr.delay.Store(int64(50e6)) // 50 ms per HEAD, so that lookups overlap
	headsBefore, getsBefore := tr.count("HEAD manifest"), tr.count("GET manifest")

	const pods = 200
	var wg sync.WaitGroup
	errs := make(chan error, pods)
	for range pods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := r.Resolve(t.Context(), podmutate.ImageRef{
				Image: tr.host + "/private/app:v1", Namespace: "team", PullSecrets: []string{"pull"},
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := tr.count("HEAD manifest") - headsBefore; got != 1 {
		t.Errorf("got %d HEAD requests for %d pods, want 1", got, pods)
	}
	if got := tr.count("GET manifest") - getsBefore; got != 1 {
		t.Errorf("got %d manifest GETs for %d pods, want 1", got, pods)
	}
}

func TestResolveObserver(t *testing.T) {
	tr := newTestRegistry(t)
	tr.pushImage(t, "public/app:v1", []string{"/bin/app"}, nil)
	o := newRecordingObserver()
	r := newTestResolver(t, tr, newFakeSecrets(), Config{}, WithObserver(o))

	for range 3 {
		if _, err := r.Resolve(t.Context(), podmutate.ImageRef{Image: tr.host + "/public/app:v1"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Resolve(t.Context(), podmutate.ImageRef{Image: tr.host + "/public/none:v1"}); err == nil {
		t.Fatal("got no error for a missing image")
	}
	for _, c := range []struct {
		what      string
		got, want int
	}{
		{"ok lookups", o.lookup(ResultOK), 3},
		{"not_found lookups", o.lookup(ResultNotFound), 1},
		{"tag cache hits", o.hit(CacheTag), 2},
		{"config cache hits", o.hit(CacheConfig), 2},
	} {
		if c.got != c.want {
			t.Errorf("got %d %s, want %d", c.got, c.what, c.want)
		}
	}
}
