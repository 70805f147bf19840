// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testCA issues serving certificates for 127.0.0.1.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1000),
		Subject:               pkix.Name{CommonName: "test ca"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue returns a PEM certificate with the given serial and its PEM key.
func (ca *testCA) issue(t *testing.T, serial int64, notAfter time.Time) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: "secrets-store-webhook"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

// writeAtomic replaces path the way the kubelet updates a Secret volume:
// the new content appears at once.
func writeAtomic(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testLogger(w *syncBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// servedSerial connects to addr and returns the serial of the certificate
// it presents, verified against pool.
func servedSerial(ctx context.Context, addr string, pool *x509.CertPool) (int64, error) {
	d := tls.Dialer{Config: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	tc, ok := conn.(*tls.Conn)
	if !ok {
		return 0, fmt.Errorf("got %T, want *tls.Conn", conn)
	}
	return tc.ConnectionState().PeerCertificates[0].SerialNumber.Int64(), nil
}

// eventually polls cond until it holds or the test's patience ends.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// httpsClient trusts pool.
func httpsClient(pool *x509.CertPool) *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}, Timeout: 10 * time.Second}
}

// testServer is a running Server with its certificate files in a temp dir.
type testServer struct {
	*Server
	ca       *testCA
	dir      string
	logs     *syncBuffer
	metrics  *Metrics
	cancel   context.CancelFunc
	done     chan error
	stopOnce sync.Once
	runErr   error
	certFile string
	keyFile  string
}

func startServer(t *testing.T, mutate http.Handler, edit func(*Config)) *testServer {
	t.Helper()
	ts := &testServer{ca: newTestCA(t), dir: t.TempDir(), logs: &syncBuffer{}, metrics: NewMetrics()}
	ts.certFile, ts.keyFile = filepath.Join(ts.dir, "tls.crt"), filepath.Join(ts.dir, "tls.key")
	certPEM, keyPEM := ts.ca.issue(t, 1, time.Now().Add(12*time.Hour))
	writeAtomic(t, ts.certFile, certPEM)
	writeAtomic(t, ts.keyFile, keyPEM)
	cfg := Config{
		Listen:             "127.0.0.1:0",
		MetricsListen:      "127.0.0.1:0",
		HealthListen:       "127.0.0.1:0",
		CertFile:           ts.certFile,
		KeyFile:            ts.keyFile,
		CertReloadInterval: 20 * time.Millisecond,
		ShutdownTimeout:    5 * time.Second,
	}
	if edit != nil {
		edit(&cfg)
	}
	srv, err := NewServer(t.Context(), cfg, mutate, ts.metrics, testLogger(ts.logs))
	if err != nil {
		t.Fatal(err)
	}
	ts.Server = srv
	ctx, cancel := context.WithCancel(t.Context())
	ts.cancel, ts.done = cancel, make(chan error, 1)
	go func() { ts.done <- srv.Run(ctx) }()
	t.Cleanup(func() { _ = ts.stop() })
	return ts
}

// stop cancels Run and returns its result; later calls return it again.
func (ts *testServer) stop() error {
	ts.stopOnce.Do(func() {
		ts.cancel()
		ts.runErr = <-ts.done
	})
	return ts.runErr
}

func isConnRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }
