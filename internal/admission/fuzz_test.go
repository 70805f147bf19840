// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package admission

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
)

// FuzzReview: no body makes the handler panic; every answer is either a
// 4xx or a well-formed AdmissionReview response carrying the request's UID.
func FuzzReview(f *testing.F) {
	f.Add(reviewFor(f, testPod(), nil))
	f.Add(reviewFor(f, testPod(), func(r *admissionv1.AdmissionReview) { r.Request.Operation = admissionv1.Delete }))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"version":"v1","kind":"Pod"},"operation":"CREATE","object":{"spec":{"containers":[{}]}}}}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"version":"v1","kind":"Pod"},"operation":"CREATE","object":null}}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"version":"v1","kind":"Pod"},"operation":"CREATE","object":7}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	h := newTestHandler(&fakeMutator{fn: inject}, io.Discard)
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := post(t, h, http.MethodPost, "application/json", body)
		if rec.Code >= 400 && rec.Code < 500 {
			return
		}
		if rec.Code != http.StatusOK {
			t.Fatalf("got HTTP %d %q, want 200 or 4xx", rec.Code, rec.Body)
		}
		var in, out admissionv1.AdmissionReview
		if err := json.Unmarshal(body, &in); err != nil {
			// The handler's decoder accepted it; the lax one must too.
			t.Fatalf("handler accepted a body encoding/json rejects: %v", err)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("got invalid JSON %q: %v", rec.Body, err)
		}
		if out.Response == nil || out.APIVersion != "admission.k8s.io/v1" || out.Kind != "AdmissionReview" {
			t.Fatalf("got %q, want an AdmissionReview response", rec.Body)
		}
		if out.Response.UID != in.Request.UID {
			t.Fatalf("got uid %q, want %q", out.Response.UID, in.Request.UID)
		}
		if !out.Response.Allowed && (out.Response.Result == nil || out.Response.Result.Message == "") {
			t.Fatalf("got a refusal without a message: %q", rec.Body)
		}
	})
}
