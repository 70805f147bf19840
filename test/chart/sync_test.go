// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package chart_test

import (
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/deckhouse/secrets-store-integration/test/modulechart"
)

const (
	syncDisabledPolicy = "d8-secrets-store-integration-sync-disabled"
	syncSAPolicy       = "d8-secrets-store-integration-sync-serviceaccount"
	syncDisabledMsg    = "SecretsStoreSync is disabled in this cluster: an administrator enables it with " +
		"spec.settings.synchronization.enabled: true in the ModuleConfig secrets-store-integration."
	syncControllerUser = "system:serviceaccount:d8-secrets-store-integration:sync-controller"
)

// syncOn reports whether case c turns synchronization on.
func syncOn(t *testing.T, c renderCase) bool {
	t.Helper()
	on, _ := digAny(caseValues(t, c), "secretsStoreIntegration", "synchronization", "enabled").(bool)
	return on
}

func digAny(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// renderWith renders case c with settings (JSON, merged over secretsStoreIntegration).
func renderWith(t *testing.T, c renderCase, settings string) []object {
	t.Helper()
	var s map[string]any
	if err := yaml.Unmarshal([]byte(settings), &s); err != nil {
		t.Fatal(err)
	}
	values := modulechart.Merge(caseValues(t, c), map[string]any{"secretsStoreIntegration": s})
	ms, err := render(t, loadChart(t), values, c.monitoring)
	if err != nil {
		t.Fatalf("render %s with %s: %v", c.name, settings, err)
	}
	return decode(t, ms)
}

// syncObjects are the objects that belong to the sync controller, the admission policies aside.
func syncObjects(objs []object) []object {
	var out []object
	for _, o := range objs {
		if strings.Contains(o.meta.GetName(), "sync-controller") || o.meta.GetLabels()["app"] == "sync-controller" {
			// The policies hold in both modes; the dashboard is always there (templates/monitoring.yaml).
			if o.kind != "ValidatingAdmissionPolicy" && o.kind != "ValidatingAdmissionPolicyBinding" && o.kind != "GrafanaDashboardDefinition" {
				out = append(out, o)
			}
		}
	}
	return out
}

func policies(objs []object) map[string]*admissionregistrationv1.ValidatingAdmissionPolicy {
	out := map[string]*admissionregistrationv1.ValidatingAdmissionPolicy{}
	for _, p := range find[*admissionregistrationv1.ValidatingAdmissionPolicy](objs) {
		out[p.Name] = p
	}
	return out
}

// checkBinding: the policy is bound once, to deny, for every resource it matches.
func checkBinding(t *testing.T, objs []object, policy string) {
	t.Helper()
	var found int
	for _, b := range find[*admissionregistrationv1.ValidatingAdmissionPolicyBinding](objs) {
		if b.Spec.PolicyName != policy {
			continue
		}
		found++
		if !slices.Equal(b.Spec.ValidationActions, []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}) ||
			b.Spec.ParamRef != nil || b.Spec.MatchResources != nil {
			t.Errorf("binding %s: %+v, want validationActions [Deny], no params, no narrowing", b.Name, b.Spec)
		}
	}
	if found != 1 {
		t.Errorf("%d bindings of %s, want 1", found, policy)
	}
}

// checkRules: the policy matches the given operations on secretsstoresyncs only, never their
// status subresource (the controller's status updates must pass), and fails closed.
func checkRules(t *testing.T, p *admissionregistrationv1.ValidatingAdmissionPolicy, ops ...admissionregistrationv1.OperationType) {
	t.Helper()
	if p.Spec.FailurePolicy == nil || *p.Spec.FailurePolicy != admissionregistrationv1.Fail {
		t.Errorf("%s: failurePolicy %v, want Fail", p.Name, p.Spec.FailurePolicy)
	}
	mc := p.Spec.MatchConstraints
	if mc == nil || len(mc.ResourceRules) != 1 {
		t.Fatalf("%s: matchConstraints %+v, want one resource rule", p.Name, mc)
	}
	r := mc.ResourceRules[0]
	if !slices.Equal(r.APIGroups, []string{"deckhouse.io"}) || !slices.Equal(r.Resources, []string{"secretsstoresyncs"}) ||
		!slices.Equal(r.Operations, ops) || len(r.ResourceNames) != 0 || mc.NamespaceSelector != nil || mc.ObjectSelector != nil {
		t.Errorf("%s: rule %+v, want %v of deckhouse.io secretsstoresyncs, whatever the namespace", p.Name, r, ops)
	}
}

// While synchronization is off nothing of the controller is rendered, creating a
// SecretsStoreSync is refused with a message that names the setting, and the ServiceAccount
// check of updates stays.
func TestSyncDisabled(t *testing.T) {
	for _, c := range renderCases {
		if syncOn(t, c) {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			objs := renderedCase(t, c)
			for _, o := range syncObjects(objs) {
				t.Errorf("%s %s (%s) rendered while synchronization is off", o.kind, o.meta.GetName(), o.source)
			}
			ps := policies(objs)
			// The ServiceAccount check holds while the mode is off too: a resource must not be
			// pointed at another ServiceAccount then and used once the mode is on.
			if _, ok := ps[syncSAPolicy]; !ok {
				t.Errorf("no policy %s while synchronization is off", syncSAPolicy)
			}
			p, ok := ps[syncDisabledPolicy]
			if !ok {
				t.Fatalf("no policy %s", syncDisabledPolicy)
			}
			checkRules(t, p, admissionregistrationv1.Create)
			checkBinding(t, objs, syncDisabledPolicy)
			if len(p.Spec.MatchConditions) != 0 || len(p.Spec.Validations) != 1 || p.Spec.ParamKind != nil {
				t.Fatalf("spec %+v, want one validation and nothing else", p.Spec)
			}
			v := evalPolicy(t, p, admissionRequest{
				operation: "CREATE", namespace: "app", user: "admin", object: syncObject("app", "x", "sa"),
				rights: []right{{verb: "create", resource: "pods", namespace: "app"}},
			})
			if !v.denied || v.message != syncDisabledMsg {
				t.Errorf("create: %+v, want refused with %q", v, syncDisabledMsg)
			}
		})
	}
}

func syncObject(ns, name, sa string) map[string]any {
	return map[string]any{
		"apiVersion": "deckhouse.io/v1alpha1", "kind": "SecretsStoreSync",
		"metadata": map[string]any{"namespace": ns, "name": name},
		"spec": map[string]any{
			"serviceAccountName": sa, "role": "app",
			"data": []any{map[string]any{"key": "password", "source": map[string]any{"path": "kv/data/app", "key": "password"}}},
		},
	}
}

// While it is on, whoever creates a SecretsStoreSync or changes its spec must be allowed to
// create pods in the namespace or tokens of the ServiceAccount it names.
func TestSyncServiceAccountPolicy(t *testing.T) {
	c := renderCases[2] // manual: synchronization on
	objs := renderedCase(t, c)
	ps := policies(objs)
	if _, ok := ps[syncDisabledPolicy]; ok {
		t.Errorf("policy %s rendered while synchronization is on", syncDisabledPolicy)
	}
	p, ok := ps[syncSAPolicy]
	if !ok {
		t.Fatalf("no policy %s", syncSAPolicy)
	}
	checkRules(t, p, admissionregistrationv1.Create, admissionregistrationv1.Update)
	checkBinding(t, objs, syncSAPolicy)

	relabeled := syncObject("app", "db", "app-sa")
	relabeled["metadata"] = map[string]any{"namespace": "app", "name": "db", "labels": map[string]any{"team": "a"}}
	otherSA := syncObject("app", "db", "admin-sa")
	podsInApp := right{verb: "create", resource: "pods", namespace: "app"}
	tokenOf := func(sa string) right {
		return right{verb: "create", resource: "serviceaccounts", subresource: "token", namespace: "app", name: sa}
	}
	const denied = "SecretsStoreSync app/db: you may not act as ServiceAccount app-sa: logging in as a ServiceAccount " +
		"needs the right to create pods in the namespace or to create tokens for that ServiceAccount."
	tests := []struct {
		name string
		req  admissionRequest
		want verdict
	}{
		{"create, may create pods", admissionRequest{operation: "CREATE", rights: []right{podsInApp}}, verdict{matched: true}},
		{"create, may create tokens of that ServiceAccount", admissionRequest{operation: "CREATE", rights: []right{tokenOf("app-sa")}}, verdict{matched: true}},
		{"create, may create tokens of every ServiceAccount", admissionRequest{operation: "CREATE", rights: []right{tokenOf("")}}, verdict{matched: true}},
		{"create, no right", admissionRequest{operation: "CREATE"}, verdict{matched: true, denied: true, message: denied}},
		{
			"create, tokens of another ServiceAccount",
			admissionRequest{operation: "CREATE", rights: []right{tokenOf("other")}},
			verdict{matched: true, denied: true, message: denied},
		},
		{
			"create, pods in another namespace",
			admissionRequest{operation: "CREATE", rights: []right{{verb: "create", resource: "pods", namespace: "other"}}},
			verdict{matched: true, denied: true, message: denied},
		},
		{
			"create, may only get pods",
			admissionRequest{operation: "CREATE", rights: []right{{verb: "get", resource: "pods", namespace: "app"}}},
			verdict{matched: true, denied: true, message: denied},
		},
		{"update of metadata only, no right", admissionRequest{operation: "UPDATE", object: relabeled}, verdict{}},
		{
			"update to another ServiceAccount, tokens of the old one only",
			admissionRequest{operation: "UPDATE", object: otherSA, rights: []right{tokenOf("app-sa")}},
			verdict{
				matched: true, denied: true,
				message: strings.Replace(denied, "ServiceAccount app-sa", "ServiceAccount admin-sa", 1),
			},
		},
		{"update of the spec, may create pods", admissionRequest{operation: "UPDATE", object: otherSA, rights: []right{podsInApp}}, verdict{matched: true}},
		{"the controller itself", admissionRequest{operation: "UPDATE", object: otherSA, user: syncControllerUser}, verdict{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			req.namespace = "app"
			if req.user == "" {
				req.user = "jane"
			}
			if req.object == nil {
				req.object = syncObject("app", "db", "app-sa")
			}
			if req.operation == "UPDATE" {
				req.oldObject = syncObject("app", "db", "app-sa")
			}
			if got := evalPolicy(t, p, req); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// syncDeployment renders case c with settings and returns the controller's Deployment and its
// only container.
func syncDeployment(t *testing.T, objs []object) (*appsv1.Deployment, corev1.Container) {
	t.Helper()
	d := one[*appsv1.Deployment](t, objs, "sync-controller")
	spec := d.Spec.Template.Spec
	if len(spec.Containers) != 2 || spec.Containers[0].Name != "sync-controller" || spec.Containers[1].Name != "kube-rbac-proxy" {
		t.Fatalf("containers %v, want sync-controller and kube-rbac-proxy", containerNames(spec.Containers))
	}
	checkKubeRBACProxy(t, spec, "sync-controller", 9191, 9091)
	return d, spec.Containers[0]
}

func TestSyncControllerFlags(t *testing.T) {
	common := []string{
		"--leader-election-namespace=d8-secrets-store-integration",
		"--leader-election-id=secrets-store-integration-sync-controller",
		"--hmac-key-secret=secrets-store-integration-sync-hmac",
	}
	tests := []struct {
		name     string
		c        renderCase
		settings string
		want     []string
	}{
		{
			name: "manual", c: renderCases[2], settings: `{}`,
			want: append([]string{
				"--metrics-listen=127.0.0.1:9091", "--health-listen=:9081", "--log-level=debug",
				"--store-addr=https://vault.example.com:8200", "--store-auth-path=main-kube",
				"--store-namespace=team-a/prod", "--store-ca-file=/etc/secrets-store/store-ca/ca.crt",
				"--refresh-interval=5m",
			}, common...),
		},
		{
			name: "no store, audiences", c: renderCases[1],
			settings: `{"synchronization": {"enabled": true}, "tokenAudience": "secrets-store", "additionalTokenAudiences": ["vault", "https://vault.example.com"]}`,
			want: append([]string{
				"--metrics-listen=127.0.0.1:9091", "--health-listen=:9081", "--log-level=info",
				"--token-audience=secrets-store", "--additional-token-audiences=vault,https://vault.example.com",
				"--refresh-interval=2m",
			}, common...),
		},
		{
			name: "local cluster", c: renderCases[3], settings: `{"synchronization": {"enabled": true}}`,
			want: append([]string{
				"--metrics-listen=127.0.0.1:9091", "--health-listen=:9081", "--log-level=info",
				"--store-addr=https://127.0.0.1:18200", "--store-auth-path=kubernetes",
				"--store-ca-file=/etc/secrets-store/store-ca/ca.crt", "--refresh-interval=2m",
			}, common...),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ctr := syncDeployment(t, renderWith(t, tt.c, tt.settings))
			if !slices.Equal(ctr.Command, []string{"/sync-controller"}) {
				t.Errorf("command %q, want /sync-controller", ctr.Command)
			}
			if !slices.Equal(ctr.Args, tt.want) {
				t.Errorf("args\n got %q\nwant %q", ctr.Args, tt.want)
			}
		})
	}
}

func TestSyncControllerDeployment(t *testing.T) {
	objs := renderedCase(t, renderCases[2]) // manual: synchronization on, 3 replicas, a proxy, a module registry
	d, ctr := syncDeployment(t, objs)
	spec := d.Spec.Template.Spec
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 3 {
		t.Errorf("replicas %v, want synchronization.replicas (3)", d.Spec.Replicas)
	}
	if ctr.Image != "registry.example.com/modules/secrets-store-integration@sha256:"+strings.Repeat("4", 64) {
		t.Errorf("image %q, want the syncController digest in the module registry", ctr.Image)
	}
	if spec.ServiceAccountName != "sync-controller" || spec.HostNetwork {
		t.Errorf("serviceAccountName %q, hostNetwork %t", spec.ServiceAccountName, spec.HostNetwork)
	}
	webhook := one[*appsv1.Deployment](t, objs, webhookDeployment).Spec.Template.Spec
	if !slices.Equal(spec.ImagePullSecrets, webhook.ImagePullSecrets) || len(spec.ImagePullSecrets) != 1 {
		t.Errorf("imagePullSecrets %v, want the webhook's %v", spec.ImagePullSecrets, webhook.ImagePullSecrets)
	}
	aa := spec.Affinity
	if aa == nil || aa.PodAntiAffinity == nil || len(aa.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) != 1 ||
		aa.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0].PodAffinityTerm.LabelSelector.MatchLabels["app"] != "sync-controller" {
		t.Errorf("affinity %+v, want a soft anti-affinity between the controller's pods", aa)
	}
	if !equalMaps(spec.NodeSelector, webhook.NodeSelector) || len(spec.Tolerations) != len(webhook.Tolerations) {
		t.Errorf("nodeSelector %v tolerations %v, want the webhook's system placement", spec.NodeSelector, spec.Tolerations)
	}
	env := map[string]string{}
	for _, e := range ctr.Env {
		env[e.Name] = e.Value
	}
	if env["GOMEMLIMIT"] != "100MiB" || env["HTTPS_PROXY"] != "" || env["HTTP_PROXY"] != "" {
		t.Errorf("env %v, want GOMEMLIMIT=100MiB and no proxy (the store is reached directly)", env)
	}
	r := ctr.Resources
	if r.Requests.Cpu().String() != "20m" || r.Requests.Memory().String() != "48Mi" || r.Limits.Memory().String() != "128Mi" {
		t.Errorf("resources %+v, want requests cpu 20m memory 48Mi, limit memory 128Mi", r)
	}
	if len(ctr.Ports) != 1 || ctr.Ports[0].Name != "health" || ctr.Ports[0].ContainerPort != 9081 {
		t.Errorf("ports %+v, want health 9081", ctr.Ports)
	}
	for path, p := range map[string]*corev1.Probe{"/readyz": ctr.ReadinessProbe, "/healthz": ctr.LivenessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path || p.HTTPGet.Port.String() != "health" {
			t.Errorf("probe %+v, want GET %s on health", p, path)
		}
	}
	mounted := slices.ContainsFunc(ctr.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/etc/secrets-store/store-ca" })
	if !mounted {
		t.Errorf("volume mounts %+v, want the store CA", ctr.VolumeMounts)
	}

	pdb := one[*policyv1.PodDisruptionBudget](t, objs, "sync-controller")
	if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 || !selects(t, pdb.Spec.Selector, d) {
		t.Errorf("PDB %+v, want maxUnavailable 1 over the controller's pods", pdb.Spec)
	}
	pm := one[*podMonitor](t, objs, "secrets-store-integration-sync-controller")
	if len(pm.Spec.PodMetricsEndpoints) != 1 || pm.Spec.PodMetricsEndpoints[0].Port != "https-metrics" ||
		!pm.Spec.PodMetricsEndpoints[0].HonorLabels || !selects(t, &pm.Spec.Selector, d) {
		t.Errorf("PodMonitor %+v, want port https-metrics with honorLabels (the series carry the resources' namespace)", pm.Spec)
	}
	np := one[*networkingv1.NetworkPolicy](t, objs, "sync-controller")
	if !slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}) || !selects(t, &np.Spec.PodSelector, d) {
		t.Errorf("NetworkPolicy %+v, want an Ingress policy for the controller's pods", np.Spec)
	}
	if got := describeIngress(np.Spec.Ingress); !slices.Equal(got, []string{"TCP/9191,TCP/9081 from anywhere"}) {
		t.Errorf("ingress %q, want the ports https-metrics and health only", got)
	}
}

func selects(t *testing.T, ls *metav1.LabelSelector, d *appsv1.Deployment) bool {
	t.Helper()
	sel, err := metav1.LabelSelectorAsSelector(ls)
	return err == nil && !sel.Empty() && sel.Matches(labels.Set(d.Spec.Template.Labels))
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

// The controller's rights are exactly those of the design: no Secret deletion, no wildcard, tokens
// only through the TokenRequest subresource.
func TestSyncControllerRBAC(t *testing.T) {
	objs := renderedCase(t, renderCases[2])
	rules := func(rs []rbacv1.PolicyRule) map[string][]string {
		got := map[string][]string{}
		for _, r := range rs {
			if len(r.ResourceNames) != 0 || len(r.NonResourceURLs) != 0 {
				t.Errorf("rule %+v: want no resource names and no URLs", r)
			}
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					if _, dup := got[g+"/"+res]; dup {
						t.Errorf("%s/%s granted twice", g, res)
					}
					got[g+"/"+res] = r.Verbs
				}
			}
		}
		return got
	}
	check := func(what string, got, want map[string][]string) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: rules %v, want %v", what, got, want)
		}
		for k, v := range want {
			if !slices.Equal(got[k], v) {
				t.Errorf("%s: %s verbs %v, want %v", what, k, got[k], v)
			}
		}
	}
	cr := one[*rbacv1.ClusterRole](t, objs, "d8:secrets-store-integration:sync-controller")
	check("ClusterRole", rules(cr.Rules), map[string][]string{
		"deckhouse.io/secretsstoresyncs":        {"get", "list", "watch"},
		"deckhouse.io/secretsstoresyncs/status": {"update", "patch"},
		"/secrets":                              {"get", "list", "watch", "create", "update", "patch"},
		"/serviceaccounts/token":                {"create"},
		"apps/deployments":                      {"get", "patch"},
		"apps/statefulsets":                     {"get", "patch"},
		"apps/daemonsets":                       {"get", "patch"},
		"/events":                               {"create", "patch"},
		"events.k8s.io/events":                  {"create", "patch"},
	})
	role := one[*rbacv1.Role](t, objs, "sync-controller")
	if role.Namespace != moduleNamespace {
		t.Errorf("Role namespace %q", role.Namespace)
	}
	check("Role", rules(role.Rules), map[string][]string{"coordination.k8s.io/leases": {"get", "create", "update"}})

	sa := one[*corev1.ServiceAccount](t, objs, "sync-controller")
	want := []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa.Name, Namespace: moduleNamespace}}
	crb := one[*rbacv1.ClusterRoleBinding](t, objs, "d8:secrets-store-integration:sync-controller")
	if crb.RoleRef.Kind != "ClusterRole" || crb.RoleRef.Name != cr.Name || !slices.Equal(crb.Subjects, want) {
		t.Errorf("ClusterRoleBinding %+v %+v", crb.RoleRef, crb.Subjects)
	}
	rb := one[*rbacv1.RoleBinding](t, objs, "sync-controller")
	if rb.Namespace != moduleNamespace || rb.RoleRef.Kind != "Role" || rb.RoleRef.Name != role.Name || !slices.Equal(rb.Subjects, want) {
		t.Errorf("RoleBinding %s/%s %+v %+v", rb.Namespace, rb.Name, rb.RoleRef, rb.Subjects)
	}
	if syncControllerUser != "system:serviceaccount:"+moduleNamespace+":"+sa.Name {
		t.Errorf("the admission policy exempts %q, the controller runs as %s/%s", syncControllerUser, moduleNamespace, sa.Name)
	}
}

// The sync-controller alerts and dashboard exist only while synchronization is on: the alert on a
// missing leader would fire all the time otherwise.
func TestSyncMonitoring(t *testing.T) {
	for _, on := range []bool{false, true} {
		settings := `{"synchronization": {"enabled": false}}`
		if on {
			settings = `{"synchronization": {"enabled": true}}`
		}
		objs := renderWith(t, renderCases[0], settings)
		var pr *prometheusRule
		for _, r := range find[*prometheusRule](objs) {
			if r.Name == "secrets-store-integration-sync-controller" {
				pr = r
			}
		}
		dashboard := slices.ContainsFunc(find[*grafanaDashboardDefinition](objs), func(d *grafanaDashboardDefinition) bool {
			return d.Name == "d8-secrets-store-integration-secrets-store-integration-sync-controller"
		})
		if !on {
			if pr != nil || !dashboard {
				t.Errorf("synchronization off: PrometheusRule %v, dashboard %t, want the dashboard alone", pr != nil, dashboard)
			}
			continue
		}
		if pr == nil || !dashboard {
			t.Fatalf("synchronization on: PrometheusRule %v, dashboard %t, want both", pr != nil, dashboard)
		}
		alerts := map[string]rule{}
		for _, g := range pr.Spec.Groups {
			for _, r := range g.Rules {
				alerts[r.Alert] = r
			}
		}
		failing := alerts["SecretsStoreSyncFailing"]
		if failing.For != "15m" || !strings.Contains(failing.Expr, "secrets_store_sync_resource_synced") ||
			!strings.Contains(failing.Expr, "== 0") || !strings.Contains(failing.Expr, "by (namespace, name)") {
			t.Errorf("SecretsStoreSyncFailing: %+v, want resource_synced == 0 per resource for 15m", failing)
		}
		if down := alerts["D8SecretsStoreSyncControllerUnavailable"]; !strings.Contains(down.Expr, "secrets_store_sync_leader") ||
			!strings.Contains(down.Expr, "or vector(0)") {
			t.Errorf("D8SecretsStoreSyncControllerUnavailable: %+v, want it to fire without any leader series too", down)
		}
	}
}
