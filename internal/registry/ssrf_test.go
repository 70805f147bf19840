// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/podmutate"
)

// marker stands for what an internal service would answer a request the
// webhook was tricked into sending: it must never reach the pod's author.
const marker = "INTERNAL-SERVICE-ANSWER-7f3a"

// realmRegistry asks for a bearer token from a realm on the same server
// (go-containerregistry refuses realms on other loopback hosts) and answers
// the realm and the manifest requests with the given handlers.
func realmRegistry(t *testing.T, realm, manifest http.HandlerFunc) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/token":
			realm(w, r)
		case r.Header.Get("Authorization") == "":
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q,service="registry"`, srv.URL+"/token"))
			w.WriteHeader(http.StatusUnauthorized)
		default:
			manifest(w, r)
		}
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func answer(status int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// emptyObjectDigest is the digest of "{}".
const emptyObjectDigest = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

var okToken = answer(http.StatusOK, "application/json", `{"token":"t0k3n"}`)

// TestErrorsQuoteNoAnswer: whatever a registry or its token realm answers,
// the error quotes only the status and the registry's error codes.
func TestErrorsQuoteNoAnswer(t *testing.T) {
	jsonErr := func(code string) string {
		return fmt.Sprintf(`{"errors":[{"code":%q,"message":"%s","detail":"%s"}]}`, code, marker, marker)
	}
	tests := []struct {
		name            string
		realm, manifest http.HandlerFunc
		wantErr         error
		want            []string
	}{
		{
			name:     "realm answers 400 with a registry error",
			realm:    answer(http.StatusBadRequest, "application/json", jsonErr("DENIED")),
			manifest: answer(http.StatusOK, "text/plain", ""),
			wantErr:  ErrDenied, want: []string{"HTTP 400 Bad Request (DENIED)"},
		},
		{
			name:     "realm answers 400 with a page",
			realm:    answer(http.StatusBadRequest, "text/html", "<html>"+marker+"</html>"),
			manifest: answer(http.StatusOK, "text/plain", ""),
			wantErr:  ErrUnavailable, want: []string{"HTTP 400 Bad Request"},
		},
		{
			name:     "realm answers 401 with a message",
			realm:    answer(http.StatusUnauthorized, "application/json", jsonErr("UNAUTHORIZED")),
			manifest: answer(http.StatusOK, "text/plain", ""),
			wantErr:  ErrDenied, want: []string{"HTTP 401 Unauthorized (UNAUTHORIZED)"},
		},
		{
			name:     "realm answers a large body",
			realm:    func(w http.ResponseWriter, _ *http.Request) { stream(w, 8<<20) },
			manifest: answer(http.StatusOK, "text/plain", ""),
			wantErr:  ErrUnsupported, want: []string{"the registry response is larger than 65536 bytes"},
		},
		{
			name:     "manifest unknown with a message",
			realm:    okToken,
			manifest: answer(http.StatusNotFound, "application/json", jsonErr("MANIFEST_UNKNOWN")),
			wantErr:  ErrNotFound, want: []string{"HTTP 404 Not Found (MANIFEST_UNKNOWN)"},
		},
		{
			name:     "server error with a page",
			realm:    okToken,
			manifest: answer(http.StatusInternalServerError, "text/html", marker),
			wantErr:  ErrUnavailable, want: []string{"HTTP 500 Internal Server Error"},
		},
		{
			name:     "error code that is not a code",
			realm:    okToken,
			manifest: answer(http.StatusBadGateway, "application/json", jsonErr(marker)),
			wantErr:  ErrUnavailable, want: []string{"HTTP 502 Bad Gateway"},
		},
		{
			name:     "manifest of an unknown media type",
			realm:    okToken,
			manifest: answer(http.StatusOK, "x/"+marker, "{}"), // the digest below is that of {}
			wantErr:  ErrUnsupported, want: []string{"manifest of an unknown media type"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := realmRegistry(t, tt.realm, tt.manifest)
			host := strings.TrimPrefix(srv.URL, "https://")
			r, err := New(newFakeSecrets(), Config{Trust: Trust{CA: string(certPEM(srv))}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Resolve(t.Context(), podmutate.ImageRef{Image: host + "/app@" + emptyObjectDigest})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), marker) {
				t.Errorf("got %q, which quotes the answer", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

// TestRealmTimeBounded: a realm that never answers fails the lookup within
// the lookup's timeout.
func TestRealmTimeBounded(t *testing.T) {
	srv := realmRegistry(t, hold, answer(http.StatusOK, "text/plain", ""))
	host := strings.TrimPrefix(srv.URL, "https://")
	r, err := New(newFakeSecrets(), Config{Trust: Trust{CA: string(certPEM(srv))}, Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Resolve(t.Context(), podmutate.ImageRef{Image: host + "/app@sha256:" + strings.Repeat("1", 64)})
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("got %v, want ErrUnavailable, timed out", err)
	}
}

func TestForbiddenAddr(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"169.254.169.254", true},
		{"169.254.0.1", true},
		{"fe80::1", true},
		{"::ffff:169.254.169.254", true},
		{"100.100.100.200", true},
		{"fd00:ec2::254", true},
		{"127.0.0.1", false},
		{"::1", false},
		{"10.0.0.1", false},
		{"192.168.1.10", false},
		{"8.8.8.8", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := forbiddenAddr(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestDialerRefusesLinkLocal: the registry transport never connects to a
// link-local address, whatever named it; loopback keeps working.
func TestDialerRefusesLinkLocal(t *testing.T) {
	for _, addr := range []string{"169.254.169.254:80", "[fe80::1]:443"} {
		t.Run(addr, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			conn, err := guardedDialer().DialContext(ctx, "tcp", addr)
			if err == nil {
				conn.Close()
			}
			if !errors.Is(err, errForbiddenAddress) {
				t.Errorf("got %v, want %v", err, errForbiddenAddress)
			}
		})
	}
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conn, err := guardedDialer().DialContext(t.Context(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("got %v dialing loopback, want a connection", err)
	}
	conn.Close()

	r, err := New(newFakeSecrets(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Resolve(t.Context(), podmutate.ImageRef{Image: "169.254.169.254/latest/meta-data:v1"})
	if !errors.Is(err, errForbiddenAddress) || !strings.Contains(err.Error(), "link-local or cloud metadata address refused") {
		t.Errorf("got %v, want the metadata address refused", err)
	}
}
