// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/deckhouse/secrets-store-integration/internal/podmutate"
)

// plainRegistry is a registry speaking plain http on loopback.
func plainRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	ref, err := name.ParseReference(host+"/app:v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, testImage(t, []string{"/plain"}, nil)); err != nil {
		t.Fatal(err)
	}
	return host
}

func TestResolveTLS(t *testing.T) {
	tr := newTestRegistry(t)
	tr.pushImage(t, "public/app:v1", []string{"/bin/app"}, nil)
	plain := plainRegistry(t)
	untrustedImage := tr.host + "/public/app:v1"

	tests := []struct {
		name     string
		cfg      Config
		image    string
		wantErr  error
		wantMsg  string
		wantArgv string
	}{
		{
			name:    "untrusted certificate",
			cfg:     Config{Trust: Trust{CA: untrusted}},
			image:   untrustedImage,
			wantErr: ErrTLS,
			wantMsg: "imageRegistries.ca",
		},
		{
			name:     "trusted through the extra CA bundle",
			image:    untrustedImage,
			wantArgv: "/bin/app",
		},
		{
			name:     "untrusted certificate of a registry listed insecure",
			cfg:      Config{Trust: Trust{CA: untrusted, InsecureRegistries: []string{tr.host}}},
			image:    untrustedImage,
			wantArgv: "/bin/app",
		},
		{
			name:    "plain http refused on loopback",
			image:   plain + "/app:v1",
			wantErr: ErrTLS,
			wantMsg: "imageRegistries.insecureRegistries",
		},
		{
			name:     "plain http of a registry listed insecure",
			cfg:      Config{Trust: Trust{InsecureRegistries: []string{plain}}},
			image:    plain + "/app:v1",
			wantArgv: "/plain",
		},
		{
			name:    "unreachable registry",
			image:   "127.0.0.1:1/app:v1",
			wantErr: ErrUnavailable,
			wantMsg: "check that the registry is reachable",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestResolver(t, tr, newFakeSecrets(), tt.cfg)
			got, err := r.Resolve(t.Context(), podmutate.ImageRef{Image: tt.image})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got error %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("got message %q, want it to contain %q", err, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if len(got.Entrypoint) != 1 || got.Entrypoint[0] != tt.wantArgv {
				t.Errorf("got entrypoint %q, want [%s]", got.Entrypoint, tt.wantArgv)
			}
		})
	}
}

func TestNewConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"ca bundle without certificates", Config{Trust: Trust{CA: "not pem"}}, "imageRegistries.ca: holds no PEM certificate"},
		{"insecure registry with a path", Config{Trust: Trust{InsecureRegistries: []string{"reg.example/path"}}}, "want host or host:port"},
		{"negative ttl", Config{TagTTL: -1}, "must not be negative"},
		{"negative concurrent lookups", Config{MaxConcurrentLookups: -1}, "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(newFakeSecrets(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestLimitedBody(t *testing.T) {
	tests := []struct {
		name    string
		size    int
		wantErr error
	}{
		{"at the bound", MaxManifestBytes, nil},
		{"over the bound", MaxManifestBytes + 1, errBodyTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &limitedBody{
				rc:   io.NopCloser(strings.NewReader(strings.Repeat("x", tt.size))),
				left: MaxManifestBytes, limit: MaxManifestBytes, what: "manifest",
			}
			n, err := io.Copy(io.Discard, b)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("got %v after %d bytes, want %v", err, n, tt.wantErr)
			}
		})
	}
}

func TestTransportRefusesPlainHTTP(t *testing.T) {
	h := newHostPolicy(nil, map[string]bool{"insecure.example:5000": true})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://registry.example/v2/", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.RoundTrip(req)
	if err == nil {
		resp.Body.Close()
	}
	if !errors.Is(err, errPlainHTTP) {
		t.Errorf("got %v, want %v", err, errPlainHTTP)
	}
}
