// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// formsLegacyManifest is a pod as users of the existing module's 1.4 release write it: its
// annotations (a ServiceAccount token of the pod's own, ParseBool spellings of booleans, the
// injector's pull policy, restart mode none), a versioned env-from-path entry, a plain
// sidecar (wrapped: env-from-path reaches every container) and an Istio sidecar without a
// reference (left alone). The role accepts only tokens for formsAudience, which only the
// pod's own projected token has. {{...}} are filled in by the test.
const formsLegacyManifest = `
apiVersion: v1
kind: Pod
metadata:
  name: {{NAME}}
  namespace: inject-forms
  annotations:
    secrets-store.deckhouse.io/role: forms-audience-role
    secrets-store.deckhouse.io/env-from-path: forms-kv/data/app#{{APP_V1}}
{{TOKEN_PATH}}
    secrets-store.deckhouse.io/ignore-missing-secrets: "True"
    secrets-store.deckhouse.io/enable-json-log: "1"
    secrets-store.deckhouse.io/tls-skip-verify: "t"
    secrets-store.deckhouse.io/env-injector-pull-policy: IfNotPresent
    secrets-store.deckhouse.io/restart-on-secret-change: none
spec:
  serviceAccountName: forms-sa
  hostNetwork: true
  restartPolicy: Never
  containers:
  - name: app
    image: {{IMAGE}}
    imagePullPolicy: Never
    command: ["sh", "-c", "read p1 < /proc/1/comm; echo \"pid1=$p1\"; env | sort"]
    env:
    - name: DB_PASS
      value: secrets-store:forms-kv/data/db#password
    - name: MISSING
      value: secrets-store:forms-kv/data/db#no-such-key
    volumeMounts:
    - name: store-token
      mountPath: /var/run/secrets/forms
      readOnly: true
  - name: sidecar
    image: {{IMAGE}}
    imagePullPolicy: Never
    command: ["sh", "-c", "echo \"APP_B=$APP_B\""]
    volumeMounts:
    - name: store-token
      mountPath: /var/run/secrets/forms
      readOnly: true
  - name: istio-proxy
    image: {{IMAGE}}
    imagePullPolicy: Never
    command: ["sh", "-c", "echo istio-proxy-plain"]
  volumes:
  - name: store-token
    projected:
      sources:
      - serviceAccountToken:
          audience: forms-own-audience
          expirationSeconds: 600
          path: store-token
`

// formsLegacyPod decodes formsLegacyManifest; with tokenPath the service-account-token-path
// annotation points at the pod's own token.
func formsLegacyPod(t *testing.T, name string, tokenPath bool) *corev1.Pod {
	t.Helper()
	ann := ""
	if tokenPath {
		ann = "    secrets-store.deckhouse.io/service-account-token-path: /var/run/secrets/forms/store-token"
	}
	text := strings.NewReplacer("{{NAME}}", name, "{{APP_V1}}", fmt.Sprint(formsAppVersions[0]),
		"{{TOKEN_PATH}}\n", ann+"\n", "{{IMAGE}}", stack.BusyboxImage).Replace(formsLegacyManifest)
	var pod corev1.Pod
	if err := yaml.UnmarshalStrict([]byte(text), &pod); err != nil {
		t.Fatalf("decode the manifest: %v", err)
	}
	return &pod
}

// A manifest written for the existing module's 1.4 release goes through the webhook and the
// injector unchanged and means what it meant there.
func TestExistingModuleManifests(t *testing.T) {
	setupForms(t)
	t.Run("without service-account-token-path the role refuses the webhook's token", func(t *testing.T) {
		// The control: the role really depends on the pod's own token. With
		// ignore-missing-secrets the app starts, without the secrets.
		phase, logs := formsRun(t, formsLegacyPod(t, "legacy-default-token", false))
		if strings.Contains(logs, formsPassTwo) || strings.Contains(logs, "APP_A=") || !strings.Contains(logs, formsAudRole) {
			t.Fatalf("phase %s; want no secret and a warning naming role %s; log:\n%s", phase, formsAudRole, logs)
		}
	})
	pod := formsLegacyPod(t, "legacy-app", true)
	phase, logs := formsRun(t, pod)
	if phase != corev1.PodSucceeded {
		t.Fatalf("phase %s, want Succeeded; log of app:\n%s", phase, logs)
	}
	stored := formsStored(t, formsNS, pod.Name)
	t.Run("the webhook read the annotations", func(t *testing.T) {
		// The module delivers the injector from its CSI driver: env-injector-pull-policy is
		// read (a wrong value would refuse the pod) and has no init container to apply to.
		if !injectorFromCSI(stored) {
			t.Errorf("pod %s has no injector volume of %s; volumes %v, init containers %d",
				stored.Name, stack.CSIDriverName, stored.Spec.Volumes, len(stored.Spec.InitContainers))
		}
		app := formsContainer(t, stored, "app")
		for name, want := range map[string]string{
			envcontract.TokenFile:     "/var/run/secrets/forms/store-token",
			envcontract.IgnoreMissing: "true",
			envcontract.JSONLog:       "true",
			envcontract.TLSSkipVerify: "true",
			envcontract.RestartOn:     envcontract.RestartNone,
		} {
			if got, _ := formsEnv(app, name); got != want {
				t.Errorf("container app: %s=%q, want %q", name, got, want)
			}
		}
		for name, wrapped := range map[string]bool{"app": true, "sidecar": true, "istio-proxy": false} {
			if c := formsContainer(t, stored, name); formsWrapped(c) != wrapped {
				t.Errorf("container %s: command %q, want it wrapped: %v", name, c.Command, wrapped)
			}
		}
	})
	t.Run("the injector resolved the container's environment", func(t *testing.T) {
		lines := strings.Split(logs, "\n")
		for _, want := range []string{"pid1=sh", "DB_PASS=" + formsPassTwo, "APP_A=a-one", "APP_B=b-one"} {
			if !slices.Contains(lines, want) {
				t.Errorf("log of app lacks the line %q; log:\n%s", want, logs)
			}
		}
		// The environment (lines that are not the injector's JSON log) holds no unresolved
		// reference, no variable for the missing key and nothing of a newer version.
		for _, l := range lines {
			if strings.HasPrefix(l, "{") {
				continue
			}
			if strings.Contains(l, "secrets-store:") || strings.HasPrefix(l, "MISSING=") || strings.HasPrefix(l, "APP_C=") {
				t.Errorf("log of app has the line %q; log:\n%s", l, logs)
			}
		}
		// enable-json-log "1": the warning about the ignored key is a JSON line.
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "{") && strings.Contains(l, "MISSING") }) {
			t.Errorf("no JSON log line about MISSING (ignore-missing-secrets \"True\", enable-json-log \"1\"); log:\n%s", logs)
		}
	})
	t.Run("the sidecars", func(t *testing.T) {
		for container, want := range map[string]string{"sidecar": "APP_B=b-one", "istio-proxy": "istio-proxy-plain"} {
			got, err := formsLogs(t.Context(), formsNS, pod.Name, container, false)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(strings.Split(got, "\n"), want) {
				t.Errorf("log of %s lacks the line %q; log:\n%s", container, want, got)
			}
		}
	})
}

// Only containers that can need the injector are wrapped: a reference in env, an env entry
// from a ConfigMap, any envFrom. A plain container keeps its command; Istio's containers are
// wrapped only with a reference in their env.
func TestInjectFormsContainerSelection(t *testing.T) {
	setupForms(t)
	ctx := t.Context()
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "forms-env", Namespace: formsNS},
		Data:       map[string]string{"FROM_CM": formsRef("db", "username")},
	}
	_ = kube.CoreV1().ConfigMaps(formsNS).Delete(ctx, cm.Name, metav1.DeleteOptions{})
	if _, err := kube.CoreV1().ConfigMaps(formsNS).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := formsPod("forms-select", `echo "USER=$USER"`, nil, env("USER", formsRef("db", "username")))
	add := func(name, script string, envs ...corev1.EnvVar) *corev1.Container {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{
			Name: name, Image: stack.BusyboxImage, ImagePullPolicy: corev1.PullNever,
			Command: []string{"sh", "-c", script}, Env: envs,
		})
		return &pod.Spec.Containers[len(pod.Spec.Containers)-1]
	}
	add("plain", `echo "PLAIN=$PLAIN"`, env("PLAIN", "plain-value"))
	add("istio-proxy", `echo "USER=$USER"`, env("USER", formsRef("db", "username")))
	add("key-from-cm", `echo "USER=$USER"`, corev1.EnvVar{Name: "USER", ValueFrom: &corev1.EnvVarSource{
		ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: cm.Name}, Key: "FROM_CM"},
	}})
	add("env-from", `echo "USER=$FROM_CM"`).EnvFrom = []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: cm.Name},
	}}}
	pod.Spec.InitContainers = []corev1.Container{{
		Name: "istio-init", Image: stack.BusyboxImage, ImagePullPolicy: corev1.PullNever,
		Command: []string{"sh", "-c", "echo istio-init-plain"}, Env: []corev1.EnvVar{env("PLAIN", "x")},
	}}
	original := pod.DeepCopy()
	phase, logs := formsRun(t, pod)
	if phase != corev1.PodSucceeded {
		t.Fatalf("phase %s, want Succeeded; log of app:\n%s", phase, logs)
	}
	stored := formsStored(t, formsNS, pod.Name)
	want := map[string]string{
		"app": "USER=forms-user", "istio-proxy": "USER=forms-user", "key-from-cm": "USER=forms-user",
		"env-from": "USER=forms-user", "plain": "PLAIN=plain-value", "istio-init": "istio-init-plain",
	}
	for name, line := range want {
		wrap := name != "plain" && name != "istio-init"
		c := formsContainer(t, stored, name)
		if formsWrapped(c) != wrap {
			t.Errorf("container %s: command %q, want it wrapped: %v", name, c.Command, wrap)
		}
		if !wrap {
			if orig := formsContainer(t, original, name); !slices.Equal(c.Command, orig.Command) || len(c.Env) != len(orig.Env) {
				t.Errorf("container %s was changed: command %q env %d entries, want command %q env %d entries",
					name, c.Command, len(c.Env), orig.Command, len(orig.Env))
			}
		}
		got, err := formsLogs(ctx, formsNS, pod.Name, name, false)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(strings.Split(got, "\n"), line) {
			t.Errorf("log of %s lacks the line %q; log:\n%s", name, line, got)
		}
	}
}
