// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package connection_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/deckhouse/module-sdk/pkg"
	"github.com/deckhouse/module-sdk/testing/framework"
	"github.com/deckhouse/module-sdk/testing/helpers"

	"github.com/deckhouse/secrets-store-integration/hooks/connection"
	"github.com/deckhouse/secrets-store-integration/hooks/internal/module"
)

// The private key of the Stronghold TLS Secret in the fixtures. Tests assert
// it never reaches a snapshot.
const strongholdTLSKey = "-----BEGIN EC PRIVATE KEY-----\nc3Ryb25naG9sZC1wcml2YXRlLWtleQ==\n-----END EC PRIVATE KEY-----\n"

// testCA returns a self-signed CA certificate in PEM.
func testCA(t *testing.T, cn string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("create certificate: %v", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// strongholdService is the Service as the stronghold module deploys it.
func strongholdService(ports ...int) map[string]any {
	list := make([]any, 0, len(ports))
	for i, p := range ports {
		list = append(list, map[string]any{"name": "port-" + string(rune('a'+i)), "port": p, "protocol": "TCP"})
	}
	return map[string]any{
		"apiVersion": "v1",
		"kind":       "Service",
		"metadata":   map[string]any{"name": "stronghold", "namespace": "d8-stronghold"},
		"spec":       map[string]any{"type": "ClusterIP", "clusterIP": "10.0.0.10", "ports": list},
	}
}

// strongholdTLSSecret is the Secret d8-stronghold/stronghold-tls with the CA,
// the certificate and the private key.
func strongholdTLSSecret(caPEM string) map[string]any {
	return map[string]any{
		"apiVersion": "v1",
		"kind":       "Secret",
		"metadata":   map[string]any{"name": "stronghold-tls", "namespace": "d8-stronghold"},
		"type":       "kubernetes.io/tls",
		"data": map[string]any{
			"ca.crt":  b64(caPEM),
			"tls.crt": b64(caPEM),
			"tls.key": b64(strongholdTLSKey),
		},
	}
}

// filtered runs a binding's filter over a full object, as shell-operator does
// before it stores the snapshot.
func filtered(t *testing.T, filter string, obj map[string]any) pkg.Snapshot {
	t.Helper()
	var out any
	if err := helpers.JQRunOnObject(t.Context(), filter, obj, &out); err != nil {
		t.Fatalf("run filter: %v", err)
	}
	return helpers.SnapshotFromObject(out)
}

// moduleValues builds the values addon-operator hands to the hook: the
// defaults of openapi/values.yaml (which extends config-values.yaml), the
// given settings merged over them, all under the module's key, plus the
// global section.
func moduleValues(t *testing.T, settings string) map[string]any {
	t.Helper()
	schema, err := framework.LoadOpenAPISchema("../../openapi/values.yaml")
	if err != nil {
		t.Fatalf("load values schema: %v", err)
	}
	var over map[string]any
	if err := json.Unmarshal([]byte(settings), &over); err != nil {
		t.Fatalf("parse settings %s: %v", settings, err)
	}
	return map[string]any{
		"global":         map[string]any{"discovery": map[string]any{"clusterDomain": "cluster.local"}},
		module.ValuesKey: framework.MergeValues(framework.SchemaDefaults(schema), over),
	}
}

// resultConnection returns internal.connection after the hook's patches are
// applied, and whether the hook patched it at all.
func resultConnection(t *testing.T, in *pkg.HookInput) (map[string]any, bool) {
	t.Helper()
	var got map[string]any
	if raw := in.Values.Get(connection.ValuesPath).Raw; raw != "" {
		if err := json.Unmarshal([]byte(raw), &got); err != nil {
			t.Fatalf("decode current connection: %v", err)
		}
	}
	want := "/" + strings.ReplaceAll(connection.ValuesPath, ".", "/")
	patched := false
	for _, op := range in.Values.GetPatches() {
		if op.Path != want {
			t.Errorf("unexpected values patch %s %s", op.Op, op.Path)
			continue
		}
		patched = true
		got = nil
		if op.Op == "add" {
			if err := json.Unmarshal(op.Value, &got); err != nil {
				t.Fatalf("decode patched connection: %v", err)
			}
		}
	}
	return got, patched
}

// connectionMap is the values form of a Connection with all four keys.
func connectionMap(url, authPath, caCert, namespace string) map[string]any {
	return map[string]any{"url": url, "authPath": authPath, "caCert": caCert, "namespace": namespace}
}
