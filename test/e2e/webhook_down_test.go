// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// With the webhook down, an opted-in pod is refused (never admitted unmutated) and a pod
// without the role annotation is created normally: matchConditions keep it from ever being
// sent to the webhook.
func TestWebhookDown(t *testing.T) {
	setupModule(t)
	ctx := t.Context()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 2*time.Minute)
		defer cancel()
		if err := mod.StartWebhook(ctx); err != nil {
			t.Errorf("restart webhook: %v", err)
		}
	})
	if err := mod.StopWebhook(ctx); err != nil {
		t.Fatalf("stop webhook: %v", err)
	}
	pods := kube.CoreV1().Pods(seedNS)

	plain := stack.HostPod(seedNS, "plain-while-down", seedSA, stack.BusyboxImage, "true")
	if _, err := pods.Create(ctx, plain, metav1.CreateOptions{}); err != nil {
		t.Fatalf("pod without the annotation refused while the webhook is down: %v", err)
	}
	_ = pods.Delete(ctx, plain.Name, metav1.DeleteOptions{})

	opted := injectedPod("opted-in-while-down", nil)
	_, err := pods.Create(ctx, opted, metav1.CreateOptions{})
	if err == nil {
		_ = pods.Delete(ctx, opted.Name, metav1.DeleteOptions{})
		t.Fatal("opted-in pod admitted while the webhook is down")
	}
	if !strings.Contains(err.Error(), "pods.secrets-store.deckhouse.io") {
		t.Fatalf("refusal %q does not name the webhook", err)
	}
}
