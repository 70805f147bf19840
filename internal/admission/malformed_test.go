// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package admission

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

func TestHandlerMalformed(t *testing.T) {
	valid := reviewFor(t, testPod(), nil)
	tests := []struct {
		name        string
		method      string
		contentType string
		body        []byte
		wantCode    int
		wantMsg     string
	}{
		{"GET", http.MethodGet, "application/json", nil, http.StatusMethodNotAllowed, "POST"},
		{"PUT", http.MethodPut, "application/json", valid, http.StatusMethodNotAllowed, "POST"},
		{"no content type", http.MethodPost, "", valid, http.StatusUnsupportedMediaType, "application/json"},
		{"yaml", http.MethodPost, "application/yaml", valid, http.StatusUnsupportedMediaType, "application/json"},
		{"empty body", http.MethodPost, "application/json", nil, http.StatusBadRequest, "decode admission review"},
		{
			"not json", http.MethodPost, "application/json", []byte(`{"apiVersion": ` + secretValue), http.StatusBadRequest,
			"decode admission review: invalid json at offset",
		},
		{"array", http.MethodPost, "application/json", []byte(`[]`), http.StatusBadRequest, "decode admission review"},
		{
			"trailing data", http.MethodPost, "application/json", append(append([]byte{}, valid...), []byte(`{}`)...),
			http.StatusBadRequest, "decode admission review",
		},
		{
			"v1beta1", http.MethodPost, "application/json",
			bytes.Replace(valid, []byte(`admission.k8s.io/v1"`), []byte(`admission.k8s.io/v1beta1"`), 1),
			http.StatusBadRequest, `got apiVersion "admission.k8s.io/v1beta1"`,
		},
		{
			"wrong kind", http.MethodPost, "application/json",
			bytes.Replace(valid, []byte(`"kind":"AdmissionReview"`), []byte(`"kind":"Pod"`), 1),
			http.StatusBadRequest, `kind "Pod"`,
		},
		{
			"field names are case sensitive", http.MethodPost, "application/json",
			bytes.Replace(valid, []byte(`"apiVersion"`), []byte(`"APIVERSION"`), 1),
			http.StatusBadRequest, `got apiVersion ""`,
		},
		{
			"no request", http.MethodPost, "application/json",
			[]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`), http.StatusBadRequest, "has no request",
		},
		{
			"no uid", http.MethodPost, "application/json",
			[]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}}`), http.StatusBadRequest, "has no uid",
		},
		{
			"huge body", http.MethodPost, "application/json",
			append([]byte(`{"apiVersion":"`), bytes.Repeat([]byte("x"), MaxBodyBytes)...), http.StatusRequestEntityTooLarge, "larger than 3 MiB",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			m := &fakeMutator{fn: inject}
			o := &recordingObserver{}
			h := newTestHandler(m, &logs, WithObserver(o))
			rec := post(t, h, tt.method, tt.contentType, tt.body)
			if rec.Code != tt.wantCode {
				t.Errorf("got HTTP %d, want %d", rec.Code, tt.wantCode)
			}
			if !strings.Contains(rec.Body.String(), tt.wantMsg) {
				t.Errorf("got body %q, want it to contain %q", rec.Body, tt.wantMsg)
			}
			if m.calls != 0 {
				t.Errorf("got %d mutator calls, want 0", m.calls)
			}
			if got := o.count(ResultError); got != 1 {
				t.Errorf("got %d error results, want 1", got)
			}
			if strings.Contains(logs.String()+rec.Body.String(), secretValue) {
				t.Error("response or log quotes the request body")
			}
		})
	}
}
