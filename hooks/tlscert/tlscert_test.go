// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package tlscert_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	tlscertificate "github.com/deckhouse/module-sdk/common-hooks/tls-certificate"
	"github.com/deckhouse/module-sdk/pkg"
	"github.com/deckhouse/module-sdk/pkg/registry"
	"github.com/deckhouse/module-sdk/testing/helpers"

	"github.com/deckhouse/secrets-store-integration/hooks/tlscert"
)

const svc = "secrets-store-integration-webhook.d8-secrets-store-integration.svc"

func TestConf(t *testing.T) {
	if tlscert.Conf.CN != "secrets-store-integration-webhook" {
		t.Errorf("CN = %q", tlscert.Conf.CN)
	}
	if tlscert.Conf.Namespace != "d8-secrets-store-integration" || tlscert.Conf.TLSSecretName != "secrets-store-integration-webhook-tls" {
		t.Errorf("secret = %s/%s, want d8-secrets-store-integration/secrets-store-integration-webhook-tls",
			tlscert.Conf.Namespace, tlscert.Conf.TLSSecretName)
	}
	if got, want := tlscert.Conf.FullValuesPathPrefix, "secretsStoreIntegration.internal.webhookCert"; got != want {
		t.Errorf("values path = %q, want %q", got, want)
	}

	cfg := tlscertificate.GenSelfSignedTLSConfig(tlscert.Conf)
	if len(cfg.Kubernetes) != 1 {
		t.Fatalf("got %d bindings, want 1", len(cfg.Kubernetes))
	}
	b := cfg.Kubernetes[0]
	if b.Kind != "Secret" || !reflect.DeepEqual(b.NameSelector.MatchNames, []string{"secrets-store-integration-webhook-tls"}) ||
		!reflect.DeepEqual(b.NamespaceSelector.NameSelector.MatchNames, []string{"d8-secrets-store-integration"}) {
		t.Errorf("binding watches %s %v in %v", b.Kind, b.NameSelector, b.NamespaceSelector.NameSelector)
	}

	var found *pkg.HookConfig
	for _, h := range registry.Registry().ModuleHooks() {
		if h.Config.Metadata.Name == "tlscert/tlscert" {
			found = &h.Config
		}
	}
	if found == nil {
		t.Fatal("hook tlscert/tlscert is not registered")
	}
	if !reflect.DeepEqual(found.Kubernetes, cfg.Kubernetes) || found.OnBeforeHelm == nil || found.OnBeforeHelm.Order != 5 {
		t.Errorf("registered config %+v, want bindings %+v before Helm with order 5", found, cfg.Kubernetes)
	}
}

func TestSANs(t *testing.T) {
	base := []string{"secrets-store-integration-webhook", "secrets-store-integration-webhook.d8-secrets-store-integration", svc}
	tests := []struct {
		values string
		want   []string
	}{
		{`{"global": {"discovery": {"clusterDomain": "cluster.local"}}}`, append(base[:3:3], svc+".cluster.local")},
		{`{"global": {"discovery": {"clusterDomain": "corp.example"}}}`, append(base[:3:3], svc+".corp.example")},
		{`{}`, base},
	}
	for _, tt := range tests {
		in := helpers.NewInputBuilder(t).WithValuesJSON(tt.values).Build()
		if got := tlscert.SANs(in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("values %s: got %v, want %v", tt.values, got, tt.want)
		}
	}
}

// run runs the hook and returns the certificate it wrote to the values.
func run(t *testing.T, clusterDomain string, secret map[string]any) tlscertificate.CertValues {
	t.Helper()
	b := helpers.NewInputBuilder(t).WithValuesJSON(`{"global": {"discovery": {"clusterDomain": "` + clusterDomain + `"}},
		"secretsStoreIntegration": {"internal": {"webhookCert": {}}}}`)
	if secret != nil {
		var snap any
		if err := helpers.JQRunOnObject(t.Context(), tlscertificate.JQFilterTLS, secret, &snap); err != nil {
			t.Fatalf("filter secret: %v", err)
		}
		b.WithSnapshot(tlscertificate.InternalTLSSnapshotKey, helpers.SnapshotFromObject(snap))
	}
	in := b.Build()
	if err := tlscertificate.GenSelfSignedTLS(tlscert.Conf)(t.Context(), in); err != nil {
		t.Fatalf("hook: %v", err)
	}
	for _, op := range in.Values.GetPatches() {
		if op.Path == "/secretsStoreIntegration/internal/webhookCert" {
			var cv tlscertificate.CertValues
			if err := json.Unmarshal(op.Value, &cv); err != nil {
				t.Fatalf("decode values: %v", err)
			}
			return cv
		}
	}
	t.Fatalf("no values written to internal.webhookCert: %+v", in.Values.GetPatches())
	return tlscertificate.CertValues{}
}

// secretFor is the Secret the chart renders from the values.
func secretFor(cv tlscertificate.CertValues) map[string]any {
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	return map[string]any{
		"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
		"metadata": map[string]any{"name": tlscert.SecretName, "namespace": "d8-secrets-store-integration"},
		"data":     map[string]any{"ca.crt": enc(cv.CA), "tls.crt": enc(cv.Crt), "tls.key": enc(cv.Key)},
	}
}

func parseCert(t *testing.T, pemData string) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode([]byte(pemData))
	if block == nil {
		t.Fatalf("no PEM block in %q", pemData)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("parse certificate: %v", err)
	}
	return c
}

func TestIssuedCertificate(t *testing.T) {
	cv := run(t, "cluster.local", nil)
	cert, ca := parseCert(t, cv.Crt), parseCert(t, cv.CA)

	if cert.Subject.CommonName != "secrets-store-integration-webhook" {
		t.Errorf("CN = %q", cert.Subject.CommonName)
	}
	wantNames := []string{"secrets-store-integration-webhook", "secrets-store-integration-webhook.d8-secrets-store-integration", svc, svc + ".cluster.local"}
	if !reflect.DeepEqual(cert.DNSNames, wantNames) {
		t.Errorf("DNS names %v, want %v", cert.DNSNames, wantNames)
	}
	if !slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageServerAuth) {
		t.Errorf("extended key usages %v, want server auth", cert.ExtKeyUsage)
	}
	if !ca.IsCA {
		t.Error("ca is not a CA certificate")
	}
	if life := time.Until(cert.NotAfter); life < 9*365*24*time.Hour {
		t.Errorf("certificate expires in %v, want about 10 years", life)
	}

	roots := x509.NewCertPool()
	roots.AddCert(ca)
	for _, name := range wantNames {
		if _, err := cert.Verify(x509.VerifyOptions{DNSName: name, Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("verify for %s: %v", name, err)
		}
	}
	if _, err := cert.Verify(x509.VerifyOptions{DNSName: "other.d8-secrets-store-integration.svc", Roots: roots}); err == nil {
		t.Error("certificate verifies for a name it must not carry")
	}

	handshake(t, cv, svc)
}

// handshake serves TLS with the issued pair and connects as the API server
// does: the CA from the caBundle, the Service's .svc name.
func handshake(t *testing.T, cv tlscertificate.CertValues, serverName string) {
	t.Helper()
	pair, err := tls.X509KeyPair([]byte(cv.Crt), []byte(cv.Key))
	if err != nil {
		t.Fatalf("certificate and key do not match: %v", err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		_, err = io.WriteString(c, "ok")
		done <- err
	}()

	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM([]byte(cv.CA)) {
		t.Fatal("ca is not PEM")
	}
	dialer := &tls.Dialer{Config: &tls.Config{RootCAs: roots, ServerName: serverName, MinVersion: tls.VersionTLS12}}
	conn, err := dialer.DialContext(t.Context(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("handshake as %s: %v", serverName, err)
	}
	got, _ := io.ReadAll(conn)
	conn.Close()
	if err := <-done; err != nil && !strings.Contains(err.Error(), net.ErrClosed.Error()) {
		t.Fatalf("server: %v", err)
	}
	if string(got) != "ok" {
		t.Errorf("read %q over TLS, want ok", got)
	}
}

// The Secret rendered from the values is read back on the next run and kept
// while it is valid, so the webhook's certificate and the caBundle do not
// change on every run; a new cluster domain gives a new certificate.
func TestReuseAndReissue(t *testing.T) {
	first := run(t, "cluster.local", nil)

	again := run(t, "cluster.local", secretFor(first))
	if again != first {
		t.Error("a valid certificate from the Secret was reissued")
	}

	moved := run(t, "corp.example", secretFor(first))
	if moved.Crt == first.Crt {
		t.Fatal("certificate not reissued after the cluster domain changed")
	}
	if names := parseCert(t, moved.Crt).DNSNames; names[len(names)-1] != svc+".corp.example" {
		t.Errorf("reissued certificate names %v", names)
	}
}
