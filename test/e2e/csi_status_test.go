// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/deckhouse/secrets-store-integration/internal/ssi"
	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// The status of a SecretsStoreImport, as the CSI driver writes it: pods using it, whether it
// is valid, the last rotation, and the printer columns of kubectl get ssi.
func TestCSIStatus(t *testing.T) {
	setupModule(t)
	ctx := t.Context()
	path, role, _ := csiSecret(t, "status-secret", map[string]any{"VALUE": secretValue("status-1")})
	if err := applySSI(ctx, seedNS, "status-ssi", role, ssiFile{Name: "value", Path: path, Key: "VALUE"}); err != nil {
		t.Fatal(err)
	}
	nodes, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(nodes.Items) != 1 {
		t.Fatalf("nodes: %v, %v", nodes, err)
	}
	node := nodes.Items[0].Name

	pod := csiPod("status", "status-ssi", "sh", "-c", `while true; do echo "value=$(cat /mnt/secrets/value)"; sleep 1; done`)
	startPod(t, pod)
	waitLog(t, pod.Name, "value=status-1", time.Minute)
	st := waitStatus(t, "status-ssi", "one pod, valid, up to date", func(st ssi.Status) bool {
		return st.Pods == 1 && condIs(st, ssi.CondValid, "True") && condIs(st, ssi.CondUpToDate, "True")
	})
	if len(st.Nodes) != 1 || st.Nodes[0].Name != node || st.Nodes[0].Pods != 1 {
		t.Errorf("nodes: got %+v, want one entry for %s with 1 pod", st.Nodes, node)
	}
	if v := findCond(st, ssi.CondValid); v.ObservedGeneration != 1 || v.Reason != ssi.ReasonRead {
		t.Errorf("Valid: got %+v, want reason Read for generation 1", v)
	}
	if st.LastRotationTime != nil {
		t.Errorf("lastRotationTime: got %v before any rotation", st.LastRotationTime)
	}

	t.Run("rotation", func(t *testing.T) {
		before := time.Now().Add(-time.Second)
		if _, err := stk.PutKV2(ctx, seedKV, "status-secret", map[string]any{"VALUE": secretValue("status-2")}); err != nil {
			t.Fatal(err)
		}
		waitLog(t, pod.Name, "value=status-2", 2*time.Minute)
		st := waitStatus(t, "status-ssi", "a last rotation time", func(st ssi.Status) bool { return st.LastRotationTime != nil })
		if st.LastRotationTime.Time.Before(before.Truncate(time.Second)) {
			t.Errorf("lastRotationTime %v is before the change in the store (%v)", st.LastRotationTime, before)
		}
	})

	t.Run("kubectl get ssi", func(t *testing.T) {
		out, err := exec.CommandContext(ctx, stk.Env.Kubectl, "--kubeconfig", stk.Env.Kubeconfig, "--namespace", seedNS,
			"get", "ssi", "status-ssi").CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl get ssi: %v: %s", err, out)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != 2 {
			t.Fatalf("kubectl get ssi printed:\n%s", out)
		}
		header, row := strings.Fields(lines[0]), strings.Fields(lines[1])
		want := []string{"NAME", "VALID", "UP-TO-DATE", "PODS", "LAST-ROTATION", "ROLE", "AGE"}
		if strings.Join(header, " ") != strings.Join(want, " ") || len(row) != len(want) ||
			row[0] != "status-ssi" || row[1] != "True" || row[2] != "True" || row[3] != "1" || row[5] != role {
			t.Errorf("kubectl get ssi printed:\n%s\nwant columns %v with status-ssi True True 1 ... %s", out, want, role)
		}
	})

	t.Run("invalid path", func(t *testing.T) {
		// The role may read status-secret only.
		if err := applySSI(ctx, seedNS, "status-denied", role, ssiFile{Name: "value", Path: seedKV + "/data/not-allowed", Key: "VALUE"}); err != nil {
			t.Fatal(err)
		}
		denied := csiPod("status-denied", "status-denied", "sh", "-c", "sleep 3600")
		startPod(t, denied)
		st := waitStatus(t, "status-denied", "Valid False", func(st ssi.Status) bool { return condIs(st, ssi.CondValid, "False") })
		v := findCond(st, ssi.CondValid)
		if v.Reason != ssi.ReasonPermissionDenied || !strings.Contains(v.Message, seedNS+"/status-denied") {
			t.Errorf("Valid: got %+v, want PermissionDenied naming the pod", v)
		}
		if st.Pods != 0 {
			t.Errorf("pods: got %d, want 0: the volume was never published", st.Pods)
		}
	})

	t.Run("pod deleted", func(t *testing.T) {
		if err := stack.DeletePod(ctx, kube, seedNS, pod.Name); err != nil {
			t.Fatal(err)
		}
		st := waitStatus(t, "status-ssi", "no pods", func(st ssi.Status) bool { return st.Pods == 0 })
		if len(st.Nodes) != 0 || findCond(st, ssi.CondUpToDate) != nil || findCond(st, ssi.CondValid) == nil {
			t.Errorf("status without pods: got %+v, want no nodes, no UpToDate, Valid kept", st)
		}
	})
}

// startPod creates pod (after removing a leftover of an earlier run) and removes it when
// the test ends.
func startPod(t *testing.T, p *corev1.Pod) {
	t.Helper()
	ctx := t.Context()
	if err := stack.DeletePod(ctx, kube, seedNS, p.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.CoreV1().Pods(seedNS).Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.DeletePod(context.WithoutCancel(t.Context()), kube, seedNS, p.Name) })
}

// waitStatus polls the status of a SecretsStoreImport of the seed's namespace until ok
// holds, and returns it.
func waitStatus(t *testing.T, name, what string, ok func(ssi.Status) bool) ssi.Status {
	t.Helper()
	dyn := adminDynamic(t)
	var st ssi.Status
	err := stack.Poll(t.Context(), time.Minute, func(ctx context.Context) (bool, error) {
		u, err := dyn.Resource(ssi.GroupVersionResource).Namespace(seedNS).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil //nolint:nilerr // retried until the timeout
		}
		st, err = statusOf(u)
		return err == nil && ok(st), err
	})
	if err != nil {
		t.Fatalf("SecretsStoreImport %s never had %s: %v; status %+v", name, what, err, st)
	}
	return st
}

func statusOf(u *unstructured.Unstructured) (ssi.Status, error) {
	var s ssi.SecretsStoreImport
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.UnstructuredContent(), &s); err != nil {
		return ssi.Status{}, fmt.Errorf("decode %s: %w", u.GetName(), err)
	}
	return s.Status, nil
}

func findCond(st ssi.Status, typ string) *metav1.Condition {
	return meta.FindStatusCondition(st.Conditions, typ)
}

func condIs(st ssi.Status, typ, status string) bool {
	c := findCond(st, typ)
	return c != nil && string(c.Status) == status
}
