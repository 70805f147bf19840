// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// The injector's watch modes on the real stack, where it stays PID 1 of the container: a
// namespace, ServiceAccount, KV mount and roles of their own.
const (
	watchNS     = "inject-watch"
	watchSA     = "watch-sa"
	watchRole   = "watch-role"
	watchKV     = "watch-kv"
	watchPolicy = "watch-read"
	// watchPoll is the secret-poll-interval of the pods (the minimum); each poll comes
	// within ±30% of it, so watchPollMax apart at most.
	watchPoll    = 5 * time.Second
	watchPollMax = watchPoll * 13 / 10
	// watchGrace is the pods' terminationGracePeriodSeconds.
	watchGrace = 2
	// watchSteadyValue is the value of watch-kv/steady, which no test changes.
	watchSteadyValue = "watch-steady-value"
)

var watchFixture = sync.OnceValue(func() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	steps := []func() error{
		func() error { return stack.EnsureServiceAccount(ctx, kube, watchNS, watchSA) },
		func() error { return stk.EnableKV(ctx, watchKV, 2) },
		func() error {
			_, err := stk.PutKV2(ctx, watchKV, "steady", map[string]any{"VALUE": secretValue(watchSteadyValue)})
			return err
		},
		func() error { return stk.WritePolicy(ctx, watchPolicy, stack.ReadPolicy(watchKV+"/data/*")) },
		func() error { return stk.WriteRole(ctx, AuthMount, watchRole, watchNS, watchSA, "10m", watchPolicy) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
})

func setupWatch(t *testing.T) {
	t.Helper()
	setupModule(t)
	if err := watchFixture(); err != nil {
		t.Fatalf("watch fixture: %v", err)
	}
}

// watchRef is a reference to key of watch-kv/name.
func watchRef(name, key string) string {
	return "secrets-store:" + watchKV + "/data/" + name + "#" + key
}

// watchPod is a busybox pod of watch-sa with role watch-role in mode watch-for-data, polling
// every watchPoll, that runs script with sh -c.
func watchPod(name, script string, restart corev1.RestartPolicy, env ...corev1.EnvVar) *corev1.Pod {
	pod := stack.HostPod(watchNS, name, watchSA, stack.BusyboxImage, "sh", "-c", script)
	pod.Spec.RestartPolicy = restart
	pod.Spec.TerminationGracePeriodSeconds = ptr.To(int64(watchGrace))
	pod.Annotations = map[string]string{
		annPrefix + "role":                     watchRole,
		annPrefix + "restart-on-secret-change": "watch-for-data",
		annPrefix + "secret-poll-interval":     watchPoll.String(),
	}
	pod.Spec.Containers[0].Env = env
	return pod
}

// watchCreate creates the pod (replacing one of the same name) and deletes it at the end.
func watchCreate(t *testing.T, pod *corev1.Pod) {
	t.Helper()
	ctx := t.Context()
	if err := stack.DeletePod(ctx, kube, pod.Namespace, pod.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create pod %s: %v", pod.Name, err)
	}
	t.Cleanup(func() { _ = stack.DeletePod(context.WithoutCancel(ctx), kube, pod.Namespace, pod.Name) })
}

// watchApp returns the pod and the status of its container app (nil before it has one).
func watchApp(ctx context.Context, ns, name string) (*corev1.Pod, *corev1.ContainerStatus, error) {
	p, err := kube.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, nil, err
	}
	for i := range p.Status.ContainerStatuses {
		if s := &p.Status.ContainerStatuses[i]; s.Name == "app" {
			return p, s, nil
		}
	}
	return p, nil, nil
}

// watchWait waits until container app has restarted at least restarts times, runs, and its
// current log has the line line ("" = any log); it returns the container's status.
func watchWait(t *testing.T, ns, name string, restarts int32, line string, timeout time.Duration) *corev1.ContainerStatus {
	t.Helper()
	var st *corev1.ContainerStatus
	var logs string
	err := stack.Poll(t.Context(), timeout, func(ctx context.Context) (bool, error) {
		p, s, err := watchApp(ctx, ns, name)
		if err != nil {
			return false, err
		}
		if st = s; s == nil || s.RestartCount < restarts || s.State.Running == nil {
			return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed, nil
		}
		logs, err = formsLogs(ctx, ns, name, "app", false)
		return err == nil && (line == "" || watchHasLine(logs, line)), nil //nolint:nilerr // the log may not be there yet
	})
	if err != nil || st == nil || st.RestartCount < restarts || line != "" && !watchHasLine(logs, line) {
		t.Fatalf("pod %s: container app %s (%v), want %d restart(s) or more, running, with the line %q; log:\n%s",
			name, watchDescribe(st), err, restarts, line, formsRedact(logs, "DB_PASS"))
	}
	return st
}

// watchHold fails unless every pod of want keeps its restart count until the time until.
func watchHold(t *testing.T, ns string, want map[string]int32, until time.Time) {
	t.Helper()
	for {
		for name, n := range want {
			_, s, err := watchApp(t.Context(), ns, name)
			if err != nil {
				t.Fatal(err)
			}
			if s == nil || s.RestartCount != n {
				t.Fatalf("pod %s: container app %s, want restartCount to stay %d", name, watchDescribe(s), n)
			}
		}
		if time.Now().After(until) {
			return
		}
		select {
		case <-t.Context().Done():
			t.Fatal(t.Context().Err())
		case <-time.After(time.Second):
		}
	}
}

// watchDescribe says what state a container status is in, for failure messages.
func watchDescribe(s *corev1.ContainerStatus) string {
	if s == nil {
		return "without status"
	}
	state := "waiting"
	switch {
	case s.State.Running != nil:
		state = "running since " + s.State.Running.StartedAt.Format(time.RFC3339)
	case s.State.Terminated != nil:
		state = fmt.Sprintf("terminated with exit code %d (%s)", s.State.Terminated.ExitCode, s.State.Terminated.Reason)
	case s.State.Waiting != nil:
		state = "waiting: " + s.State.Waiting.Reason
	}
	return fmt.Sprintf("%s, restartCount %d", state, s.RestartCount)
}

func watchHasLine(logs, line string) bool {
	return slices.Contains(strings.Split(strings.ReplaceAll(logs, "\r", ""), "\n"), line)
}

// watchExec runs argv in a container of a running pod with kubectl exec.
func watchExec(ctx context.Context, ns, pod, container string, argv ...string) error {
	args := append([]string{"--kubeconfig", stk.Env.Kubeconfig, "--namespace", ns, "exec", pod, "--container", container, "--"}, argv...)
	out, err := exec.CommandContext(ctx, stk.Env.Kubectl, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("kubectl exec %s %q: %w: %s", pod, argv, err, out)
	}
	return nil
}
