// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package chart_test

import (
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"sigs.k8s.io/yaml"
)

const subPathPolicy = "d8-secrets-store-integration-csi-subpath"

func yamlObject(t *testing.T, doc string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// podSpecWith is a pod spec with a volume of the module's driver (secrets), another volume
// (config) and the given containers.
func podSpecWith(containers string) string {
	return `
    volumes:
    - name: secrets
      csi: {driver: secrets-store.csi.deckhouse.io, readOnly: true, volumeAttributes: {secretsStoreImport: app}}
    - name: config
      configMap: {name: app}
` + containers
}

// The policy warns (and only warns) when a container mounts the driver's volume with subPath, in
// a pod or in the pod template of a workload, and names the containers.
func TestSubPathWarningPolicy(t *testing.T) {
	objs := renderedCase(t, renderCases[0])
	var policy *admissionregistrationv1.ValidatingAdmissionPolicy
	for _, p := range find[*admissionregistrationv1.ValidatingAdmissionPolicy](objs) {
		if p.Name == subPathPolicy {
			policy = p
		}
	}
	if policy == nil {
		t.Fatalf("no policy %s", subPathPolicy)
	}
	if policy.Spec.FailurePolicy == nil || *policy.Spec.FailurePolicy != admissionregistrationv1.Ignore {
		t.Errorf("failurePolicy %v, want Ignore: a warning must never refuse", policy.Spec.FailurePolicy)
	}
	var bound bool
	for _, b := range find[*admissionregistrationv1.ValidatingAdmissionPolicyBinding](objs) {
		if b.Spec.PolicyName == subPathPolicy {
			bound = true
			if !slices.Equal(b.Spec.ValidationActions, []admissionregistrationv1.ValidationAction{admissionregistrationv1.Warn}) {
				t.Errorf("binding actions %v, want [Warn] alone", b.Spec.ValidationActions)
			}
		}
	}
	if !bound {
		t.Errorf("policy %s is not bound", subPathPolicy)
	}

	subPathMount := `
    - name: app
      image: app
      volumeMounts:
      - {name: secrets, mountPath: /etc/app/password, subPath: password}
`
	tests := []struct {
		name     string
		object   string
		warnedOf []string // containers named in the warning; none: no warning
	}{
		{name: "pod, directory mount", object: `
kind: Pod
spec:` + podSpecWith(`
    containers:
    - name: app
      image: app
      volumeMounts: [{name: secrets, mountPath: /etc/app}]
`)},
		{name: "pod, subPath of another volume", object: `
kind: Pod
spec:` + podSpecWith(`
    containers:
    - name: app
      image: app
      volumeMounts: [{name: config, mountPath: /etc/app/conf, subPath: conf}]
`)},
		{name: "pod, subPath", object: "kind: Pod\nspec:" + podSpecWith("    containers:"+subPathMount), warnedOf: []string{"app"}},
		{name: "pod, subPathExpr in an init container", object: `
kind: Pod
spec:` + podSpecWith(`
    initContainers:
    - name: init
      image: app
      volumeMounts: [{name: secrets, mountPath: /x, subPathExpr: $(POD)}]
    containers:
    - name: app
      image: app
`), warnedOf: []string{"init"}},
		{name: "pod without volumes", object: "kind: Pod\nspec:\n  containers: [{name: app, image: app}]\n"},
		{name: "deployment", object: "kind: Deployment\nspec:\n  template:\n   spec:" + strings.ReplaceAll(podSpecWith("    containers:"+subPathMount), "\n    ", "\n    "), warnedOf: []string{"app"}},
		{name: "cronjob", object: "kind: CronJob\nspec:\n jobTemplate:\n  spec:\n   template:\n    spec:" + strings.ReplaceAll(podSpecWith("    containers:"+subPathMount), "\n    ", "\n     "), warnedOf: []string{"app"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := evalPolicy(t, policy, admissionRequest{operation: "CREATE", namespace: "app", user: "alice", object: yamlObject(t, tt.object)})
			if !v.denied {
				if len(tt.warnedOf) > 0 {
					t.Errorf("no warning, want one naming %v", tt.warnedOf)
				}
				return
			}
			if len(tt.warnedOf) == 0 {
				t.Fatalf("warning %q, want none", v.message)
			}
			want := "container " + strings.Join(tt.warnedOf, ", ") + " mounts a secrets-store.csi.deckhouse.io volume with subPath: "
			if !strings.HasPrefix(v.message, want) || !strings.Contains(v.message, "mount the volume as a directory") {
				t.Errorf("warning %q, want it to start with %q and say what to do", v.message, want)
			}
		})
	}
}
