// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package modulechart

import (
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestImageKeys(t *testing.T) {
	if got, want := imageKeys(false), []string{"webhook", "injector", "csiDriver"}; !slices.Equal(got, want) {
		t.Errorf("synchronization off: images %q, want %q (the sync controller's is not built)", got, want)
	}
	if got, want := imageKeys(true), []string{"webhook", "injector", "csiDriver", "syncController"}; !slices.Equal(got, want) {
		t.Errorf("synchronization on: images %q, want %q", got, want)
	}
	for _, spec := range imageSpecs {
		if spec.key == syncImage && (spec.pkg != "./images/sync-controller" || spec.binary != "/sync-controller" || spec.user != "65534") {
			t.Errorf("sync controller image %+v, want ./images/sync-controller as /sync-controller, user 65534", spec)
		}
	}
}

// kinds lists "Kind name" of objs.
func kinds(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetKind()+" "+o.GetName())
	}
	return out
}

// With Options.Synchronization the render runs the sync controller on a port of its own, and
// switching the setting deletes exactly the objects of the other setting, workloads first.
func TestRenderSynchronization(t *testing.T) {
	s := fakeStack(t)
	for _, on := range []bool{false, true} {
		values, err := Values(s, Options{AuthMount: "kubernetes_local", RotationInterval: 5 * time.Second, Synchronization: on})
		if err != nil {
			t.Fatal(err)
		}
		if syncEnabled(values) != on {
			t.Fatalf("Synchronization %t: values say %t", on, syncEnabled(values))
		}
		objs, err := Render(s.RepoRoot, values)
		if err != nil {
			t.Fatal(err)
		}
		stale, err := otherSettingObjects(s.RepoRoot, values, objs)
		if err != nil {
			t.Fatal(err)
		}
		got := kinds(stale)
		if !on {
			want := []string{
				"Deployment sync-controller",
				"NetworkPolicy sync-controller", "PodDisruptionBudget sync-controller",
				"ClusterRoleBinding d8:secrets-store-integration:sync-controller", "RoleBinding sync-controller",
				"ClusterRole d8:secrets-store-integration:sync-controller", "Role sync-controller",
				"ServiceAccount sync-controller",
			}
			if !slices.Equal(got, want) {
				t.Errorf("off: objects to delete\n got %q\nwant %q", got, want)
			}
			for _, o := range objs {
				if o.GetKind() == "Deployment" && o.GetName() == SyncDeployment {
					t.Error("off: the sync controller is rendered")
				}
			}
			continue
		}
		want := []string{
			"ValidatingAdmissionPolicy d8-secrets-store-integration-sync-disabled",
			"ValidatingAdmissionPolicyBinding d8-secrets-store-integration-sync-disabled",
		}
		if !slices.Equal(got, want) {
			t.Errorf("on: objects to delete\n got %q\nwant %q", got, want)
		}
		args := containerArgs(t, find(t, objs, "Deployment", SyncDeployment))
		var listen []string
		for _, d := range []*unstructured.Unstructured{find(t, objs, "Deployment", webhookDeployment), find(t, objs, "Deployment", SyncDeployment)} {
			for _, a := range containerArgs(t, d) {
				if _, v, ok := strings.Cut(a, "listen="); ok {
					listen = append(listen, v)
				}
			}
		}
		slices.Sort(listen)
		if n := len(listen); n != 5 || len(slices.Compact(listen)) != n {
			t.Errorf("listeners %q, want five distinct addresses (webhook, its metrics and health, the sync controller's metrics and health)", listen)
		}
		for _, want := range []string{"--refresh-interval=5s", "--store-addr=https://127.0.0.1:18200", "--store-auth-path=kubernetes_local"} {
			if !slices.Contains(args, want) {
				t.Errorf("sync controller args %q lack %q", args, want)
			}
		}
		replicas, _, _ := unstructured.NestedInt64(find(t, objs, "Deployment", SyncDeployment).Object, "spec", "replicas")
		if replicas != 1 {
			t.Errorf("sync controller replicas %d, want 1 on the one-node stack", replicas)
		}
	}
}
