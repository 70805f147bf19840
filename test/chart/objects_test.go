package chart_test

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
)

// renderedCase renders and decodes one case.
func renderedCase(t *testing.T, c renderCase) []object {
	t.Helper()
	return decode(t, mustRender(t, c))
}

func forEachCase(t *testing.T, f func(t *testing.T, c renderCase, objs []object)) {
	t.Helper()
	for _, c := range renderCases {
		t.Run(c.name, func(t *testing.T) { f(t, c, renderedCase(t, c)) })
	}
}

func TestObjectsHaveModuleLabels(t *testing.T) {
	forEachCase(t, func(t *testing.T, _ renderCase, objs []object) {
		for _, o := range objs {
			l := o.meta.GetLabels()
			if l["heritage"] != "deckhouse" || l["module"] != moduleName {
				t.Errorf("%s %s (%s): labels %v, want heritage=deckhouse and module=%s",
					o.kind, o.meta.GetName(), o.source, l, moduleName)
			}
		}
	})
}

func TestNamespacedObjectsLiveInModuleNamespace(t *testing.T) {
	forEachCase(t, func(t *testing.T, _ renderCase, objs []object) {
		for _, o := range objs {
			want := moduleNamespace
			switch o.kind {
			case "Namespace", "ClusterRole", "ClusterRoleBinding", "CSIDriver", "MutatingWebhookConfiguration", "GrafanaDashboardDefinition":
				want = ""
			case "PodMonitor":
				want = "d8-monitoring" // where Deckhouse's Prometheus looks for them
			}
			if got := o.meta.GetNamespace(); got != want {
				t.Errorf("%s %s: namespace %q, want %q", o.kind, o.meta.GetName(), got, want)
			}
		}
	})
}

func TestNamespace(t *testing.T) {
	forEachCase(t, func(t *testing.T, _ renderCase, objs []object) {
		ns := one[*corev1.Namespace](t, objs, moduleNamespace)
		for k, v := range map[string]string{
			"kubernetes.io/metadata.name":        moduleNamespace,
			"pod-security.kubernetes.io/enforce": "privileged", // the CSI driver mounts tmpfs
		} {
			if ns.Labels[k] != v {
				t.Errorf("namespace label %s = %q, want %q", k, ns.Labels[k], v)
			}
		}
	})
}

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
		local := c.name == "local"
		switch {
		case local && (w.ClientConfig.URL == nil || !strings.HasPrefix(*w.ClientConfig.URL, "https://127.0.0.1:")):
			t.Errorf("local cluster: clientConfig %+v, want the URL of the overlay", w.ClientConfig)
		case !local && (w.ClientConfig.Service == nil || w.ClientConfig.Service.Name != "secrets-store-integration-webhook" ||
			w.ClientConfig.Service.Namespace != moduleNamespace || w.ClientConfig.Service.Path == nil || *w.ClientConfig.Service.Path != "/mutate"):
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

func dig(m map[string]any, keys ...string) string {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = mm[k]
	}
	s, _ := cur.(string)
	return s
}

func TestRBACLeastPrivilege(t *testing.T) {
	forEachCase(t, func(t *testing.T, _ renderCase, objs []object) {
		type namedRules struct {
			name  string
			rules []rbacv1.PolicyRule
		}
		var all []namedRules
		for _, r := range find[*rbacv1.ClusterRole](objs) {
			all = append(all, namedRules{"ClusterRole " + r.Name, r.Rules})
		}
		for _, r := range find[*rbacv1.Role](objs) {
			all = append(all, namedRules{"Role " + r.Name, r.Rules})
		}
		for _, nr := range all {
			for _, r := range nr.rules {
				for _, list := range [][]string{r.Verbs, r.Resources, r.APIGroups, r.ResourceNames} {
					for _, s := range list {
						if strings.Contains(s, "*") {
							t.Errorf("%s: wildcard %q in %+v", nr.name, s, r)
						}
					}
				}
				if len(r.NonResourceURLs) > 0 {
					t.Errorf("%s: non-resource URLs %v", nr.name, r.NonResourceURLs)
				}
				for _, res := range r.Resources {
					if res == "serviceaccounts/token" || res == "serviceaccounts" || res == "tokenreviews" {
						t.Errorf("%s: %s %v: the module never issues or reviews tokens", nr.name, res, r.Verbs)
					}
					if res == "secrets" || strings.HasPrefix(res, "secrets/") {
						if nr.name != "ClusterRole d8:secrets-store-integration:webhook" || !slices.Equal(r.Verbs, []string{"get"}) {
							t.Errorf("%s: %s %v: only the webhook may read secrets, and only with get", nr.name, res, r.Verbs)
						}
					}
				}
			}
		}
		webhook := one[*rbacv1.ClusterRole](t, objs, "d8:secrets-store-integration:webhook")
		if len(webhook.Rules) != 1 {
			t.Errorf("webhook rules %+v, want one rule: get secrets", webhook.Rules)
		}
		csi := one[*rbacv1.ClusterRole](t, objs, "d8:secrets-store-integration:csi-driver")
		want := map[string][]string{
			"deckhouse.io/secretsstoreimports": {"get", "list", "watch"},
			"/events":                          {"create", "patch"},
			"events.k8s.io/events":             {"create", "patch"},
		}
		got := map[string][]string{}
		for _, r := range csi.Rules {
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					got[g+"/"+res] = r.Verbs
				}
			}
		}
		if len(got) != len(want) {
			t.Errorf("csi-driver rules %+v, want %v", csi.Rules, want)
		}
		for k, v := range want {
			if !slices.Equal(got[k], v) {
				t.Errorf("csi-driver %s: verbs %v, want %v", k, got[k], v)
			}
		}
		for _, b := range find[*rbacv1.ClusterRoleBinding](objs) {
			if b.RoleRef.Kind != "ClusterRole" || !strings.HasPrefix(b.RoleRef.Name, "d8:secrets-store-integration:") {
				t.Errorf("ClusterRoleBinding %s binds %s %s, want one of the module's own roles", b.Name, b.RoleRef.Kind, b.RoleRef.Name)
			}
			for _, s := range b.Subjects {
				if s.Kind != "ServiceAccount" || s.Namespace != moduleNamespace {
					t.Errorf("ClusterRoleBinding %s: subject %+v, want a ServiceAccount of the module", b.Name, s)
				}
			}
		}
	})
}

func TestUserAuthzRoles(t *testing.T) {
	objs := renderedCase(t, renderCases[0])
	for name, level := range map[string]string{
		"d8:user-authz:secrets-store-integration:user":   "User",
		"d8:user-authz:secrets-store-integration:editor": "Editor",
	} {
		r := one[*rbacv1.ClusterRole](t, objs, name)
		if got := r.Annotations["user-authz.deckhouse.io/access-level"]; got != level {
			t.Errorf("%s: access level %q, want %q", name, got, level)
		}
		for _, rule := range r.Rules {
			if !slices.Equal(rule.Resources, []string{"secretsstoreimports"}) || !slices.Equal(rule.APIGroups, []string{"deckhouse.io"}) {
				t.Errorf("%s: rule %+v, want SecretsStoreImports only", name, rule)
			}
		}
	}
}

func TestCSIDriver(t *testing.T) {
	d := one[*storagev1.CSIDriver](t, renderedCase(t, renderCases[0]), "secrets-store.csi.deckhouse.io")
	s := d.Spec
	switch {
	case s.AttachRequired == nil || *s.AttachRequired:
		t.Error("attachRequired must be false")
	case s.PodInfoOnMount == nil || !*s.PodInfoOnMount:
		t.Error("podInfoOnMount must be true")
	case s.RequiresRepublish == nil || !*s.RequiresRepublish:
		t.Error("requiresRepublish must be true: rotation runs on republish")
	case len(s.TokenRequests) != 1 || s.TokenRequests[0].Audience != "":
		t.Errorf("tokenRequests %+v, want one with the API server's audience", s.TokenRequests)
	case !slices.Equal(s.VolumeLifecycleModes, []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecycleEphemeral}):
		t.Errorf("volumeLifecycleModes %v, want [Ephemeral]", s.VolumeLifecycleModes)
	case s.FSGroupPolicy == nil || *s.FSGroupPolicy != storagev1.FileFSGroupPolicy:
		t.Errorf("fsGroupPolicy %v, want File", s.FSGroupPolicy)
	}
}

func TestCSIDaemonSet(t *testing.T) {
	forEachCase(t, func(t *testing.T, c renderCase, objs []object) {
		ds := one[*appsv1.DaemonSet](t, objs, "csi-driver")
		spec := ds.Spec.Template.Spec
		if len(spec.Containers) != 1 {
			t.Fatalf("%d containers, want exactly one (the plugin registers itself with kubelet)", len(spec.Containers))
		}
		if spec.PriorityClassName != "system-node-critical" {
			t.Errorf("priorityClassName %q, want system-node-critical", spec.PriorityClassName)
		}
		ctr := spec.Containers[0]
		kubeletDir := "/var/lib/kubelet"
		if c.name == "local" {
			kubeletDir = "/tmp/ssi-stack/data/kubelet"
		}
		mounts := map[string]corev1.VolumeMount{}
		for _, m := range ctr.VolumeMounts {
			mounts[m.MountPath] = m
		}
		pods, ok := mounts[kubeletDir+"/pods"]
		if !ok || pods.MountPropagation == nil || *pods.MountPropagation != corev1.MountPropagationBidirectional {
			t.Errorf("mount of %s/pods %+v, want Bidirectional propagation", kubeletDir, pods)
		}
		for p, m := range mounts {
			if p != kubeletDir+"/pods" && m.MountPropagation != nil {
				t.Errorf("mount %s has propagation %s, want none", p, *m.MountPropagation)
			}
		}
		for _, p := range []string{kubeletDir + "/plugins_registry", kubeletDir + "/plugins/secrets-store.csi.deckhouse.io"} {
			if _, ok := mounts[p]; !ok {
				t.Errorf("no mount of %s", p)
			}
		}
		hostPaths := map[string]bool{}
		for _, v := range spec.Volumes {
			if v.HostPath != nil {
				hostPaths[v.HostPath.Path] = true
			}
		}
		for _, m := range ctr.VolumeMounts {
			if strings.HasPrefix(m.MountPath, kubeletDir) && !hostPaths[m.MountPath] {
				t.Errorf("%s is not mounted at its host path", m.MountPath)
			}
		}
		args := strings.Join(ctr.Args, " ")
		for _, want := range []string{
			"--endpoint=unix://" + kubeletDir + "/plugins/secrets-store.csi.deckhouse.io/csi.sock",
			"--kubelet-dir=" + kubeletDir,
			"--node-name=$(NODE_NAME)",
			"--rotation-interval=" + map[string]string{"manual": "5m"}[c.name],
		} {
			if strings.HasSuffix(want, "=") {
				want += "2m"
			}
			if !strings.Contains(args, want) {
				t.Errorf("args %q lack %q", args, want)
			}
		}
		if ctr.LivenessProbe == nil || ctr.LivenessProbe.HTTPGet == nil || ctr.LivenessProbe.HTTPGet.Path != "/healthz" {
			t.Errorf("liveness probe %+v, want GET /healthz", ctr.LivenessProbe)
		}
		if ds.Spec.UpdateStrategy.RollingUpdate == nil || ds.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable == nil {
			t.Error("updateStrategy has no maxUnavailable")
		}
	})
}

func TestCSIPlacement(t *testing.T) {
	for _, c := range renderCases {
		t.Run(c.name, func(t *testing.T) {
			spec := one[*appsv1.DaemonSet](t, renderedCase(t, c), "csi-driver").Spec.Template.Spec
			if c.name == "manual" {
				if spec.NodeSelector["node-role.kubernetes.io/worker"] != "" || len(spec.NodeSelector) != 1 ||
					len(spec.Tolerations) != 1 || spec.Tolerations[0].Key != "dedicated" {
					t.Errorf("nodeSelector %v, tolerations %+v, want csiDriver settings", spec.NodeSelector, spec.Tolerations)
				}
				return
			}
			if spec.NodeSelector["kubernetes.io/os"] != "linux" ||
				len(spec.Tolerations) != 1 || spec.Tolerations[0].Operator != corev1.TolerationOpExists || spec.Tolerations[0].Key != "" {
				t.Errorf("nodeSelector %v, tolerations %+v, want every Linux node and every taint", spec.NodeSelector, spec.Tolerations)
			}
		})
	}
}

func TestWebhookDeployment(t *testing.T) {
	forEachCase(t, func(t *testing.T, c renderCase, objs []object) {
		d := one[*appsv1.Deployment](t, objs, "webhook")
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
		if len(spec.Containers) != 1 {
			t.Fatalf("%d containers, want 1", len(spec.Containers))
		}
		ctr := spec.Containers[0]
		for _, p := range []*corev1.Probe{ctr.ReadinessProbe, ctr.LivenessProbe} {
			if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" {
				t.Errorf("probe %+v, want GET /healthz", p)
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
		if ctr.Ports[0].Name != "https" || (c.name != "local" && ctr.Ports[0].ContainerPort != 9443) {
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
			conn := func(k string) string { return dig(caseValues(t, c), "secretsStoreIntegration", "internal", "connection", k) }
			containers := map[string]corev1.Container{
				"webhook":    one[*appsv1.Deployment](t, objs, "webhook").Spec.Template.Spec.Containers[0],
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
				if len(configMaps) != 0 {
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

func TestImages(t *testing.T) {
	forEachCase(t, func(t *testing.T, c renderCase, objs []object) {
		var all []corev1.Container
		for _, d := range find[*appsv1.Deployment](objs) {
			all = append(all, d.Spec.Template.Spec.InitContainers...)
			all = append(all, d.Spec.Template.Spec.Containers...)
		}
		for _, d := range find[*appsv1.DaemonSet](objs) {
			all = append(all, d.Spec.Template.Spec.InitContainers...)
			all = append(all, d.Spec.Template.Spec.Containers...)
		}
		for _, ctr := range all {
			if c.name == "local" {
				if ctr.ImagePullPolicy != corev1.PullNever || !strings.HasPrefix(ctr.Image, "localhost/") {
					t.Errorf("%s: image %s (%s), want a local image, never pulled", ctr.Name, ctr.Image, ctr.ImagePullPolicy)
				}
				continue
			}
			if !strings.Contains(ctr.Image, "@sha256:") {
				t.Errorf("%s: image %q is not pinned by digest", ctr.Name, ctr.Image)
			}
		}
	})
}

// TestSecurityContexts: every container states its security context; only the
// CSI plugin is privileged (it mounts tmpfs and propagates the mounts).
func TestSecurityContexts(t *testing.T) {
	forEachCase(t, func(t *testing.T, _ renderCase, objs []object) {
		type pod struct {
			owner string
			spec  corev1.PodSpec
		}
		var pods []pod
		for _, d := range find[*appsv1.Deployment](objs) {
			pods = append(pods, pod{"Deployment " + d.Name, d.Spec.Template.Spec})
		}
		for _, d := range find[*appsv1.DaemonSet](objs) {
			pods = append(pods, pod{"DaemonSet " + d.Name, d.Spec.Template.Spec})
		}
		for _, p := range pods {
			for _, ctr := range append(slices.Clone(p.spec.InitContainers), p.spec.Containers...) {
				where := p.owner + " container " + ctr.Name
				sc := ctr.SecurityContext
				if sc == nil {
					t.Errorf("%s: no securityContext", where)
					continue
				}
				if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
					t.Errorf("%s: root filesystem is writable", where)
				}
				if ctr.Resources.Requests.Memory().IsZero() || ctr.Resources.Limits.Memory().IsZero() {
					t.Errorf("%s: resources %+v, want memory requests and limits", where, ctr.Resources)
				}
				if p.owner == "DaemonSet csi-driver" && ctr.Name == "csi-driver" {
					if sc.Privileged == nil || !*sc.Privileged {
						t.Errorf("%s: want privileged (tmpfs mounts with Bidirectional propagation)", where)
					}
					continue
				}
				switch {
				case sc.Privileged != nil && *sc.Privileged:
					t.Errorf("%s: privileged", where)
				case sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != 65532:
					t.Errorf("%s: want runAsNonRoot with user 65532, got %+v", where, sc)
				case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
					t.Errorf("%s: privilege escalation allowed", where)
				case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) != 0:
					t.Errorf("%s: capabilities %+v, want all dropped", where, sc.Capabilities)
				case sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
					t.Errorf("%s: seccomp %+v, want RuntimeDefault", where, sc.SeccompProfile)
				}
			}
		}
	})
}

func TestLocalOverlay(t *testing.T) {
	objs := renderedCase(t, renderCases[3])
	d := one[*appsv1.Deployment](t, objs, "webhook")
	ds := one[*appsv1.DaemonSet](t, objs, "csi-driver")
	for _, spec := range []corev1.PodSpec{d.Spec.Template.Spec, ds.Spec.Template.Spec} {
		if !spec.HostNetwork {
			t.Error("hostNetwork is off")
		}
		env := map[string]string{}
		for _, e := range spec.Containers[0].Env {
			env[e.Name] = e.Value
		}
		if env["KUBERNETES_SERVICE_HOST"] != "127.0.0.1" || env["KUBERNETES_SERVICE_PORT"] == "" {
			t.Errorf("env %v, want the API server address of the overlay", env)
		}
		for _, a := range spec.Containers[0].Args {
			if k, v, ok := strings.Cut(a, "="); ok && strings.HasSuffix(k, "listen") && !strings.HasPrefix(v, "127.0.0.1:") {
				t.Errorf("%s listens on %s, want 127.0.0.1 only", k, v)
			}
		}
	}
	for _, c := range renderCases[:3] {
		for _, o := range renderedCase(t, c) {
			for _, spec := range podSpecs(o) {
				if spec.HostNetwork {
					t.Errorf("%s: %s %s uses the host network outside the local overlay", c.name, o.kind, o.meta.GetName())
				}
			}
		}
	}
}

func podSpecs(o object) []corev1.PodSpec {
	switch v := o.typed.(type) {
	case *appsv1.Deployment:
		return []corev1.PodSpec{v.Spec.Template.Spec}
	case *appsv1.DaemonSet:
		return []corev1.PodSpec{v.Spec.Template.Spec}
	}
	return nil
}

func TestRegistrySecret(t *testing.T) {
	for _, c := range renderCases {
		t.Run(c.name, func(t *testing.T) {
			objs := renderedCase(t, c)
			cfg := dig(caseValues(t, c), "secretsStoreIntegration", "registry", "dockercfg")
			var secrets []*corev1.Secret
			for _, s := range find[*corev1.Secret](objs) {
				if s.Type == corev1.SecretTypeDockerConfigJson {
					secrets = append(secrets, s)
				}
			}
			pullSecrets := one[*appsv1.Deployment](t, objs, "webhook").Spec.Template.Spec.ImagePullSecrets
			if cfg == "" {
				if len(secrets) != 0 || len(pullSecrets) != 0 {
					t.Errorf("pull secret rendered without registry credentials")
				}
				return
			}
			if len(secrets) != 1 || base64.StdEncoding.EncodeToString(secrets[0].Data[".dockerconfigjson"]) != cfg {
				t.Fatalf("pull secrets %v, want module-registry with the module's dockercfg", secrets)
			}
			if len(pullSecrets) != 1 || pullSecrets[0].Name != secrets[0].Name {
				t.Errorf("imagePullSecrets %v, want %s", pullSecrets, secrets[0].Name)
			}
		})
	}
}

func TestPodMonitors(t *testing.T) {
	for _, c := range renderCases {
		t.Run(c.name, func(t *testing.T) {
			pms := find[*podMonitor](renderedCase(t, c))
			if !c.monitoring {
				if len(pms) != 0 {
					t.Errorf("%d PodMonitors rendered without the Prometheus Operator API", len(pms))
				}
				return
			}
			if len(pms) != 2 {
				t.Fatalf("%d PodMonitors, want 2 (webhook, csi-driver)", len(pms))
			}
			for _, pm := range pms {
				if pm.Labels["prometheus"] != "main" || !slices.Equal(pm.Spec.NamespaceSelector.MatchNames, []string{moduleNamespace}) ||
					len(pm.Spec.PodMetricsEndpoints) != 1 || pm.Spec.PodMetricsEndpoints[0].Port != "http-metrics" {
					t.Errorf("PodMonitor %s: %+v", pm.Name, pm)
				}
			}
		})
	}
}
