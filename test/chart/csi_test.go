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
		if len(spec.Containers) != 1 {
			t.Fatalf("%d containers, want exactly one (the plugin registers itself with kubelet)", len(spec.Containers))
		}
		if spec.PriorityClassName != "system-node-critical" {
			t.Errorf("priorityClassName %q, want system-node-critical", spec.PriorityClassName)
		}
		ctr := spec.Containers[0]
		kubeletDir := "/var/lib/kubelet"
		if c.name == "local" {
			kubeletDir = "/tmp/ssi-stack/data/kubelet"
		}
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

func TestLocalOverlay(t *testing.T) {
	objs := renderedCase(t, renderCases[3])
	d := one[*appsv1.Deployment](t, objs, webhookDeployment)
	ds := one[*appsv1.DaemonSet](t, objs, "csi-driver")
	for _, spec := range []corev1.PodSpec{d.Spec.Template.Spec, ds.Spec.Template.Spec} {
		if !spec.HostNetwork {
			t.Error("hostNetwork is off")
		}
		env := map[string]string{}
		for _, e := range spec.Containers[0].Env {
			env[e.Name] = e.Value
		}
		if env["KUBERNETES_SERVICE_HOST"] != "127.0.0.1" || env["KUBERNETES_SERVICE_PORT"] == "" {
			t.Errorf("env %v, want the API server address of the overlay", env)
		}
		for _, a := range spec.Containers[0].Args {
			if k, v, ok := strings.Cut(a, "="); ok && strings.HasSuffix(k, "listen") && !strings.HasPrefix(v, "127.0.0.1:") {
				t.Errorf("%s listens on %s, want 127.0.0.1 only", k, v)
			}
		}
	}
	for _, c := range renderCases[:3] {
		for _, o := range renderedCase(t, c) {
			for _, spec := range podSpecs(o) {
				if spec.HostNetwork {
					t.Errorf("%s: %s %s uses the host network outside the local overlay", c.name, o.kind, o.meta.GetName())
				}
			}
		}
	}
}
