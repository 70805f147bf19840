// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/deckhouse/secrets-store-integration/internal/admission"
)

// TestServerCertificateReload: new files are served without a restart; an
// invalid pair in between leaves the previous certificate in use.
func TestServerCertificateReload(t *testing.T) {
	ts := startServer(t, http.NotFoundHandler(), nil)
	addr := ts.Addr().String()
	serial := func() int64 {
		s, err := servedSerial(t.Context(), addr, ts.ca.pool)
		if err != nil {
			t.Fatalf("tls dial: %v", err)
		}
		return s
	}
	if got := serial(); got != 1 {
		t.Fatalf("got serial %d, want 1", got)
	}

	notAfter3 := time.Now().Add(72 * time.Hour).Truncate(time.Second)
	cert2, key2 := ts.ca.issue(t, 2, time.Now().Add(48*time.Hour))
	cert3, key3 := ts.ca.issue(t, 3, notAfter3)
	steps := []struct {
		name       string
		cert, key  []byte
		wantSerial int64
		wantLog    string
	}{
		{"certificate replaced, key not yet", cert2, nil, 1, "new tls files invalid, keeping the previous certificate"},
		{"key follows", nil, key2, 2, `"serial":"2"`},
		{"garbage", []byte("not pem"), []byte("not pem"), 2, "failed to find any PEM data"},
		{"both files at once", cert3, key3, 3, `"serial":"3"`},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.cert != nil {
				writeAtomic(t, ts.certFile, s.cert)
			}
			if s.key != nil {
				writeAtomic(t, ts.keyFile, s.key)
			}
			eventually(t, "log "+s.wantLog, func() bool { return strings.Contains(ts.logs.String(), s.wantLog) })
			if got := serial(); got != s.wantSerial {
				t.Errorf("got serial %d, want %d", got, s.wantSerial)
			}
		})
	}

	body := scrape(t, http.DefaultClient, "http://"+ts.MetricsAddr().String()+"/metrics")
	got := metricValue(t, body, "secrets_store_webhook_certificate_expiry_timestamp_seconds")
	if want := float64(notAfter3.Unix()); got != want {
		t.Errorf("got certificate expiry %v, want %v", got, want)
	}
	if strings.Contains(ts.logs.String(), "PRIVATE KEY") {
		t.Error("log contains key material")
	}
}

func TestServerEndpoints(t *testing.T) {
	h := admission.NewHandler(mutatorFunc(func(p *corev1.Pod) (bool, error) {
		p.Labels = map[string]string{"mutated": "true"}
		return true, nil
	}), testLogger(&syncBuffer{}))
	ts := startServer(t, h, nil)
	client := httpsClient(ts.ca.pool)
	https := "https://" + ts.Addr().String()
	plain := "http://" + ts.MetricsAddr().String()
	health := "http://" + ts.HealthAddr().String()

	tests := []struct {
		name     string
		client   *http.Client
		method   string
		url      string
		body     string
		wantCode int
		wantBody string
	}{
		{"healthz over https", client, http.MethodGet, https + "/healthz", "", http.StatusOK, "ok"},
		{"healthz over http", http.DefaultClient, http.MethodGet, plain + "/healthz", "", http.StatusOK, "ok"},
		{
			"metrics over http", http.DefaultClient, http.MethodGet, plain + "/metrics", "", http.StatusOK,
			`secrets_store_webhook_reviews_total{result="mutated"}`,
		},
		{"no metrics over https beside a metrics listener", client, http.MethodGet, https + "/metrics", "", http.StatusNotFound, ""},
		{"mutate", client, http.MethodPost, https + "/mutate", reviewBody, http.StatusOK, `"patchType":"JSONPatch"`},
		{"mutate needs post", client, http.MethodGet, https + "/mutate", "", http.StatusMethodNotAllowed, "POST"},
		{"no mutate on the metrics port", http.DefaultClient, http.MethodPost, plain + "/mutate", reviewBody, http.StatusNotFound, ""},
		{"healthz on the health port", http.DefaultClient, http.MethodGet, health + "/healthz", "", http.StatusOK, "ok"},
		{"no metrics on the health port", http.DefaultClient, http.MethodGet, health + "/metrics", "", http.StatusNotFound, ""},
		{"unknown path", client, http.MethodGet, https + "/other", "", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, tt.url, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := tt.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantCode || !strings.Contains(string(b), tt.wantBody) {
				t.Errorf("got %d %q, want %d and a body containing %q", resp.StatusCode, b, tt.wantCode, tt.wantBody)
			}
		})
	}
	// The HTTPS requests above shared one connection, and the plain port's are not counted.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, plain+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if got := metricValue(t, string(b), "secrets_store_webhook_connections_total"); got != 1 {
		t.Errorf("secrets_store_webhook_connections_total = %v, want 1", got)
	}
}

func TestServerRefusesOldTLS(t *testing.T) {
	ts := startServer(t, http.NotFoundHandler(), nil)
	d := tls.Dialer{Config: &tls.Config{RootCAs: ts.ca.pool, MaxVersion: tls.VersionTLS11}}
	conn, err := d.DialContext(t.Context(), "tcp", ts.Addr().String())
	if err == nil {
		conn.Close()
		t.Fatal("got a TLS 1.1 connection, want a handshake failure")
	}
}

// TestServerShutdownDrains: on cancel the listener closes at once, /healthz
// of open connections turns 503, and a request in flight completes.
func TestServerShutdownDrains(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(entered)
		<-release
		_, _ = io.WriteString(w, "finished")
	})
	ts := startServer(t, slow, nil)
	client := httpsClient(ts.ca.pool)
	url := "https://" + ts.Addr().String()

	inflight := make(chan string, 1)
	go func() {
		resp, err := postJSON(t, client, url+"/mutate")
		if err != nil {
			inflight <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		inflight <- string(b)
	}()
	<-entered

	stopped := make(chan error, 1)
	go func() { stopped <- ts.stop() }()
	eventually(t, "the listener to close", func() bool {
		_, err := servedSerial(t.Context(), ts.Addr().String(), ts.ca.pool)
		return isConnRefused(err)
	})
	select {
	case err := <-stopped:
		t.Fatalf("Run returned %v with a request in flight", err)
	default:
	}
	close(release)
	if got := <-inflight; got != "finished" {
		t.Errorf("got in-flight response %q, want finished", got)
	}
	if err := <-stopped; err != nil {
		t.Errorf("got Run error %v, want nil", err)
	}
}

func TestServerShutdownBounded(t *testing.T) {
	entered := make(chan struct{})
	stuck := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done() // until the connection is cut
	})
	ts := startServer(t, stuck, func(c *Config) { c.ShutdownTimeout = 100 * time.Millisecond })
	client := httpsClient(ts.ca.pool)
	go func() {
		resp, err := postJSON(t, client, "https://"+ts.Addr().String()+"/mutate")
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	err := ts.stop()
	if err == nil || !strings.Contains(err.Error(), "drain requests within 100ms") {
		t.Errorf("got %v, want a drain timeout error", err)
	}
}

func TestNewServerErrors(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	cert1, key1 := ca.issue(t, 1, time.Now().Add(time.Hour))
	_, key2 := ca.issue(t, 2, time.Now().Add(time.Hour))
	files := map[string][]byte{"cert": cert1, "key": key1, "other-key": key2, "garbage": []byte("garbage")}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	busy := startServer(t, http.NotFoundHandler(), nil)

	tests := []struct {
		name      string
		cert, key string
		listen    string
		want      string
	}{
		{"missing cert", "none", "key", "127.0.0.1:0", "no such file"},
		{"key of another certificate", "cert", "other-key", "127.0.0.1:0", "private key does not match public key"},
		{"garbage", "garbage", "key", "127.0.0.1:0", "failed to find any PEM data"},
		{"port taken", "cert", "key", busy.Addr().String(), "address already in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewServer(t.Context(), Config{
				Listen: tt.listen, CertFile: filepath.Join(dir, tt.cert), KeyFile: filepath.Join(dir, tt.key),
			}, http.NotFoundHandler(), NewMetrics(), testLogger(&syncBuffer{}))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func scrape(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return b.String()
}

// metricValue returns the value of an unlabelled sample in an exposition.
func metricValue(t *testing.T, exposition, name string) float64 {
	t.Helper()
	for _, line := range strings.Split(exposition, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", name, err)
			}
			return f
		}
	}
	t.Fatalf("no metric %s in:\n%s", name, exposition)
	return 0
}

func postJSON(t *testing.T, c *http.Client, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader("{}"))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return c.Do(req)
}

type mutatorFunc func(*corev1.Pod) (bool, error)

func (f mutatorFunc) Mutate(_ context.Context, p *corev1.Pod) (bool, error) { return f(p) }

const reviewBody = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{` +
	`"uid":"7f1c","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},` +
	`"namespace":"team","operation":"CREATE","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},` +
	`"spec":{"containers":[{"name":"app","image":"alpine","command":["true"]}]}}}}`

// Without a metrics listener the HTTPS port serves the metrics, so that they stay
// reachable; with one it does not (TestServerEndpoints).
func TestServerMetricsOverHTTPSWithoutMetricsListener(t *testing.T) {
	ts := startServer(t, http.NotFoundHandler(), func(c *Config) { c.MetricsListen = "" })
	body := scrape(t, httpsClient(ts.ca.pool), "https://"+ts.Addr().String()+"/metrics")
	if !strings.Contains(body, "secrets_store_webhook_review_duration_seconds") {
		t.Errorf("https /metrics without a metrics listener: got\n%.300s\nwant the webhook's metrics", body)
	}
}
