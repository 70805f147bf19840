// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package chart_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/deckhouse/secrets-store-integration/test/modulechart"
)

// ciliumNetworkPolicy holds the fields the chart uses; decoding is strict.
type ciliumNetworkPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		EndpointSelector metav1.LabelSelector `json:"endpointSelector"`
		Ingress          []struct {
			FromEntities []string `json:"fromEntities"`
			ToPorts      []struct {
				Ports []struct {
					Port     string `json:"port"`
					Protocol string `json:"protocol"`
				} `json:"ports"`
			} `json:"toPorts"`
		} `json:"ingress"`
	} `json:"spec"`
}

// renderPolicies renders case c with internal.apiServerAddresses set (nil:
// left as the case has it), with or without Cilium's policy API, and returns
// the decoded objects and the CiliumNetworkPolicies.
func renderPolicies(t *testing.T, c renderCase, addresses []any, cilium bool) ([]object, []ciliumNetworkPolicy) {
	t.Helper()
	values := caseValues(t, c)
	if addresses != nil {
		values = modulechart.Merge(values, map[string]any{
			"secretsStoreIntegration": map[string]any{"internal": map[string]any{"apiServerAddresses": addresses}},
		})
	}
	caps := capabilities(c.monitoring)
	if cilium {
		caps.APIVersions = append(caps.APIVersions, "cilium.io/v2", "cilium.io/v2/CiliumNetworkPolicy")
	}
	ms, err := renderCaps(t, values, caps)
	if err != nil {
		t.Fatalf("render %s: %v", c.name, err)
	}
	var rest []manifest
	var cnps []ciliumNetworkPolicy
	for _, m := range ms {
		if !strings.Contains(m.doc, "kind: CiliumNetworkPolicy") {
			rest = append(rest, m)
			continue
		}
		var p ciliumNetworkPolicy
		if err := yaml.UnmarshalStrict([]byte(m.doc), &p); err != nil {
			t.Fatalf("%s: %v\n%s", m.source, err, m.doc)
		}
		cnps = append(cnps, p)
	}
	return decode(t, rest), cnps
}

// renderCaps is render with the given capabilities.
func renderCaps(t *testing.T, values map[string]any, caps *chartutil.Capabilities) ([]manifest, error) {
	t.Helper()
	ch := loadChart(t)
	opts := chartutil.ReleaseOptions{Name: moduleName, Namespace: moduleNamespace, IsInstall: true}
	vals, err := chartutil.ToRenderValues(ch, values, opts, caps)
	if err != nil {
		return nil, err
	}
	out, err := engine.Render(ch, vals)
	if err != nil {
		return nil, err
	}
	var ms []manifest
	for _, p := range slices.Sorted(maps.Keys(out)) {
		for _, doc := range docSeparator.Split(out[p], -1) {
			if !isBlankYAML(doc) {
				ms = append(ms, manifest{source: strings.TrimPrefix(p, moduleName+"/"), doc: strings.TrimSpace(doc) + "\n"})
			}
		}
	}
	return ms, nil
}

// Without API server addresses (the hook has not run, or found none) no
// policy is rendered: a policy without a source would refuse the API server.
func TestNetworkPolicyNotRenderedWithoutAddresses(t *testing.T) {
	for _, c := range renderCases {
		for name, addrs := range map[string][]any{"absent": nil, "empty": {}} {
			t.Run(c.name+"/"+name, func(t *testing.T) {
				objs, cnps := renderPolicies(t, c, addrs, true)
				if nps := webhookPolicies(objs); len(nps) != 0 || len(cnps) != 0 {
					t.Errorf("got %d NetworkPolicies and %d CiliumNetworkPolicies, want none", len(nps), len(cnps))
				}
			})
		}
	}
}

// With addresses, the webhook pods admit the webhook port from those
// addresses only, the metrics port from anywhere, and nothing else; the
// ports are the containers' own, in production and in the local overlay.
func TestNetworkPolicy(t *testing.T) {
	addrs := []any{"192.168.199.10", "192.168.199.11", "fd00::10"}
	for _, c := range renderCases {
		t.Run(c.name, func(t *testing.T) {
			objs, cnps := renderPolicies(t, c, addrs, false)
			if len(cnps) != 0 {
				t.Errorf("got %d CiliumNetworkPolicies without Cilium's API, want none", len(cnps))
			}
			np := one[*networkingv1.NetworkPolicy](t, objs, "webhook")
			dep := one[*appsv1.Deployment](t, objs, webhookDeployment)
			if np.Namespace != moduleNamespace {
				t.Errorf("namespace %q, want %q", np.Namespace, moduleNamespace)
			}
			sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
			if err != nil || sel.Empty() || !sel.Matches(labels.Set(dep.Spec.Template.Labels)) {
				t.Errorf("podSelector %v does not select the webhook pods %v", np.Spec.PodSelector, dep.Spec.Template.Labels)
			}
			if !slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}) || len(np.Spec.Egress) != 0 {
				t.Errorf("policyTypes %v, egress %v, want Ingress only", np.Spec.PolicyTypes, np.Spec.Egress)
			}
			webhookPort, metricsPort, healthPort := containerPort(t, dep, "https"), containerPort(t, dep, "https-metrics"), containerPort(t, dep, "health")
			want := []string{
				fmt.Sprintf("TCP/%d from [192.168.199.10/32 192.168.199.11/32 fd00::10/128]", webhookPort),
				fmt.Sprintf("TCP/%d,TCP/%d from anywhere", metricsPort, healthPort),
			}
			if got := describeIngress(np.Spec.Ingress); !slices.Equal(got, want) {
				t.Errorf("ingress rules\n got %q\nwant %q", got, want)
			}
		})
	}
}

// Where Cilium's policy API exists, its kube-apiserver entity is admitted to
// the webhook port as well, and to nothing else.
func TestCiliumNetworkPolicy(t *testing.T) {
	for _, c := range renderCases {
		t.Run(c.name, func(t *testing.T) {
			objs, cnps := renderPolicies(t, c, []any{"10.0.0.1"}, true)
			dep := one[*appsv1.Deployment](t, objs, webhookDeployment)
			if len(webhookPolicies(objs)) != 1 || len(cnps) != 1 {
				t.Fatalf("got %d NetworkPolicies and %d CiliumNetworkPolicies, want one of each", len(webhookPolicies(objs)), len(cnps))
			}
			p := cnps[0]
			if p.APIVersion != "cilium.io/v2" || p.Namespace != moduleNamespace || p.Labels["module"] != moduleName {
				t.Errorf("got %s %s/%s labels %v", p.APIVersion, p.Namespace, p.Name, p.Labels)
			}
			sel, err := metav1.LabelSelectorAsSelector(&p.Spec.EndpointSelector)
			if err != nil || sel.Empty() || !sel.Matches(labels.Set(dep.Spec.Template.Labels)) {
				t.Errorf("endpointSelector %v does not select the webhook pods", p.Spec.EndpointSelector)
			}
			port := fmt.Sprint(containerPort(t, dep, "https"))
			if len(p.Spec.Ingress) != 1 || !slices.Equal(p.Spec.Ingress[0].FromEntities, []string{"kube-apiserver"}) ||
				len(p.Spec.Ingress[0].ToPorts) != 1 || len(p.Spec.Ingress[0].ToPorts[0].Ports) != 1 ||
				p.Spec.Ingress[0].ToPorts[0].Ports[0].Port != port || p.Spec.Ingress[0].ToPorts[0].Ports[0].Protocol != "TCP" {
				t.Errorf("ingress %+v, want kube-apiserver to TCP/%s only", p.Spec.Ingress, port)
			}
		})
	}
}

// webhookPolicies are the NetworkPolicies of the webhook pods (the sync
// controller's, tested in sync_test.go, does not depend on the addresses).
func webhookPolicies(objs []object) []*networkingv1.NetworkPolicy {
	var out []*networkingv1.NetworkPolicy
	for _, np := range find[*networkingv1.NetworkPolicy](objs) {
		if np.Spec.PodSelector.MatchLabels["app"] == "webhook" {
			out = append(out, np)
		}
	}
	return out
}

func containerPort(t *testing.T, dep *appsv1.Deployment, name string) int32 {
	t.Helper()
	for _, c := range dep.Spec.Template.Spec.Containers {
		for _, p := range c.Ports {
			if p.Name == name {
				return p.ContainerPort
			}
		}
	}
	t.Fatalf("deployment %s has no port %q", dep.Name, name)
	return 0
}

// describeIngress renders each rule as "PROTO/PORT from [CIDR...]" or
// "PROTO/PORT from anywhere"; anything but ipBlocks without exceptions is
// spelled out so that it shows in a failure.
func describeIngress(rules []networkingv1.NetworkPolicyIngressRule) []string {
	var out []string
	for _, r := range rules {
		var ports []string
		for _, p := range r.Ports {
			proto := corev1.ProtocolTCP
			if p.Protocol != nil {
				proto = *p.Protocol
			}
			ports = append(ports, fmt.Sprintf("%s/%s", proto, p.Port))
		}
		from := "anywhere"
		if len(r.From) > 0 {
			var peers []string
			for _, f := range r.From {
				if f.IPBlock == nil || len(f.IPBlock.Except) > 0 || f.PodSelector != nil || f.NamespaceSelector != nil {
					peers = append(peers, fmt.Sprintf("%+v", f))
					continue
				}
				peers = append(peers, f.IPBlock.CIDR)
			}
			from = fmt.Sprint(peers)
		}
		out = append(out, strings.Join(ports, ",")+" from "+from)
	}
	return out
}
