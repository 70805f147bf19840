// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func TestParseSecret(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantNil  bool
		wantErr  bool
		wantData map[string]any
	}{
		{name: "empty", body: "", wantNil: true},
		{name: "blank", body: " \n", wantNil: true},
		{name: "envelope", body: `{"request_id":"r","data":{"k":"v","n":5}}`, wantData: map[string]any{"k": "v", "n": json.Number("5")}},
		{name: "envelope without data", body: `{"request_id":"r","data":null}`, wantData: nil},
		{name: "plain object is the data", body: `{"k":"v"}`, wantData: map[string]any{"k": "v"}},
		{name: "errors only", body: `{"errors":["permission denied"]}`, wantNil: true},
		{name: "errors with data", body: `{"errors":["x"],"k":"v"}`, wantErr: true},
		{name: "not an object", body: `[]`, wantErr: true},
		{name: "truncated", body: `{"data":{"k":`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sec, err := parseSecret([]byte(tt.body))
			switch {
			case tt.wantErr:
				if err == nil {
					t.Fatalf("got %+v, want an error", sec)
				}
				return
			case err != nil:
				t.Fatalf("parse: %v", err)
			case tt.wantNil:
				if sec != nil {
					t.Fatalf("got %+v, want no secret", sec)
				}
				return
			case sec == nil:
				t.Fatal("got no secret")
			}
			if !reflect.DeepEqual(sec.Data, tt.wantData) {
				t.Errorf("got data %#v, want %#v", sec.Data, tt.wantData)
			}
		})
	}
}

// wireServer is a TLS store stand-in whose handler the test sets.
func wireServer(t *testing.T, h http.HandlerFunc) (*Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	c, err := New(Config{Address: srv.URL + "/prefix", CACert: ca, Namespace: "ns1"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, srv
}

func TestSendHeadersAndBody(t *testing.T) {
	var got *http.Request
	var body []byte
	c, _ := wireServer(t, func(w http.ResponseWriter, r *http.Request) {
		got, body = r, nil
		body, _ = io.ReadAll(r.Body)
		_, _ = io.WriteString(w, `{"data":{"ok":"yes"}}`)
	})
	sec, err := c.put(t.Context(), "pki/issue/web", map[string]any{"common_name": "a"}, "tok-1")
	if err != nil || sec == nil || sec.Data["ok"] != "yes" {
		t.Fatalf("put: %+v, %v", sec, err)
	}
	checks := map[string]string{
		"method": got.Method, "path": got.URL.Path, "body": string(body),
		headerToken: got.Header.Get(headerToken), headerNamespace: got.Header.Get(headerNamespace),
		headerRequest: got.Header.Get(headerRequest), "Content-Type": got.Header.Get("Content-Type"),
		"User-Agent": got.Header.Get("User-Agent"),
	}
	want := map[string]string{
		"method": http.MethodPut, "path": "/prefix/v1/pki/issue/web", "body": `{"common_name":"a"}`,
		headerToken: "tok-1", headerNamespace: "ns1", headerRequest: "true", "Content-Type": "application/json",
		"User-Agent": userAgent,
	}
	if !reflect.DeepEqual(checks, want) {
		t.Errorf("got %v, want %v", checks, want)
	}
	// A login sends no token header at all.
	if _, err := c.put(t.Context(), "auth/k/login", map[string]any{}, ""); err != nil {
		t.Fatal(err)
	}
	if _, ok := got.Header[headerToken]; ok {
		t.Errorf("got a token header on a request without a token")
	}
}

func TestSendRedirect(t *testing.T) {
	var srvURL string
	var hops []string
	c, srv := wireServer(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		hops = append(hops, r.URL.Path+" "+string(body))
		switch r.URL.Path {
		case "/prefix/v1/a":
			http.Redirect(w, r, "/active/v1/a", http.StatusTemporaryRedirect)
		case "/prefix/v1/loop", "/active/v1/loop":
			http.Redirect(w, r, "/active/v1/loop", http.StatusTemporaryRedirect)
		case "/prefix/v1/downgrade":
			http.Redirect(w, r, strings.Replace(srvURL, "https:", "http:", 1)+"/v1/a", http.StatusTemporaryRedirect)
		default:
			_, _ = io.WriteString(w, `{"data":{"at":"`+r.URL.Path+`"}}`)
		}
	})
	srvURL = srv.URL
	sec, err := c.put(t.Context(), "a", map[string]any{"k": "v"}, "t")
	if err != nil || sec == nil || sec.Data["at"] != "/active/v1/a" {
		t.Fatalf("got %+v, %v; want the answer of the redirect's target", sec, err)
	}
	if want := []string{`/prefix/v1/a {"k":"v"}`, `/active/v1/a {"k":"v"}`}; !reflect.DeepEqual(hops, want) {
		t.Errorf("got hops %q, want %q (the body sent again)", hops, want)
	}
	hops = nil
	if _, err := c.get(t.Context(), "loop", nil, "t"); err == nil || !strings.Contains(err.Error(), "second time") || len(hops) != 2 {
		t.Errorf("got %v after %d requests; want a second redirect refused after one followed", err, len(hops))
	}
	_, err = c.get(t.Context(), "downgrade", nil, "t")
	if err == nil || !strings.Contains(err.Error(), "https to http") {
		t.Errorf("got %v, want the downgrade refused", err)
	}
}

func TestSendStatuses(t *testing.T) {
	c, _ := wireServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/prefix/v1/warned":
			reply(w, http.StatusNotFound, map[string]any{"warnings": []string{"Invalid path for a versioned K/V secrets engine"}, "data": nil})
		case "/prefix/v1/missing":
			reply(w, http.StatusNotFound, errorsBody())
		case "/prefix/v1/denied":
			reply(w, http.StatusForbidden, errorsBody("permission denied"))
		case "/prefix/v1/html":
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, "<html>bad gateway</html>")
		case "/prefix/v1/huge":
			_, _ = io.WriteString(w, `{"data":{"k":"`)
			chunk := strings.Repeat("x", 1<<20)
			for range maxResponseBytes>>20 + 1 {
				_, _ = io.WriteString(w, chunk)
			}
		}
	})
	ctx := t.Context()
	if sec, err := c.get(ctx, "warned", nil, "t"); err != nil || sec == nil || len(sec.Warnings) != 1 {
		t.Errorf("read of a 404 with warnings: got %+v, %v; want the warnings", sec, err)
	}
	if sec, err := c.get(ctx, "missing", nil, "t"); err != nil || sec != nil {
		t.Errorf("read of a 404: got %+v, %v; want no secret and no error", sec, err)
	}
	var re *responseError
	if _, err := c.put(ctx, "missing", nil, "t"); !errors.As(err, &re) || re.StatusCode != http.StatusNotFound {
		t.Errorf("write of a 404: got %v, want a 404 error", err)
	}
	if _, err := c.get(ctx, "denied", nil, "t"); !errors.As(err, &re) || re.StatusCode != 403 || re.RawError ||
		!reflect.DeepEqual(re.Errors, []string{"permission denied"}) {
		t.Errorf("got %#v, want a 403 with the store's message", err)
	}
	if _, err := c.get(ctx, "html", nil, "t"); !errors.As(err, &re) || re.StatusCode != 502 || !re.RawError || re.Errors != nil {
		t.Errorf("got %#v, want a raw 502 without the page's text", err)
	}
	_, err := c.get(ctx, "huge", nil, "t")
	if !errors.Is(err, errTooLarge) {
		t.Errorf("got %v, want the answer refused as too large", err)
	}
	if kind, _, _, _ := classify(err); kind != nil {
		t.Errorf("got kind %v for a too large answer, want none (malformed)", kind)
	}
}
