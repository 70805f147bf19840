// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// A kubernetes.io/dockerconfigjson Secret built by a template from the registry's username and
// password in the store lets the kubelet pull from the stack's private registry (TLS, basic
// auth); without it the same pull is refused.
func TestSyncPullSecret(t *testing.T) {
	dyn := setupSync(t)
	ctx := t.Context()
	const user = "sync-puller"
	pass := secretValue("sync-pull-password")
	host := startRegistry(t, user, pass)
	if err := stk.TrustRegistry(host); err != nil {
		t.Fatal(err)
	}
	ref := host + "/apps/sync-pull:1"
	spec := stack.BusyboxImageSpec(ctx)
	spec.Name, spec.Entrypoint, spec.Cmd = ref, []string{"/bin/sh", "-c"}, []string{"echo pulled"}
	img, err := spec.Build()
	if err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	err = remote.Write(r, img, remote.WithContext(ctx), remote.WithAuth(&authn.Basic{Username: user, Password: pass}), remote.WithTransport(stackTransport(t)))
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	if _, err := stk.PutKV2(ctx, syncKV, "registry", map[string]any{"username": user, "password": pass}); err != nil {
		t.Fatal(err)
	}
	tmpl := `{"auths": {"` + host + `": {"auth": "${ printf "%s:%s" .username .password | b64enc }"}}}`
	createSync(t, dyn, syncObject("pull", map[string]any{
		"data":   []any{map[string]any{"key": ".dockerconfigjson", "template": tmpl, "source": map[string]any{"path": syncKV + "/data/registry"}}},
		"target": map[string]any{"name": "registry-pull", "type": "kubernetes.io/dockerconfigjson"},
	}))
	waitSecret(t, "registry-pull", time.Minute, func(s *corev1.Secret) bool {
		return s.Type == corev1.SecretTypeDockerConfigJson && len(s.Data[".dockerconfigjson"]) > 0
	})

	pod := stack.HostPod(syncNS, "sync-pull", syncSA, ref)
	pod.Spec.Containers[0].Command = nil
	pod.Spec.Containers[0].ImagePullPolicy = corev1.PullAlways
	pod.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "registry-pull"}}
	t.Cleanup(func() { _ = stack.DeletePod(context.WithoutCancel(ctx), kube, syncNS, pod.Name) })
	phase, logs, err := stack.RunPod(ctx, kube, pod, 2*time.Minute)
	if err != nil || phase != corev1.PodSucceeded || !strings.Contains(logs, "pulled") {
		t.Fatalf("pod with the synced pull secret: phase %s, err %v, log %q", phase, err, logs)
	}

	// Control: the registry refuses a pull without the credentials.
	anon := stack.HostPod(syncNS, "sync-pull-anonymous", syncSA, ref)
	anon.Spec.Containers[0].Command = nil
	anon.Spec.Containers[0].ImagePullPolicy = corev1.PullAlways
	if _, err := kube.CoreV1().Pods(syncNS).Create(ctx, anon, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.DeletePod(context.WithoutCancel(ctx), kube, syncNS, anon.Name) })
	var reason string
	err = stack.Poll(ctx, time.Minute, func(ctx context.Context) (bool, error) {
		p, err := kube.CoreV1().Pods(syncNS).Get(ctx, anon.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, cs := range p.Status.ContainerStatuses {
			if w := cs.State.Waiting; w != nil {
				reason = w.Reason
			}
		}
		return reason == "ErrImagePull" || reason == "ImagePullBackOff", nil
	})
	if err != nil {
		t.Errorf("a pod without the pull secret: waiting reason %q, want ErrImagePull: %v", reason, err)
	}
}
