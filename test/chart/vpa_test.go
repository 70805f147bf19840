// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package chart_test

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Where the VPA API exists, every Deployment and DaemonSet of the module has one VPA whose
// policies name exactly its containers, set requests only (the memory limit, which GOMEMLIMIT
// is chosen against, stays) and never evict (Initial), with bounds that hold the template's own
// requests and stop at the memory limit. Without the API no VPA is rendered.
func TestVPA(t *testing.T) {
	for _, c := range renderCases {
		t.Run(c.name, func(t *testing.T) {
			objs := renderedCase(t, c)
			vpas := map[string]*verticalPodAutoscaler{}
			for _, v := range find[*verticalPodAutoscaler](objs) {
				vpas[v.Spec.TargetRef.Kind+"/"+v.Spec.TargetRef.Name] = v
			}
			if !c.monitoring {
				if len(vpas) != 0 {
					t.Fatalf("VPAs rendered without the VPA API: %d", len(vpas))
				}
				return
			}
			workloads := map[string]corev1.PodSpec{}
			for _, d := range find[*appsv1.Deployment](objs) {
				workloads["Deployment/"+d.Name] = d.Spec.Template.Spec
			}
			for _, d := range find[*appsv1.DaemonSet](objs) {
				workloads["DaemonSet/"+d.Name] = d.Spec.Template.Spec
			}
			if len(vpas) != len(workloads) {
				t.Errorf("%d VPAs for %d workloads", len(vpas), len(workloads))
			}
			for key, spec := range workloads {
				v, ok := vpas[key]
				if !ok {
					t.Errorf("%s has no VPA", key)
					continue
				}
				checkVPA(t, key, v, spec)
			}
		})
	}
}

func checkVPA(t *testing.T, key string, v *verticalPodAutoscaler, spec corev1.PodSpec) {
	t.Helper()
	if v.Spec.UpdatePolicy.UpdateMode != "Initial" || v.Spec.TargetRef.APIVersion != "apps/v1" {
		t.Errorf("%s: updateMode %q, targetRef %+v", key, v.Spec.UpdatePolicy.UpdateMode, v.Spec.TargetRef)
	}
	policies := v.Spec.ResourcePolicy.ContainerPolicies
	if len(policies) != len(spec.Containers) {
		t.Fatalf("%s: %d policies for %d containers", key, len(policies), len(spec.Containers))
	}
	for i, c := range spec.Containers {
		p := policies[i]
		if p.ContainerName != c.Name || p.ControlledValues != "RequestsOnly" {
			t.Errorf("%s: policy %q (%s) for container %q", key, p.ContainerName, p.ControlledValues, c.Name)
		}
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			lo, hi := resource.MustParse(p.MinAllowed[string(r)]), resource.MustParse(p.MaxAllowed[string(r)])
			req := c.Resources.Requests[r]
			if lo.Cmp(req) > 0 || hi.Cmp(req) < 0 {
				t.Errorf("%s/%s: %s bounds %s..%s do not hold the request %s", key, c.Name, r, lo.String(), hi.String(), req.String())
			}
		}
		if limit, ok := c.Resources.Limits[corev1.ResourceMemory]; ok {
			if hi := resource.MustParse(p.MaxAllowed["memory"]); hi.Cmp(limit) > 0 {
				t.Errorf("%s/%s: maxAllowed memory %s above the limit %s", key, c.Name, hi.String(), limit.String())
			}
		}
	}
}
