// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package chart_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
)

func TestMutatingWebhook(t *testing.T) {
	forEachCase(t, func(t *testing.T, c renderCase, objs []object) {
		cfgs := find[*admissionregistrationv1.MutatingWebhookConfiguration](objs)
		if len(cfgs) != 1 || len(cfgs[0].Webhooks) != 1 {
			t.Fatalf("want one MutatingWebhookConfiguration with one webhook, got %d", len(cfgs))
		}
		w := cfgs[0].Webhooks[0]
		if w.FailurePolicy == nil || *w.FailurePolicy != admissionregistrationv1.Fail {
			t.Errorf("failurePolicy %v, want Fail: an opted-in pod must never start unmutated", w.FailurePolicy)
		}
		if w.SideEffects == nil || *w.SideEffects != admissionregistrationv1.SideEffectClassNone {
			t.Errorf("sideEffects %v, want None", w.SideEffects)
		}
		if w.TimeoutSeconds == nil || *w.TimeoutSeconds != 10 {
			t.Errorf("timeoutSeconds %v, want 10", w.TimeoutSeconds)
		}
		if w.ReinvocationPolicy == nil || *w.ReinvocationPolicy != admissionregistrationv1.IfNeededReinvocationPolicy {
			t.Errorf("reinvocationPolicy %v, want IfNeeded", w.ReinvocationPolicy)
		}
		if len(w.Rules) != 1 || !slices.Equal(w.Rules[0].Operations, []admissionregistrationv1.OperationType{admissionregistrationv1.Create}) ||
			!slices.Equal(w.Rules[0].Resources, []string{"pods"}) || !slices.Equal(w.Rules[0].APIGroups, []string{""}) {
			t.Errorf("rules %+v, want CREATE of core pods only", w.Rules)
		}
		if len(w.MatchConditions) != 1 {
			t.Fatalf("matchConditions %+v, want exactly the role annotation condition", w.MatchConditions)
		}
		checkMatchCondition(t, w.MatchConditions[0].Expression)

		sel := w.NamespaceSelector
		excluded := false
		for _, e := range sel.MatchExpressions {
			if e.Key == "kubernetes.io/metadata.name" && e.Operator == "NotIn" && slices.Contains(e.Values, moduleNamespace) {
				excluded = true
			}
		}
		if !excluded || len(sel.MatchLabels) != 0 {
			t.Errorf("namespaceSelector %+v does not exclude %s", sel, moduleNamespace)
		}

		ca := dig(caseValues(t, c), "secretsStoreIntegration", "internal", "webhookCert", "ca")
		if string(w.ClientConfig.CABundle) != ca {
			t.Errorf("caBundle %q, want internal.webhookCert.ca", w.ClientConfig.CABundle)
		}
		if w.ClientConfig.URL != nil || w.ClientConfig.Service == nil || w.ClientConfig.Service.Name != "secrets-store-integration-webhook" ||
			w.ClientConfig.Service.Namespace != moduleNamespace || w.ClientConfig.Service.Path == nil || *w.ClientConfig.Service.Path != "/mutate" {
			t.Errorf("clientConfig %+v, want Service secrets-store-integration-webhook, path /mutate", w.ClientConfig)
		}
	})
}

// checkMatchCondition evaluates the expression with CEL: only pods with the
// role annotation are sent to the webhook.
func checkMatchCondition(t *testing.T, expr string) {
	t.Helper()
	const want = "has(object.metadata.annotations) && 'secrets-store.deckhouse.io/role' in object.metadata.annotations"
	if expr != want {
		t.Errorf("match condition %q, want %q", expr, want)
	}
	env, err := cel.NewEnv(cel.Variable("object", cel.DynType))
	if err != nil {
		t.Fatal(err)
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		t.Fatalf("compile %q: %v", expr, iss.Err())
	}
	prg, err := env.Program(ast)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		metadata map[string]any
		want     bool
	}{
		{"no annotations", map[string]any{"name": "p"}, false},
		{"other annotations", map[string]any{"annotations": map[string]any{"secrets-store.deckhouse.io/addr": "x"}}, false},
		{"role annotation", map[string]any{"annotations": map[string]any{"secrets-store.deckhouse.io/role": "app"}}, true},
		{"empty role", map[string]any{"annotations": map[string]any{"secrets-store.deckhouse.io/role": ""}}, true},
	} {
		out, _, err := prg.Eval(map[string]any{"object": map[string]any{"metadata": tc.metadata}})
		if err != nil {
			t.Fatalf("%s: eval: %v", tc.name, err)
		}
		if got := out.Value(); got != tc.want {
			t.Errorf("%s: match condition = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestWebhookDeployment(t *testing.T) {
	forEachCase(t, func(t *testing.T, c renderCase, objs []object) {
		d := one[*appsv1.Deployment](t, objs, webhookDeployment)
		wantReplicas := map[string]int32{"manual": 3, "local": 1}[c.name]
		if wantReplicas == 0 {
			wantReplicas = 2
		}
		if d.Spec.Replicas == nil || *d.Spec.Replicas != wantReplicas {
			t.Errorf("replicas %v, want %d", d.Spec.Replicas, wantReplicas)
		}
		spec := d.Spec.Template.Spec
		aa := spec.Affinity
		if aa == nil || aa.PodAntiAffinity == nil || len(aa.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) != 1 ||
			aa.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0].PodAffinityTerm.TopologyKey != "kubernetes.io/hostname" ||
			len(aa.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) != 0 {
			t.Errorf("affinity %+v, want a soft anti-affinity on the host name", aa)
		}
		if d.Spec.Template.Annotations["checksum/certificate"] == "" {
			t.Error("no checksum/certificate annotation")
		}
		if len(spec.Containers) != 2 || spec.Containers[0].Name != "webhook" || spec.Containers[1].Name != "kube-rbac-proxy" {
			t.Fatalf("containers %v, want webhook and kube-rbac-proxy", containerNames(spec.Containers))
		}
		checkKubeRBACProxy(t, spec, "webhook", 9190, 9090)
		ctr := spec.Containers[0]
		for _, p := range []*corev1.Probe{ctr.ReadinessProbe, ctr.LivenessProbe} {
			if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" || p.HTTPGet.Port.String() != "health" {
				t.Errorf("probe %+v, want GET /healthz on the port health", p)
			}
		}
		tls := false
		for _, v := range spec.Volumes {
			if v.Secret != nil && v.Secret.SecretName == "secrets-store-integration-webhook-tls" {
				tls = true
			}
		}
		if !tls {
			t.Error("the TLS Secret is not mounted")
		}

		pdb := one[*policyv1.PodDisruptionBudget](t, objs, "webhook")
		if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 {
			t.Errorf("PDB maxUnavailable %v, want 1", pdb.Spec.MaxUnavailable)
		}
		svc := one[*corev1.Service](t, objs, "secrets-store-integration-webhook")
		if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 443 || svc.Spec.Ports[0].TargetPort.String() != "https" {
			t.Errorf("service ports %+v, want 443 to the https port", svc.Spec.Ports)
		}
		if ctr.Ports[0].Name != "https" || ctr.Ports[0].ContainerPort != 9443 {
			t.Errorf("container ports %+v, want https on 9443", ctr.Ports)
		}
	})
}

func TestWebhookTLSSecret(t *testing.T) {
	c := renderCases[0]
	s := one[*corev1.Secret](t, renderedCase(t, c), "secrets-store-integration-webhook-tls")
	if s.Type != corev1.SecretTypeTLS {
		t.Errorf("type %s, want kubernetes.io/tls", s.Type)
	}
	vals := caseValues(t, c)
	for key, value := range map[string]string{"tls.crt": "crt", "tls.key": "key", "ca.crt": "ca"} {
		want := dig(vals, "secretsStoreIntegration", "internal", "webhookCert", value)
		if string(s.Data[key]) != want {
			t.Errorf("%s = %q, want internal.webhookCert.%s", key, s.Data[key], value)
		}
	}
	if len(s.Data) != 3 {
		t.Errorf("keys %v, want tls.crt, tls.key, ca.crt", s.Data)
	}
}

// TestStoreSettings: the connection flags follow internal.connection, and no
// store flag at all is passed when there is no store.
func TestStoreSettings(t *testing.T) {
	for _, c := range renderCases {
		t.Run(c.name, func(t *testing.T) {
			objs := renderedCase(t, c)
			conn := func(k string) string {
				return dig(caseValues(t, c), "secretsStoreIntegration", "internal", "connection", k)
			}
			containers := map[string]corev1.Container{
				"webhook":    one[*appsv1.Deployment](t, objs, webhookDeployment).Spec.Template.Spec.Containers[0],
				"csi-driver": one[*appsv1.DaemonSet](t, objs, "csi-driver").Spec.Template.Spec.Containers[0],
			}
			configMaps := find[*corev1.ConfigMap](objs)
			for name, ctr := range containers {
				flags := map[string]string{}
				for _, a := range ctr.Args {
					if k, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(k, "--store-") {
						flags[k] = v
					}
				}
				want := map[string]string{}
				if conn("url") != "" {
					want["--store-addr"] = conn("url")
					if v := conn("authPath"); v != "" {
						want["--store-auth-path"] = v
					}
					if v := conn("namespace"); v != "" {
						want["--store-namespace"] = v
					}
					if conn("caCert") != "" {
						want["--store-ca-file"] = "/etc/secrets-store/store-ca/ca.crt"
					}
				}
				if len(flags) != len(want) {
					t.Errorf("%s: store flags %v, want %v", name, flags, want)
				}
				for k, v := range want {
					if flags[k] != v {
						t.Errorf("%s: %s=%q, want %q", name, k, flags[k], v)
					}
				}
			}
			if conn("caCert") == "" {
				if slices.ContainsFunc(configMaps, func(cm *corev1.ConfigMap) bool { return cm.Name == "secrets-store-integration-store-ca" }) {
					t.Errorf("store CA ConfigMap rendered without a CA")
				}
				return
			}
			cm := one[*corev1.ConfigMap](t, objs, "secrets-store-integration-store-ca")
			if strings.TrimSpace(cm.Data["ca.crt"]) != strings.TrimSpace(conn("caCert")) {
				t.Errorf("ConfigMap ca.crt = %q, want internal.connection.caCert", cm.Data["ca.crt"])
			}
		})
	}
}
