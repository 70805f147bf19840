// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/deckhouse/secrets-store-integration/test/modulechart"
)

// The webhook's NetworkPolicy, rendered with the stack's API server address as the hook
// would find it, is accepted by the real API server, and with it in place opted-in pods are
// still admitted. The stack enforces no NetworkPolicy (no CNI; its webhook runs on the node's
// network, which no NetworkPolicy governs): this proves the object is valid and harmless
// there, not that a CNI enforces it.
func TestWebhookNetworkPolicy(t *testing.T) {
	setupModule(t)
	if os.Getenv("E2E_MODULE") == "process" {
		t.Skip("the webhook runs as a host process: no chart objects")
	}
	ctx := t.Context()
	values, err := modulechart.Values(stk, modulechart.Options{AuthMount: AuthMount, RotationInterval: csiRotation})
	if err != nil {
		t.Fatal(err)
	}
	values = modulechart.Merge(values, map[string]any{"secretsStoreIntegration": map[string]any{
		"internal": map[string]any{"apiServerAddresses": []any{"127.0.0.1"}},
	}})
	objs, err := modulechart.Render(repoRoot, values)
	if err != nil {
		t.Fatal(err)
	}
	var np *networkingv1.NetworkPolicy
	for _, o := range objs {
		if o.GetKind() != "NetworkPolicy" {
			continue
		}
		np = &networkingv1.NetworkPolicy{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, np); err != nil {
			t.Fatal(err)
		}
	}
	if np == nil {
		t.Fatal("the chart rendered no NetworkPolicy with an API server address")
	}
	_ = kube.NetworkingV1().NetworkPolicies(np.Namespace).Delete(ctx, np.Name, metav1.DeleteOptions{})
	if _, err := kube.NetworkingV1().NetworkPolicies(np.Namespace).Create(ctx, np, metav1.CreateOptions{}); err != nil {
		t.Fatalf("the API server refused the NetworkPolicy: %v", err)
	}
	t.Cleanup(func() {
		_ = kube.NetworkingV1().NetworkPolicies(np.Namespace).Delete(ctx, np.Name, metav1.DeleteOptions{})
	})

	phase, logs := runInjected(t, injectedPod("netpol", nil, env("DB_PASS", "secrets-store:"+seedKV+"/data/myapp-secret#DB_PASS")))
	if phase != corev1.PodSucceeded || !strings.Contains(logs, "DB_PASS=secret-password") {
		t.Fatalf("with the policy in place: got phase %s, want Succeeded with the secret; log:\n%s", phase, logs)
	}
}
