// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package chart_test

import (
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

// object is a rendered document decoded into its Go type: a client-go type
// for built-in kinds, one of the structs below for the custom resources.
type object struct {
	source string
	kind   string
	meta   metav1.Object
	typed  any
}

// Custom resources the chart renders, with the fields it uses. Decoding is
// strict, so a misspelled field fails the same way it does for built-in kinds.
type (
	podMonitor struct {
		metav1.TypeMeta   `json:",inline"`
		metav1.ObjectMeta `json:"metadata"`
		Spec              struct {
			Selector          metav1.LabelSelector `json:"selector"`
			NamespaceSelector struct {
				MatchNames []string `json:"matchNames"`
			} `json:"namespaceSelector"`
			PodMetricsEndpoints []struct {
				Port              string `json:"port"`
				Scheme            string `json:"scheme"`
				Path              string `json:"path"`
				BearerTokenSecret struct {
					Name string `json:"name"`
					Key  string `json:"key"`
				} `json:"bearerTokenSecret"`
				TLSConfig struct {
					InsecureSkipVerify bool `json:"insecureSkipVerify"`
				} `json:"tlsConfig"`
				HonorLabels bool         `json:"honorLabels,omitempty"`
				Relabelings []relabeling `json:"relabelings"`
			} `json:"podMetricsEndpoints"`
		} `json:"spec"`
	}
	relabeling struct {
		SourceLabels []string `json:"sourceLabels,omitempty"`
		Regex        string   `json:"regex,omitempty"`
		TargetLabel  string   `json:"targetLabel,omitempty"`
		Replacement  string   `json:"replacement,omitempty"`
		Action       string   `json:"action,omitempty"`
	}
	prometheusRule struct {
		metav1.TypeMeta   `json:",inline"`
		metav1.ObjectMeta `json:"metadata"`
		Spec              struct {
			Groups []ruleGroup `json:"groups"`
		} `json:"spec"`
	}
	ruleGroup struct {
		Name  string `json:"name"`
		Rules []rule `json:"rules"`
	}
	rule struct {
		Alert       string            `json:"alert"`
		Expr        string            `json:"expr"`
		For         string            `json:"for"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	}
	verticalPodAutoscaler struct {
		metav1.TypeMeta   `json:",inline"`
		metav1.ObjectMeta `json:"metadata"`
		Spec              struct {
			TargetRef struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
				Name       string `json:"name"`
			} `json:"targetRef"`
			UpdatePolicy struct {
				UpdateMode string `json:"updateMode"`
			} `json:"updatePolicy"`
			ResourcePolicy struct {
				ContainerPolicies []struct {
					ContainerName    string            `json:"containerName"`
					ControlledValues string            `json:"controlledValues"`
					MinAllowed       map[string]string `json:"minAllowed"`
					MaxAllowed       map[string]string `json:"maxAllowed"`
				} `json:"containerPolicies"`
			} `json:"resourcePolicy"`
		} `json:"spec"`
	}
	// securityPolicyException is the part of Deckhouse's SecurityPolicyException
	// (deckhouse.io/v1alpha1, from the admission-policy-engine module) this chart uses,
	// written after the CRD's openAPIV3Schema: an allowance is {allowedValue} or
	// {allowedValues} with metadata.description; a hostPath allowance lists paths with
	// their readOnly flag. A field the chart starts using has to be added here first.
	securityPolicyException struct {
		metav1.TypeMeta   `json:",inline"`
		metav1.ObjectMeta `json:"metadata"`
		Spec              struct {
			SecurityContext struct {
				Privileged               *speValue[bool]    `json:"privileged,omitempty"`
				AllowPrivilegeEscalation *speValue[bool]    `json:"allowPrivilegeEscalation,omitempty"`
				RunAsNonRoot             *speValue[bool]    `json:"runAsNonRoot,omitempty"`
				RunAsUser                *speValues[int64]  `json:"runAsUser,omitempty"`
				SeccompProfile           *speValues[string] `json:"seccompProfile,omitempty"`
				Capabilities             *struct {
					AllowedValues *struct {
						Add  []string `json:"add,omitempty"`
						Drop []string `json:"drop,omitempty"`
					} `json:"allowedValues"`
					Metadata speMetadata `json:"metadata"`
				} `json:"capabilities,omitempty"`
			} `json:"securityContext"`
			Volumes struct {
				Types    *speValues[string] `json:"types,omitempty"`
				HostPath *struct {
					AllowedValues []speHostPath `json:"allowedValues"`
				} `json:"hostPath,omitempty"`
			} `json:"volumes"`
		} `json:"spec"`
	}
	speMetadata struct {
		Description string `json:"description"`
	}
	speValue[T any] struct {
		AllowedValue *T          `json:"allowedValue"`
		Metadata     speMetadata `json:"metadata"`
	}
	speValues[T any] struct {
		AllowedValues []T         `json:"allowedValues"`
		Metadata      speMetadata `json:"metadata"`
	}
	speHostPath struct {
		Path     string      `json:"path"`
		ReadOnly bool        `json:"readOnly"`
		Metadata speMetadata `json:"metadata"`
	}
	grafanaDashboardDefinition struct {
		metav1.TypeMeta   `json:",inline"`
		metav1.ObjectMeta `json:"metadata"`
		Spec              struct {
			Folder     string `json:"folder"`
			Definition string `json:"definition"`
		} `json:"spec"`
	}
)

var strictDecoder = serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()

// decode turns every manifest into a typed object, failing on unknown kinds,
// unknown fields and duplicate keys.
func decode(t *testing.T, ms []manifest) []object {
	t.Helper()
	var objs []object
	for _, m := range ms {
		o, err := decodeOne(m)
		if err != nil {
			t.Errorf("%s: %v\n%s", m.source, err, m.doc)
			continue
		}
		objs = append(objs, o)
	}
	if t.Failed() {
		t.FailNow()
	}
	return objs
}

func decodeOne(m manifest) (object, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal([]byte(m.doc), &tm); err != nil {
		return object{}, err
	}
	o := object{source: m.source, kind: tm.Kind}
	var custom metav1.Object
	switch tm.APIVersion + "/" + tm.Kind {
	case "monitoring.coreos.com/v1/PodMonitor":
		custom = &podMonitor{}
	case "monitoring.coreos.com/v1/PrometheusRule":
		custom = &prometheusRule{}
	case "deckhouse.io/v1/GrafanaDashboardDefinition":
		custom = &grafanaDashboardDefinition{}
	case "autoscaling.k8s.io/v1/VerticalPodAutoscaler":
		custom = &verticalPodAutoscaler{}
	case "deckhouse.io/v1alpha1/SecurityPolicyException":
		custom = &securityPolicyException{}
	}
	if custom != nil {
		if err := yaml.UnmarshalStrict([]byte(m.doc), custom); err != nil {
			return object{}, err
		}
		o.meta, o.typed = custom, custom
		return o, nil
	}
	obj, gvk, err := strictDecoder.Decode([]byte(m.doc), nil, nil)
	if err != nil {
		return object{}, err
	}
	if gvk.Kind != tm.Kind {
		return object{}, fmt.Errorf("decoded %s, want %s", gvk.Kind, tm.Kind)
	}
	acc, ok := obj.(metav1.Object)
	if !ok {
		return object{}, fmt.Errorf("%T has no object metadata", obj)
	}
	o.meta, o.typed = acc, runtime.Object(obj)
	return o, nil
}

// find returns the objects of a kind.
func find[T any](objs []object) []T {
	var out []T
	for _, o := range objs {
		if v, ok := o.typed.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// one returns the single object of a kind and name.
func one[T metav1.Object](t *testing.T, objs []object, name string) T {
	t.Helper()
	var found []T
	for _, v := range find[T](objs) {
		if v.GetName() == name {
			found = append(found, v)
		}
	}
	if len(found) != 1 {
		var zero T
		t.Fatalf("found %d %T named %q, want 1", len(found), zero, name)
	}
	return found[0]
}
