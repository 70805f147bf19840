// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncctl

import (
	"context"
	"encoding/json"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// restartTargets restarts the rollout of each of res's targets by setting
// the restartedAt annotation of its pod template, as kubectl rollout
// restart does with its own. A target that cannot be restarted gets a
// Warning event on res; the sync itself has succeeded.
func (c *Controller) restartTargets(ctx context.Context, res *SecretsStoreSync, obj eventObject, now time.Time) {
	if len(res.Spec.RolloutRestartTargets) == 0 {
		return
	}
	patch, _ := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{
		"annotations": map[string]string{AnnotationRestartedAt: now.UTC().Format(time.RFC3339)},
	}}}})
	opts := metav1.PatchOptions{FieldManager: fieldManager}
	for _, t := range res.Spec.RolloutRestartTargets {
		var err error
		apps := c.kube.AppsV1()
		switch t.Kind {
		case "Deployment":
			_, err = apps.Deployments(res.Namespace).Patch(ctx, t.Name, types.MergePatchType, patch, opts)
		case "StatefulSet":
			_, err = apps.StatefulSets(res.Namespace).Patch(ctx, t.Name, types.MergePatchType, patch, opts)
		case "DaemonSet":
			_, err = apps.DaemonSets(res.Namespace).Patch(ctx, t.Name, types.MergePatchType, patch, opts)
		}
		if err != nil {
			c.metrics.restarts.WithLabelValues(t.Kind, "failed").Inc()
			c.log.Warn("rollout restart failed", "sync_resource", res.Ref(), "kind", t.Kind, "name", t.Name, "error", err)
			c.events.Eventf(obj, corev1.EventTypeWarning, "RolloutRestartFailed",
				"the data of the Secret changed but %s %s was not restarted: %v", t.Kind, t.Name, err)
			continue
		}
		c.metrics.restarts.WithLabelValues(t.Kind, "restarted").Inc()
		c.events.Eventf(obj, corev1.EventTypeNormal, "RolloutRestarted", "the data of the Secret changed: %s %s restarted", t.Kind, t.Name)
	}
}
