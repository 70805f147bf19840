// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deckhouse/secrets-store-integration/test/modulechart"
)

// A registry whose certificate comes from a private CA (a corporate one) that neither the
// system pool nor the stack knows: an opted-in pod without a command is refused with a message
// naming the imageRegistries.ca setting; once the CA is in that setting of the module, the same
// pod is admitted and runs with the image's entrypoint. The module's settings are restored.
func TestInjectionRegistryPrivateCA(t *testing.T) {
	setupModule(t)
	m, ok := mod.(*modulechart.Module)
	if !ok {
		t.Skip("needs the module installed from its chart (E2E_MODULE=chart): imageRegistries is a chart setting")
	}
	ctx := t.Context()
	caPEM, cert := privateCA(t)
	host := startPrivateRegistry(t, cert)

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	push := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	spec := publishPrintenv(t, host+"/apps/private-ca:1", remote.WithTransport(push))
	pod := func(name string) *corev1.Pod {
		p := injectedPod(name, nil, env("DB_PASS", "secrets-store:"+seedKV+"/data/myapp-secret#DB_PASS"))
		p.Spec.Containers[0].Image, p.Spec.Containers[0].Command = spec.Name, nil
		return p
	}

	_, err := kube.CoreV1().Pods(seedNS).Create(ctx, pod("private-ca-before"), metav1.CreateOptions{})
	if err == nil {
		_ = kube.CoreV1().Pods(seedNS).Delete(ctx, "private-ca-before", metav1.DeleteOptions{})
		t.Fatal("pod admitted although the webhook cannot verify the registry's certificate")
	}
	t.Logf("refusal before the setting: %v", err)
	for _, want := range []string{spec.Name, "imageRegistries.ca", "ModuleConfig secrets-store-integration"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not name %q", err, want)
		}
	}

	t.Cleanup(func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 5*time.Minute)
		defer cancel()
		if err := m.Restore(rctx); err != nil {
			t.Errorf("restore the module settings: %v", err)
		}
	})
	err = m.Configure(ctx, modulechart.Settings{
		AdditionalTokenAudiences: []string{modulechart.ExtraTokenAudience},
		ImageRegistries:          map[string]any{"ca": string(caPEM)},
	})
	if err != nil {
		t.Fatal(err)
	}
	phase, logs := runInjected(t, pod("private-ca-after"))
	if phase != corev1.PodSucceeded || !strings.Contains(logs, "DB_PASS=secret-password") {
		t.Fatalf("with imageRegistries.ca set: phase %s, log:\n%s", phase, logs)
	}
}

// privateCA returns a new CA's certificate in PEM and a serving certificate it signed for
// 127.0.0.1.
func privateCA(t *testing.T) ([]byte, tls.Certificate) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "e2e private registry CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// startPrivateRegistry serves go-containerregistry's registry on 127.0.0.1 (a free port) with
// cert, without authentication, and returns its host:port.
func startPrivateRegistry(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "https://")
}
