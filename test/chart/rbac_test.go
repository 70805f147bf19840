// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package chart_test

import (
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

func TestRBACLeastPrivilege(t *testing.T) {
	forEachCase(t, func(t *testing.T, _ renderCase, objs []object) {
		type namedRules struct {
			name  string
			rules []rbacv1.PolicyRule
		}
		var all []namedRules
		for _, r := range find[*rbacv1.ClusterRole](objs) {
			all = append(all, namedRules{"ClusterRole " + r.Name, r.Rules})
		}
		for _, r := range find[*rbacv1.Role](objs) {
			all = append(all, namedRules{"Role " + r.Name, r.Rules})
		}
		for _, nr := range all {
			for _, r := range nr.rules {
				for _, list := range [][]string{r.Verbs, r.Resources, r.APIGroups, r.ResourceNames} {
					for _, s := range list {
						if strings.Contains(s, "*") {
							t.Errorf("%s: wildcard %q in %+v", nr.name, s, r)
						}
					}
				}
				if len(r.NonResourceURLs) > 0 {
					t.Errorf("%s: non-resource URLs %v", nr.name, r.NonResourceURLs)
				}
				if nr.name == "ClusterRole d8:secrets-store-integration:sync-controller" {
					continue // its rules are compared one by one in TestSyncControllerRBAC
				}
				if nr.name == "ClusterRole d8:secrets-store-integration:kube-rbac-proxy" {
					continue // TokenReviews and SubjectAccessReviews only: TestKubeRBACProxyRBAC
				}
				for _, res := range r.Resources {
					if res == "serviceaccounts/token" || res == "serviceaccounts" || res == "tokenreviews" {
						t.Errorf("%s: %s %v: the module never issues or reviews tokens", nr.name, res, r.Verbs)
					}
					if res == "secrets" || strings.HasPrefix(res, "secrets/") {
						if nr.name != "ClusterRole d8:secrets-store-integration:webhook" || !slices.Equal(r.Verbs, []string{"get"}) {
							t.Errorf("%s: %s %v: only the webhook may read secrets, and only with get", nr.name, res, r.Verbs)
						}
					}
				}
			}
		}
		webhook := one[*rbacv1.ClusterRole](t, objs, "d8:secrets-store-integration:webhook")
		if len(webhook.Rules) != 1 {
			t.Errorf("webhook rules %+v, want one rule: get secrets", webhook.Rules)
		}
		csi := one[*rbacv1.ClusterRole](t, objs, "d8:secrets-store-integration:csi-driver")
		want := map[string][]string{
			"deckhouse.io/secretsstoreimports":        {"get", "list", "watch"},
			"deckhouse.io/secretsstoreimports/status": {"get", "update"},
			"/nodes":               {"get"},
			"/events":              {"create", "patch"},
			"events.k8s.io/events": {"create", "patch"},
		}
		got := map[string][]string{}
		for _, r := range csi.Rules {
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					got[g+"/"+res] = r.Verbs
				}
			}
		}
		if len(got) != len(want) {
			t.Errorf("csi-driver rules %+v, want %v", csi.Rules, want)
		}
		for k, v := range want {
			if !slices.Equal(got[k], v) {
				t.Errorf("csi-driver %s: verbs %v, want %v", k, got[k], v)
			}
		}
		for _, b := range find[*rbacv1.ClusterRoleBinding](objs) {
			if b.RoleRef.Kind != "ClusterRole" || !strings.HasPrefix(b.RoleRef.Name, "d8:secrets-store-integration:") {
				t.Errorf("ClusterRoleBinding %s binds %s %s, want one of the module's own roles", b.Name, b.RoleRef.Kind, b.RoleRef.Name)
			}
			for _, s := range b.Subjects {
				if s.Kind != "ServiceAccount" || s.Namespace != moduleNamespace {
					t.Errorf("ClusterRoleBinding %s: subject %+v, want a ServiceAccount of the module", b.Name, s)
				}
			}
		}
	})
}

func TestUserAuthzRoles(t *testing.T) {
	objs := renderedCase(t, renderCases[0])
	for name, level := range map[string]string{
		"d8:user-authz:secrets-store-integration:user":   "User",
		"d8:user-authz:secrets-store-integration:editor": "Editor",
	} {
		r := one[*rbacv1.ClusterRole](t, objs, name)
		if got := r.Annotations["user-authz.deckhouse.io/access-level"]; got != level {
			t.Errorf("%s: access level %q, want %q", name, got, level)
		}
		for _, rule := range r.Rules {
			if !slices.Equal(rule.Resources, []string{"secretsstoreimports", "secretsstoresyncs"}) || !slices.Equal(rule.APIGroups, []string{"deckhouse.io"}) {
				t.Errorf("%s: rule %+v, want SecretsStoreImports and SecretsStoreSyncs only", name, rule)
			}
		}
	}
}
