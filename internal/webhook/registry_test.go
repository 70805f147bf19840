// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deckhouse/secrets-store-integration/internal/podmutate"
	"github.com/deckhouse/secrets-store-integration/internal/registry"
)

// switchableSecret is an API server holding at most one Secret,
// team/pull, which the test replaces between reviews.
type switchableSecret struct {
	mu     sync.Mutex
	secret *corev1.Secret
}

func (s *switchableSecret) set(sec *corev1.Secret) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secret = sec
}

func (s *switchableSecret) kubeconfig(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		sec := s.secret
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if sec == nil || r.Method != http.MethodGet || r.URL.Path != "/api/v1/namespaces/team/secrets/pull" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`)
			return
		}
		_ = json.NewEncoder(w).Encode(sec)
	}))
	t.Cleanup(srv.Close)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	doc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: test, cluster: {server: %q}}]
users: [{name: test, user: {token: test-token}}]
contexts: [{name: test, context: {cluster: test, user: test}}]
current-context: test
`, srv.URL)
	writeAtomic(t, path, []byte(doc))
	return path
}

func pullSecret(typ corev1.SecretType, data map[string][]byte) *corev1.Secret {
	return &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "pull"},
		Type:       typ,
		Data:       data,
	}
}

// runWebhook starts Run with cfg's registry settings and returns the
// /mutate URL and a client trusting the serving certificate.
func runWebhook(t *testing.T, edit func(*Config)) (string, *http.Client) {
	t.Helper()
	dir := t.TempDir()
	ca := newTestCA(t)
	certPEM, keyPEM := ca.issue(t, 1, time.Now().Add(time.Hour))
	writeAtomic(t, filepath.Join(dir, "tls.crt"), certPEM)
	writeAtomic(t, filepath.Join(dir, "tls.key"), keyPEM)
	cfg := Config{
		Listen: "127.0.0.1:0", CertFile: filepath.Join(dir, "tls.crt"), KeyFile: filepath.Join(dir, "tls.key"),
		StoreAddr: "https://stronghold.example:8200", StoreAuthPath: "kubernetes_local",
		InjectorImage: "registry.example.com/injector:v1",
	}
	edit(&cfg)
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, testLogger(logs)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("got Run error %v", err)
		}
	})
	addr := regexp.MustCompile(`"addr":"([^"]+)"`)
	var m []string
	eventually(t, "the webhook to serve", func() bool {
		m = addr.FindStringSubmatch(logs.String())
		return m != nil
	})
	return "https://" + m[1] + "/mutate", httpsClient(ca.pool)
}

// TestRefusalsHideSecrets: whoever can post a review learns nothing about
// the Secrets the webhook can read: a missing pull secret, one of another
// type and one with credentials the registry refuses give the same
// refusal, byte for byte.
func TestRefusalsHideSecrets(t *testing.T) {
	const user, pass = "puller", "pull-pa55word"
	regHost, regCA := privateRegistry(t, user, pass)
	dir := t.TempDir()
	trust, err := json.Marshal(registry.Trust{CA: string(regCA)})
	if err != nil {
		t.Fatal(err)
	}
	writeAtomic(t, filepath.Join(dir, "registry.json"), trust)
	api := &switchableSecret{}
	url, client := runWebhook(t, func(c *Config) {
		c.RegistryConfigFile = filepath.Join(dir, "registry.json")
		c.Kubeconfig = api.kubeconfig(t)
	})
	wrongAuth := base64.StdEncoding.EncodeToString([]byte(user + ":not-the-password"))
	cases := []struct {
		name   string
		secret *corev1.Secret
	}{
		{"missing", nil},
		{"of another type", pullSecret(corev1.SecretTypeOpaque, map[string][]byte{"password": []byte(pass)})},
		{"without the key", pullSecret(corev1.SecretTypeDockerConfigJson, nil)},
		{"malformed", pullSecret(corev1.SecretTypeDockerConfigJson, map[string][]byte{corev1.DockerConfigJsonKey: []byte("{")})},
		{"valid, denied", pullSecret(corev1.SecretTypeDockerConfigJson, map[string][]byte{
			corev1.DockerConfigJsonKey: []byte(`{"auths":{"` + regHost + `":{"auth":"` + wrongAuth + `"}}}`),
		})},
	}
	var first string
	for _, c := range cases {
		api.set(c.secret)
		resp := postReview(t, client, url, regHost+"/private/app:v1")
		if resp.Allowed || resp.Result == nil {
			t.Fatalf("%s: got allowed %v, want a refusal", c.name, resp.Allowed)
		}
		msg := resp.Result.Message
		if first == "" {
			first = msg
			t.Logf("refusal: %s", msg)
			want := `check that each of the pod's imagePullSecrets (pull) exists in namespace "team", ` +
				`is of type kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg and holds credentials for registry "` + regHost + `"`
			if !strings.Contains(msg, want) {
				t.Errorf("got %q, want it to contain %q", msg, want)
			}
			continue
		}
		if msg != first {
			t.Errorf("%s: got refusal\n%s\nwant the same as for a missing secret:\n%s", c.name, msg, first)
		}
	}
}

// TestRegistryFlags: the registry limits and trust document are flags with
// defaults.
func TestRegistryFlags(t *testing.T) {
	var c Config
	fs := flag.NewFlagSet("webhook", flag.ContinueOnError)
	c.AddFlags(fs)
	if c.RegistryMaxConcurrentLookups != registry.DefaultMaxConcurrentLookups || c.RegistryMaxImagesPerPod != podmutate.DefaultMaxImages {
		t.Errorf("got defaults %d and %d, want %d and %d", c.RegistryMaxConcurrentLookups, c.RegistryMaxImagesPerPod,
			registry.DefaultMaxConcurrentLookups, podmutate.DefaultMaxImages)
	}
	err := fs.Parse([]string{
		"--registry-config=/etc/registry.json", "--registry-max-concurrent-lookups=3",
		"--registry-max-images-per-pod=4", "--insecure-registries=a.local, b.local:5000",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.RegistryConfigFile != "/etc/registry.json" || c.RegistryMaxConcurrentLookups != 3 || c.RegistryMaxImagesPerPod != 4 ||
		strings.Join(c.InsecureRegistries, ",") != "a.local,b.local:5000" {
		t.Errorf("got %+v", c)
	}
}

func TestLoadTrust(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		writeAtomic(t, p, []byte(data))
		return p
	}
	_, caPEM := privateRegistry(t, "u", "p")
	doc := write("trust.json", `{"ca": `+strings.TrimSpace(string(mustJSON(t, string(caPEM))))+`, "insecureRegistries": ["a.local"],
		"mirrors": [{"registry": "docker.io", "endpoints": [{"url": "https://mirror.example.com"}]}]}`)
	caFile := write("ca.pem", string(caPEM))
	got, err := loadTrust(Config{RegistryConfigFile: doc, RegistryCAFile: caFile, InsecureRegistries: []string{"b.local"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(got.CA, "BEGIN CERTIFICATE") != 2 || strings.Join(got.InsecureRegistries, ",") != "a.local,b.local" ||
		len(got.Mirrors) != 1 {
		t.Errorf("got %+v, want the document's settings with the flags' added", got)
	}

	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"missing document", Config{RegistryConfigFile: filepath.Join(dir, "none")}, "read registry-config"},
		{"unknown field", Config{RegistryConfigFile: write("bad.json", `{"mirror": []}`)}, `unknown field "mirror"`},
		{
			"invalid mirror",
			Config{RegistryConfigFile: write("bad2.json", `{"mirrors": [{"registry": "docker.io", "endpoints": [{"url": "ftp://m"}]}]}`)},
			`imageRegistries.mirrors[0].endpoints[0]: url "ftp://m": want an http or https URL`,
		},
		{"ca file not PEM", Config{RegistryCAFile: write("bad.pem", "not pem")}, "registry-ca-file " + filepath.Join(dir, "bad.pem") + ": holds no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadTrust(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
