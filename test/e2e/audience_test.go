// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/deckhouse/secrets-store-integration/internal/store"
	"github.com/deckhouse/secrets-store-integration/test/modulechart"
	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// The token audience: a store role with audience=<x> logs in tokens for x only. The chart
// install lists modulechart.ExtraTokenAudience in additionalTokenAudiences; the module's
// tokenAudience is switched to it in TestAudienceModuleSetting and restored afterwards.
const (
	audSecret = "audience-secret"
	audRole   = "audience-role" // audience=modulechart.ExtraTokenAudience
	audOpen   = "audience-open" // the same policy, no audience
	audValue  = "audience-value"
)

// audienceFixture writes the secret, its policy, and the two roles bound to myapp-sa.
func audienceFixture(t *testing.T) *modulechart.Module {
	t.Helper()
	setupModule(t)
	m, ok := mod.(*modulechart.Module)
	if !ok {
		t.Skip("needs the module installed from its chart (E2E_MODULE=chart): the audiences are chart settings")
	}
	ctx := t.Context()
	if _, err := stk.PutKV2(ctx, seedKV, audSecret, map[string]any{"VALUE": secretValue(audValue)}); err != nil {
		t.Fatal(err)
	}
	if err := stk.WritePolicy(ctx, "audience-read", stack.ReadPolicy(seedKV+"/data/"+audSecret)); err != nil {
		t.Fatal(err)
	}
	for role, aud := range map[string]string{audRole: modulechart.ExtraTokenAudience, audOpen: ""} {
		body := map[string]any{
			"bound_service_account_names": seedSA, "bound_service_account_namespaces": seedNS,
			"policies": "audience-read", "ttl": "10m", "audience": aud,
		}
		if err := stk.StoreAPI(ctx, http.MethodPut, "auth/"+AuthMount+"/role/"+role, body, nil); err != nil {
			t.Fatalf("write role %s: %v", role, err)
		}
	}
	return m
}

// applySSIAudience creates (or replaces) a SecretsStoreImport with one file "value" from the
// audience secret and spec.audience aud ("" leaves it out).
func applySSIAudience(t *testing.T, name, role, aud string) {
	t.Helper()
	spec := map[string]any{"type": "CSI", "role": role, "files": []any{map[string]any{
		"name": "value", "source": map[string]any{"path": seedKV + "/data/" + audSecret, "key": "VALUE"},
	}}}
	if aud != "" {
		spec["audience"] = aud
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "deckhouse.io/v1alpha1", "kind": "SecretsStoreImport",
		"metadata": map[string]any{"name": name, "namespace": seedNS}, "spec": spec,
	}}
	cfg, err := clientcmd.BuildConfigFromFlags("", stk.Env.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	d, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := d.Resource(schema.GroupVersionResource{Group: "deckhouse.io", Version: "v1alpha1", Resource: "secretsstoreimports"}).Namespace(seedNS)
	_ = r.Delete(t.Context(), name, metav1.DeleteOptions{})
	if _, err := r.Create(t.Context(), u, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// csiValue runs a pod reading the volume's file and returns its phase and log.
func csiValue(t *testing.T, pod, ssiName string) (corev1.PodPhase, string) {
	t.Helper()
	return runInjected(t, csiPod(pod, ssiName, "cat", "/mnt/secrets/value"))
}

// failedMount starts a pod with the volume and returns the FailedMount event containing want.
func failedMount(t *testing.T, pod, ssiName, want string) string {
	t.Helper()
	createPendingCSIPod(t, pod, ssiName)
	return waitEvent(t, pod, "FailedMount", want)
}

// storeLogin logs in to role with a fresh token of myapp-sa for audience aud ("" is the API
// server's) and reads the audience secret.
func storeLogin(t *testing.T, role, aud string) error {
	t.Helper()
	login := store.Login{
		AuthPath: AuthMount, Role: role, ServiceAccount: seedNS + "/" + seedSA,
		JWT: func(ctx context.Context) (string, error) {
			return stack.ServiceAccountToken(ctx, kube, seedNS, seedSA, aud, 600)
		},
	}
	_, err := newStoreClient(t, store.Config{CAFile: stk.Env.CAFile}).Read(t.Context(), login, seedKV+"/data/"+audSecret, 0)
	return err
}

// What OpenBao does with audiences, measured with real TokenRequest tokens and real
// TokenReviews: a role with audience=x refuses a token for the API server and accepts one
// for x; a role without audience accepts both (it reviews a token for its own audiences).
func TestAudienceStoreRoles(t *testing.T) {
	audienceFixture(t)
	x := modulechart.ExtraTokenAudience
	tests := []struct {
		role, aud string
		ok        bool
	}{
		{audRole, x, true},
		{audRole, "", false},
		{audRole, "another-audience", false},
		{audOpen, "", true},
		{audOpen, x, true},
	}
	check := func(role, aud string, ok bool) {
		t.Helper()
		err := storeLogin(t, role, aud)
		t.Logf("role %s, token audience %q: %v", role, aud, err)
		switch {
		case ok && err != nil:
			t.Errorf("role %s, token audience %q: got %v, want a read", role, aud, err)
		case !ok && !errors.Is(err, store.ErrLogin):
			t.Errorf("role %s, token audience %q: got %v, want the login refused", role, aud, err)
		}
	}
	for _, tt := range tests {
		check(tt.role, tt.aud, tt.ok)
	}

	// The last step of a migration: writing only audience to an existing role keeps its
	// bindings and policies, and from then on the role refuses the API server's audience.
	const migrated = "audience-migrated"
	if err := stk.WriteRole(t.Context(), AuthMount, migrated, seedNS, seedSA, "", "audience-read"); err != nil {
		t.Fatal(err)
	}
	check(migrated, "", true)
	if err := stk.StoreAPI(t.Context(), http.MethodPost, "auth/"+AuthMount+"/role/"+migrated, map[string]any{"audience": x}, nil); err != nil {
		t.Fatal(err)
	}
	check(migrated, x, true)
	check(migrated, "", false)
}

// Through CSI: spec.audience picks the token kubelet sent for an audience the module lists;
// without it the pod's token has the API server's audience, which the role refuses; an
// audience the module does not list fails with a message naming the setting.
func TestAudienceCSI(t *testing.T) {
	audienceFixture(t)
	x := modulechart.ExtraTokenAudience
	t.Run("spec.audience listed in additionalTokenAudiences", func(t *testing.T) {
		applySSIAudience(t, "aud-listed", audRole, x)
		if phase, logs := csiValue(t, "aud-listed", "aud-listed"); phase != corev1.PodSucceeded || !strings.Contains(logs, audValue) {
			t.Fatalf("phase %s, log:\n%s", phase, logs)
		}
	})
	t.Run("the API server's audience is refused by the role", func(t *testing.T) {
		applySSIAudience(t, "aud-api", audRole, "")
		ev := failedMount(t, "aud-api", "aud-api", audRole)
		t.Logf("event: %s", ev)
		if !strings.Contains(ev, "login") {
			t.Errorf("event %q does not say that the login was refused", ev)
		}
		requirePending(t, "aud-api")
	})
	t.Run("spec.audience not listed", func(t *testing.T) {
		applySSIAudience(t, "aud-unlisted", audRole, "not-listed")
		ev := failedMount(t, "aud-unlisted", "aud-unlisted", "additionalTokenAudiences")
		t.Logf("event: %s", ev)
		if !strings.Contains(ev, `"not-listed"`) || !strings.Contains(ev, "secrets-store-integration module") {
			t.Errorf("event %q does not name the audience and the module", ev)
		}
	})
}

// Through injection: with the default tokenAudience the injector's token has the API server's
// audience and the role refuses it; with tokenAudience=x the same pod reads the secret. The
// module's settings are restored at the end.
func TestAudienceModuleSetting(t *testing.T) {
	m := audienceFixture(t)
	x := modulechart.ExtraTokenAudience
	pod := func(name string) *corev1.Pod {
		p := injectedPod(name, nil, env("VALUE", "secrets-store:"+seedKV+"/data/"+audSecret+"#VALUE"))
		p.Annotations[annPrefix+"role"] = audRole
		return p
	}
	phase, logs := runInjected(t, pod("aud-inject-api"))
	t.Logf("injection with the API server's audience: phase %s, log:\n%s", phase, logs)
	if phase != corev1.PodFailed || strings.Contains(logs, audValue) || !strings.Contains(logs, audRole) {
		t.Fatalf("with the API server's audience: phase %s, want Failed naming role %s; log:\n%s", phase, audRole, logs)
	}

	ctx := t.Context()
	t.Cleanup(func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 5*time.Minute)
		defer cancel()
		if err := m.Restore(rctx); err != nil {
			t.Errorf("restore the module settings: %v", err)
		}
	})
	// x moves from additionalTokenAudiences to tokenAudience, as the schema demands.
	if err := m.Configure(ctx, modulechart.Settings{TokenAudience: x}); err != nil {
		t.Fatal(err)
	}
	t.Run("injection", func(t *testing.T) {
		p := pod("aud-inject")
		phase, logs := runInjected(t, p)
		if phase != corev1.PodSucceeded || !strings.Contains(logs, "VALUE="+audValue) {
			t.Fatalf("phase %s, log:\n%s", phase, logs)
		}
		got, err := kube.CoreV1().Pods(seedNS).Get(t.Context(), p.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if auds := projectedAudiences(got); len(auds) != 1 || auds[0] != x {
			t.Errorf("projected token audiences %q, want [%q]", auds, x)
		}
	})
	t.Run("CSI without spec.audience", func(t *testing.T) {
		applySSIAudience(t, "aud-default", audRole, "")
		if phase, logs := csiValue(t, "aud-default", "aud-default"); phase != corev1.PodSucceeded || !strings.Contains(logs, audValue) {
			t.Fatalf("phase %s, log:\n%s", phase, logs)
		}
	})
	// The first step of a migration: roles without audience keep working.
	t.Run("a role without audience", func(t *testing.T) {
		applySSIAudience(t, "aud-open", audOpen, "")
		if phase, logs := csiValue(t, "aud-open", "aud-open"); phase != corev1.PodSucceeded || !strings.Contains(logs, audValue) {
			t.Fatalf("phase %s, log:\n%s", phase, logs)
		}
	})
}

// projectedAudiences lists the audiences of the pod's projected ServiceAccount tokens.
func projectedAudiences(p *corev1.Pod) []string {
	var auds []string
	for _, v := range p.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, s := range v.Projected.Sources {
			if s.ServiceAccountToken != nil && !strings.HasPrefix(v.Name, "kube-api-access") {
				auds = append(auds, s.ServiceAccountToken.Audience)
			}
		}
	}
	return auds
}
