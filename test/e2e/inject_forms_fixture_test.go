// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// The value forms of the existing module's 1.4 release, resolved by the injector on the real
// stack: a namespace, ServiceAccount, KV mount, PKI and database engines and roles of their
// own, so that these tests run in one suite with the others.
const (
	formsNS       = "inject-forms"
	formsSA       = "forms-sa"
	formsRole     = "forms-role"
	formsKV       = "forms-kv"
	formsPKI      = "forms-pki"
	formsPKIRole  = "forms-app"
	formsDB       = "forms-db"
	formsDBRole   = "forms-app"
	formsPolicy   = "forms-read"
	formsAudience = "forms-own-audience"
	// formsAudRole accepts only tokens for formsAudience: the token the webhook mounts (the
	// module's audience) is refused, one the pod projects itself for formsAudience is not.
	formsAudRole = "forms-audience-role"
)

// The secrets the fixture writes. formsDBVersions and formsAppVersions are the KV versions
// of forms-kv/db and forms-kv/app, oldest first.
var (
	formsPassOne     = secretValue("forms-pass-one")
	formsPassTwo     = secretValue("forms-pass-two")
	formsDBVersions  []int
	formsAppVersions []int
)

// formsPolicyHCL lets the roles read the KV secrets and the database credentials and issue
// certificates (a PKI issue path is a write).
var formsPolicyHCL = stack.ReadPolicy(formsKV+"/data/*", formsDB+"/creds/"+formsDBRole) +
	fmt.Sprintf("path %q {\n  capabilities = [\"create\", \"update\"]\n}\n", formsPKI+"/issue/"+formsPKIRole)

var formsFixture = sync.OnceValue(func() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	put := func(name string, versions *[]int, data ...map[string]any) error {
		for _, d := range data {
			v, err := stk.PutKV2(ctx, formsKV, name, d)
			if err != nil {
				return fmt.Errorf("write %s/%s: %w", formsKV, name, err)
			}
			*versions = append(*versions, v)
		}
		return nil
	}
	db := func(pass string) map[string]any {
		return map[string]any{"username": "forms-user", "password": pass, "host": "db.forms.test"}
	}
	steps := []func() error{
		func() error { return stack.EnsureServiceAccount(ctx, kube, formsNS, formsSA) },
		func() error { return stk.EnableKV(ctx, formsKV, 2) },
		func() error { return put("db", &formsDBVersions, db(formsPassOne), db(formsPassTwo)) },
		func() error {
			return put("app", &formsAppVersions,
				map[string]any{"APP_A": "a-one", "APP_B": "b-one"},
				map[string]any{"APP_A": "a-two", "APP_C": "c-two"})
		},
		func() error { return stk.EnablePKI(ctx, formsPKI, formsPKIRole, "example.test", "1h") },
		func() error { return stk.WritePolicy(ctx, formsPolicy, formsPolicyHCL) },
		func() error { return stk.WriteRole(ctx, AuthMount, formsRole, formsNS, formsSA, "10m", formsPolicy) },
		func() error {
			return stk.StoreAPI(ctx, http.MethodPut, "auth/"+AuthMount+"/role/"+formsAudRole, map[string]any{
				"bound_service_account_names": formsSA, "bound_service_account_namespaces": formsNS,
				"policies": formsPolicy, "ttl": "10m", "audience": formsAudience,
			}, nil)
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
})

// formsPG starts the stack's PostgreSQL and connects the database engine at formsDB to it.
var formsPG = sync.OnceValues(func() (stack.PG, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pg, err := stk.StartPostgres(ctx)
	if err != nil {
		return pg, fmt.Errorf("start postgresql: %w", err)
	}
	secretValue(pg.Password)
	return pg, stk.EnableDatabase(ctx, formsDB, pg, formsDBRole, "10m", "1h")
})

func setupForms(t *testing.T) {
	t.Helper()
	setupModule(t)
	if err := formsFixture(); err != nil {
		t.Fatalf("value forms fixture: %v", err)
	}
}

// formsPod is a busybox pod of forms-sa with role forms-role that runs script with sh -c.
func formsPod(name, script string, ann map[string]string, env ...corev1.EnvVar) *corev1.Pod {
	pod := stack.HostPod(formsNS, name, formsSA, stack.BusyboxImage, "sh", "-c", script)
	pod.Annotations = map[string]string{annPrefix + "role": formsRole}
	for k, v := range ann {
		pod.Annotations[annPrefix+k] = v
	}
	pod.Spec.Containers[0].Env = env
	return pod
}

// formsRef is a reference to key of forms-kv/NAME, with an optional version.
func formsRef(name, key string, version ...int) string {
	ref := "secrets-store:" + formsKV + "/data/" + name + "#" + key
	for _, v := range version {
		ref += fmt.Sprintf("#%d", v)
	}
	return ref
}

// formsRun runs a pod of several containers like runInjected and returns its phase and the
// log of its container app.
func formsRun(t *testing.T, pod *corev1.Pod) (corev1.PodPhase, string) {
	t.Helper()
	ctx := t.Context()
	t.Cleanup(func() { _ = stack.DeletePod(context.WithoutCancel(ctx), kube, pod.Namespace, pod.Name) })
	if err := stack.DeletePod(ctx, kube, pod.Namespace, pod.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create pod %s: %v", pod.Name, err)
	}
	return formsDone(t, pod, 2*time.Minute)
}

// formsDone waits up to timeout for pod to end and returns its phase and the log of its
// container app.
func formsDone(t *testing.T, pod *corev1.Pod, timeout time.Duration) (corev1.PodPhase, string) {
	t.Helper()
	ctx := t.Context()
	phase, err := stack.WaitPodDone(ctx, kube, pod.Namespace, pod.Name, timeout)
	if err != nil {
		t.Fatal(err)
	}
	logs, err := formsLogs(ctx, pod.Namespace, pod.Name, "app", false)
	if err != nil {
		t.Fatal(err)
	}
	return phase, logs
}

// formsLogs returns the log of one container of a pod; previous asks for the container that
// ran before the last restart.
func formsLogs(ctx context.Context, ns, pod, container string, previous bool) (string, error) {
	b, err := kube.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: container, Previous: previous}).DoRaw(ctx)
	if err != nil {
		return "", fmt.Errorf("log of container %s of pod %s/%s (previous %v): %w", container, ns, pod, previous, err)
	}
	return string(b), nil
}

// formsStored returns the pod as the API server stored it, after the webhook.
func formsStored(t *testing.T, ns, name string) *corev1.Pod {
	t.Helper()
	p, err := kube.CoreV1().Pods(ns).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get pod %s/%s: %v", ns, name, err)
	}
	return p
}

// formsContainer returns the container or init container called name.
func formsContainer(t *testing.T, p *corev1.Pod, name string) *corev1.Container {
	t.Helper()
	for _, list := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	t.Fatalf("pod %s has no container %s", p.Name, name)
	return nil
}

// formsWrapped reports whether the webhook made the container start the injector.
func formsWrapped(c *corev1.Container) bool {
	return slices.Equal(c.Command, []string{envcontract.BinaryPath})
}

// formsEnv returns the value of the container's env entry name, and whether it has one.
func formsEnv(c *corev1.Container, name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

// formsLine returns the value of the first line NAME=value of a log.
func formsLine(logs, name string) (string, bool) {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `=(.*)$`).FindStringSubmatch(logs)
	if m == nil {
		return "", false
	}
	return strings.TrimSuffix(m[1], "\r"), true
}

// formsRedact hides the value of every line NAME=… of a log for VAULT_TOKEN and the names
// given, and anything shaped like a store token, for logs quoted in failure messages.
func formsRedact(logs string, names ...string) string {
	for _, n := range append([]string{"VAULT_TOKEN"}, names...) {
		logs = regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(n)+`=.*$`).ReplaceAllString(logs, n+"=<redacted>")
	}
	return tokenShape.ReplaceAllString(logs, "<redacted token>")
}
