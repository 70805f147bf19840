// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"

	"github.com/deckhouse/secrets-store-integration/internal/podmutate"
)

// TestConcurrentLookupsBounded: distinct lookups beyond
// MaxConcurrentLookups wait for a slot instead of reaching the registry,
// and give up with ErrBusy, naming the limit, when their context ends.
// Abandoned lookups stop: no request stays in flight for nobody.
func TestConcurrentLookupsBounded(t *testing.T) {
	h := newHostileRegistry(t, hold)
	const limit, pods = 3, 12
	r := h.resolver(t, Config{MaxConcurrentLookups: limit, Timeout: time.Minute})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	errs := make(chan error, pods)
	for i := range pods {
		go func() {
			_, err := r.Resolve(ctx, podmutate.ImageRef{Image: fmt.Sprintf("%s/app%d:v1", h.host, i)})
			errs <- err
		}()
	}
	eventually(t, "lookups to reach the registry", func() bool { return h.inFlight.Load() >= limit })
	waitQuiet()
	if got := h.maxSeen.Load(); got != limit {
		t.Errorf("got %d registry requests in flight at most, want %d", got, limit)
	}
	cancel()
	busy := 0
	for range pods {
		err := <-errs
		if err == nil {
			t.Fatal("got a lookup without error from a registry that never answers")
		}
		if errors.Is(err, ErrBusy) {
			busy++
			if !errors.Is(err, ErrUnavailable) {
				t.Errorf("got %v, want ErrBusy to come with ErrUnavailable", err)
			}
			for _, want := range []string{"3 registry lookups already in progress in the webhook", "registry lookups already in progress in the webhook: retry later"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("got %q, want it to contain %q", err, want)
				}
			}
		}
	}
	if busy == 0 {
		t.Error("got no ErrBusy refusal")
	}
	eventually(t, "abandoned lookups to stop", func() bool { return h.inFlight.Load() == 0 })
}

// TestMutateAfterDeadlineStartsNoLookup: a pod whose review times out
// during its first lookup costs one registry request, not one per image,
// and that request is canceled rather than left running detached.
func TestMutateAfterDeadlineStartsNoLookup(t *testing.T) {
	h := newHostileRegistry(t, hold)
	r := h.resolver(t, Config{Timeout: time.Minute})
	pod := &corev1.Pod{}
	pod.Name, pod.Namespace = "app", "team"
	pod.Annotations = map[string]string{podmutate.RoleAnnotation: "app"}
	for i := range podmutate.DefaultMaxImages {
		pod.Spec.Containers = append(pod.Spec.Containers,
			corev1.Container{
				Name: "c" + strconv.Itoa(i), Image: fmt.Sprintf("%s/app%d:v1", h.host, i),
				Env: []corev1.EnvVar{{Name: "DB_PASS", Value: "secrets-store:demo-kv/data/app#password"}},
			})
	}
	m := &podmutate.Mutator{Defaults: podmutate.Defaults{
		Addr: "https://stronghold.example:8200", AuthPath: "kubernetes_local", InjectorImage: "injector:v1",
	}, Images: r}

	_, err := m.Mutate(withTimeout(t, 300*time.Millisecond), pod)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want an error matching context.DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), `containers "c1", "c2"`) {
		t.Errorf("got %q, want it to name the containers not looked up", err)
	}
	waitQuiet()
	if got := h.requests.Load(); got != 1 {
		t.Errorf("got %d registry requests for one pod past its deadline, want 1", got)
	}
	eventually(t, "the abandoned lookup to stop", func() bool { return h.inFlight.Load() == 0 })
}

// TestLargeBodiesBounded: bodies past the bounds fail while being read
// (or at once on their Content-Length), and one lookup allocates about one
// bound, not the body.
func TestLargeBodiesBounded(t *testing.T) {
	const huge = 64 << 20
	manifest, digest := manifestFor(huge)
	anyDigest := "sha256:" + strings.Repeat("0", 64)
	tests := []struct {
		name   string
		digest string
		handle http.HandlerFunc
		want   string
	}{
		{
			name: "manifest announced larger than the bound", digest: anyDigest,
			handle: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
				w.Header().Set("Content-Length", strconv.Itoa(huge))
				w.WriteHeader(http.StatusOK)
				if f, ok := w.(http.Flusher); ok {
					f.Flush()
				}
				hold(w, r)
			},
			want: "the manifest is larger than 1048576 bytes",
		},
		{
			name: "manifest streamed past the bound", digest: anyDigest,
			handle: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
				stream(w, huge)
			},
			want: "the manifest is larger than 1048576 bytes",
		},
		{
			name: "config streamed past the bound", digest: digest,
			handle: func(w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.URL.Path, "/manifests/") {
					w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
					_, _ = w.Write(manifest)
					return
				}
				stream(w, huge)
			},
			want: "the image config is larger than 1048576 bytes",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHostileRegistry(t, tt.handle)
			r := h.resolver(t, Config{})
			ref := podmutate.ImageRef{Image: h.host + "/hostile/app@" + tt.digest}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := r.Resolve(t.Context(), ref)
			runtime.ReadMemStats(&after)
			t.Logf("allocated %d bytes", after.TotalAlloc-before.TotalAlloc)
			if !errors.Is(err, ErrUnsupported) || !errors.Is(err, errBodyTooLarge) {
				t.Fatalf("got %v, want ErrUnsupported for a body past the bound", err)
			}
			for _, want := range []string{tt.want, "too large: " + tt.want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("got %q, want it to contain %q", err, want)
				}
			}
			// Reading 1 MiB costs about 2.7 MiB of allocations (buffer
			// growth, TLS); the race detector's sync.Pool misses raise that
			// to about 7 MiB. Buffering the body whole would cost 64 MiB or
			// more, and the former 8 MiB bound cost over 16 MiB.
			const maxAlloc = 8 * MaxManifestBytes
			if got := after.TotalAlloc - before.TotalAlloc; got > maxAlloc {
				t.Errorf("got %d bytes allocated by one lookup, want at most %d", got, maxAlloc)
			}
		})
	}
}

// TestRedirectedBlobKeepsItsBound: a config blob redirected to a storage
// URL of another shape is still read with the config bound, not the small
// bound of token realm answers.
func TestRedirectedBlobKeepsItsBound(t *testing.T) {
	inner := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if digest, ok := strings.CutPrefix(r.URL.Path, "/storage/"); ok {
			r2 := r.Clone(r.Context())
			r2.URL.Path = "/v2/team/app/blobs/" + digest
			inner.ServeHTTP(w, r2)
			return
		}
		if _, digest, ok := strings.Cut(r.URL.Path, "/blobs/"); ok && r.Method == http.MethodGet {
			http.Redirect(w, r, "/storage/"+digest, http.StatusTemporaryRedirect)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "https://")
	big := strings.Repeat("x", 2*maxAuxBytes)
	ref, err := name.ParseReference(host + "/team/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, testImage(t, []string{"/bin/app"}, []string{big}), remote.WithTransport(srv.Client().Transport)); err != nil {
		t.Fatal(err)
	}
	r, err := New(newFakeSecrets(), Config{Trust: Trust{CA: string(certPEM(srv))}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Resolve(t.Context(), podmutate.ImageRef{Image: host + "/team/app:v1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Cmd) != 1 || got.Cmd[0] != big {
		t.Errorf("got a cmd of %d strings, want the image's", len(got.Cmd))
	}
}
