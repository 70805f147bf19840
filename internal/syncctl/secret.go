// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncctl

import (
	"context"
	"errors"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// Sentinels of the Secret write (Synced=False with the reason they name).
var (
	// errNotOwned: a Secret of the name exists and belongs to something else.
	errNotOwned = errors.New("secret not owned")
	// errNotUpdatable: the Secret is the resource's but cannot be changed in
	// place (another type, or immutable); the controller never deletes a
	// Secret, so a user must.
	errNotUpdatable = errors.New("secret not updatable")
	// errKube: the API server refused or failed a request.
	errKube = errors.New("kubernetes api")
)

// Operations of a Secret write, as the secret_writes_total metric counts them.
// The controller never deletes a Secret: the garbage collector deletes it
// with its SecretsStoreSync.
const (
	opCreate = "create"
	opUpdate = "update"
)

// currentSecret returns the Secret res writes to, or nil when there is none.
// The cache holds only Secrets with the controller's label, so a miss is
// checked against the API server: a Secret of that name that the controller
// did not write must be seen, never overwritten.
func (c *Controller) currentSecret(ctx context.Context, res *SecretsStoreSync) (*corev1.Secret, error) {
	name := res.SecretName()
	if s, err := c.secretLister.Secrets(res.Namespace).Get(name); err == nil {
		return s, nil
	}
	s, err := c.kube.CoreV1().Secrets(res.Namespace).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("%w: read Secret %s/%s: %w", errKube, res.Namespace, name, err)
	}
	return s, nil
}

// ownedBy reports whether res controls s.
func ownedBy(s *corev1.Secret, res *SecretsStoreSync) bool {
	ref := metav1.GetControllerOf(s)
	return ref != nil && ref.UID == res.UID && ref.Kind == Kind
}

func notOwned(res *SecretsStoreSync, s *corev1.Secret) error {
	owner := "nothing"
	if ref := metav1.GetControllerOf(s); ref != nil {
		owner = ref.Kind + " " + ref.Name
	}
	return fmt.Errorf("%w: the Secret %s/%s exists and is controlled by %s, not by this SecretsStoreSync: it is left as it is. "+
		"Delete it to let the controller create it, or set spec.target.name to another name", errNotOwned, res.Namespace, s.Name, owner)
}

// desiredSecret is the Secret res should have.
func desiredSecret(res *SecretsStoreSync, data map[string][]byte) *corev1.Secret {
	labels := maps.Clone(res.Spec.Target.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[LabelSync] = res.Name
	annotations := maps.Clone(res.Spec.Target.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[AnnotationSyncedFrom] = res.Ref()
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:        res.SecretName(),
			Namespace:   res.Namespace,
			Labels:      labels,
			Annotations: annotations,
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: Group + "/" + Version, Kind: Kind, Name: res.Name, UID: res.UID, Controller: ptr.To(true),
			}},
		},
		Type: res.SecretType(),
		Data: data,
	}
}

// writeSecret makes cur (nil: none) into want and returns the operation
// done, "" when nothing differed. Labels and annotations of others are kept.
func (c *Controller) writeSecret(ctx context.Context, res *SecretsStoreSync, cur, want *corev1.Secret) (string, error) {
	secrets := c.kube.CoreV1().Secrets(res.Namespace)
	if cur == nil {
		_, err := secrets.Create(ctx, want, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			// Created by someone else since the check: look again next time.
			return "", fmt.Errorf("%w: Secret %s/%s appeared while it was being created: it is checked again", errKube, res.Namespace, want.Name)
		}
		return opCreate, kubeErr(err, "create", want)
	}
	if cur.Type != want.Type {
		return "", fmt.Errorf("%w: the Secret %s/%s has type %s and spec.target.type is %s, and the type of a Secret cannot change: "+
			"delete the Secret and the controller creates it with the new type", errNotUpdatable, cur.Namespace, cur.Name, cur.Type, want.Type)
	}
	if ptr.Deref(cur.Immutable, false) {
		return "", fmt.Errorf("%w: the Secret %s/%s was made immutable, so it cannot be updated: "+
			"delete the Secret and the controller creates it again", errNotUpdatable, cur.Namespace, cur.Name)
	}
	next := cur.DeepCopy()
	merge(&next.Labels, want.Labels)
	merge(&next.Annotations, want.Annotations)
	next.OwnerReferences = want.OwnerReferences
	next.Data, next.StringData, next.Immutable = want.Data, nil, nil
	if equality.Semantic.DeepEqual(cur, next) {
		return "", nil
	}
	_, err := secrets.Update(ctx, next, metav1.UpdateOptions{})
	return opUpdate, kubeErr(err, "update", want)
}

func merge(dst *map[string]string, src map[string]string) {
	if *dst == nil {
		*dst = make(map[string]string, len(src))
	}
	maps.Copy(*dst, src)
}

func kubeErr(err error, op string, s *corev1.Secret) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %s Secret %s/%s: %w", errKube, op, s.Namespace, s.Name, err)
}
