// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"

	"github.com/deckhouse/secrets-store-integration/test/modulechart"
	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// The synchronization fixture: a namespace with the ServiceAccount the resources name, a KV v2
// mount, and a role that lets that ServiceAccount read it.
const (
	syncNS     = "sync-e2e"
	syncSA     = "syncer"
	syncKV     = "sync-kv"
	syncRole   = "syncer"
	syncPolicy = "sync-read"
)

var syncGVR = schema.GroupVersionResource{Group: "deckhouse.io", Version: "v1alpha1", Resource: "secretsstoresyncs"}

var syncFixture = sync.OnceValue(func() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	steps := []func() error{
		func() error { return stack.EnsureServiceAccount(ctx, kube, syncNS, syncSA) },
		func() error { return stk.EnableKV(ctx, syncKV, 2) },
		func() error { return stk.WritePolicy(ctx, syncPolicy, stack.ReadPolicy(syncKV+"/data/*")) },
		func() error { return stk.WriteRole(ctx, AuthMount, syncRole, syncNS, syncSA, "", syncPolicy) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
})

// setupSync installs the module (with synchronization on) and the fixture, and returns a
// dynamic client of the stack's admin.
func setupSync(t *testing.T) dynamic.Interface {
	t.Helper()
	setupModule(t)
	if !syncEnabled() {
		t.Skip("needs the module installed from its chart (E2E_MODULE=chart): synchronization is a chart setting")
	}
	if err := syncFixture(); err != nil {
		t.Fatalf("sync fixture: %v", err)
	}
	return adminDynamic(t)
}

func adminDynamic(t *testing.T) dynamic.Interface {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", stk.Env.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return dyn
}

// syncObject is a SecretsStoreSync of the fixture's ServiceAccount and role.
func syncObject(name string, spec map[string]any) *unstructured.Unstructured {
	if spec["serviceAccountName"] == nil {
		spec["serviceAccountName"] = syncSA
	}
	if spec["role"] == nil {
		spec["role"] = syncRole
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "deckhouse.io/v1alpha1", "kind": "SecretsStoreSync",
		"metadata": map[string]any{"name": name, "namespace": syncNS},
		"spec":     spec,
	}}
}

// createSync creates obj and deletes it at the end of the test.
func createSync(t *testing.T, dyn dynamic.Interface, obj *unstructured.Unstructured) {
	t.Helper()
	ctx := t.Context()
	if _, err := dyn.Resource(syncGVR).Namespace(obj.GetNamespace()).Create(ctx, obj, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create SecretsStoreSync %s: %v", obj.GetName(), err)
	}
	t.Cleanup(func() {
		_ = dyn.Resource(syncGVR).Namespace(obj.GetNamespace()).Delete(context.WithoutCancel(ctx), obj.GetName(), metav1.DeleteOptions{})
	})
}

// syncCondition returns the status and the reason of a condition of the resource.
func syncCondition(ctx context.Context, dyn dynamic.Interface, name, typ string) (status, reason, message string, err error) {
	u, err := dyn.Resource(syncGVR).Namespace(syncNS).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", "", "", err
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			return fmt.Sprint(m["status"]), fmt.Sprint(m["reason"]), fmt.Sprint(m["message"]), nil
		}
	}
	return "", "", "", nil
}

// waitCondition waits until the condition has status and reason.
func waitCondition(t *testing.T, dyn dynamic.Interface, name, typ, status, reason string, timeout time.Duration) string {
	t.Helper()
	var last string
	err := stack.Poll(t.Context(), timeout, func(ctx context.Context) (bool, error) {
		s, r, m, err := syncCondition(ctx, dyn, name, typ)
		last = fmt.Sprintf("%s/%s %q", s, r, m)
		return err == nil && s == status && r == reason, nil
	})
	if err != nil {
		t.Fatalf("SecretsStoreSync %s: condition %s is %s, want %s/%s: %v", name, typ, last, status, reason, err)
	}
	_, _, msg, _ := syncCondition(t.Context(), dyn, name, typ)
	return msg
}

// waitSecret waits until the Secret exists and ok accepts it.
func waitSecret(t *testing.T, name string, timeout time.Duration, ok func(*corev1.Secret) bool) *corev1.Secret {
	t.Helper()
	var got *corev1.Secret
	err := stack.Poll(t.Context(), timeout, func(ctx context.Context) (bool, error) {
		s, err := kube.CoreV1().Secrets(syncNS).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		got = s
		return ok(s), nil
	})
	if err != nil {
		keys := "no Secret"
		if got != nil {
			keys = fmt.Sprintf("type %s, %d keys", got.Type, len(got.Data))
		}
		t.Fatalf("Secret %s/%s: %s: %v", syncNS, name, keys, err)
	}
	return got
}

// restartDeployment is a Deployment of one paused pod, the target of rollout restarts.
func restartDeployment(t *testing.T, name string) {
	t.Helper()
	ctx := t.Context()
	labels := map[string]string{"app": name}
	pod := stack.HostPod(syncNS, name, syncSA, stack.BusyboxImage, "sleep", "3600")
	pod.Spec.RestartPolicy = corev1.RestartPolicyAlways
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: syncNS},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](0), // only the template matters
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: pod.Spec},
		},
	}
	if _, err := kube.AppsV1().Deployments(syncNS).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = kube.AppsV1().Deployments(syncNS).Delete(context.WithoutCancel(ctx), name, metav1.DeleteOptions{})
	})
}

// restartedAt is the restart annotation of the Deployment's pod template.
func restartedAt(ctx context.Context, name string) (string, error) {
	d, err := kube.AppsV1().Deployments(syncNS).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	return d.Spec.Template.Annotations["secrets-store.deckhouse.io/restartedAt"], nil
}

// storeUp reports whether the store answers.
func storeUp(ctx context.Context) error {
	if err := stk.StoreAPI(ctx, http.MethodGet, "sys/health", nil, nil); err != nil {
		return errors.Join(errors.New("store down"), err)
	}
	return nil
}

// impersonated returns a dynamic client acting as user, who may create the deckhouse.io
// resources and the core resources listed, in the fixture's namespace only.
func impersonated(t *testing.T, user string, deckhouse, core []string) dynamic.Interface {
	t.Helper()
	ctx := t.Context()
	rules := []rbacv1.PolicyRule{{APIGroups: []string{"deckhouse.io"}, Resources: deckhouse, Verbs: []string{"create", "get", "delete"}}}
	if len(core) > 0 {
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: core, Verbs: []string{"create"}})
	}
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: user, Namespace: syncNS}, Rules: rules}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: user, Namespace: syncNS},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: user},
		Subjects:   []rbacv1.Subject{{APIGroup: "rbac.authorization.k8s.io", Kind: "User", Name: user}},
	}
	rbac := kube.RbacV1()
	_ = rbac.Roles(syncNS).Delete(ctx, user, metav1.DeleteOptions{})
	_ = rbac.RoleBindings(syncNS).Delete(ctx, user, metav1.DeleteOptions{})
	if _, err := rbac.Roles(syncNS).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := rbac.RoleBindings(syncNS).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = rbac.Roles(syncNS).Delete(context.WithoutCancel(ctx), user, metav1.DeleteOptions{})
		_ = rbac.RoleBindings(syncNS).Delete(context.WithoutCancel(ctx), user, metav1.DeleteOptions{})
	})
	cfg, err := clientcmd.BuildConfigFromFlags("", stk.Env.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return dyn
}

// syncEnabled reports whether the module was installed from its chart, with synchronization
// on (the process install runs no controller).
func syncEnabled() bool {
	_, ok := mod.(*modulechart.Module)
	return ok
}

// switchSync turns synchronization on or off as an administrator would in the ModuleConfig,
// and waits until the API server admits or refuses SecretsStoreSync accordingly.
func switchSync(t *testing.T, on bool) {
	t.Helper()
	m, _ := mod.(*modulechart.Module)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 5*time.Minute)
	defer cancel()
	if err := m.SetSynchronization(ctx, on); err != nil {
		t.Fatalf("turn synchronization %s: %v", map[bool]string{true: "on", false: "off"}[on], err)
	}
}
