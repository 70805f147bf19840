// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// Synchronization into Kubernetes Secrets on the real cluster, with the controller installed
// from the chart. The module's rotationInterval in e2e is csiRotation (5 s): resources without
// spec.refreshInterval are read again that often.

// The whole life of a resource: create → a kubernetes.io/tls Secret with its keys, owned by
// the resource; a change in the store → the Secret updated within the interval and the
// Deployment restarted exactly once; an edited and a deleted Secret restored within seconds;
// the resource deleted → the Secret deleted with it.
func TestSyncLifecycle(t *testing.T) {
	dyn := setupSync(t)
	ctx := t.Context()
	key1, key2 := secretValue("sync-tls-key-1"), secretValue("sync-tls-key-2")
	if _, err := stk.PutKV2(ctx, syncKV, "web", map[string]any{"crt": "CERT-1", "key": key1}); err != nil {
		t.Fatal(err)
	}
	restartDeployment(t, "sync-web")
	createSync(t, dyn, syncObject("web", map[string]any{
		"data": []any{
			map[string]any{"key": "tls.crt", "source": map[string]any{"path": syncKV + "/data/web", "key": "crt"}},
			map[string]any{"key": "tls.key", "source": map[string]any{"path": syncKV + "/data/web", "key": "key"}},
		},
		"target":                map[string]any{"name": "web-tls", "type": "kubernetes.io/tls"},
		"rolloutRestartTargets": []any{map[string]any{"kind": "Deployment", "name": "sync-web"}},
	}))
	s := waitSecret(t, "web-tls", time.Minute, func(s *corev1.Secret) bool { return string(s.Data["tls.key"]) == key1 })
	if s.Type != corev1.SecretTypeTLS || string(s.Data["tls.crt"]) != "CERT-1" {
		t.Errorf("Secret: type %s, tls.crt as written %t", s.Type, string(s.Data["tls.crt"]) == "CERT-1")
	}
	if ref := metav1.GetControllerOf(s); ref == nil || ref.Kind != "SecretsStoreSync" || ref.Name != "web" {
		t.Errorf("owner of the Secret: %+v", ref)
	}
	waitCondition(t, dyn, "web", "Ready", "True", "SecretReady", 30*time.Second)
	if at, err := restartedAt(ctx, "sync-web"); err != nil || at != "" {
		t.Fatalf("the first sync restarted the Deployment (annotation %q, %v)", at, err)
	}

	t.Run("store change", func(t *testing.T) {
		if _, err := stk.PutKV2(ctx, syncKV, "web", map[string]any{"crt": "CERT-2", "key": key2}); err != nil {
			t.Fatal(err)
		}
		// Within the interval, plus the time of one reconcile.
		waitSecret(t, "web-tls", csiRotation+10*time.Second, func(s *corev1.Secret) bool { return string(s.Data["tls.key"]) == key2 })
		var first string
		err := stack.Poll(ctx, 20*time.Second, func(ctx context.Context) (bool, error) {
			at, err := restartedAt(ctx, "sync-web")
			first = at
			return at != "", err
		})
		if err != nil {
			t.Fatalf("the Deployment was not restarted after the data changed: %v", err)
		}
		// Three more intervals without a change: no second restart.
		time.Sleep(3 * csiRotation)
		if at, err := restartedAt(ctx, "sync-web"); err != nil || at != first {
			t.Errorf("restarted again without a change: %q then %q (%v)", first, at, err)
		}
	})

	t.Run("drift repaired", func(t *testing.T) {
		s, err := kube.CoreV1().Secrets(syncNS).Get(ctx, "web-tls", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s.Data["tls.key"] = []byte("edited by hand")
		if _, err := kube.CoreV1().Secrets(syncNS).Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		// The watch brings the resource back at once; 4 s is less than one interval plus a
		// reconcile, so a repair by the next refresh alone would often miss it.
		waitSecret(t, "web-tls", 4*time.Second, func(s *corev1.Secret) bool { return string(s.Data["tls.key"]) == key2 })
		if err := kube.CoreV1().Secrets(syncNS).Delete(ctx, "web-tls", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		waitSecret(t, "web-tls", 4*time.Second, func(s *corev1.Secret) bool { return string(s.Data["tls.key"]) == key2 })
	})

	t.Run("deleted with the resource", func(t *testing.T) {
		if err := dyn.Resource(syncGVR).Namespace(syncNS).Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		err := stack.Poll(ctx, time.Minute, func(ctx context.Context) (bool, error) {
			_, err := kube.CoreV1().Secrets(syncNS).Get(ctx, "web-tls", metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
		if err != nil {
			t.Fatalf("the Secret outlived its SecretsStoreSync: %v", err)
		}
	})
}

// A Secret of the name that the resource does not own is never overwritten; the condition
// says why and what to do.
func TestSyncForeignSecretNotOverwritten(t *testing.T) {
	dyn := setupSync(t)
	ctx := t.Context()
	if _, err := stk.PutKV2(ctx, syncKV, "foreign", map[string]any{"password": secretValue("sync-foreign")}); err != nil {
		t.Fatal(err)
	}
	foreign := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "foreign", Namespace: syncNS}, Data: map[string][]byte{"mine": []byte("keep")}}
	_ = kube.CoreV1().Secrets(syncNS).Delete(ctx, foreign.Name, metav1.DeleteOptions{})
	if _, err := kube.CoreV1().Secrets(syncNS).Create(ctx, foreign, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = kube.CoreV1().Secrets(syncNS).Delete(context.WithoutCancel(ctx), foreign.Name, metav1.DeleteOptions{})
	})
	createSync(t, dyn, syncObject("foreign", map[string]any{
		"data": []any{map[string]any{"key": "password", "source": map[string]any{"path": syncKV + "/data/foreign", "key": "password"}}},
	}))
	msg := waitCondition(t, dyn, "foreign", "Synced", "False", "SecretNotOwned", time.Minute)
	if !strings.Contains(msg, "spec.target.name") {
		t.Errorf("the condition does not say what to do: %q", msg)
	}
	s, err := kube.CoreV1().Secrets(syncNS).Get(ctx, foreign.Name, metav1.GetOptions{})
	if err != nil || len(s.Data) != 1 || string(s.Data["mine"]) != "keep" || len(s.OwnerReferences) != 0 {
		t.Errorf("the foreign Secret changed: %v", err)
	}
}

// A ServiceAccount of another namespace cannot be named at all; a user who may neither create
// pods nor request tokens of the ServiceAccount cannot make the controller log in as it.
func TestSyncServiceAccountRefused(t *testing.T) {
	dyn := setupSync(t)
	ctx := t.Context()
	data := []any{map[string]any{"key": "k", "source": map[string]any{"path": syncKV + "/data/web", "key": "key"}}}
	_, err := dyn.Resource(syncGVR).Namespace(syncNS).Create(ctx,
		syncObject("other-ns", map[string]any{"serviceAccountName": "kube-system/default", "data": data}), metav1.CreateOptions{})
	if err == nil || !strings.Contains(err.Error(), "serviceAccountName") {
		t.Errorf("a ServiceAccount of another namespace: got %v, want a refusal naming spec.serviceAccountName", err)
	}
	limited := impersonated(t, "sync-limited", []string{"secretsstoresyncs"}, nil)
	_, err = limited.Resource(syncGVR).Namespace(syncNS).Create(ctx, syncObject("limited", map[string]any{"data": data}), metav1.CreateOptions{})
	if err == nil || !strings.Contains(err.Error(), "ServiceAccount "+syncSA) {
		t.Errorf("a user without the right to create pods: got %v, want a refusal naming the ServiceAccount", err)
	}
	podMaker := impersonated(t, "sync-pod-maker", []string{"secretsstoresyncs"}, []string{"pods"})
	obj := syncObject("pod-maker", map[string]any{"data": data})
	if _, err := podMaker.Resource(syncGVR).Namespace(syncNS).Create(ctx, obj, metav1.CreateOptions{}); err != nil {
		t.Errorf("a user who may create pods: %v", err)
	}
	_ = dyn.Resource(syncGVR).Namespace(syncNS).Delete(context.WithoutCancel(ctx), obj.GetName(), metav1.DeleteOptions{})
}

// The store goes down: the Secret stays as it was, Synced turns False, Ready stays True; once
// the store is back the resource is synced again without anyone touching it.
func TestSyncStoreDown(t *testing.T) {
	dyn := setupSync(t)
	ctx := t.Context()
	restoreStore(t)
	pass := secretValue("sync-store-down")
	if _, err := stk.PutKV2(ctx, syncKV, "down", map[string]any{"password": pass}); err != nil {
		t.Fatal(err)
	}
	createSync(t, dyn, syncObject("down", map[string]any{
		"data": []any{map[string]any{"key": "password", "source": map[string]any{"path": syncKV + "/data/down", "key": "password"}}},
	}))
	waitSecret(t, "down", time.Minute, func(s *corev1.Secret) bool { return string(s.Data["password"]) == pass })
	waitCondition(t, dyn, "down", "Ready", "True", "SecretReady", 30*time.Second)

	stk.StopStore()
	msg := waitCondition(t, dyn, "down", "Synced", "False", "StoreError", time.Minute)
	if !strings.Contains(msg, "unavailable") {
		t.Errorf("the condition does not say the store is unavailable: %q", msg)
	}
	s, err := kube.CoreV1().Secrets(syncNS).Get(ctx, "down", metav1.GetOptions{})
	if err != nil || string(s.Data["password"]) != pass {
		t.Fatalf("the Secret was not kept while the store was down: %v", err)
	}
	if st, _, _, _ := syncCondition(ctx, dyn, "down", "Ready"); st != "True" {
		t.Errorf("Ready is %s while the last good Secret is kept, want True", st)
	}
	startStore(ctx, t)
	if err := storeUp(ctx); err != nil {
		t.Fatal(err)
	}
	// Backoff is at most the interval: back within two of them.
	waitCondition(t, dyn, "down", "Synced", "True", "Synced", 2*csiRotation+20*time.Second)
}

// A resource the mode is off for: the API server refuses it with a message that names the
// setting; existing resources can still be deleted. The mode is turned on again after.
func TestSyncModeOff(t *testing.T) {
	dyn := setupSync(t)
	ctx := t.Context()
	switchSync(t, false)
	t.Cleanup(func() { switchSync(t, true) })
	data := []any{map[string]any{"key": "k", "source": map[string]any{"path": syncKV + "/data/web", "key": "key"}}}
	var err error
	// The policy takes effect once the API server has loaded it.
	_ = stack.Poll(ctx, 30*time.Second, func(ctx context.Context) (bool, error) {
		var u *unstructured.Unstructured
		u, err = dyn.Resource(syncGVR).Namespace(syncNS).Create(ctx, syncObject("off", map[string]any{"data": data}), metav1.CreateOptions{})
		if err == nil {
			_ = dyn.Resource(syncGVR).Namespace(syncNS).Delete(ctx, u.GetName(), metav1.DeleteOptions{})
		}
		return err != nil, nil
	})
	if err == nil || !strings.Contains(err.Error(), "synchronization.enabled") {
		t.Fatalf("creation with the mode off: got %v, want a refusal naming synchronization.enabled", err)
	}
	if _, err := kube.AppsV1().Deployments("d8-secrets-store-integration").Get(ctx, "sync-controller", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the controller Deployment is still there with the mode off: %v", err)
	}
}
