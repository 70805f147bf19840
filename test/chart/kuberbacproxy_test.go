// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package chart_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// kubeRBACProxyImage is the common image's digest in testdata/values/base.yaml.
var kubeRBACProxyImage = "@sha256:" + strings.Repeat("5", 64)

func containerNames(cs []corev1.Container) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

// checkKubeRBACProxy checks the kube-rbac-proxy sidecar of a pod (its second container): the
// platform's common image, https-metrics on every address of the pod, the program's metrics on
// 127.0.0.1 as its upstream, the authorization file of app and the client CA, and the restricted
// security context of the unprivileged containers.
func checkKubeRBACProxy(t *testing.T, spec corev1.PodSpec, app string, listen, upstream int32) {
	t.Helper()
	main, proxy := spec.Containers[0], spec.Containers[1]
	if !strings.HasSuffix(proxy.Image, kubeRBACProxyImage) {
		t.Errorf("%s: kube-rbac-proxy image %q, want the common kubeRbacProxy digest", app, proxy.Image)
	}
	wantArgs := []string{
		fmt.Sprintf("--secure-listen-address=:%d", listen),
		fmt.Sprintf("--upstream=http://127.0.0.1:%d/", upstream),
		"--config-file=/etc/kube-rbac-proxy/config/" + app + ".yaml",
		"--client-ca-file=/etc/kube-rbac-proxy/ca/ca.crt",
	}
	if !slices.Equal(proxy.Args, wantArgs) {
		t.Errorf("%s: kube-rbac-proxy args\n got %q\nwant %q", app, proxy.Args, wantArgs)
	}
	if len(proxy.Ports) != 1 || proxy.Ports[0].Name != "https-metrics" || proxy.Ports[0].ContainerPort != listen {
		t.Errorf("%s: kube-rbac-proxy ports %+v, want https-metrics %d", app, proxy.Ports, listen)
	}
	for _, p := range []*corev1.Probe{proxy.ReadinessProbe, proxy.LivenessProbe} {
		if p == nil || p.TCPSocket == nil || p.TCPSocket.Port.String() != "https-metrics" {
			t.Errorf("%s: kube-rbac-proxy probe %+v, want a TCP probe of https-metrics", app, p)
		}
	}
	if !slices.Contains(main.Args, fmt.Sprintf("--metrics-listen=127.0.0.1:%d", upstream)) {
		t.Errorf("%s: args %q, want the metrics on 127.0.0.1:%d only", app, main.Args, upstream)
	}
	for _, p := range main.Ports {
		if p.ContainerPort == upstream {
			t.Errorf("%s: the metrics port %d is a container port (%s): only kube-rbac-proxy reaches it", app, upstream, p.Name)
		}
	}
	sc := proxy.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != 65534 ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) ||
		sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault ||
		sc.Privileged != nil && *sc.Privileged {
		t.Errorf("%s: kube-rbac-proxy securityContext %+v, want the restricted profile as nobody", app, sc)
	}
	r := proxy.Resources
	if r.Requests.Cpu().String() != "10m" || r.Requests.Memory().String() != "25Mi" || r.Limits.Memory().String() != "64Mi" {
		t.Errorf("%s: kube-rbac-proxy resources %+v", app, r)
	}
	volumes := map[string]string{}
	for _, v := range spec.Volumes {
		if v.ConfigMap != nil {
			volumes[v.Name] = v.ConfigMap.Name
		}
	}
	if volumes["kube-rbac-proxy-config"] != "secrets-store-integration-kube-rbac-proxy" || volumes["kube-rbac-proxy-ca"] != "kube-rbac-proxy-ca.crt" {
		t.Errorf("%s: ConfigMap volumes %v, want the proxy's configuration and CA", app, volumes)
	}
}

// TestKubeRBACProxyRBAC: the proxies' ServiceAccounts may only review tokens and access, the
// authorization each proxy asks about is the one Prometheus is granted, and the CA ConfigMap is
// there.
func TestKubeRBACProxyRBAC(t *testing.T) {
	forEachCase(t, func(t *testing.T, c renderCase, objs []object) {
		cr := one[*rbacv1.ClusterRole](t, objs, "d8:secrets-store-integration:kube-rbac-proxy")
		want := []rbacv1.PolicyRule{
			{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"tokenreviews"}, Verbs: []string{"create"}},
			{APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"subjectaccessreviews"}, Verbs: []string{"create"}},
		}
		if fmt.Sprint(cr.Rules) != fmt.Sprint(want) {
			t.Errorf("rules %+v, want %+v", cr.Rules, want)
		}
		crb := one[*rbacv1.ClusterRoleBinding](t, objs, "d8:secrets-store-integration:kube-rbac-proxy")
		wantSAs := []string{"webhook", "csi-driver"}
		if syncOn(t, c) {
			wantSAs = append(wantSAs, "sync-controller")
		}
		var gotSAs []string
		for _, s := range crb.Subjects {
			if s.Kind != "ServiceAccount" || s.Namespace != moduleNamespace {
				t.Errorf("subject %+v", s)
			}
			gotSAs = append(gotSAs, s.Name)
		}
		if crb.RoleRef.Name != cr.Name || !slices.Equal(gotSAs, wantSAs) {
			t.Errorf("binding to %s of %v, want %s of %v", crb.RoleRef.Name, gotSAs, cr.Name, wantSAs)
		}

		ca := one[*corev1.ConfigMap](t, objs, "kube-rbac-proxy-ca.crt")
		if ca.Namespace != moduleNamespace || !strings.Contains(ca.Data["ca.crt"], "BEGIN CERTIFICATE") {
			t.Errorf("CA ConfigMap %s/%s: %q", ca.Namespace, ca.Name, ca.Data)
		}

		role := one[*rbacv1.Role](t, objs, "access-to-secrets-store-integration-prometheus-metrics")
		granted := map[string]bool{}
		for _, r := range role.Rules {
			if !slices.Equal(r.Verbs, []string{"get"}) {
				t.Errorf("rule %+v: want get only", r)
			}
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					for _, n := range r.ResourceNames {
						granted[g+"/"+res+"/"+n] = true
					}
				}
			}
		}
		cm := one[*corev1.ConfigMap](t, objs, "secrets-store-integration-kube-rbac-proxy")
		workloads := map[string]string{"webhook.yaml": webhookDeployment, "csi-driver.yaml": "csi-driver"}
		if syncOn(t, c) {
			workloads["sync-controller.yaml"] = "sync-controller"
		}
		for file, name := range workloads {
			var cfg struct {
				Authorization struct {
					ResourceAttributes map[string]string `json:"resourceAttributes"`
				} `json:"authorization"`
			}
			if err := yaml.UnmarshalStrict([]byte(cm.Data[file]), &cfg); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			ra := cfg.Authorization.ResourceAttributes
			if ra["namespace"] != moduleNamespace || ra["apiGroup"] != "apps" || ra["subresource"] != "prometheus-metrics" || ra["name"] != name {
				t.Errorf("%s: resourceAttributes %v", file, ra)
			}
			if key := ra["apiGroup"] + "/" + ra["resource"] + "/" + ra["subresource"] + "/" + ra["name"]; !granted[key] {
				t.Errorf("%s: Prometheus is not granted get on %s (%v)", file, key, granted)
			}
		}
		rb := one[*rbacv1.RoleBinding](t, objs, role.Name)
		prometheus := slices.ContainsFunc(rb.Subjects, func(s rbacv1.Subject) bool {
			return s.Kind == "ServiceAccount" && s.Name == "prometheus" && s.Namespace == "d8-monitoring"
		})
		if rb.RoleRef.Kind != "Role" || rb.RoleRef.Name != role.Name || !prometheus {
			t.Errorf("RoleBinding %+v, want the Role bound to d8-monitoring/prometheus", rb)
		}
	})
}
