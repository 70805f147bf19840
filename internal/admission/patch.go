// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package admission

import (
	"encoding/json"
	"slices"

	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

// diff returns the JSON Patch that turns before into after, or nil when they
// are equal. The patch is computed on the typed objects, so fields this
// build does not know (newer API fields) are never touched. Only what
// changed is encoded and compared: the metadata, each container, init
// container and volume on its own (matched by name, see listPatch), and the
// rest of the spec and the status as a whole.
func diff(before, after *corev1.Pod) ([]byte, error) {
	var ops []patchOp
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
	containerName := func(c *corev1.Container) string { return c.Name }
	volumeName := func(v *corev1.Volume) string { return v.Name }
	for _, l := range []struct {
		path string
		a, b []element
	}{
		{"/spec/initContainers", elems(before.Spec.InitContainers, containerName), elems(after.Spec.InitContainers, containerName)},
		{"/spec/containers", elems(before.Spec.Containers, containerName), elems(after.Spec.Containers, containerName)},
		{"/spec/volumes", elems(before.Spec.Volumes, volumeName), elems(after.Spec.Volumes, volumeName)},
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

// element is a list element with the name listPatch matches it by.
type element struct {
	name string
	v    any // a pointer into the list
}

// elems returns the elements of s with their names, for listPatch.
func elems[T any](s []T, name func(*T) string) []element {
	out := make([]element, len(s))
	for i := range s {
		out[i] = element{name: name(&s[i]), v: &s[i]}
	}
	return out
}

// listPatch patches the list at path (omitted from the JSON when empty).
// Elements are matched by name, not by index: the API server applies the
// patch to its own JSON, which may hold fields this build cannot see, and
// an element patched at the index of another one would carry that one's
// unknown fields. Elements of a that b lacks are removed, elements of b
// that a lacks are added at their index, and the others are moved where b
// has them (only when the order changed) and patched there. Names are
// unique in a valid pod; when they are not (the pod is not validated yet),
// elements are matched by index instead.
func listPatch(path string, a, b []element) ([]patchOp, error) {
	switch {
	case len(a) == 0 && len(b) == 0:
		return nil, nil
	case len(a) == 0:
		values := make([]any, len(b))
		for i, e := range b {
			values[i] = e.v
		}
		return []patchOp{{Operation: "add", Path: path, Value: values}}, nil
	case len(b) == 0:
		return []patchOp{{Operation: "remove", Path: path}}, nil
	}
	from, okA := newNames(a)
	to, okB := newNames(b)
	if !okA || !okB {
		return indexPatch(path, a, b)
	}
	var ops []patchOp
	// Removed from the end, so that the indices of the others hold.
	for i := len(a) - 1; i >= 0; i-- {
		if to.index(a[i].name) < 0 {
			ops = append(ops, patchOp{Operation: "remove", Path: path + "/" + itoa(int64(i))})
		}
	}
	list := make([]string, 0, max(len(a), len(b))) // names in the list as the operations so far leave it
	for _, e := range a {
		if to.index(e.name) >= 0 {
			list = append(list, e.name)
		}
	}
	// Invariant: before step j, list[:j] holds the names of b[:j].
	for j, e := range b {
		at := path + "/" + itoa(int64(j))
		k := from.index(e.name)
		if k < 0 {
			ops = append(ops, patchOp{Operation: "add", Path: at, Value: e.v})
			list = slices.Insert(list, j, e.name)
			continue
		}
		if i := j + slices.Index(list[j:], e.name); i != j {
			ops = append(ops, move(path+"/"+itoa(int64(i)), at))
			list = slices.Insert(slices.Delete(list, i, i+1), j, e.name)
		}
		more, err := subPatch(at, a[k].v, e.v)
		if err != nil {
			return nil, err
		}
		ops = append(ops, more...)
	}
	return ops, nil
}

// names finds elements by name: by a scan for the few elements a pod
// usually has (no allocation), by a map beyond that.
type names struct {
	s []element
	m map[string]int
}

// scanLimit is the longest list names scans.
const scanLimit = 16

// newNames indexes s; ok is false when a name repeats.
func newNames(s []element) (n names, ok bool) {
	n.s = s
	if len(s) <= scanLimit {
		for i := range s {
			for j := range i {
				if s[i].name == s[j].name {
					return n, false
				}
			}
		}
		return n, true
	}
	n.m = make(map[string]int, len(s))
	for i, e := range s {
		if _, dup := n.m[e.name]; dup {
			return n, false
		}
		n.m[e.name] = i
	}
	return n, true
}

// index is the index of the element named name, or -1.
func (n names) index(name string) int {
	if n.m == nil {
		return slices.IndexFunc(n.s, func(e element) bool { return e.name == name })
	}
	if i, ok := n.m[name]; ok {
		return i
	}
	return -1
}

// indexPatch patches both non-empty lists index by index: elements at the
// same index are patched in place, extra elements of b are appended, extra
// elements of a are removed from the end.
func indexPatch(path string, a, b []element) ([]patchOp, error) {
	var ops []patchOp
	for i := range min(len(a), len(b)) {
		more, err := subPatch(path+"/"+itoa(int64(i)), a[i].v, b[i].v)
		if err != nil {
			return nil, err
		}
		ops = append(ops, more...)
	}
	for _, e := range b[min(len(a), len(b)):] {
		ops = append(ops, patchOp{Operation: "add", Path: path + "/-", Value: e.v})
	}
	for i := len(a) - 1; i >= len(b); i-- {
		ops = append(ops, patchOp{Operation: "remove", Path: path + "/" + itoa(int64(i))})
	}
	return ops, nil
}

// subPatch returns the operations that turn the JSON object a into b, with
// their paths under prefix; nothing when a and b are deeply equal.
func subPatch(prefix string, a, b any) ([]patchOp, error) {
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

// patchOp is one JSON Patch operation. jsonpatch.Operation has no "from":
// a "move" keeps its source path in Value (see move and marshalOps);
// jsonpatch.CreatePatch itself makes only add, remove and replace.
type patchOp = jsonpatch.Operation

// move is the operation that moves the element at from to path.
func move(from, path string) patchOp {
	return patchOp{Operation: "move", Path: path, Value: from}
}

// Wire forms of a patch operation: add and replace always carry a value,
// null included; remove carries none, move carries from. jsonpatch.Operation
// has a MarshalJSON method, which makes encoding/json re-parse and compact
// every operation; plain structs encode the same JSON in one pass.
type (
	valueOp struct {
		Op    string `json:"op"`
		Path  string `json:"path"`
		Value any    `json:"value"`
	}
	pathOp struct {
		Op   string `json:"op"`
		Path string `json:"path"`
	}
	moveOp struct {
		Op   string `json:"op"`
		From string `json:"from"`
		Path string `json:"path"`
	}
)

func marshalOps(ops []patchOp) ([]byte, error) {
	wire := make([]any, len(ops))
	for i, op := range ops {
		switch op.Operation {
		case "remove":
			wire[i] = pathOp{Op: op.Operation, Path: op.Path}
		case "move":
			from, _ := op.Value.(string) // see move
			wire[i] = moveOp{Op: op.Operation, From: from, Path: op.Path}
		default:
			wire[i] = valueOp{Op: op.Operation, Path: op.Path, Value: op.Value}
		}
	}
	return json.Marshal(wire)
}
