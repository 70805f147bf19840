package admission

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
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

// diff returns the JSON Patch that turns before into after, or nil when they
// are equal. The patch is computed on the typed objects, so fields this
// build does not know (newer API fields) are never touched. Only what
// changed is encoded and compared: the metadata, each container, init
// container and volume on its own (elements appended at the end become
// "add" operations), and the rest of the spec and the status as a whole.
func diff(before, after *corev1.Pod) ([]byte, error) {
	var ops []jsonpatch.Operation
	add := func(prefix string, a, b any) error {
		more, err := subPatch(prefix, a, b)
		ops = append(ops, more...)
		return err
	}
	if err := add("/metadata", &before.ObjectMeta, &after.ObjectMeta); err != nil {
		return nil, err
	}
	restA, restB := before.Spec, after.Spec
	restA.Containers, restB.Containers = nil, nil
	restA.InitContainers, restB.InitContainers = nil, nil
	restA.Volumes, restB.Volumes = nil, nil
	if err := add("/spec", &restA, &restB); err != nil {
		return nil, err
	}
	for _, l := range []struct {
		path string
		a, b []any
	}{
		{"/spec/initContainers", elems(before.Spec.InitContainers), elems(after.Spec.InitContainers)},
		{"/spec/containers", elems(before.Spec.Containers), elems(after.Spec.Containers)},
		{"/spec/volumes", elems(before.Spec.Volumes), elems(after.Spec.Volumes)},
	} {
		more, err := listPatch(l.path, l.a, l.b)
		if err != nil {
			return nil, err
		}
		ops = append(ops, more...)
	}
	if err := add("/status", &before.Status, &after.Status); err != nil {
		return nil, err
	}
	if len(ops) == 0 {
		return nil, nil
	}
	return marshalOps(ops)
}

// elems returns pointers to the elements of s, for listPatch.
func elems[T any](s []T) []any {
	out := make([]any, len(s))
	for i := range s {
		out[i] = &s[i]
	}
	return out
}

// listPatch patches the list at path (omitted from the JSON when empty):
// elements at the same index are patched in place, extra elements of b are
// appended, extra elements of a are removed from the end.
func listPatch(path string, a, b []any) ([]jsonpatch.Operation, error) {
	switch {
	case len(a) == 0 && len(b) == 0:
		return nil, nil
	case len(a) == 0:
		return []jsonpatch.Operation{{Operation: "add", Path: path, Value: b}}, nil
	case len(b) == 0:
		return []jsonpatch.Operation{{Operation: "remove", Path: path}}, nil
	}
	var ops []jsonpatch.Operation
	for i := range min(len(a), len(b)) {
		more, err := subPatch(path+"/"+itoa(int64(i)), a[i], b[i])
		if err != nil {
			return nil, err
		}
		ops = append(ops, more...)
	}
	for _, v := range b[min(len(a), len(b)):] {
		ops = append(ops, jsonpatch.Operation{Operation: "add", Path: path + "/-", Value: v})
	}
	for i := len(a) - 1; i >= len(b); i-- {
		ops = append(ops, jsonpatch.Operation{Operation: "remove", Path: path + "/" + itoa(int64(i))})
	}
	return ops, nil
}

// subPatch returns the operations that turn the JSON object a into b, with
// their paths under prefix; nothing when a and b are deeply equal.
func subPatch(prefix string, a, b any) ([]jsonpatch.Operation, error) {
	if equality.Semantic.DeepEqual(a, b) {
		return nil, nil
	}
	ja, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	jb, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	ops, err := jsonpatch.CreatePatch(ja, jb)
	if err != nil {
		return nil, err
	}
	for i := range ops {
		ops[i].Path = prefix + ops[i].Path
	}
	return ops, nil
}

// Wire forms of a patch operation. jsonpatch.Operation has a MarshalJSON
// method, which makes encoding/json re-parse and compact every operation;
// plain structs encode the same JSON in one pass.
type (
	valueOp struct {
		Op    string `json:"op"`
		Path  string `json:"path"`
		Value any    `json:"value"` // add and replace always carry a value, null included
	}
	pathOp struct {
		Op   string `json:"op"`
		Path string `json:"path"`
	}
)

func marshalOps(ops []jsonpatch.Operation) ([]byte, error) {
	wire := make([]any, len(ops))
	for i, op := range ops {
		if op.Operation == "remove" {
			wire[i] = pathOp{Op: op.Operation, Path: op.Path}
		} else {
			wire[i] = valueOp{Op: op.Operation, Path: op.Path, Value: op.Value}
		}
	}
	return json.Marshal(wire)
}

// encodeJSON writes v without HTML escaping (messages keep their < > &).
func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
