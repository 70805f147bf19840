// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package chart_test

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
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

func podSpecs(o object) []corev1.PodSpec {
	switch v := o.typed.(type) {
	case *appsv1.Deployment:
		return []corev1.PodSpec{v.Spec.Template.Spec}
	case *appsv1.DaemonSet:
		return []corev1.PodSpec{v.Spec.Template.Spec}
	}
	return nil
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
			case "Namespace", "ClusterRole", "ClusterRoleBinding", "CSIDriver", "MutatingWebhookConfiguration", "GrafanaDashboardDefinition",
				"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding":
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
			"kubernetes.io/metadata.name": moduleNamespace,
			// Deckhouse's admission-policy-engine checks the pods; only the CSI
			// driver has an exception (podsecurity_test.go).
			"security.deckhouse.io/enable-security-policy-check": "true",
		} {
			if ns.Labels[k] != v {
				t.Errorf("namespace label %s = %q, want %q", k, ns.Labels[k], v)
			}
		}
		// No level for the whole namespace: neither the upstream PodSecurity
		// admission's (it has no per-workload exceptions) nor Deckhouse's.
		for k, v := range ns.Labels {
			if strings.HasPrefix(k, "pod-security.kubernetes.io/") || k == "security.deckhouse.io/pod-policy" {
				t.Errorf("namespace label %s=%s sets a level for every pod of the module", k, v)
			}
		}
	})
}

func TestImages(t *testing.T) {
	forEachCase(t, func(t *testing.T, _ renderCase, objs []object) {
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
				case sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != 65534:
					t.Errorf("%s: want runAsNonRoot with user 65534, got %+v", where, sc)
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
			pullSecrets := one[*appsv1.Deployment](t, objs, webhookDeployment).Spec.Template.Spec.ImagePullSecrets
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
			want := 2 // webhook, csi-driver
			if syncOn(t, c) {
				want = 3 // and sync-controller
			}
			if len(pms) != want {
				t.Fatalf("%d PodMonitors, want %d", len(pms), want)
			}
			for _, pm := range pms {
				if pm.Labels["prometheus"] != "main" || !slices.Equal(pm.Spec.NamespaceSelector.MatchNames, []string{moduleNamespace}) ||
					len(pm.Spec.PodMetricsEndpoints) != 1 {
					t.Errorf("PodMonitor %s: %+v", pm.Name, pm)
					continue
				}
				// kube-rbac-proxy's port, over HTTPS (its certificate is self-signed), with
				// Prometheus's token.
				e := pm.Spec.PodMetricsEndpoints[0]
				if e.Port != "https-metrics" || e.Scheme != "https" || e.Path != "/metrics" || !e.TLSConfig.InsecureSkipVerify ||
					e.BearerTokenSecret.Name != "prometheus-token" || e.BearerTokenSecret.Key != "token" {
					t.Errorf("PodMonitor %s: endpoint %+v", pm.Name, e)
				}
			}
		})
	}
}
