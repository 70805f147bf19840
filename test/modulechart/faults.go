// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package modulechart

import (
	"context"
	"fmt"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// StopWebhook scales the webhook Deployment to zero and waits until its pods are gone. The
// webhook configuration stays, as in an outage.
func (m *Module) StopWebhook(ctx context.Context) error {
	if err := m.scaleWebhook(ctx, 0); err != nil {
		return err
	}
	return m.wait(ctx, "webhook pods gone", 2*time.Minute, func(ctx context.Context) (string, error) {
		pods, err := m.kube.CoreV1().Pods(Namespace).List(ctx, metav1.ListOptions{LabelSelector: webhookSelector})
		if err != nil {
			return "", err
		}
		if n := len(pods.Items); n > 0 {
			return fmt.Sprintf("%d webhook pods left", n), nil
		}
		return "", nil
	})
}

// StartWebhook scales the webhook Deployment back to its rendered replicas and waits until
// they are available.
func (m *Module) StartWebhook(ctx context.Context) error {
	if err := m.scaleWebhook(ctx, m.webhookReplicas); err != nil {
		return err
	}
	return m.waitWebhook(ctx, 2*time.Minute)
}

func (m *Module) scaleWebhook(ctx context.Context, replicas int32) error {
	d := m.kube.AppsV1().Deployments(Namespace)
	sc := &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: webhookDeployment, Namespace: Namespace},
		Spec:       autoscalingv1.ScaleSpec{Replicas: replicas},
	}
	if _, err := d.UpdateScale(ctx, webhookDeployment, sc, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("scale deployment %s/%s to %d: %w", Namespace, webhookDeployment, replicas, err)
	}
	return nil
}

// KillCSIPlugin deletes the CSI plugin pods with grace period 0, as a crash of the plugin
// would end them; the DaemonSet recreates them. The volumes they mounted stay mounted.
func (m *Module) KillCSIPlugin(ctx context.Context) error {
	pods, err := m.kube.CoreV1().Pods(Namespace).List(ctx, metav1.ListOptions{LabelSelector: csiSelector})
	if err != nil {
		return err
	}
	if len(pods.Items) == 0 {
		return fmt.Errorf("no CSI plugin pod (%s) in %s to kill", csiSelector, Namespace)
	}
	for _, p := range pods.Items {
		if err := m.kube.CoreV1().Pods(Namespace).Delete(ctx, p.Name, deleteNow); err != nil && !isNotFound(err) {
			return fmt.Errorf("delete pod %s/%s: %w", Namespace, p.Name, err)
		}
		m.killed[p.UID] = true
	}
	return nil
}

// WaitCSIPlugin waits until the DaemonSet's replacement pods are ready and the kubelet lists
// the driver.
func (m *Module) WaitCSIPlugin(ctx context.Context) error {
	return m.waitCSIPlugin(ctx, 2*time.Minute)
}
