// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package stack

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
)

// Clientset is a cluster-admin client of the stack's apiserver.
func (s *Stack) Clientset() (*kubernetes.Clientset, error) {
	cfg, err := RESTConfig(filepath.Join(s.Dir, "admin.kubeconfig"))
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 200, 400
	return kubernetes.NewForConfig(cfg)
}

// ReviewerNamespace holds the ServiceAccount the store uses for TokenReviews.
const ReviewerNamespace = "stack-store"

// EnableKubernetesAuth enables the store's kubernetes auth method at mount (as Stronghold
// does with kubernetes_local) and points it at the stack's apiserver. The store reviews the
// tokens pods present with a ServiceAccount bound to system:auth-delegator, so every login is
// a real TokenReview against the real apiserver.
func (s *Stack) EnableKubernetesAuth(ctx context.Context, mount string) error {
	// (inside a store namespace, see InNamespace, the same ServiceAccount reviews tokens)
	cs, err := s.Clientset()
	if err != nil {
		return err
	}
	if err := EnsureServiceAccount(ctx, cs, ReviewerNamespace, "token-reviewer"); err != nil {
		return err
	}
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "stack-store-token-reviewer"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "system:auth-delegator"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "token-reviewer", Namespace: ReviewerNamespace}},
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	jwt, err := ServiceAccountToken(ctx, cs, ReviewerNamespace, "token-reviewer", "", 48*3600)
	if err != nil {
		return err
	}
	ca, err := os.ReadFile(s.Env.CAFile)
	if err != nil {
		return err
	}
	err = s.StoreAPI(ctx, http.MethodPost, "sys/auth/"+mount, map[string]string{"type": "kubernetes"}, nil)
	if err != nil && !strings.Contains(err.Error(), "path is already in use") {
		return err
	}
	return s.StoreAPI(ctx, http.MethodPost, "auth/"+mount+"/config", map[string]any{
		"kubernetes_host":      s.Env.APIServer,
		"kubernetes_ca_cert":   string(ca),
		"token_reviewer_jwt":   jwt,
		"disable_local_ca_jwt": true,
	}, nil)
}

// EnsureNamespace creates a namespace if it does not exist.
func EnsureNamespace(ctx context.Context, cs kubernetes.Interface, name string) error {
	_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", name, err)
	}
	return nil
}

// EnsureServiceAccount creates a namespace and a ServiceAccount in it if they do not exist.
func EnsureServiceAccount(ctx context.Context, cs kubernetes.Interface, ns, name string) error {
	if err := EnsureNamespace(ctx, cs, ns); err != nil {
		return err
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create serviceaccount %s/%s: %w", ns, name, err)
	}
	return nil
}

// ServiceAccountToken asks the apiserver for a token of a ServiceAccount (TokenRequest), as
// kubelet does for a pod. An empty audience means the apiserver's default audience.
func ServiceAccountToken(ctx context.Context, cs kubernetes.Interface, ns, name, audience string, seconds int64) (string, error) {
	tr := &authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: ptr.To(seconds)}}
	if audience != "" {
		tr.Spec.Audiences = []string{audience}
	}
	out, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, tr, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("request token of %s/%s: %w", ns, name, err)
	}
	return out.Status.Token, nil
}

// RESTConfig loads the kubeconfig at path with its certificates inline. client-go watches
// certificate files named by a kubeconfig for rotation, and would go on reading them (and
// logging that it cannot) after a temporary stack and its files are removed.
func RESTConfig(path string) (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		return nil, err
	}
	if err := rest.LoadTLSFiles(cfg); err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	cfg.CAFile, cfg.CertFile, cfg.KeyFile = "", "", ""
	return cfg, nil
}
