// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package admission

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	corev1 "k8s.io/api/core/v1"
)

// diff's patch, applied to the object as the API server holds it (with fields this build
// does not know), gives the mutated pod and leaves the unknown fields alone, whatever the
// mutation did to lists, metadata and the rest of the spec.
func TestDiffAppliesToTheOriginal(t *testing.T) {
	base := func() *corev1.Pod {
		p := testPod()
		p.Annotations = map[string]string{"a": "1"}
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "sidecar", Image: "sidecar:v1", Command: []string{"/side"}})
		p.Spec.InitContainers = []corev1.Container{{Name: "migrate", Image: "migrate:v1"}}
		p.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
		return p
	}
	tests := []struct {
		name    string
		prepare func(p *corev1.Pod) // changes base before the mutation, if set
		mutate  func(p *corev1.Pod)
	}{
		{"init container prepended", nil, func(p *corev1.Pod) {
			p.Spec.InitContainers = append([]corev1.Container{{Name: "copy", Image: "injector:v1"}}, p.Spec.InitContainers...)
		}},
		{"volume appended, containers changed in place", nil, func(p *corev1.Pod) {
			p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "bin", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}})
			for i := range p.Spec.Containers {
				c := &p.Spec.Containers[i]
				c.Args = append(c.Command, c.Args...)
				c.Command = []string{"/bin/injector"}
				c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "bin", MountPath: "/bin"})
			}
		}},
		{"lists emptied and shortened", nil, func(p *corev1.Pod) {
			p.Spec.Volumes, p.Spec.InitContainers = nil, nil
			p.Spec.Containers = p.Spec.Containers[:1]
		}},
		{"lists created from nothing", func(p *corev1.Pod) {
			p.Spec.Volumes, p.Spec.InitContainers = nil, nil
		}, func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "bin"}}
			p.Spec.InitContainers = []corev1.Container{{Name: "copy", Image: "injector:v1"}}
		}},
		{"metadata and other spec fields", nil, func(p *corev1.Pod) {
			p.Annotations["a"] = "2"
			p.Annotations["b/c~d"] = "escaped path"
			p.Labels = map[string]string{"injected": "true"}
			p.Spec.ServiceAccountName = "other"
			p.Spec.NodeSelector = map[string]string{"kubernetes.io/arch": "arm64"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := base()
			if tt.prepare != nil {
				tt.prepare(before)
			}
			after := before.DeepCopy()
			tt.mutate(after)
			patch, err := diff(before, after)
			if err != nil {
				t.Fatal(err)
			}
			raw := withUnknownFields(t, before)
			p, err := jsonpatch.DecodePatch(patch)
			if err != nil {
				t.Fatalf("decode patch %s: %v", patch, err)
			}
			patched, err := p.Apply(raw)
			if err != nil {
				t.Fatalf("apply patch %s: %v", patch, err)
			}
			var got corev1.Pod
			if err := json.Unmarshal(patched, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(&got, after) {
				t.Errorf("patch %s\ngot  %+v\nwant %+v", patch, got.Spec, after.Spec)
			}
			for _, f := range []string{`"futureSpecField":1`, `"futureContainerField":2`} {
				if !strings.Contains(string(patched), f) {
					t.Errorf("patch %s dropped the unknown field %s", patch, f)
				}
			}
		})
	}
}

func TestDiffEqualIsNil(t *testing.T) {
	p := testPod()
	patch, err := diff(p, p.DeepCopy())
	if err != nil || patch != nil {
		t.Fatalf("got patch %s, err %v; want none", patch, err)
	}
}

// withUnknownFields encodes the pod with a field this build does not know in the spec and
// in the first container, as a newer API server would send it.
func withUnknownFields(t *testing.T, p *corev1.Pod) []byte {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	spec := as[map[string]any](t, m["spec"], "spec")
	spec["futureSpecField"] = 1
	containers := as[[]any](t, spec["containers"], "spec.containers")
	if len(containers) == 0 {
		t.Fatal("the pod has no containers to plant an unknown field in")
	}
	as[map[string]any](t, containers[0], "spec.containers[0]")["futureContainerField"] = 2
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
