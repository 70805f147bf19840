// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"
)

// selfSignedPEM is a CA certificate for documents that need a valid one.
func selfSignedPEM(t testing.TB) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mirror CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestParseTrust(t *testing.T) {
	ca := selfSignedPEM(t)
	full := `{"ca": ` + jsonString(ca) + `, "insecureRegistries": ["reg.local:5000"], "mirrors": [
		{"registry": "docker.io", "endpoints": [
			{"url": "https://mirror.example.com/v2/dockerhub", "ca": ` + jsonString(ca) + `, "skipTLSVerify": false,
			 "overridePath": true, "capabilities": ["pull", "resolve"]},
			{"url": "http://cache.local:5000"}]},
		{"registry": "_default", "endpoints": [{"url": "https://all.example.com", "capabilities": ["pull"]}]}]}`
	tests := []struct {
		name string
		doc  string
		want []string // parts of the error; none: valid
	}{
		{name: "full", doc: full},
		{name: "empty object", doc: `{}`},
		{
			name: "unknown field", doc: `{"mirrors": [{"registry": "docker.io", "endpoints": [{"url": "https://m", "override_path": true}]}]}`,
			want: []string{`unknown field "override_path"`},
		},
		{name: "unknown top-level field", doc: `{"insecure": true}`, want: []string{`unknown field "insecure"`}},
		{name: "syntax", doc: `{"ca": }`, want: []string{"invalid json at offset"}},
		{name: "wrong type", doc: `{"insecureRegistries": "reg.local"}`, want: []string{`field "insecureRegistries" must be []string`}},
		{name: "trailing data", doc: `{} {}`, want: []string{"data after the JSON object"}},
		{name: "ca not PEM", doc: `{"ca": "not pem"}`, want: []string{"imageRegistries.ca: holds no PEM certificate"}},
		{
			name: "ca holds a key", doc: `{"ca": ` + jsonString("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n") + `}`,
			want: []string{"imageRegistries.ca: PEM block 1 is a PRIVATE KEY, want only CERTIFICATE blocks"},
		},
		{name: "ca with junk after", doc: `{"ca": ` + jsonString(ca+"junk") + `}`, want: []string{"imageRegistries.ca: holds data that is not PEM"}},
		{
			name: "insecure registry with a scheme", doc: `{"insecureRegistries": ["http://reg.local"]}`,
			want: []string{`imageRegistries.insecureRegistries[0] "http://reg.local": want host or host:port`},
		},
		{
			name: "registry with a path", doc: `{"mirrors": [{"registry": "docker.io/library", "endpoints": [{"url": "https://m"}]}]}`,
			want: []string{`imageRegistries.mirrors[0].registry "docker.io/library": want a registry host`},
		},
		{
			name: "default in capitals", doc: `{"mirrors": [{"registry": "_DEFAULT", "endpoints": [{"url": "https://m"}]}]}`,
			want: []string{`imageRegistries.mirrors[0].registry "_DEFAULT"`},
		},
		{
			name: "registry twice", doc: `{"mirrors": [{"registry": "index.docker.io", "endpoints": [{"url": "https://a"}]},
			{"registry": "docker.io", "endpoints": [{"url": "https://b"}]}]}`,
			want: []string{`imageRegistries.mirrors[1].registry "docker.io": also listed as imageRegistries.mirrors[0]`},
		},
		{
			name: "no endpoints", doc: `{"mirrors": [{"registry": "docker.io", "endpoints": []}]}`,
			want: []string{"imageRegistries.mirrors[0].endpoints is empty"},
		},
		{
			name: "endpoint without scheme", doc: `{"mirrors": [{"registry": "docker.io", "endpoints": [{"url": "mirror.example.com"}]}]}`,
			want: []string{`imageRegistries.mirrors[0].endpoints[0]: url "mirror.example.com": want an http or https URL`},
		},
		{
			name: "endpoint with a query", doc: `{"mirrors": [{"registry": "docker.io", "endpoints": [{"url": "https://m/?a=b"}]}]}`,
			want: []string{"must not have a query or fragment"},
		},
		{
			name: "endpoint with credentials", doc: `{"mirrors": [{"registry": "docker.io", "endpoints": [{"url": "https://user:s3cr3t@m"}]}]}`,
			want: []string{"url: must not hold user info"},
		},
		{
			name: "endpoint ca", doc: `{"mirrors": [{"registry": "docker.io", "endpoints": [{"url": "https://m", "ca": "x"}]}]}`,
			want: []string{"imageRegistries.mirrors[0].endpoints[0]: ca: holds no PEM certificate"},
		},
		{
			name: "unknown capability", doc: `{"mirrors": [{"registry": "docker.io", "endpoints": [{"url": "https://m", "capabilities": ["fetch"]}]}]}`,
			want: []string{`capability "fetch": want pull, resolve or push`},
		},
		{
			name: "push only", doc: `{"mirrors": [{"registry": "docker.io", "endpoints": [{"url": "https://m", "capabilities": ["push"]}]}]}`,
			want: []string{"capabilities: want pull and/or resolve"},
		},
		{
			name: "every problem at once", doc: `{"ca": "x", "insecureRegistries": [""], "mirrors": [{"registry": "", "endpoints": [{"url": ""}]}]}`,
			want: []string{"imageRegistries.ca", "imageRegistries.insecureRegistries[0]", "imageRegistries.mirrors[0].registry", "imageRegistries.mirrors[0].endpoints[0]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTrust([]byte(tt.doc))
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			if err == nil {
				t.Fatal("got no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("got %q, which quotes the URL's password", err)
			}
		})
	}
}

func TestEndpointAPIRoot(t *testing.T) {
	tests := []struct {
		url      string
		override bool
		want     string
	}{
		{"https://m", false, "/v2"},
		{"https://m/", false, "/v2"},
		{"https://m/v2", false, "/v2"},
		{"https://m/v2/", false, "/v2"},
		{"https://m/prefix", false, "/prefix/v2"},
		{"https://m/v2/dockerhub", false, "/v2/dockerhub/v2"},
		{"https://m/v2/dockerhub", true, "/v2/dockerhub"},
		{"https://m", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			e := Endpoint{URL: tt.url, OverridePath: tt.override}
			u, err := parseEndpointURL(e.URL)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.apiRoot(u); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzParseTrust: any document either fails or yields a Trust that
// survives a round trip and compiles into endpoints.
func FuzzParseTrust(f *testing.F) {
	ca := selfSignedPEM(f)
	for _, seed := range []string{
		`{}`,
		`{"ca": ` + jsonString(ca) + `}`,
		`{"insecureRegistries": ["reg.local:5000", "10.0.0.1"]}`,
		`{"mirrors": [{"registry": "docker.io", "endpoints": [{"url": "https://m.example/v2/hub", "overridePath": true, "capabilities": ["pull"]}]}]}`,
		`{"mirrors": [{"registry": "_default", "endpoints": [{"url": "http://cache:5000", "skipTLSVerify": true, "ca": ` + jsonString(ca) + `}]}]}`,
		`{"mirrors": [{"registry": "docker.io", "endpoints": [{"url": "https://u:p@m"}]}]}`,
		`{"ca": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}`,
		`{"mirrors": null} []`,
		`[`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ParseTrust(data)
		if err != nil {
			if !reflect.DeepEqual(tr, Trust{}) {
				t.Fatalf("got %+v with error %v", tr, err)
			}
			return
		}
		doc, err := json.Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseTrust(doc)
		if err != nil {
			t.Fatalf("re-encoded document fails: %v", err)
		}
		if !reflect.DeepEqual(normalizeTrust(tr), normalizeTrust(again)) {
			t.Fatalf("round trip changed the document: %+v, then %+v", tr, again)
		}
		if _, err := compileMirrors(tr); err != nil {
			t.Fatalf("valid document does not compile: %v", err)
		}
	})
}

// normalizeTrust makes empty and nil slices equal, as omitempty does.
func normalizeTrust(t Trust) Trust {
	if len(t.InsecureRegistries) == 0 {
		t.InsecureRegistries = nil
	}
	if len(t.Mirrors) == 0 {
		t.Mirrors = nil
	}
	for i := range t.Mirrors {
		for j := range t.Mirrors[i].Endpoints {
			if len(t.Mirrors[i].Endpoints[j].Capabilities) == 0 {
				t.Mirrors[i].Endpoints[j].Capabilities = nil
			}
		}
	}
	return t
}

// TestParseTrustCapabilityCase: the module settings spell capabilities as
// Deckhouse enums (Pull, Resolve); they mean the same as containerd's.
func TestParseTrustCapabilityCase(t *testing.T) {
	tr, err := ParseTrust([]byte(`{"mirrors": [{"registry": "docker.io", "endpoints": [{"url": "https://m", "capabilities": ["Pull", "RESOLVE"]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	e := tr.Mirrors[0].Endpoints[0]
	if !e.can(CapabilityPull) || !e.can(CapabilityResolve) {
		t.Errorf("capabilities %q: want pull and resolve", e.Capabilities)
	}
	tr, err = ParseTrust([]byte(`{"mirrors": [{"registry": "docker.io", "endpoints": [{"url": "https://m", "capabilities": ["Pull"]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if e := tr.Mirrors[0].Endpoints[0]; e.can(CapabilityResolve) {
		t.Errorf("capabilities %q: want pull only", e.Capabilities)
	}
}
