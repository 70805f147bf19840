// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package admission

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// secretValue is an env value that must never reach a log line.
const secretValue = "s3cr3t-env-value-never-logged"

// fakeMutator records the pod it was given and applies fn to it.
type fakeMutator struct {
	fn func(*corev1.Pod) (bool, error)

	mu    sync.Mutex
	calls int
	last  *corev1.Pod // the pod after fn
}

func (f *fakeMutator) Mutate(_ context.Context, pod *corev1.Pod) (bool, error) {
	changed, err := f.fn(pod)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.last = pod.DeepCopy()
	return changed, err
}

// inject imitates entrypoint injection: an init container, a volume and a
// command wrapped in every container.
func inject(pod *corev1.Pod) (bool, error) {
	pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{
		Name:         "secrets-store-injector",
		VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}},
	})
	pod.Spec.InitContainers = append([]corev1.Container{{
		Name: "secrets-store-injector", Image: "injector:v1",
		Command: []string{"/injector", "--self-copy", "/secrets-store/injector"},
	}}, pod.Spec.InitContainers...)
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		c.Args = append(append([]string{}, c.Command...), c.Args...)
		c.Command = []string{"/secrets-store/injector"}
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "secrets-store-injector", MountPath: "/secrets-store"})
	}
	return true, nil
}

// testPod is an opted-in pod with a command and a plain secret env value.
func testPod() *corev1.Pod {
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: "app-7d9f-",
			Namespace:    "team",
			Labels:       map[string]string{"app": "demo"},
			Annotations:  map[string]string{"secrets-store.deckhouse.io/role": "app-role"},
		},
		Spec: corev1.PodSpec{
			ServiceAccountName: "app",
			Containers: []corev1.Container{{
				Name:    "app",
				Image:   "alpine:3.20",
				Command: []string{"sh", "-c"},
				Args:    []string{"while printenv; do sleep 5; done"},
				Env: []corev1.EnvVar{
					{Name: "DB_PASS", Value: "secrets-store:demo-kv/data/app#DB_PASS"},
					{Name: "PLAIN", Value: secretValue},
				},
			}},
		},
	}
}

// reviewFor is an AdmissionReview for the CREATE of pod; edit may change it.
func reviewFor(t testing.TB, pod *corev1.Pod, edit func(*admissionv1.AdmissionReview)) []byte {
	t.Helper()
	raw, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	review := &admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       "0d4a3c1e-6f0b-4b8e-9c7a-2f1e5d6c7b8a",
			Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
			Namespace: "team",
			Operation: admissionv1.Create,
			Object:    runtime.RawExtension{Raw: raw},
		},
	}
	if edit != nil {
		edit(review)
	}
	body, err := json.Marshal(review)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// post sends body to h and returns the recorder.
func post(t testing.TB, h http.Handler, method, contentType string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), method, "/mutate", bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func newTestHandler(m Mutator, logOut io.Writer, opts ...Option) *Handler {
	return NewHandler(m, slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: slog.LevelDebug})), opts...)
}

// recordingObserver counts reviews by result.
type recordingObserver struct {
	mu      sync.Mutex
	results map[string]int
}

func (o *recordingObserver) OnReview(result string, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.results == nil {
		o.results = map[string]int{}
	}
	o.results[result]++
}

func (o *recordingObserver) count(result string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.results[result]
}
