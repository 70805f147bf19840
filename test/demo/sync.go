// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

const syncMode = "synchronization into a Secret"

// synchronization copies DB_PASS into the Secret myapp-synced with a SecretsStoreSync and runs
// a pod that takes it from the Secret, as a consumer that knows nothing else would.
func (d *demo) synchronization(ctx context.Context) result {
	if d.processModule {
		fmt.Println("\n== delivery mode: synchronization into a Secret: skipped (the sync controller runs only from the chart)")
		return result{mode: syncMode + " (skipped)"}
	}
	return result{mode: syncMode, err: d.sync(ctx)}
}

func (d *demo) sync(ctx context.Context) error {
	fmt.Println("\n== delivery mode: synchronization into a Kubernetes Secret (SecretsStoreSync myapp-sync, pod myapp4)")
	fmt.Println("  (off by default: the value is then stored in etcd and readable by everyone who may read Secrets here)")
	cfg, err := stack.RESTConfig(d.s.Env.Kubeconfig)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "deckhouse.io/v1alpha1", "kind": "SecretsStoreSync",
		"metadata": map[string]any{"name": "myapp-sync", "namespace": namespace},
		"spec": map[string]any{
			"serviceAccountName": serviceAccount, "role": role,
			"target": map[string]any{"name": "myapp-synced"},
			"data":   []any{map[string]any{"key": "DB_PASS", "source": map[string]any{"path": kvMount + "/data/myapp-secret", "key": "DB_PASS"}}},
		},
	}}
	gvr := schema.GroupVersionResource{Group: "deckhouse.io", Version: "v1alpha1", Resource: "secretsstoresyncs"}
	if _, err := dyn.Resource(gvr).Namespace(namespace).Create(ctx, obj, metav1.CreateOptions{}); err != nil {
		return err
	}
	t0 := time.Now()
	err = stack.Poll(ctx, time.Minute, func(ctx context.Context) (bool, error) {
		s, err := d.kube.CoreV1().Secrets(namespace).Get(ctx, "myapp-synced", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil && len(s.Data["DB_PASS"]) > 0, err
	})
	if err != nil {
		return fmt.Errorf("the Secret myapp-synced did not appear: %w", err)
	}
	fmt.Printf("  Secret myapp-synced written by the controller %s after the SecretsStoreSync was created\n", time.Since(t0).Round(100*time.Millisecond))
	pod := stack.HostPod(namespace, "myapp4", serviceAccount, stack.BusyboxImage, "sh", "-c", "echo DB_PASS=$DB_PASS")
	pod.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "DB_PASS", ValueFrom: &corev1.EnvVarSource{
		SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "myapp-synced"}, Key: "DB_PASS"},
	}}}
	// The CSI step changed the password in the store: the Secret holds the current one.
	return d.expect(ctx, pod, "DB_PASS=rotated-password")
}
