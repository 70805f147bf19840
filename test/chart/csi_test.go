// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package chart_test

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
)

func TestCSIDriver(t *testing.T) {
	d := one[*storagev1.CSIDriver](t, renderedCase(t, renderCases[0]), "secrets-store.csi.deckhouse.io")
	s := d.Spec
	switch {
	case s.AttachRequired == nil || *s.AttachRequired:
		t.Error("attachRequired must be false")
	case s.PodInfoOnMount == nil || !*s.PodInfoOnMount:
		t.Error("podInfoOnMount must be true")
	case s.RequiresRepublish == nil || !*s.RequiresRepublish:
		t.Error("requiresRepublish must be true: rotation runs on republish")
	case len(s.TokenRequests) != 1 || s.TokenRequests[0].Audience != "":
		t.Errorf("tokenRequests %+v, want one with the API server's audience", s.TokenRequests)
	case !slices.Equal(s.VolumeLifecycleModes, []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecycleEphemeral}):
		t.Errorf("volumeLifecycleModes %v, want [Ephemeral]", s.VolumeLifecycleModes)
	case s.FSGroupPolicy == nil || *s.FSGroupPolicy != storagev1.FileFSGroupPolicy:
		t.Errorf("fsGroupPolicy %v, want File", s.FSGroupPolicy)
	}
}

func TestCSIDaemonSet(t *testing.T) {
	forEachCase(t, func(t *testing.T, c renderCase, objs []object) {
		ds := one[*appsv1.DaemonSet](t, objs, "csi-driver")
		spec := ds.Spec.Template.Spec
		// The plugin registers itself with kubelet: no registrar sidecar, only kube-rbac-proxy.
		if len(spec.Containers) != 2 || spec.Containers[0].Name != "csi-driver" || spec.Containers[1].Name != "kube-rbac-proxy" {
			t.Fatalf("containers %v, want csi-driver and kube-rbac-proxy", containerNames(spec.Containers))
		}
		checkKubeRBACProxy(t, spec, "csi-driver", 9810, 9809)
		if spec.PriorityClassName != "system-node-critical" {
			t.Errorf("priorityClassName %q, want system-node-critical", spec.PriorityClassName)
		}
		ctr := spec.Containers[0]
		kubeletDir := "/var/lib/kubelet"
		mounts := map[string]corev1.VolumeMount{}
		for _, m := range ctr.VolumeMounts {
			mounts[m.MountPath] = m
		}
		pods, ok := mounts[kubeletDir+"/pods"]
		if !ok || pods.MountPropagation == nil || *pods.MountPropagation != corev1.MountPropagationBidirectional {
			t.Errorf("mount of %s/pods %+v, want Bidirectional propagation", kubeletDir, pods)
		}
		for p, m := range mounts {
			if p != kubeletDir+"/pods" && m.MountPropagation != nil {
				t.Errorf("mount %s has propagation %s, want none", p, *m.MountPropagation)
			}
		}
		for _, p := range []string{kubeletDir + "/plugins_registry", kubeletDir + "/plugins/secrets-store.csi.deckhouse.io"} {
			if _, ok := mounts[p]; !ok {
				t.Errorf("no mount of %s", p)
			}
		}
		hostPaths := map[string]bool{}
		for _, v := range spec.Volumes {
			if v.HostPath != nil {
				hostPaths[v.HostPath.Path] = true
			}
		}
		for _, m := range ctr.VolumeMounts {
			if strings.HasPrefix(m.MountPath, kubeletDir) && !hostPaths[m.MountPath] {
				t.Errorf("%s is not mounted at its host path", m.MountPath)
			}
		}
		rotation, size := "2m", "4Mi"
		if c.name == "manual" {
			rotation, size = "5m", "16Mi"
		}
		for _, want := range []string{
			"--endpoint=unix://" + kubeletDir + "/plugins/secrets-store.csi.deckhouse.io/csi.sock",
			"--kubelet-dir=" + kubeletDir,
			"--node-name=$(NODE_NAME)",
			"--rotation-interval=" + rotation,
			"--tmpfs-size=" + size,
		} {
			if !slices.Contains(ctr.Args, want) {
				t.Errorf("args %q lack %q", ctr.Args, want)
			}
		}
		if ctr.LivenessProbe == nil || ctr.LivenessProbe.HTTPGet == nil || ctr.LivenessProbe.HTTPGet.Path != "/healthz" {
			t.Errorf("liveness probe %+v, want GET /healthz", ctr.LivenessProbe)
		}
		if ds.Spec.UpdateStrategy.RollingUpdate == nil || ds.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable == nil {
			t.Error("updateStrategy has no maxUnavailable")
		}
	})
}

func TestCSIPlacement(t *testing.T) {
	for _, c := range renderCases {
		t.Run(c.name, func(t *testing.T) {
			spec := one[*appsv1.DaemonSet](t, renderedCase(t, c), "csi-driver").Spec.Template.Spec
			if c.name == "manual" {
				if spec.NodeSelector["node-role.kubernetes.io/worker"] != "" || len(spec.NodeSelector) != 1 ||
					len(spec.Tolerations) != 1 || spec.Tolerations[0].Key != "dedicated" {
					t.Errorf("nodeSelector %v, tolerations %+v, want csiDriver settings", spec.NodeSelector, spec.Tolerations)
				}
				return
			}
			if spec.NodeSelector["kubernetes.io/os"] != "linux" ||
				len(spec.Tolerations) != 1 || spec.Tolerations[0].Operator != corev1.TolerationOpExists || spec.Tolerations[0].Key != "" {
				t.Errorf("nodeSelector %v, tolerations %+v, want every Linux node and every taint", spec.NodeSelector, spec.Tolerations)
			}
		})
	}
}

// TestNoClusterBranch: every case, the local cluster's included, renders the chart as a
// Deckhouse cluster runs it. The local cluster's differences are applied by the test harness
// to the rendered objects (test/modulechart/local.go), never by the chart.
func TestNoClusterBranch(t *testing.T) {
	for _, c := range renderCases {
		for _, o := range renderedCase(t, c) {
			for _, spec := range podSpecs(o) {
				if spec.HostNetwork {
					t.Errorf("%s: %s %s uses the host network", c.name, o.kind, o.meta.GetName())
				}
				for _, ctr := range append(spec.InitContainers, spec.Containers...) {
					for _, a := range ctr.Args {
						// --metrics-listen is 127.0.0.1 by design: only kube-rbac-proxy in the pod reads it.
						if k, v, ok := strings.Cut(a, "="); ok && strings.HasSuffix(k, "listen") && k != "--metrics-listen" && !strings.HasPrefix(v, ":") {
							t.Errorf("%s: %s %s: %s listens on %s, want every address of the pod", c.name, o.kind, o.meta.GetName(), k, v)
						}
					}
					for _, e := range ctr.Env {
						if strings.HasPrefix(e.Name, "KUBERNETES_SERVICE_") {
							t.Errorf("%s: %s %s sets %s", c.name, o.kind, o.meta.GetName(), e.Name)
						}
					}
				}
			}
		}
	}
	if digAny(readValues(t, "local_values.yaml"), "secretsStoreIntegration", "internal") != nil {
		t.Error("local_values.yaml sets internal values: the local cluster's differences belong to the test harness")
	}
}
