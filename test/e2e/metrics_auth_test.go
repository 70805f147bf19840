// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deckhouse/secrets-store-integration/test/modulechart"
)

// metricsRole is the chart's Role that grants get on the workloads' prometheus-metrics
// subresources (templates/kube-rbac-proxy.yaml); in Deckhouse it is bound to Prometheus.
const metricsRole = "access-to-secrets-store-integration-prometheus-metrics"

// The metrics of the webhook, the CSI driver and the sync controller are served only through
// kube-rbac-proxy on the port https-metrics of each pod: a request without a token is
// refused (401), the token of a ServiceAccount without the chart's metrics Role is forbidden
// (403), and the token of one bound to it gets the program's real metrics, proxied from its
// listener on 127.0.0.1. The pods stay Ready: kubelet probes the programs on their health
// ports, not through the proxy.
func TestMetricsBehindKubeRBACProxy(t *testing.T) {
	setupModule(t)
	if os.Getenv("E2E_MODULE") == "process" {
		t.Skip("the module runs as host processes: no kube-rbac-proxy")
	}
	ctx := t.Context()
	const ns = "default"
	reader := serviceAccountToken(t, ns, "metrics-reader")
	other := serviceAccountToken(t, ns, "metrics-other")
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-metrics-reader", Namespace: modulechart.Namespace},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: metricsRole},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "metrics-reader", Namespace: ns}},
	}
	if _, err := kube.RbacV1().RoleBindings(rb.Namespace).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// t.Context() ends before the cleanups run.
		_ = kube.RbacV1().RoleBindings(rb.Namespace).Delete(context.WithoutCancel(ctx), rb.Name, metav1.DeleteOptions{})
	})

	client := &http.Client{
		Timeout: 10 * time.Second,
		// kube-rbac-proxy serves a self-signed certificate, as Prometheus sees it
		// (tlsConfig.insecureSkipVerify of the PodMonitors).
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
	}
	for _, c := range []struct {
		app, metric string
	}{
		{"webhook", "secrets_store_webhook_certificate_expiry_timestamp_seconds"},
		{"csi-driver", "secrets_store_csi_injector_available"},
		{"sync-controller", "secrets_store_sync_leader"},
	} {
		t.Run(c.app, func(t *testing.T) {
			pod, port := metricsPod(t, c.app)
			// Earlier tests of the suite restart components on purpose (the API server's or the
			// store's faults); the scrapes of this test must not add a restart.
			restarts := map[string]int32{}
			p0, err := kube.CoreV1().Pods(modulechart.Namespace).Get(ctx, pod, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, cs := range p0.Status.ContainerStatuses {
				restarts[cs.Name] = cs.RestartCount
			}
			url := fmt.Sprintf("https://127.0.0.1:%d/metrics", port)
			if code, body := scrapeAs(t, client, url, ""); code != http.StatusUnauthorized {
				t.Errorf("without a token: %d %q, want 401", code, body)
			}
			if code, body := scrapeAs(t, client, url, other); code != http.StatusForbidden {
				t.Errorf("with the token of a ServiceAccount without the metrics Role: %d %q, want 403", code, body)
			}
			// The binding reaches the API server's authorizer within moments; the proxy caches a
			// denial only briefly.
			deadline := time.Now().Add(90 * time.Second)
			for {
				code, body := scrapeAs(t, client, url, reader)
				if code == http.StatusOK && strings.Contains(body, "\n"+c.metric+" ") {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("with the token of a ServiceAccount bound to the metrics Role: %d, want 200 with %s; body:\n%.2000s", code, c.metric, body)
				}
				time.Sleep(2 * time.Second)
			}
			p, err := kube.CoreV1().Pods(modulechart.Namespace).Get(ctx, pod, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, cs := range p.Status.ContainerStatuses {
				if !cs.Ready || cs.RestartCount != restarts[cs.Name] {
					t.Errorf("pod %s container %s: ready %t, restarts %d (%d before the scrapes)", pod, cs.Name, cs.Ready, cs.RestartCount, restarts[cs.Name])
				}
			}
			if !podReady(p) {
				t.Errorf("pod %s is not Ready", pod)
			}
		})
	}
}

// metricsPod returns a running pod of app in the module namespace and the port its
// kube-rbac-proxy listens on (https-metrics; on the local cluster, a port of 127.0.0.1).
func metricsPod(t *testing.T, app string) (string, int32) {
	t.Helper()
	pods, err := kube.CoreV1().Pods(modulechart.Namespace).List(t.Context(), metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil || !podReady(&p) {
			continue
		}
		for _, c := range p.Spec.Containers {
			for _, port := range c.Ports {
				if c.Name == "kube-rbac-proxy" && port.Name == "https-metrics" {
					return p.Name, port.ContainerPort
				}
			}
		}
		t.Fatalf("pod %s has no kube-rbac-proxy with a port https-metrics", p.Name)
	}
	t.Fatalf("no Ready pod with app=%s in %s", app, modulechart.Namespace)
	return "", 0
}

// scrapeAs sends GET url with the bearer token ("" for none) and returns the status and body.
func scrapeAs(t *testing.T, client *http.Client, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// serviceAccountToken creates the ServiceAccount ns/name and returns a short-lived token of it.
func serviceAccountToken(t *testing.T, ns, name string) string {
	t.Helper()
	ctx := t.Context()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	if _, err := kube.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = kube.CoreV1().ServiceAccounts(ns).Delete(context.WithoutCancel(ctx), name, metav1.DeleteOptions{})
	})
	ttl := int64(600)
	tr, err := kube.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &ttl},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr.Status.Token
}
