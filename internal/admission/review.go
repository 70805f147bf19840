// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package admission

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"
)

var (
	reviewVersion = admissionv1.SchemeGroupVersion.String() // admission.k8s.io/v1
	podKind       = metav1.GroupVersionKind{Group: "", Version: "v1", Kind: "Pod"}
	jsonPatchType = admissionv1.PatchTypeJSONPatch
)

// decodeReview parses an AdmissionReview and checks what every answer needs:
// the version, a request and its UID.
func decodeReview(body []byte) (*admissionv1.AdmissionReview, error) {
	var review admissionv1.AdmissionReview
	if err := kjson.UnmarshalCaseSensitivePreserveInts(body, &review); err != nil {
		return nil, decodeErr("decode admission review", err)
	}
	switch {
	case review.APIVersion != reviewVersion || review.Kind != "AdmissionReview":
		return nil, fmt.Errorf("expected a %s AdmissionReview, got apiVersion %q kind %q: "+
			"set admissionReviewVersions to [v1] in the webhook configuration",
			reviewVersion, review.APIVersion, review.Kind)
	case review.Request == nil:
		return nil, errors.New("admission review has no request")
	case review.Request.UID == "":
		return nil, errors.New("admission review request has no uid")
	}
	return &review, nil
}

// review answers one request; it returns the response without its UID, the
// result for metrics and logs, and the decoded pod when there is one.
func (h *Handler) review(ctx context.Context, req *admissionv1.AdmissionRequest) (
	*admissionv1.AdmissionResponse, string, *corev1.Pod,
) {
	if req.Kind != podKind {
		return deny(http.StatusBadRequest, fmt.Sprintf(
			"this webhook mutates v1 Pods, got %s %s/%s: check the rules of the MutatingWebhookConfiguration",
			req.Kind.Kind, req.Kind.Group, req.Kind.Version)), ResultError, nil
	}
	if req.Operation != admissionv1.Create {
		return &admissionv1.AdmissionResponse{Allowed: true}, ResultUnchanged, nil
	}
	if len(req.Object.Raw) == 0 {
		return deny(http.StatusBadRequest, "admission request for a pod CREATE has no object"), ResultError, nil
	}
	pod := &corev1.Pod{}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(req.Object.Raw, pod); err != nil {
		return deny(http.StatusBadRequest, decodeErr("decode pod", err).Error()), ResultError, nil
	}
	if pod.Namespace == "" {
		pod.Namespace = req.Namespace
	}
	mutated := pod.DeepCopy()
	changed, err := h.mutator.Mutate(ctx, mutated)
	if err != nil {
		code := statusCode(err)
		result := ResultRefused
		if code >= http.StatusInternalServerError {
			result = ResultError
		}
		return deny(code, err.Error()), result, pod
	}
	if !changed {
		return &admissionv1.AdmissionResponse{Allowed: true}, ResultUnchanged, pod
	}
	patch, err := diff(pod, mutated)
	if err != nil {
		return deny(http.StatusInternalServerError, "compute patch: "+err.Error()), ResultError, pod
	}
	if len(patch) == 0 {
		return &admissionv1.AdmissionResponse{Allowed: true}, ResultUnchanged, pod
	}
	return &admissionv1.AdmissionResponse{Allowed: true, Patch: patch, PatchType: &jsonPatchType}, ResultMutated, pod
}

func deny(code int32, msg string) *admissionv1.AdmissionResponse {
	reason := metav1.StatusReasonBadRequest
	if code >= http.StatusInternalServerError {
		reason = metav1.StatusReasonInternalError
	}
	return &admissionv1.AdmissionResponse{
		Allowed: false,
		Result: &metav1.Status{
			Status:  metav1.StatusFailure,
			Message: msg,
			Reason:  reason,
			Code:    code,
		},
	}
}

// encodeJSON writes v without HTML escaping (messages keep their < > &).
func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
