// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// A container without `command`: the webhook reads the image's Entrypoint/Cmd from a private
// registry (TLS, basic auth) with the pod's imagePullSecrets. The registry runs on
// 127.0.0.1; the same image is imported into containerd under the same name, so the kubelet
// needs no pull (imagePullPolicy: Never).
func TestInjectionImageWithoutCommand(t *testing.T) {
	setupModule(t)
	ctx := t.Context()
	const user = "puller"
	pass := secretValue("pull-password")
	host := startRegistry(t, user, pass)

	spec := publishPrintenv(t, host+"/apps/printenv:1",
		remote.WithAuth(&authn.Basic{Username: user, Password: pass}), remote.WithTransport(stackTransport(t)))

	cfg, _ := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{
		"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + pass)),
	}}})
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "registry-creds", Namespace: seedNS},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: cfg},
	}
	_ = kube.CoreV1().Secrets(seedNS).Delete(ctx, secret.Name, metav1.DeleteOptions{})
	if _, err := kube.CoreV1().Secrets(seedNS).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	t.Run("with pull secret", func(t *testing.T) {
		pod := injectedPod("no-command", nil, env("DB_PASS", "secrets-store:"+seedKV+"/data/myapp-secret#DB_PASS"))
		pod.Spec.Containers[0].Image, pod.Spec.Containers[0].Command = spec.Name, nil
		pod.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: secret.Name}}
		phase, logs := runInjected(t, pod)
		if phase != corev1.PodSucceeded || !strings.Contains(logs, "DB_PASS=secret-password") {
			t.Fatalf("got phase %s, log:\n%s", phase, logs)
		}
	})
	t.Run("without pull secret the pod is refused", func(t *testing.T) {
		pod := injectedPod("no-command-no-creds", nil, env("DB_PASS", "secrets-store:"+seedKV+"/data/myapp-secret#DB_PASS"))
		pod.Spec.Containers[0].Image, pod.Spec.Containers[0].Command = spec.Name, nil
		_, err := kube.CoreV1().Pods(seedNS).Create(ctx, pod, metav1.CreateOptions{})
		if err == nil {
			_ = kube.CoreV1().Pods(seedNS).Delete(ctx, pod.Name, metav1.DeleteOptions{})
			t.Fatal("pod admitted although the webhook cannot read its image config")
		}
		if !strings.Contains(err.Error(), spec.Name) {
			t.Fatalf("refusal %q does not name the image", err)
		}
	})
}

// startRegistry serves go-containerregistry's registry on 127.0.0.1 with the stack's
// localhost certificate and basic auth, and returns its host:port.
func startRegistry(t *testing.T, user, pass string) string {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="e2e"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	})
	srv := httptest.NewUnstartedServer(h) // listens on 127.0.0.1, port 0
	kp, err := tls.LoadX509KeyPair(filepath.Join(stk.Dir, "pki", "localhost.crt"), filepath.Join(stk.Dir, "pki", "localhost.key"))
	if err != nil {
		t.Fatal(err)
	}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{kp}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "https://")
}

func stackTransport(t *testing.T) http.RoundTripper {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(mustRead(t, stk.Env.CAFile)) {
		t.Fatal(fmt.Errorf("no CA in %s", stk.Env.CAFile))
	}
	return &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
}

// publishPrintenv pushes an image named ref whose entrypoint prints the environment, with
// opts, and imports the same image into containerd, so that the kubelet needs no pull
// (imagePullPolicy: Never).
func publishPrintenv(t *testing.T, ref string, opts ...remote.Option) stack.Image {
	t.Helper()
	ctx := t.Context()
	spec := stack.BusyboxImageSpec(ctx)
	spec.Name = ref
	spec.Entrypoint, spec.Cmd = []string{"/bin/sh", "-c"}, []string{"env | sort"}
	img, err := spec.Build()
	if err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(spec.Name)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, append(opts, remote.WithContext(ctx))...); err != nil {
		t.Fatalf("push %s: %v", spec.Name, err)
	}
	archive := filepath.Join(t.TempDir(), "image.tar")
	if err := spec.WriteOCI(archive); err != nil {
		t.Fatal(err)
	}
	if err := stk.ImportImage(ctx, archive); err != nil {
		t.Fatal(err)
	}
	return spec
}
