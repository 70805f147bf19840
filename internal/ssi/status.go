// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package ssi

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
)

// Condition types and reasons of the status.
const (
	// CondValid: the last check of the resource's role and paths by a pod's
	// volume, per generation.
	CondValid = "Valid"
	// CondUpToDate: whether the last refresh of the files succeeded on every
	// node that has pods using the resource.
	CondUpToDate = "UpToDate"

	ReasonRead               = "Read"
	ReasonInvalidSpec        = "InvalidSpec"
	ReasonAudienceNotAllowed = "AudienceNotAllowed"
	ReasonInvalidConnection  = "InvalidConnection"
	ReasonLoginFailed        = "LoginFailed"
	ReasonPermissionDenied   = "PermissionDenied"
	ReasonSecretNotFound     = "SecretNotFound"
	ReasonInvalidData        = "InvalidData"
	ReasonTooLarge           = "TooLarge"
	ReasonRotated            = "Rotated"
	ReasonRotationFailed     = "RotationFailed"
)

// Status is what the CSI node plugins report about a resource. Each node
// owns its entry of Nodes; the totals and the UpToDate condition are
// recomputed from the entries by every write.
type Status struct {
	// Pods is the number of pods with a volume of the resource, over all
	// nodes.
	Pods int `json:"pods"`
	// LastRotationTime is when new content was last written into a volume,
	// on any node.
	LastRotationTime *metav1.Time       `json:"lastRotationTime,omitempty"`
	Conditions       []metav1.Condition `json:"conditions,omitempty"`
	Nodes            []NodeStatus       `json:"nodes,omitempty"`
}

// NodeStatus is one node's part of the status.
type NodeStatus struct {
	Name string `json:"name"`
	// Pods is the number of pods on the node with a volume of the resource.
	Pods int `json:"pods"`
	// LastRotationTime is when the node last wrote new content into a volume.
	LastRotationTime *metav1.Time `json:"lastRotationTime,omitempty"`
	// RotationError is the error of the node's last failed refresh; empty
	// when the last refresh succeeded.
	RotationError string `json:"rotationError,omitempty"`
	// LastUpdateTime is when the node last changed its entry.
	LastUpdateTime metav1.Time `json:"lastUpdateTime"`
}

// StatusUpdater changes the status of a resource.
type StatusUpdater interface {
	// UpdateStatus applies mutate to the current resource and writes its
	// status when mutate reports a change. A conflicting write is retried
	// with a fresh read. A missing resource matches ErrNotFound.
	UpdateStatus(ctx context.Context, namespace, name string, mutate func(*SecretsStoreImport) bool) (wrote bool, err error)
}

// conflictBackoff spaces the retries of a write that lost a race with
// another node's: full jitter, so that the nodes do not collide again.
var conflictBackoff = wait.Backoff{Steps: 8, Duration: 20 * time.Millisecond, Factor: 2, Jitter: 1}

// UpdateStatus reads namespace/name from the API server, applies mutate and
// writes the status subresource when mutate reports a change.
func (c *Client) UpdateStatus(ctx context.Context, namespace, name string, mutate func(*SecretsStoreImport) bool) (bool, error) {
	res := c.dyn.Resource(GroupVersionResource).Namespace(namespace)
	wrote := false
	err := retry.RetryOnConflict(conflictBackoff, func() error {
		u, err := res.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return notFound(namespace, name)
		}
		if err != nil {
			return fmt.Errorf("get SecretsStoreImport %s/%s: %w", namespace, name, err)
		}
		s, err := FromUnstructured(u)
		if err != nil {
			return err
		}
		if !mutate(s) {
			return nil
		}
		st, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&s.Status)
		if err != nil {
			return fmt.Errorf("encode the status of SecretsStoreImport %s/%s: %w", namespace, name, err)
		}
		if err := unstructured.SetNestedField(u.Object, st, "status"); err != nil {
			return fmt.Errorf("encode the status of SecretsStoreImport %s/%s: %w", namespace, name, err)
		}
		_, err = res.UpdateStatus(ctx, u, metav1.UpdateOptions{})
		if apierrors.IsNotFound(err) {
			return notFound(namespace, name)
		}
		if err != nil && !apierrors.IsConflict(err) {
			return fmt.Errorf("update the status of SecretsStoreImport %s/%s: %w", namespace, name, err)
		}
		wrote = err == nil
		return err
	})
	return wrote, err
}

// Each calls fn with every resource the informer holds; nothing before it
// has synced. fn gets its own copy.
func (c *Cache) Each(fn func(*SecretsStoreImport)) {
	if !c.informer.HasSynced() {
		return
	}
	for _, obj := range c.informer.GetStore().List() {
		if u, ok := obj.(*unstructured.Unstructured); ok {
			if s, err := FromUnstructured(u); err == nil {
				fn(s)
			}
		}
	}
}

// UpdateStatus writes through the API server, like Client.UpdateStatus.
func (c *Cache) UpdateStatus(ctx context.Context, namespace, name string, mutate func(*SecretsStoreImport) bool) (bool, error) {
	return c.live.UpdateStatus(ctx, namespace, name, mutate)
}
