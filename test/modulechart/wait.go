// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package modulechart

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// logTail is how many lines of each container's log a failure report shows.
const logTail = 15

// waitWebhook waits until the webhook Deployment has all its replicas of the current template
// available and no other pods.
func (m *Module) waitWebhook(ctx context.Context, timeout time.Duration) error {
	return m.wait(ctx, "webhook deployment available", timeout, func(ctx context.Context) (string, error) {
		d, err := m.kube.AppsV1().Deployments(Namespace).Get(ctx, webhookDeployment, metav1.GetOptions{})
		if err != nil {
			return "", err
		}
		return deploymentNotReady(d), nil
	})
}

func deploymentNotReady(d *appsv1.Deployment) string {
	want := ptr.Deref(d.Spec.Replicas, 1)
	st := d.Status
	switch {
	case st.ObservedGeneration < d.Generation:
		return "the controller has not seen the latest spec"
	case st.UpdatedReplicas != want || st.Replicas != want:
		return fmt.Sprintf("%d of %d replicas updated, %d in total", st.UpdatedReplicas, want, st.Replicas)
	case st.AvailableReplicas != want:
		return fmt.Sprintf("%d of %d replicas available", st.AvailableReplicas, want)
	}
	return ""
}

// waitCSIPlugin waits until the DaemonSet's pods of the current template are ready, none of
// them is a pod KillCSIPlugin deleted, and the kubelet lists the driver in CSINode.
func (m *Module) waitCSIPlugin(ctx context.Context, timeout time.Duration) error {
	return m.wait(ctx, "CSI plugin ready and registered", timeout, func(ctx context.Context) (string, error) {
		ds, err := m.kube.AppsV1().DaemonSets(Namespace).Get(ctx, csiDaemonSet, metav1.GetOptions{})
		if err != nil {
			return "", err
		}
		st := ds.Status
		switch {
		case st.ObservedGeneration < ds.Generation:
			return "the controller has not seen the latest spec", nil
		case st.DesiredNumberScheduled == 0:
			return "no node to run on", nil
		case st.UpdatedNumberScheduled != st.DesiredNumberScheduled || st.NumberReady != st.DesiredNumberScheduled:
			return fmt.Sprintf("%d of %d pods updated, %d ready", st.UpdatedNumberScheduled, st.DesiredNumberScheduled, st.NumberReady), nil
		}
		pods, err := m.kube.CoreV1().Pods(Namespace).List(ctx, metav1.ListOptions{LabelSelector: csiSelector})
		if err != nil {
			return "", err
		}
		// The status may still count a pod just deleted: the pods themselves decide.
		ready := int32(0)
		for _, p := range pods.Items {
			if m.killed[p.UID] {
				return fmt.Sprintf("killed pod %s still listed", p.Name), nil
			}
			if !podReady(&p) {
				return fmt.Sprintf("pod %s not ready", p.Name), nil
			}
			ready++
		}
		if ready != st.DesiredNumberScheduled {
			return fmt.Sprintf("%d of %d pods ready", ready, st.DesiredNumberScheduled), nil
		}
		n, err := m.kube.StorageV1().CSINodes().Get(ctx, m.s.Env.NodeName, metav1.GetOptions{})
		if err != nil {
			return fmt.Sprintf("no CSINode %s yet: %v", m.s.Env.NodeName, err), nil // the kubelet creates it
		}
		for _, d := range n.Spec.Drivers {
			if d.Name == DriverName {
				return "", nil
			}
		}
		return fmt.Sprintf("kubelet has not registered %s", DriverName), nil
	})
}

func podReady(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// wait polls check, which returns why the module is not there yet ("" when it is), until it
// is, check fails, or timeout passes. The error then says what was missing and shows the
// module's pods with the end of their logs.
func (m *Module) wait(ctx context.Context, what string, timeout time.Duration, check func(context.Context) (string, error)) error {
	t0 := time.Now()
	var reason string
	err := stack.Poll(ctx, timeout, func(ctx context.Context) (bool, error) {
		var err error
		reason, err = check(ctx)
		return err == nil && reason == "", err
	})
	if err == nil {
		m.logf("%s after %s", what, time.Since(t0).Round(time.Millisecond))
		return nil
	}
	if reason != "" && errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w: %s", err, reason)
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return fmt.Errorf("%s: %w\n%s", what, err, m.Diagnose(dctx))
}

// Diagnose describes the module's pods (phase, conditions, container states) with the last
// lines of every container's log, and the namespace's warning events.
func (m *Module) Diagnose(ctx context.Context) string {
	var b strings.Builder
	pods, err := m.kube.CoreV1().Pods(Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Sprintf("list pods in %s: %v", Namespace, err)
	}
	if len(pods.Items) == 0 {
		fmt.Fprintf(&b, "no pods in %s\n", Namespace)
	}
	for i := range pods.Items {
		m.describePod(ctx, &b, &pods.Items[i])
	}
	evs, err := m.kube.CoreV1().Events(Namespace).List(ctx, metav1.ListOptions{FieldSelector: "type=Warning"})
	if err == nil && len(evs.Items) > 0 {
		sort.Slice(evs.Items, func(i, j int) bool { return evs.Items[i].LastTimestamp.Before(&evs.Items[j].LastTimestamp) })
		fmt.Fprintf(&b, "warning events in %s:\n", Namespace)
		for _, e := range evs.Items[max(0, len(evs.Items)-logTail):] {
			fmt.Fprintf(&b, "  %s/%s %s (x%d): %s\n", e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Count, e.Message)
		}
	}
	return b.String()
}

func (m *Module) describePod(ctx context.Context, b *strings.Builder, p *corev1.Pod) {
	fmt.Fprintf(b, "pod %s: phase %s", p.Name, p.Status.Phase)
	for _, c := range p.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			fmt.Fprintf(b, ", %s=%s %s %s", c.Type, c.Status, c.Reason, c.Message)
		}
	}
	b.WriteString("\n")
	statuses := append(append([]corev1.ContainerStatus(nil), p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...)
	for _, st := range statuses {
		fmt.Fprintf(b, "  container %s: ready=%t restarts=%d %s\n", st.Name, st.Ready, st.RestartCount, containerState(st.State))
		if st.LastTerminationState.Terminated != nil {
			fmt.Fprintf(b, "    last: %s\n", containerState(st.LastTerminationState))
		}
		for _, previous := range []bool{false, true} {
			if previous && st.RestartCount == 0 {
				continue
			}
			if logs := m.tail(ctx, p.Name, st.Name, previous); logs != "" {
				label := "log"
				if previous {
					label = "log of the previous run"
				}
				fmt.Fprintf(b, "    %s:\n%s\n", label, indent(logs, "      "))
			}
		}
	}
}

func containerState(s corev1.ContainerState) string {
	switch {
	case s.Waiting != nil:
		return fmt.Sprintf("waiting: %s %s", s.Waiting.Reason, s.Waiting.Message)
	case s.Terminated != nil:
		return fmt.Sprintf("terminated: %s exit %d %s", s.Terminated.Reason, s.Terminated.ExitCode, strings.TrimSpace(s.Terminated.Message))
	case s.Running != nil:
		return "running since " + s.Running.StartedAt.Format(time.RFC3339)
	}
	return "no state"
}

func (m *Module) tail(ctx context.Context, pod, container string, previous bool) string {
	rc, err := m.kube.CoreV1().Pods(Namespace).GetLogs(pod, &corev1.PodLogOptions{
		Container: container, Previous: previous, TailLines: ptr.To(int64(logTail)),
	}).Stream(ctx)
	if err != nil {
		return ""
	}
	defer rc.Close()
	out, _ := io.ReadAll(io.LimitReader(rc, 64<<10))
	return strings.TrimRight(string(out), "\n")
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// waitSyncController waits until the sync controller Deployment has all its replicas of the
// current template available and no other pods.
func (m *Module) waitSyncController(ctx context.Context, timeout time.Duration) error {
	return m.wait(ctx, "sync controller deployment available", timeout, func(ctx context.Context) (string, error) {
		d, err := m.kube.AppsV1().Deployments(Namespace).Get(ctx, SyncDeployment, metav1.GetOptions{})
		if err != nil {
			return "", err
		}
		return deploymentNotReady(d), nil
	})
}

// waitSyncControllerGone waits until no sync controller pod is left, once its Deployment has
// been deleted.
func (m *Module) waitSyncControllerGone(ctx context.Context, timeout time.Duration) error {
	return m.wait(ctx, "sync controller pods gone", timeout, func(ctx context.Context) (string, error) {
		pods, err := m.kube.CoreV1().Pods(Namespace).List(ctx, metav1.ListOptions{LabelSelector: syncSelector})
		if err != nil {
			return "", err
		}
		if n := len(pods.Items); n > 0 {
			return fmt.Sprintf("%d sync controller pods left", n), nil
		}
		return "", nil
	})
}
