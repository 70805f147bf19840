// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// apiCall is one request the fake API server received.
type apiCall struct{ method, path, contentType, body string }

// fakeEventsAPI answers every request with the Event it was sent (or a
// fixed one for a patch) and records the requests.
func fakeEventsAPI(t *testing.T) (*rest.Config, func() []apiCall) {
	t.Helper()
	var (
		mu    sync.Mutex
		calls []apiCall
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		calls = append(calls, apiCall{r.Method, r.URL.Path, r.Header.Get("Content-Type"), string(b)})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPatch {
			b = []byte(`{"apiVersion":"v1","kind":"Event","metadata":{"name":"e1","namespace":"team"},"count":2}`)
		}
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return &rest.Config{Host: srv.URL}, func() []apiCall {
		mu.Lock()
		defer mu.Unlock()
		return append([]apiCall(nil), calls...)
	}
}

func TestRESTEventSink(t *testing.T) {
	rc, calls := fakeEventsAPI(t)
	sink, err := newRESTEventSink(rc)
	if err != nil {
		t.Fatal(err)
	}
	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "e1", Namespace: "team"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "team", Name: "app"},
		Reason:         ReasonRotationFailed, Message: "store unavailable", Type: corev1.EventTypeWarning,
	}
	got, err := sink.Create(ev)
	if err != nil || got.Reason != ReasonRotationFailed || got.InvolvedObject.Name != "app" {
		t.Fatalf("Create: %+v, %v", got, err)
	}
	if _, err := sink.Update(ev); err != nil {
		t.Fatalf("Update: %v", err)
	}
	got, err = sink.Patch(ev, []byte(`{"count":2}`))
	if err != nil || got.Count != 2 {
		t.Fatalf("Patch: %+v, %v", got, err)
	}
	want := []apiCall{
		{http.MethodPost, "/api/v1/namespaces/team/events", "application/json", ""},
		{http.MethodPut, "/api/v1/namespaces/team/events/e1", "application/json", ""},
		{http.MethodPatch, "/api/v1/namespaces/team/events/e1", "application/strategic-merge-patch+json", `{"count":2}`},
	}
	c := calls()
	if len(c) != len(want) {
		t.Fatalf("calls = %+v, want %d", c, len(want))
	}
	for i, w := range want {
		if c[i].method != w.method || c[i].path != w.path || c[i].contentType != w.contentType {
			t.Errorf("call %d = %s %s (%s), want %s %s (%s)", i, c[i].method, c[i].path, c[i].contentType, w.method, w.path, w.contentType)
		}
		if w.body != "" && c[i].body != w.body {
			t.Errorf("call %d body = %s, want %s", i, c[i].body, w.body)
		}
	}
	// What was posted is a whole v1 Event.
	var posted map[string]any
	if err := json.Unmarshal([]byte(c[0].body), &posted); err != nil {
		t.Fatal(err)
	}
	if posted["kind"] != "Event" || posted["apiVersion"] != "v1" || posted["reason"] != ReasonRotationFailed {
		t.Errorf("posted %v", posted)
	}
}

// Events recorded through KubeEvents reach the API server with the
// component, the node and the object.
func TestKubeEventsRecords(t *testing.T) {
	rc, calls := fakeEventsAPI(t)
	sink, err := newRESTEventSink(rc)
	if err != nil {
		t.Fatal(err)
	}
	k := NewKubeEvents(sink, "secrets-store-csi-driver", "node-1")
	defer k.Shutdown()
	k.Event(podObject(podRef{Namespace: "team", Name: "app", UID: "u1"}), corev1.EventTypeNormal, ReasonRotated, "files refreshed")
	deadline := time.Now().Add(10 * time.Second)
	for len(calls()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	c := calls()
	if len(c) == 0 {
		t.Fatal("no Event written")
	}
	for _, w := range []string{`"reason":"SecretRotated"`, `"component":"secrets-store-csi-driver"`, `"host":"node-1"`, `"name":"app"`, `"uid":"u1"`} {
		if !strings.Contains(c[0].body, w) {
			t.Errorf("posted Event lacks %s: %s", w, c[0].body)
		}
	}
}
