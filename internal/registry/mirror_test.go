// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/deckhouse/secrets-store-integration/internal/podmutate"
)

// mirrorRegistry serves the registry API under root ("/v2", "/prefix/v2",
// "/api" …) over TLS, optionally behind basic auth, and records what it was
// asked; images are pushed to it through a plain loopback side door.
type mirrorRegistry struct {
	srv      *httptest.Server
	host     string
	pushHost string

	mu   sync.Mutex
	seen []string // "HEAD /api/team/app/manifests/v1 ns=…"
}

func newMirrorRegistry(t *testing.T, root string, auth bool) *mirrorRegistry {
	t.Helper()
	inner := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	m := &mirrorRegistry{}
	m.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.seen = append(m.seen, r.Method+" "+r.URL.Path+" ns="+r.URL.Query().Get("ns"))
		m.mu.Unlock()
		rest, ok := strings.CutPrefix(r.URL.Path, root+"/")
		if !ok {
			http.NotFound(w, r)
			return
		}
		if u, p, ok := r.BasicAuth(); auth && (!ok || u != testUser || p != testPassword) {
			w.Header().Set("WWW-Authenticate", `Basic realm="mirror"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/v2/" + rest
		inner.ServeHTTP(w, r2)
	}))
	m.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	m.srv.StartTLS()
	t.Cleanup(m.srv.Close)
	push := httptest.NewServer(inner)
	t.Cleanup(push.Close)
	m.host = strings.TrimPrefix(m.srv.URL, "https://")
	m.pushHost = strings.TrimPrefix(push.URL, "http://")
	return m
}

func (m *mirrorRegistry) push(t *testing.T, repoTag string, img v1.Image) {
	t.Helper()
	ref, err := name.ParseReference(m.pushHost+"/"+repoTag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
}

// count returns how many requests matched method and held part.
func (m *mirrorRegistry) count(method, part string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, s := range m.seen {
		if strings.HasPrefix(s, method+" ") && strings.Contains(s, part) {
			n++
		}
	}
	return n
}

// downRegistry is the address of a registry that refuses connections.
func downRegistry(t *testing.T) string {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func mirrorsOf(registry string, endpoints ...Endpoint) []Mirror {
	return []Mirror{{Registry: registry, Endpoints: endpoints}}
}

// TestMirrors: lookups go to mirror endpoints with the capability needed,
// in order, then to the registry itself, like containerd's hosts.toml.
func TestMirrors(t *testing.T) {
	up := newTestRegistry(t)
	img := testImage(t, []string{"/bin/mirrored"}, []string{"--flag"})
	down := downRegistry(t)
	plain := newMirrorRegistry(t, "/v2", false)
	prefixed := newMirrorRegistry(t, "/prefix/v2", false)
	api := newMirrorRegistry(t, "/api", false)
	private := newMirrorRegistry(t, "/v2", true)
	empty := newMirrorRegistry(t, "/v2", false)
	for _, m := range []*mirrorRegistry{plain, prefixed, api, private} {
		m.push(t, "team/app:v1", img)
	}
	pushTo(t, up, "team/app:v1", img)
	cas := string(certPEM(plain.srv)) + string(certPEM(prefixed.srv)) + string(certPEM(api.srv)) +
		string(certPEM(private.srv)) + string(certPEM(empty.srv)) + string(up.caPEM())
	secrets := newFakeSecrets(dockerSecret("team", "up", down, testUser, testPassword))

	tests := []struct {
		name    string
		image   string
		mirrors []Mirror
		secrets []string
		mirror  *mirrorRegistry
		// requests the mirror must have seen, and must not have seen
		want, wantNot []string
		wantUpstream  []string // requests the upstream must have seen ("HEAD manifest" …)
	}{
		{
			name: "mirror serves while the registry is down", image: down + "/team/app:v1",
			mirrors: mirrorsOf(down, Endpoint{URL: "https://" + plain.host}), mirror: plain,
			want: []string{"HEAD /v2/team/app/manifests/v1 ns=" + down, "GET /v2/team/app/manifests/sha256:"},
		},
		{
			name: "plain http endpoint", image: down + "/team/app:v1",
			mirrors: mirrorsOf(down, Endpoint{URL: "http://" + plain.pushHost}), mirror: plain,
		},
		{
			name: "path prefix gets /v2 appended", image: down + "/team/app:v1",
			mirrors: mirrorsOf(down, Endpoint{URL: "https://" + prefixed.host + "/prefix"}), mirror: prefixed,
			want: []string{"GET /prefix/v2/ ns=", "HEAD /prefix/v2/team/app/manifests/v1"},
		},
		{
			name: "overridePath uses the path as the API root", image: down + "/team/app:v1",
			mirrors: mirrorsOf(down, Endpoint{URL: "https://" + api.host + "/api", OverridePath: true}), mirror: api,
			want: []string{"GET /api/ ns=", "HEAD /api/team/app/manifests/v1 ns=" + down},
		},
		{
			name: "_default applies to registries without an entry", image: down + "/team/app:v1",
			mirrors: mirrorsOf("_default", Endpoint{URL: "https://" + plain.host}), mirror: plain,
			want: []string{"HEAD /v2/team/app/manifests/v1 ns=" + down},
		},
		{
			name: "an entry of its own wins over _default", image: down + "/team/app:v1",
			mirrors: append(mirrorsOf("_default", Endpoint{URL: "https://" + empty.host}),
				Mirror{Registry: down, Endpoints: []Endpoint{{URL: "https://" + plain.host}}}),
			mirror: empty, wantNot: []string{"HEAD"},
		},
		{
			name: "pull only: the tag is resolved by the registry", image: up.host + "/team/app:v1",
			mirrors: mirrorsOf(up.host, Endpoint{URL: "https://" + plain.host, Capabilities: []string{CapabilityPull}}),
			mirror:  plain, want: []string{"GET /v2/team/app/manifests/sha256:"}, wantNot: []string{"HEAD"},
			wantUpstream: []string{"HEAD manifest"},
		},
		{
			name: "resolve only: the digest is fetched from the registry", image: up.host + "/team/app:v1",
			mirrors: mirrorsOf(up.host, Endpoint{URL: "https://" + plain.host, Capabilities: []string{CapabilityResolve}}),
			mirror:  plain, want: []string{"HEAD /v2/team/app/manifests/v1"}, wantNot: []string{"GET /v2/team/app/manifests/"},
			wantUpstream: []string{"GET manifest"},
		},
		{
			name: "a mirror without the image falls back to the registry", image: up.host + "/team/app:v1",
			mirrors: mirrorsOf(up.host, Endpoint{URL: "https://" + empty.host}), mirror: empty,
			want: []string{"HEAD /v2/team/app/manifests/v1"}, wantUpstream: []string{"HEAD manifest", "GET manifest"},
		},
		{
			name: "the registry's credentials go to its mirror", image: down + "/team/app:v1", secrets: []string{"up"},
			mirrors: mirrorsOf(down, Endpoint{URL: "https://" + private.host}), mirror: private,
			want: []string{"HEAD /v2/team/app/manifests/v1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := New(secrets, Config{Trust: Trust{CA: cas, Mirrors: tt.mirrors}})
			if err != nil {
				t.Fatal(err)
			}
			before := map[string]int{}
			for _, k := range []string{"HEAD manifest", "GET manifest"} {
				before[k] = up.count(k)
			}
			tt.mirror.mu.Lock()
			tt.mirror.seen = nil
			tt.mirror.mu.Unlock()
			got, err := r.Resolve(t.Context(), podmutate.ImageRef{Image: tt.image, Namespace: "team", PullSecrets: tt.secrets})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Entrypoint, []string{"/bin/mirrored"}) {
				t.Errorf("got entrypoint %q, want [/bin/mirrored]", got.Entrypoint)
			}
			for _, w := range tt.want {
				method, part, _ := strings.Cut(w, " ")
				if tt.mirror.count(method, part) == 0 {
					t.Errorf("mirror saw %q, want a request like %q", tt.mirror.seen, w)
				}
			}
			for _, w := range tt.wantNot {
				method, part, _ := strings.Cut(w, " ")
				if tt.mirror.count(method, part) != 0 {
					t.Errorf("mirror saw %q, want no request like %q", tt.mirror.seen, w)
				}
			}
			for _, k := range tt.wantUpstream {
				if up.count(k) == before[k] {
					t.Errorf("registry saw no %s, want one", k)
				}
			}
		})
	}
}

// pushTo pushes img to a testRegistry.
func pushTo(t *testing.T, tr *testRegistry, repoTag string, img v1.Image) {
	t.Helper()
	ref, err := name.ParseReference(tr.host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, tr.pushOptions()...); err != nil {
		t.Fatal(err)
	}
}

// TestMirrorErrors: failures name the mirror that answered and the
// settings to check.
func TestMirrorErrors(t *testing.T) {
	down := downRegistry(t)
	private := newMirrorRegistry(t, "/v2", true)
	private.push(t, "team/app:v1", testImage(t, []string{"/bin/app"}, nil))
	mirrorCA := string(certPEM(private.srv))
	tests := []struct {
		name     string
		endpoint Endpoint
		ca       string
		wantErr  error
		want     []string
	}{
		{
			name:     "untrusted mirror certificate",
			endpoint: Endpoint{URL: "https://" + private.host},
			wantErr:  ErrTLS,
			want: []string{
				`registry "` + down + `" (mirror "` + private.host + `")`, "certificate signed by an unknown authority",
				"endpoint's ca in imageRegistries.mirrors", "skipTLSVerify",
			},
		},
		{
			name:     "mirror denies anonymous access, the registry is down",
			endpoint: Endpoint{URL: "https://" + private.host, CA: mirrorCA},
			wantErr:  ErrDenied,
			want:     []string{`(mirror "` + private.host + `") denied anonymous access`, "HTTP 401 Unauthorized"},
		},
		{
			name:     "skipTLSVerify",
			endpoint: Endpoint{URL: "https://" + private.host, SkipTLSVerify: true},
			wantErr:  ErrDenied,
			want:     []string{"denied anonymous access"},
		},
		{
			name:     "global ca trusted for mirrors",
			endpoint: Endpoint{URL: "https://" + private.host},
			ca:       mirrorCA,
			wantErr:  ErrDenied,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := New(newFakeSecrets(), Config{Trust: Trust{CA: tt.ca, Mirrors: mirrorsOf(down, tt.endpoint)}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Resolve(t.Context(), podmutate.ImageRef{Image: down + "/team/app:v1"})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
		})
	}
}
