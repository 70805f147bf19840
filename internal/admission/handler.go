// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package admission serves the mutating admission webhook for pods: it
// decodes an admission.k8s.io/v1 AdmissionReview, hands the pod to a
// [Mutator] and answers with a JSON Patch computed by diffing the JSON of the
// typed pod before and after the mutation (never written by hand).
//
// # Requests
//
// The review's context ends shortly before the timeout the API server
// passes in the "timeout" query parameter.
//
// Only POST with Content-Type application/json and a body of at most
// [MaxBodyBytes] is read (405, 415 and 413 otherwise). The body must be an
// admission.k8s.io/v1 AdmissionReview with a request and a UID (400
// otherwise, as plain text: there is no request to answer). Decoding is case
// sensitive like the API server's; unknown fields are ignored so that newer
// API servers keep working.
//
// Every other outcome is an AdmissionReview response with the request's UID:
//
//   - CREATE of a v1 Pod: the pod (its namespace taken from the request when
//     empty) is mutated on a copy; a change yields a JSON Patch, no change an
//     allowed response without a patch, an error a refusal whose message is
//     the error text.
//   - any other operation on a pod: allowed unchanged (injection happens at
//     creation only).
//   - any other kind, or a CREATE without an object: refused with code 400
//     and a message pointing at the webhook configuration.
//
// A refusal has code 500 when the cause is on the cluster side (the registry
// is unreachable or its certificate untrusted, the request timed out) and
// 400 otherwise (the pod or its annotations need fixing).
//
// # Logging
//
// One line per review with namespace, name, generate_name, uid, operation,
// result and duration, and the refusal message. The raw review and the pod
// spec are never logged: env values may hold secrets.
package admission

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"

	"github.com/deckhouse/secrets-store-integration/internal/registry"
)

// MaxBodyBytes bounds an AdmissionReview. The API server limits objects to
// about 1.5 MiB and a review carries one object (oldObject is empty on
// CREATE), so 3 MiB leaves room for the envelope.
const MaxBodyBytes = 3 << 20

// Results reported to an Observer and logged.
const (
	ResultMutated   = "mutated"   // allowed with a patch
	ResultUnchanged = "unchanged" // allowed without a patch
	ResultRefused   = "refused"   // denied: the pod needs fixing (code 400)
	ResultError     = "error"     // malformed request, or denied for a cluster-side cause (code 500)
)

// Mutator changes a pod in place and reports whether it did. Its error text
// is shown to the user who created the pod.
type Mutator interface {
	Mutate(ctx context.Context, pod *corev1.Pod) (changed bool, err error)
}

// Observer is told about every request, e.g. to count them.
type Observer interface {
	OnReview(result string, d time.Duration)
}

// SizeObserver is told the size of every review read and of every answer
// written, in bytes, when the Observer also implements it.
type SizeObserver interface {
	OnSizes(request, response int)
}

type nopObserver struct{}

func (nopObserver) OnReview(string, time.Duration) {}

// Handler is the http.Handler of the webhook's /mutate route.
type Handler struct {
	mutator  Mutator
	log      *slog.Logger
	observer Observer
}

// Option customizes a Handler.
type Option func(*Handler)

// WithObserver reports every request to o.
func WithObserver(o Observer) Option { return func(h *Handler) { h.observer = o } }

// NewHandler returns a Handler mutating pods with m and logging to log.
func NewHandler(m Mutator, log *slog.Logger, opts ...Option) *Handler {
	h := &Handler{mutator: m, log: log, observer: nopObserver{}}
	for _, o := range opts {
		o(h)
	}
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	review, n, code, err := readReview(w, r)
	if err != nil {
		h.observer.OnReview(ResultError, time.Since(start))
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "malformed admission request",
			slog.Int("status", code), slog.String("error", err.Error()), slog.String("remote", r.RemoteAddr))
		http.Error(w, err.Error(), code)
		return
	}
	req := review.Request
	ctx, cancel := requestContext(r)
	defer cancel()
	resp, result, pod := h.review(ctx, req)
	resp.UID = req.UID
	out, err := encodeReview(review.TypeMeta, resp)
	if err != nil {
		result = ResultError
		http.Error(w, "encode admission response: "+err.Error(), http.StatusInternalServerError)
	} else {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
		if so, ok := h.observer.(SizeObserver); ok {
			so.OnSizes(n, len(out))
		}
	}
	d := time.Since(start)
	h.observer.OnReview(result, d)
	h.logReview(r.Context(), req, pod, resp, result, d)
}

// requestContext bounds the review by the API server's own timeout (the
// "timeout" query parameter it adds to webhook calls), less a margin, so
// that a slow registry yields this webhook's message rather than the API
// server's "context deadline exceeded".
func requestContext(r *http.Request) (context.Context, context.CancelFunc) {
	t, err := time.ParseDuration(r.URL.Query().Get("timeout"))
	if err != nil || t <= 0 {
		return context.WithCancel(r.Context())
	}
	margin := min(t/10, time.Second)
	return context.WithTimeout(r.Context(), t-margin)
}

// readReview reads and checks the envelope and returns it with the size of
// the body; on error it returns the HTTP status to answer with.
func readReview(w http.ResponseWriter, r *http.Request) (*admissionv1.AdmissionReview, int, int, error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return nil, 0, http.StatusMethodNotAllowed, errors.New("admission reviews must be sent with POST")
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, 0, http.StatusUnsupportedMediaType, errors.New("admission reviews must have Content-Type application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return nil, 0, http.StatusRequestEntityTooLarge, errors.New("admission review is larger than 3 MiB")
		}
		return nil, 0, http.StatusBadRequest, errors.New("read admission review: " + err.Error())
	}
	review, err := decodeReview(body)
	if err != nil {
		return nil, 0, http.StatusBadRequest, err
	}
	return review, len(body), http.StatusOK, nil
}

// encodeReview wraps resp in an AdmissionReview of the request's version.
func encodeReview(tm metav1.TypeMeta, resp *admissionv1.AdmissionResponse) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(256 + len(resp.Patch)*4/3)
	out := admissionv1.AdmissionReview{TypeMeta: tm, Response: resp}
	if err := encodeJSON(&buf, &out); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (h *Handler) logReview(ctx context.Context, req *admissionv1.AdmissionRequest, pod *corev1.Pod,
	resp *admissionv1.AdmissionResponse, result string, d time.Duration,
) {
	attrs := []slog.Attr{
		slog.String("namespace", req.Namespace),
		slog.String("name", req.Name),
		slog.String("uid", string(req.UID)),
		slog.String("operation", string(req.Operation)),
		slog.String("result", result),
		slog.Duration("duration", d),
	}
	if pod != nil && pod.GenerateName != "" {
		attrs = append(attrs, slog.String("generate_name", pod.GenerateName))
	}
	level := slog.LevelInfo
	if resp.Result != nil {
		attrs = append(attrs, slog.Int("code", int(resp.Result.Code)), slog.String("message", resp.Result.Message))
		if result == ResultError {
			level = slog.LevelWarn
		}
	}
	h.log.LogAttrs(ctx, level, "admission review", attrs...)
}

// statusCode is the code of a refusal: 500 for cluster-side causes, 400 for
// problems the pod's author fixes.
func statusCode(err error) int32 {
	switch {
	case errors.Is(err, registry.ErrUnavailable), errors.Is(err, registry.ErrTLS),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// Parse errors of the pod object are reported without quoting it.
func decodeErr(what string, err error) error {
	if ok, off := kjson.SyntaxErrorOffset(err); ok {
		return errors.New(what + ": invalid json at offset " + itoa(off))
	}
	return errors.New(what + ": " + err.Error())
}
