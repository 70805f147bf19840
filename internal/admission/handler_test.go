// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package admission

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/deckhouse/secrets-store-integration/internal/registry"
)

func unchanged(*corev1.Pod) (bool, error) { return false, nil }

func TestHandlerReviews(t *testing.T) {
	registryDown := &registry.Error{Image: "alpine", Registry: "index.docker.io", Kind: registry.ErrUnavailable}
	tests := []struct {
		name        string
		mutate      func(*corev1.Pod) (bool, error)
		edit        func(*admissionv1.AdmissionReview)
		wantAllowed bool
		wantPatch   bool
		wantCode    int32  // of a refusal
		wantMsg     string // part of a refusal message
		wantCalls   int
		wantResult  string
	}{
		{
			name: "opted-in pod is patched", mutate: inject,
			wantAllowed: true, wantPatch: true, wantCalls: 1, wantResult: ResultMutated,
		},
		{
			name: "pod left alone", mutate: unchanged,
			wantAllowed: true, wantCalls: 1, wantResult: ResultUnchanged,
		},
		{
			name: "mutator reports a change that is none", mutate: func(*corev1.Pod) (bool, error) { return true, nil },
			wantAllowed: true, wantCalls: 1, wantResult: ResultUnchanged,
		},
		{
			name: "refused by the mutator",
			mutate: func(p *corev1.Pod) (bool, error) {
				p.Spec.Containers = nil // must not leak into the answer
				return false, errors.New(`annotation "secrets-store.deckhouse.io/client-timeout": "ten" is not a duration`)
			},
			wantCode: http.StatusBadRequest, wantMsg: `"ten" is not a duration`, wantCalls: 1, wantResult: ResultRefused,
		},
		{
			name: "registry unavailable is a server-side refusal",
			mutate: func(*corev1.Pod) (bool, error) {
				return false, fmt.Errorf("container %q: %w", "app", registryDown)
			},
			wantCode: http.StatusInternalServerError, wantMsg: `registry "index.docker.io" unavailable`,
			wantCalls: 1, wantResult: ResultError,
		},
		{
			name: "registry denial is the pod's problem",
			mutate: func(*corev1.Pod) (bool, error) {
				return false, &registry.Error{Image: "private/app", Registry: "reg.example", Kind: registry.ErrDenied}
			},
			wantCode: http.StatusBadRequest, wantMsg: "denied anonymous access", wantCalls: 1, wantResult: ResultRefused,
		},
		{
			name: "update is allowed untouched", mutate: inject,
			edit:        func(r *admissionv1.AdmissionReview) { r.Request.Operation = admissionv1.Update },
			wantAllowed: true, wantResult: ResultUnchanged,
		},
		{
			name: "not a pod", mutate: inject,
			edit: func(r *admissionv1.AdmissionReview) {
				r.Request.Kind = metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
			},
			wantCode: http.StatusBadRequest, wantMsg: "this webhook mutates v1 Pods, got Deployment apps/v1", wantResult: ResultError,
		},
		{
			name: "create without object", mutate: inject,
			edit:     func(r *admissionv1.AdmissionReview) { r.Request.Object = runtime.RawExtension{} },
			wantCode: http.StatusBadRequest, wantMsg: "has no object", wantResult: ResultError,
		},
		{
			name: "pod object of the wrong shape", mutate: inject,
			edit: func(r *admissionv1.AdmissionReview) {
				r.Request.Object = runtime.RawExtension{Raw: []byte(`{"spec":{"containers":"` + secretValue + `"}}`)}
			},
			wantCode: http.StatusBadRequest, wantMsg: "decode pod: json: cannot unmarshal string", wantResult: ResultError,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			m := &fakeMutator{fn: tt.mutate}
			o := &recordingObserver{}
			h := newTestHandler(m, &logs, WithObserver(o))
			body := reviewFor(t, testPod(), tt.edit)

			rec := post(t, h, http.MethodPost, "application/json", body)
			if rec.Code != http.StatusOK {
				t.Fatalf("got HTTP %d %q, want 200", rec.Code, rec.Body)
			}
			resp := decodeResponse(t, rec.Body.Bytes())
			if got, want := resp.UID, "0d4a3c1e-6f0b-4b8e-9c7a-2f1e5d6c7b8a"; string(got) != want {
				t.Errorf("got uid %q, want %q", got, want)
			}
			if resp.Allowed != tt.wantAllowed {
				t.Errorf("got allowed %v, want %v (result %+v)", resp.Allowed, tt.wantAllowed, resp.Result)
			}
			if got := len(resp.Patch) > 0; got != tt.wantPatch {
				t.Errorf("got patch %s, want one: %v", resp.Patch, tt.wantPatch)
			}
			if tt.wantPatch && (resp.PatchType == nil || *resp.PatchType != admissionv1.PatchTypeJSONPatch) {
				t.Errorf("got patch type %v, want JSONPatch", resp.PatchType)
			}
			if tt.wantCode != 0 {
				if resp.Result == nil {
					t.Fatal("got no status in a refusal")
				}
				if resp.Result.Code != tt.wantCode || !strings.Contains(resp.Result.Message, tt.wantMsg) {
					t.Errorf("got %d %q, want %d and a message containing %q",
						resp.Result.Code, resp.Result.Message, tt.wantCode, tt.wantMsg)
				}
			}
			if m.calls != tt.wantCalls {
				t.Errorf("got %d mutator calls, want %d", m.calls, tt.wantCalls)
			}
			if got := o.count(tt.wantResult); got != 1 {
				t.Errorf("got %d reviews with result %q, want 1", got, tt.wantResult)
			}
			if strings.Contains(logs.String(), secretValue) {
				t.Errorf("log contains the env value: %s", logs.String())
			}
		})
	}
}

func TestHandlerPatchAppliesToOriginal(t *testing.T) {
	tests := []struct {
		name string
		pod  func() *corev1.Pod
	}{
		{"pod with namespace", testPod},
		{"pod without namespace", func() *corev1.Pod { p := testPod(); p.Namespace = ""; return p }},
		{"pod with init containers and volumes", func() *corev1.Pod {
			p := testPod()
			p.Spec.InitContainers = []corev1.Container{{Name: "migrate", Image: "migrate:v1", Command: []string{"/migrate"}}}
			p.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
			return p
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &fakeMutator{fn: inject}
			h := newTestHandler(m, &bytes.Buffer{})
			pod := tt.pod()
			body := reviewFor(t, pod, nil)
			rec := post(t, h, http.MethodPost, "application/json", body)
			resp := decodeResponse(t, rec.Body.Bytes())
			if !resp.Allowed || len(resp.Patch) == 0 {
				t.Fatalf("got allowed %v patch %q, want a patch", resp.Allowed, resp.Patch)
			}

			// The API server applies the patch to the object it sent.
			var review admissionv1.AdmissionReview
			if err := json.Unmarshal(body, &review); err != nil {
				t.Fatal(err)
			}
			patch, err := jsonpatch.DecodePatch(resp.Patch)
			if err != nil {
				t.Fatalf("decode patch %s: %v", resp.Patch, err)
			}
			patched, err := patch.Apply(review.Request.Object.Raw)
			if err != nil {
				t.Fatalf("apply patch %s: %v", resp.Patch, err)
			}
			var got corev1.Pod
			if err := json.Unmarshal(patched, &got); err != nil {
				t.Fatal(err)
			}
			want := m.last.DeepCopy()
			want.Namespace = pod.Namespace // the API server sets it, not the patch
			if !reflect.DeepEqual(&got, want) {
				t.Errorf("got patched pod\n%+v\nwant\n%+v", got.Spec, want.Spec)
			}
			if got, want := m.last.Namespace, "team"; got != want {
				t.Errorf("got namespace %q given to the mutator, want %q", got, want)
			}
		})
	}
}

// TestHandlerLogs: one line per review with the pod's identity and the
// result, and nothing from the spec.
func TestHandlerLogs(t *testing.T) {
	var logs bytes.Buffer
	h := newTestHandler(&fakeMutator{fn: inject}, &logs)
	pod := testPod()
	pod.Namespace = ""
	post(t, h, http.MethodPost, "application/json", reviewFor(t, pod, nil))

	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("got log %q: %v", logs.String(), err)
	}
	want := map[string]any{
		"msg": "admission review", "namespace": "team", "generate_name": "app-7d9f-",
		"uid": "0d4a3c1e-6f0b-4b8e-9c7a-2f1e5d6c7b8a", "operation": "CREATE", "result": ResultMutated,
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("got %s=%v, want %v", k, line[k], v)
		}
	}
	if _, ok := line["duration"]; !ok {
		t.Error("got no duration")
	}
	for _, leak := range []string{secretValue, "printenv", "alpine"} {
		if strings.Contains(logs.String(), leak) {
			t.Errorf("log contains %q from the pod spec: %s", leak, logs.String())
		}
	}
}

func decodeResponse(t testing.TB, body []byte) *admissionv1.AdmissionResponse {
	t.Helper()
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil {
		t.Fatalf("decode response %q: %v", body, err)
	}
	if review.APIVersion != "admission.k8s.io/v1" || review.Kind != "AdmissionReview" || review.Response == nil {
		t.Fatalf("got response %s, want an admission.k8s.io/v1 AdmissionReview with a response", body)
	}
	return review.Response
}

type ctxMutator struct{}

func (ctxMutator) Mutate(ctx context.Context, _ *corev1.Pod) (bool, error) {
	<-ctx.Done()
	return false, fmt.Errorf("look up image %q: %w", "alpine", ctx.Err())
}

// TestHandlerTimeout: the review ends before the API server's timeout, with
// a server-side refusal the user can read.
func TestHandlerTimeout(t *testing.T) {
	h := newTestHandler(ctxMutator{}, &bytes.Buffer{})
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/mutate?timeout=200ms",
		bytes.NewReader(reviewFor(t, testPod(), nil)))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := decodeResponse(t, rec.Body.Bytes())
	if resp.Allowed || resp.Result == nil || resp.Result.Code != http.StatusInternalServerError ||
		!strings.Contains(resp.Result.Message, "context deadline exceeded") {
		t.Errorf("got %+v, want a 500 refusal naming the deadline", resp.Result)
	}
}
