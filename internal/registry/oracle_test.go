// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deckhouse/secrets-store-integration/internal/podmutate"
)

// Anyone who can reach the webhook may post a review for any namespace naming any
// imagePullSecret. The refusal must read the same whether that Secret is missing, of another
// type, malformed or valid but refused by the registry: nothing tells which Secrets exist in
// a namespace, or their types.
func TestRefusalRevealsNoSecret(t *testing.T) {
	tr := newTestRegistry(t)
	tr.pushImage(t, "private/app:v1", []string{"/bin/app"}, nil)
	meta := metav1.ObjectMeta{Namespace: "kube-system", Name: "probe"}
	cases := map[string][]*corev1.Secret{
		"missing":           nil,
		"refused":           {dockerSecret("kube-system", "probe", tr.host, testUser, "not-the-password")},
		"of another type":   {{ObjectMeta: meta, Type: corev1.SecretTypeOpaque}},
		"malformed":         {{ObjectMeta: meta, Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte("{not json")}}},
		"for another image": {dockerSecret("kube-system", "probe", "registry.example.com", testUser, testPassword)},
	}
	refusals := map[string]string{}
	for name, secrets := range cases {
		r := newTestResolver(t, tr, newFakeSecrets(secrets...), Config{})
		_, err := r.Resolve(t.Context(), podmutate.ImageRef{
			Image: tr.host + "/private/app:v1", Namespace: "kube-system", PullSecrets: []string{"probe"},
		})
		if err == nil {
			t.Fatalf("secret %s: the private image was read", name)
		}
		refusals[name] = err.Error()
	}
	for name, got := range refusals {
		if got != refusals["missing"] {
			t.Errorf("the refusal with a secret %s differs from the one with a missing secret:\n got %s\nwant %s", name, got, refusals["missing"])
		}
	}
}
