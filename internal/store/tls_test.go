// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // substring; "" means valid
	}{
		{name: "https", cfg: Config{Address: "https://stronghold.example:8200"}},
		{name: "http for development", cfg: Config{Address: "http://127.0.0.1:8200"}},
		{name: "path prefix", cfg: Config{Address: "https://proxy.example/vault"}},
		{name: "empty", cfg: Config{}, wantErr: "address is empty"},
		{name: "no scheme", cfg: Config{Address: "stronghold.example:8200"}, wantErr: "scheme"},
		{name: "unix socket", cfg: Config{Address: "unix:///run/vault.sock"}, wantErr: "scheme"},
		{name: "no host", cfg: Config{Address: "https://"}, wantErr: "host is empty"},
		{name: "user info", cfg: Config{Address: "https://user:pw@stronghold.example"}, wantErr: "user info"},
		{name: "query", cfg: Config{Address: "https://stronghold.example?x=1"}, wantErr: "query"},
		{name: "negative timeout", cfg: Config{Address: "https://s.example", Timeout: -time.Second}, wantErr: "negative"},
		{name: "both CAs", cfg: Config{Address: "https://s.example", CACert: []byte("x"), CAFile: "/ca.pem"}, wantErr: "exclusive"},
		{name: "CA without PEM", cfg: Config{Address: "https://s.example", CACert: []byte("not a pem")}, wantErr: "no PEM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("got %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("got %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
	if strings.Contains(Config{Address: "https://user:pw@s.example"}.Validate().Error(), "pw") {
		t.Errorf("got the address password in the error, want it redacted")
	}
}

func TestTLS(t *testing.T) {
	f := newFakeVault(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, f.caPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	otherCA := selfSignedPEM(t)
	plain := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(plain.Close)

	tests := []struct {
		name    string
		cfg     Config
		wantErr error
	}{
		{name: "CA from PEM", cfg: Config{Address: f.srv.URL, CACert: f.caPEM()}},
		{name: "CA from file", cfg: Config{Address: f.srv.URL, CAFile: caFile}},
		{name: "system bundle does not know the CA", cfg: Config{Address: f.srv.URL}, wantErr: ErrTLS},
		{name: "another CA", cfg: Config{Address: f.srv.URL, CACert: otherCA}, wantErr: ErrTLS},
		{name: "skip verification", cfg: Config{Address: f.srv.URL, SkipTLSVerify: true}},
		// net/http reports this one without a TLS error type; the message
		// says what is wrong.
		{
			name: "https to a plain http server", cfg: Config{Address: strings.Replace(plain.URL, "http:", "https:", 1)},
			wantErr: ErrUnavailable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			_, err = c.Read(t.Context(), appLogin(), "kv1/app", 0)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			if errors.Is(tt.wantErr, ErrTLS) && !strings.Contains(err.Error(), "caCert / tls-secret") {
				t.Errorf("got %q, want a hint about caCert / tls-secret", err.Error())
			}
		})
	}
	if _, err := New(Config{Address: f.srv.URL, CAFile: filepath.Join(t.TempDir(), "missing.pem")}); err == nil {
		t.Errorf("missing CA file: got nil error, want one")
	}
}

func TestUnavailable(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewTLSServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	closedURL := refusingURL(t)
	sealed := newFakeVault(t)
	sealed.set(func(f *fakeVault) { f.sealed = true })

	tests := []struct {
		name     string
		cfg      Config
		contains string
	}{
		{
			name: "timeout", cfg: Config{Address: slow.URL, SkipTLSVerify: true, Timeout: 100 * time.Millisecond},
			contains: "no answer within 100ms",
		},
		{name: "connection refused", cfg: Config{Address: closedURL, SkipTLSVerify: true}, contains: "connection refused"},
		{name: "sealed", cfg: sealed.config(), contains: "store says: Vault is sealed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			_, err = c.Read(t.Context(), appLogin(), "kv1/app", 0)
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("got %v, want ErrUnavailable", err)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("got %q, want it to contain %q", err.Error(), tt.contains)
			}
		})
	}
}

// TestEnvironmentImmunity proves that VAULT_* variables, which the stores'
// client libraries read on their own, change nothing.
func TestEnvironmentImmunity(t *testing.T) {
	f := newFakeVault(t)
	t.Setenv("VAULT_ADDR", "https://127.0.0.1:1")
	t.Setenv("VAULT_TOKEN", tokenMark+"from-env")
	t.Setenv("VAULT_NAMESPACE", "env-namespace")
	t.Setenv("VAULT_SKIP_VERIFY", "true")
	t.Setenv("VAULT_WRAP_TTL", "5m")
	t.Setenv("VAULT_HEADERS", `{"X-Env-Header":"1"}`)
	t.Setenv("VAULT_MAX_RETRIES", "5")
	t.Setenv("VAULT_CLIENT_TIMEOUT", "1")
	t.Setenv("VAULT_AGENT_ADDR", "https://127.0.0.1:2")

	// Namespace, token, wrapping and headers: the fake fails the test on any
	// of them.
	c := newTestClient(t, f)
	if _, err := c.Read(t.Context(), appLogin(), "demo-kv/myapp-secret", 0); err != nil {
		t.Fatalf("read with VAULT_* set: %v", err)
	}
	// VAULT_SKIP_VERIFY must not switch verification off.
	c, err := New(Config{Address: f.srv.URL})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if _, err := c.Read(t.Context(), appLogin(), "kv1/app", 0); !errors.Is(err, ErrTLS) {
		t.Errorf("got %v, want ErrTLS despite VAULT_SKIP_VERIFY", err)
	}
	// Logins go to the configured address only.
	if got := f.count("login"); got != 1 {
		t.Errorf("got %d logins at the configured store, want 1", got)
	}
}

// TestEnvironmentMalformed proves that malformed VAULT_* variables, which
// client libraries of the store refuse to start with, change nothing either.
func TestEnvironmentMalformed(t *testing.T) {
	tests := []struct{ name, key, value string }{
		{name: "bad bool", key: "VAULT_SKIP_VERIFY", value: "maybe"},
		{name: "missing CA file", key: "VAULT_CACERT", value: "/nonexistent/ca.pem"},
		{name: "bad headers", key: "VAULT_HEADERS", value: "{"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeVault(t)
			t.Setenv(tt.key, tt.value)
			c, err := New(f.config())
			if err != nil {
				t.Fatalf("New with %s=%q: %v", tt.key, tt.value, err)
			}
			if _, err := c.Read(t.Context(), appLogin(), "kv1/app", 0); err != nil {
				t.Errorf("read with %s=%q: %v", tt.key, tt.value, err)
			}
		})
	}
}

func TestJWTSourceGetsDeadline(t *testing.T) {
	f := newFakeVault(t)
	c := newTestClient(t, f)
	l := appLogin()
	l.JWT = func(ctx context.Context) (string, error) {
		if _, ok := ctx.Deadline(); !ok {
			t.Errorf("got a JWT context without deadline, want one")
		}
		return jwtApp, nil
	}
	if _, err := c.Read(t.Context(), l, "kv1/app", 0); err != nil {
		t.Fatalf("read: %v", err)
	}
}

// selfSignedPEM is a CA that signed nothing the tests talk to.
func selfSignedPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "other test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// refusingURL is an address whose port is bound but not listening: connecting is refused,
// and no other server can take the port while the test runs (a closed server's port can be
// reused at once by the next one started).
func refusingURL(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	in4, ok := sa.(*syscall.SockaddrInet4)
	if !ok {
		t.Fatalf("socket name %T", sa)
	}
	return "https://127.0.0.1:" + strconv.Itoa(in4.Port)
}
