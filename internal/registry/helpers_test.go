// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

const (
	testUser     = "puller"
	testPassword = "pa55-w0rd-never-logged"
	// untrusted as Config.Trust.CA makes newTestResolver trust no extra CA.
	untrusted = "untrusted"
)

// testRegistry is go-containerregistry's in-memory registry behind TLS and
// basic auth: /v2/ and every repository under private/ need the test
// credentials; other repositories are readable anonymously.
type testRegistry struct {
	srv  *httptest.Server
	host string // 127.0.0.1:port
	// delay holds HEAD manifest requests, so concurrent lookups overlap.
	delay atomic.Int64 // nanoseconds

	mu     sync.Mutex
	counts map[string]int // "HEAD manifest", "GET manifest", "GET blob", "GET ping"
	total  atomic.Int64
}

func newTestRegistry(t *testing.T) *testRegistry {
	t.Helper()
	tr := &testRegistry{counts: map[string]int{}}
	inner := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	tr.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := tr.record(r)
		if d := time.Duration(tr.delay.Load()); kind == "HEAD manifest" && d > 0 {
			time.Sleep(d)
		}
		needAuth := r.URL.Path == "/v2/" || strings.HasPrefix(r.URL.Path, "/v2/private/")
		if needAuth {
			user, pass, ok := r.BasicAuth()
			if !ok || user != testUser || pass != testPassword {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
				return
			}
		}
		inner.ServeHTTP(w, r)
	}))
	tr.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake errors of the TLS tests
	tr.srv.StartTLS()
	t.Cleanup(tr.srv.Close)
	tr.host = strings.TrimPrefix(tr.srv.URL, "https://")
	return tr
}

func (tr *testRegistry) record(r *http.Request) string {
	kind := r.Method + " other"
	switch {
	case r.URL.Path == "/v2/":
		kind = r.Method + " ping"
	case strings.Contains(r.URL.Path, "/manifests/"):
		kind = r.Method + " manifest"
	case strings.Contains(r.URL.Path, "/blobs/"):
		kind = r.Method + " blob"
	}
	tr.total.Add(1)
	tr.mu.Lock()
	tr.counts[kind]++
	tr.mu.Unlock()
	return kind
}

func (tr *testRegistry) count(kind string) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.counts[kind]
}

// caPEM is the PEM of the server's self-signed certificate.
func (tr *testRegistry) caPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tr.srv.Certificate().Raw})
}

func (tr *testRegistry) pushOptions() []remote.Option {
	return []remote.Option{
		remote.WithTransport(tr.srv.Client().Transport),
		remote.WithAuth(&authn.Basic{Username: testUser, Password: testPassword}),
	}
}

// pushImage pushes a one-layer image with the given config and returns its
// manifest digest.
func (tr *testRegistry) pushImage(t *testing.T, repoTag string, entrypoint, cmd []string) v1.Hash {
	t.Helper()
	img := testImage(t, entrypoint, cmd)
	ref, err := name.ParseReference(tr.host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, tr.pushOptions()...); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// pushIndex pushes an index with one image per platform ("linux/amd64",
// "linux/arm64/v8" …); each image's Cmd names its platform.
func (tr *testRegistry) pushIndex(t *testing.T, repoTag string, platforms ...string) v1.Hash {
	t.Helper()
	var adds []mutate.IndexAddendum
	for _, p := range platforms {
		plat, err := v1.ParsePlatform(p)
		if err != nil {
			t.Fatal(err)
		}
		adds = append(adds, mutate.IndexAddendum{
			Add:        testImage(t, []string{"/entry"}, []string{p}),
			Descriptor: v1.Descriptor{Platform: plat},
		})
	}
	idx := mutate.AppendManifests(empty.Index, adds...)
	ref, err := name.ParseReference(tr.host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, idx, tr.pushOptions()...); err != nil {
		t.Fatalf("push index %s: %v", ref, err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func testImage(t *testing.T, entrypoint, cmd []string) v1.Image {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.Config(img, v1.Config{Entrypoint: entrypoint, Cmd: cmd})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// fakeSecrets is a SecretGetter over a fixed set of Secrets.
type fakeSecrets struct {
	mu      sync.Mutex
	secrets map[string]*corev1.Secret // "namespace/name"
	gets    int
}

func newFakeSecrets(secrets ...*corev1.Secret) *fakeSecrets {
	f := &fakeSecrets{secrets: map[string]*corev1.Secret{}}
	for _, s := range secrets {
		f.secrets[s.Namespace+"/"+s.Name] = s
	}
	return f
}

func (f *fakeSecrets) GetSecret(_ context.Context, namespace, name string) (*corev1.Secret, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	s, ok := f.secrets[namespace+"/"+name]
	if !ok {
		return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, name)
	}
	return s.DeepCopy(), nil
}

// dockerSecret is a kubernetes.io/dockerconfigjson Secret with one entry.
func dockerSecret(namespace, name, location, user, pass string) *corev1.Secret {
	doc, _ := json.Marshal(map[string]any{"auths": map[string]any{
		location: map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))},
	}})
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: doc},
	}
}

// legacySecret is a kubernetes.io/dockercfg Secret with one entry.
func legacySecret(namespace, name, location, user, pass string) *corev1.Secret {
	doc := fmt.Sprintf(`{%q:{"username":%q,"password":%q,"email":"a@b.c"}}`, location, user, pass)
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Type:       corev1.SecretTypeDockercfg,
		Data:       map[string][]byte{corev1.DockerConfigKey: []byte(doc)},
	}
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recordingObserver counts lookups by result and cache hits by cache.
type recordingObserver struct {
	mu      sync.Mutex
	lookups map[string]int
	hits    map[string]int
}

func newRecordingObserver() *recordingObserver {
	return &recordingObserver{lookups: map[string]int{}, hits: map[string]int{}}
}

func (o *recordingObserver) OnLookup(result string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.lookups[result]++
}

func (o *recordingObserver) OnCacheHit(cache string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.hits[cache]++
}

func (o *recordingObserver) lookup(result string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.lookups[result]
}

func (o *recordingObserver) hit(cache string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.hits[cache]
}

// newTestResolver trusts tr's certificate unless cfg says which CA to
// trust (untrusted sets an empty bundle).
func newTestResolver(t *testing.T, tr *testRegistry, secrets SecretGetter, cfg Config, opts ...Option) *Resolver {
	t.Helper()
	switch cfg.Trust.CA {
	case "":
		cfg.Trust.CA = string(tr.caPEM())
	case untrusted:
		cfg.Trust.CA = ""
	}
	r, err := New(secrets, cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
