// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// privateRegistry serves a private image behind TLS and basic auth and
// returns its host and the PEM of its certificate.
func privateRegistry(t *testing.T, user, pass string) (host string, caPEM []byte) {
	t.Helper()
	inner := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	host = strings.TrimPrefix(srv.URL, "https://")

	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.Config(img, v1.Config{Entrypoint: []string{"/bin/secret-app"}, Cmd: []string{"--serve"}})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(host + "/private/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithTransport(srv.Client().Transport),
		remote.WithAuth(&authn.Basic{Username: user, Password: pass})); err != nil {
		t.Fatal(err)
	}
	return host, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

// fakeAPIServer answers GETs of the given Secrets like the Kubernetes API,
// and writes a kubeconfig pointing at it.
func fakeAPIServer(t *testing.T, secrets ...*corev1.Secret) (kubeconfig string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, s := range secrets {
			if r.Method == http.MethodGet && r.URL.Path == fmt.Sprintf("/api/v1/namespaces/%s/secrets/%s", s.Namespace, s.Name) {
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(s)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`)
	}))
	t.Cleanup(srv.Close)
	kubeconfig = filepath.Join(t.TempDir(), "kubeconfig")
	doc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: test, cluster: {server: %q}}]
users: [{name: test, user: {token: test-token}}]
contexts: [{name: test, context: {cluster: test, user: test}}]
current-context: test
`, srv.URL)
	if err := os.WriteFile(kubeconfig, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return kubeconfig
}

// TestRun assembles the whole webhook: a pod without a command in a private
// image is mutated with the image's entrypoint, read with the pod's pull
// secret from the API server.
func TestRun(t *testing.T) {
	const user, pass = "puller", "pull-pa55word"
	regHost, regCA := privateRegistry(t, user, pass)
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	kubeconfig := fakeAPIServer(t, &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "pull"},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths":{"` + regHost + `":{"auth":"` + auth + `"}}}`)},
	})

	dir := t.TempDir()
	ca := newTestCA(t)
	certPEM, keyPEM := ca.issue(t, 7, time.Now().Add(time.Hour))
	files := map[string][]byte{
		"tls.crt": certPEM, "tls.key": keyPEM, "registry-ca.pem": regCA,
		"store-ca.pem": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}),
	}
	for n, b := range files {
		writeAtomic(t, filepath.Join(dir, n), b)
	}
	cfg := Config{
		Listen: "127.0.0.1:0", MetricsListen: "127.0.0.1:0",
		CertFile: filepath.Join(dir, "tls.crt"), KeyFile: filepath.Join(dir, "tls.key"),
		StoreAddr: "https://stronghold.example:8200", StoreAuthPath: "kubernetes_local",
		StoreCAFile: filepath.Join(dir, "store-ca.pem"), InjectorImage: "registry.example.com/injector:v1",
		RegistryCAFile: filepath.Join(dir, "registry-ca.pem"), Kubeconfig: kubeconfig,
	}
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, testLogger(logs)) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("got Run error %v", err)
		}
	}()

	addrs := regexp.MustCompile(`"addr":"([^"]+)","metrics_addr":"([^"]+)"`)
	var m []string
	eventually(t, "the webhook to serve", func() bool {
		m = addrs.FindStringSubmatch(logs.String())
		return m != nil
	})
	resp := postReview(t, httpsClient(ca.pool), "https://"+m[1]+"/mutate", regHost+"/private/app:v1")
	if !resp.Allowed || len(resp.Patch) == 0 {
		t.Fatalf("got allowed %v, result %+v, want a patch", resp.Allowed, resp.Result)
	}
	for _, want := range []string{`"/bin/secret-app"`, `"--serve"`} {
		if !strings.Contains(string(resp.Patch), want) {
			t.Errorf("got patch %s, want it to contain %s", resp.Patch, want)
		}
	}
	metrics := scrape(t, http.DefaultClient, "http://"+m[2]+"/metrics")
	for sample, want := range map[string]float64{
		`secrets_store_webhook_reviews_total{result="mutated"}`:        1,
		`secrets_store_webhook_registry_lookups_total{result="ok"}`:    1,
		`secrets_store_webhook_certificate_expiry_timestamp_seconds`:   float64(certNotAfter(t, certPEM).Unix()),
		`secrets_store_webhook_registry_cache_hits_total{cache="tag"}`: 0,
	} {
		if got := metricValue(t, metrics, sample); got != want {
			t.Errorf("got %s %v, want %v", sample, got, want)
		}
	}
	if strings.Contains(logs.String(), pass) || strings.Contains(logs.String(), auth) {
		t.Error("log contains the pull secret")
	}
}

func postReview(t *testing.T, c *http.Client, url, image string) *admissionv1.AdmissionResponse {
	t.Helper()
	pod, err := json.Marshal(&corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name: "app", Namespace: "team",
			Annotations: map[string]string{"secrets-store.deckhouse.io/role": "app"},
		},
		Spec: corev1.PodSpec{
			ImagePullSecrets: []corev1.LocalObjectReference{{Name: "pull"}},
			Containers: []corev1.Container{{Name: "app", Image: image, Env: []corev1.EnvVar{
				{Name: "DB_PASS", Value: "secrets-store:demo-kv/data/app#password"},
			}}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(&admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID: "e2e", Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Namespace: "team", Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: pod},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url+"?timeout=10s", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var review admissionv1.AdmissionReview
	if err := json.NewDecoder(resp.Body).Decode(&review); err != nil || review.Response == nil {
		t.Fatalf("decode review: %v", err)
	}
	return review.Response
}

func certNotAfter(t *testing.T, certPEM []byte) time.Time {
	t.Helper()
	b, _ := pem.Decode(certPEM)
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c.NotAfter
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	base := Config{Listen: "127.0.0.1:0", CertFile: "c", KeyFile: "k", InjectorImage: "injector:v1"}
	writeAtomic(t, filepath.Join(dir, "not-pem"), []byte("not pem"))
	writeAtomic(t, filepath.Join(dir, "kubeconfig"), []byte("{{{"))
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"invalid config", func(c *Config) { c.InjectorImage = "" }, "injector image is empty"},
		{"missing store ca", func(c *Config) { c.StoreCAFile = filepath.Join(dir, "none") }, "read store-ca-file"},
		{"store ca not pem", func(c *Config) { c.StoreCAFile = filepath.Join(dir, "not-pem") }, "store CA holds no PEM certificate"},
		{"missing registry ca", func(c *Config) { c.RegistryCAFile = filepath.Join(dir, "none") }, "read registry-ca-file"},
		{"bad kubeconfig", func(c *Config) { c.Kubeconfig = filepath.Join(dir, "kubeconfig") }, "kubernetes client configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			tt.edit(&c)
			err := Run(t.Context(), c, testLogger(&syncBuffer{}))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
