// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncctl

import (
	"context"
	"crypto/rand"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// hmacKeyField is the key of the HMAC key in its Secret.
const hmacKeyField = "key"

// loadHMACKey returns the key of status.dataHMAC from the Secret ns/name,
// creating it with 32 random bytes on first use. Every replica and every
// restart use the same key, so a dataHMAC tells a change of the data apart
// from a restart of the controller.
func loadHMACKey(ctx context.Context, kube kubernetes.Interface, ns, name string) ([]byte, error) {
	secrets := kube.CoreV1().Secrets(ns)
	for range 3 {
		s, err := secrets.Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			if k := s.Data[hmacKeyField]; len(k) >= 32 {
				return k, nil
			}
			return nil, fmt.Errorf("the Secret %s/%s holds no %q of at least 32 bytes: delete it to have a new key made", ns, name, hmacKeyField)
		}
		if !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("read the HMAC key Secret %s/%s: %w", ns, name, err)
		}
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		s = &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{
				"heritage": "deckhouse", "module": "secrets-store-integration",
			}},
			Data: map[string][]byte{hmacKeyField: k},
		}
		_, err = secrets.Create(ctx, s, metav1.CreateOptions{})
		if err == nil {
			return k, nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("create the HMAC key Secret %s/%s: %w", ns, name, err)
		}
		// Another replica made it first: read theirs.
	}
	return nil, fmt.Errorf("the HMAC key Secret %s/%s could not be read or created", ns, name)
}
