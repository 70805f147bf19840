// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package admission

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	corev1 "k8s.io/api/core/v1"
)

// Unknown fields of every container, init container and volume stay on the
// element they came with when diff's patch is applied to the JSON a newer API
// server holds, however the mutation inserted, removed, reordered or changed
// elements. Each element carries its own value of the unknown field, so a
// field that moves to a neighbor is caught.
func TestDiffKeepsUnknownFieldsOnTheirElements(t *testing.T) {
	base := func() *corev1.Pod {
		p := testPod()
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "sidecar", Image: "sidecar:v1", Command: []string{"/side"}})
		p.Spec.InitContainers = []corev1.Container{
			{Name: "migrate", Image: "migrate:v1", Command: []string{"/migrate"}},
			{Name: "warm", Image: "warm:v1", Command: []string{"/warm"}},
			{Name: "check", Image: "check:v1", Command: []string{"/check"}},
		}
		p.Spec.Volumes = []corev1.Volume{{Name: "data"}, {Name: "cache"}}
		return p
	}
	injector := corev1.Container{Name: "copy", Image: "injector:v1", Command: []string{"/injector", "--self-copy"}}
	tests := []struct {
		name    string
		mutate  func(t *testing.T, p *corev1.Pod)
		wantOps []string // "op path" of every operation, when the test pins them
	}{
		{"init container prepended", func(_ *testing.T, p *corev1.Pod) {
			p.Spec.InitContainers = append([]corev1.Container{injector}, p.Spec.InitContainers...)
		}, []string{"add /spec/initContainers/0"}},
		{"init container prepended, the others wrapped", func(_ *testing.T, p *corev1.Pod) {
			for i := range p.Spec.InitContainers {
				c := &p.Spec.InitContainers[i]
				c.Args, c.Command = append(c.Command, c.Args...), []string{"/bin/injector"}
			}
			p.Spec.InitContainers = append([]corev1.Container{injector}, p.Spec.InitContainers...)
		}, nil},
		{"inserted in the middle and at the end", func(_ *testing.T, p *corev1.Pod) {
			ic := p.Spec.InitContainers
			p.Spec.InitContainers = []corev1.Container{ic[0], injector, ic[1], ic[2], {Name: "last", Image: "last:v1"}}
			p.Spec.Volumes = append([]corev1.Volume{{Name: "bin"}}, p.Spec.Volumes...)
		}, []string{"add /spec/initContainers/1", "add /spec/initContainers/4", "add /spec/volumes/0"}},
		{"removed from the front and the middle", func(_ *testing.T, p *corev1.Pod) {
			p.Spec.InitContainers = p.Spec.InitContainers[2:]
			p.Spec.Containers = p.Spec.Containers[1:]
		}, []string{"remove /spec/initContainers/1", "remove /spec/initContainers/0", "remove /spec/containers/0"}},
		{"reordered, one replaced by a new one of another name", func(_ *testing.T, p *corev1.Pod) {
			ic := p.Spec.InitContainers
			ic[1].Image = "warm:v2"
			p.Spec.InitContainers = []corev1.Container{ic[2], injector, ic[1]}
			p.Spec.Volumes[0], p.Spec.Volumes[1] = p.Spec.Volumes[1], p.Spec.Volumes[0]
		}, nil},
		{"the real mutation", func(t *testing.T, p *corev1.Pod) {
			if _, err := benchMutator().Mutate(t.Context(), p); err != nil {
				t.Fatal(err)
			}
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := base()
			after := before.DeepCopy()
			tt.mutate(t, after)
			patch, err := diff(before, after)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantOps != nil {
				if got := opsOf(t, patch); !reflect.DeepEqual(got, tt.wantOps) {
					t.Errorf("got operations %q, want %q (patch %s)", got, tt.wantOps, patch)
				}
			}
			patched := applyPatch(t, patch, withUnknownFieldsEverywhere(t, before))
			var got corev1.Pod
			if err := json.Unmarshal(patched, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(&got, after) {
				t.Errorf("patch %s\ngot  %+v\nwant %+v", patch, got.Spec, after.Spec)
			}
			checkUnknownFields(t, patched, before)
		})
	}
}

// Beyond scanLimit elements names are found through a map: the same patch.
func TestDiffManyInitContainers(t *testing.T) {
	before := testPod()
	for i := range 2 * scanLimit {
		before.Spec.InitContainers = append(before.Spec.InitContainers, corev1.Container{Name: fmt.Sprintf("init-%d", i), Image: "init:v1"})
	}
	after := before.DeepCopy()
	after.Spec.InitContainers[3].Image = "init:v2"
	after.Spec.InitContainers = append([]corev1.Container{{Name: "copy", Image: "injector:v1"}}, after.Spec.InitContainers...)
	patch, err := diff(before, after)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"add /spec/initContainers/0", "replace /spec/initContainers/4/image"}
	if got := opsOf(t, patch); !reflect.DeepEqual(got, want) {
		t.Errorf("got operations %q, want %q (patch %s)", got, want, patch)
	}
	patched := applyPatch(t, patch, withUnknownFieldsEverywhere(t, before))
	checkUnknownFields(t, patched, before)
}

// Names repeat in a pod the API server has not validated yet: the lists are
// then patched by index, and the patch still gives the mutated pod.
func TestDiffRepeatedNames(t *testing.T) {
	before := testPod()
	before.Spec.InitContainers = []corev1.Container{{Name: "x", Image: "a:v1"}, {Name: "x", Image: "b:v1"}}
	after := before.DeepCopy()
	after.Spec.InitContainers = append([]corev1.Container{{Name: "copy", Image: "injector:v1"}}, after.Spec.InitContainers...)
	patch, err := diff(before, after)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(before)
	if err != nil {
		t.Fatal(err)
	}
	var got corev1.Pod
	if err := json.Unmarshal(applyPatch(t, patch, raw), &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&got, after) {
		t.Errorf("patch %s\ngot  %+v\nwant %+v", patch, got.Spec.InitContainers, after.Spec.InitContainers)
	}
}

func applyPatch(t *testing.T, patch, doc []byte) []byte {
	t.Helper()
	p, err := jsonpatch.DecodePatch(patch)
	if err != nil {
		t.Fatalf("decode patch %s: %v", patch, err)
	}
	out, err := p.Apply(doc)
	if err != nil {
		t.Fatalf("apply patch %s: %v", patch, err)
	}
	return out
}

// opsOf lists "op path" for the operations of patch.
func opsOf(t *testing.T, patch []byte) []string {
	t.Helper()
	var ops []struct{ Op, Path string }
	if err := json.Unmarshal(patch, &ops); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(ops))
	for i, o := range ops {
		out[i] = o.Op + " " + o.Path
	}
	return out
}

// podLists are the named lists of a pod spec, by JSON field name.
var podLists = []string{"initContainers", "containers", "volumes"}

// unknownValue is the value of the unknown field planted in the element
// named name of list.
func unknownValue(list, name string) string { return "future-" + list + "-" + name }

// withUnknownFieldsEverywhere encodes the pod with a field this build does
// not know in every element of its named lists, each with its own value.
func withUnknownFieldsEverywhere(t *testing.T, p *corev1.Pod) []byte {
	t.Helper()
	m := asMap(t, p)
	spec := as[map[string]any](t, m["spec"], "spec")
	for _, list := range podLists {
		elems, _ := spec[list].([]any)
		for i, e := range elems {
			e := as[map[string]any](t, e, fmt.Sprintf("%s[%d]", list, i))
			e["futureField"] = unknownValue(list, as[string](t, e["name"], fmt.Sprintf("%s[%d].name", list, i)))
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkUnknownFields checks that every element of the patched pod that was
// in before carries its own unknown field, and that new elements carry none.
func checkUnknownFields(t *testing.T, patched []byte, before *corev1.Pod) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(patched, &m); err != nil {
		t.Fatal(err)
	}
	old := as[map[string]any](t, asMap(t, before)["spec"], "spec before")
	spec := as[map[string]any](t, m["spec"], "spec")
	for _, list := range podLists {
		known := map[string]bool{}
		oldElems, _ := old[list].([]any)
		for i, e := range oldElems {
			where := fmt.Sprintf("%s[%d] before", list, i)
			known[as[string](t, as[map[string]any](t, e, where)["name"], where+".name")] = true
		}
		elems, _ := spec[list].([]any)
		for i, e := range elems {
			where := fmt.Sprintf("%s[%d]", list, i)
			elem := as[map[string]any](t, e, where)
			name := as[string](t, elem["name"], where+".name")
			got, has := elem["futureField"]
			switch {
			case known[name] && got != unknownValue(list, name):
				t.Errorf("%s[%d] %q: got unknown field %v, want %q", list, i, name, got, unknownValue(list, name))
			case !known[name] && has:
				t.Errorf("%s[%d] %q is new, got unknown field %v from another element", list, i, name, got)
			}
		}
	}
	if n := strings.Count(string(patched), `"futureField"`); n > countNamed(before) {
		t.Errorf("got %d unknown fields, more than the %d planted", n, countNamed(before))
	}
}

func countNamed(p *corev1.Pod) int {
	return len(p.Spec.InitContainers) + len(p.Spec.Containers) + len(p.Spec.Volumes)
}

func asMap(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(fmt.Errorf("encode: %w", err))
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// as returns the decoded JSON value v as a T; what names it in the failure
// when the document has another shape.
func as[T any](t *testing.T, v any, what string) T {
	t.Helper()
	x, ok := v.(T)
	if !ok {
		t.Fatalf("%s: got %T, want %T", what, v, x)
	}
	return x
}
