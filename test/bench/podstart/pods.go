// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package podstart

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// stampCommand is the application: busybox's adjtimex applet prints the wall clock it read
// first thing, to the microsecond.
var stampCommand = []string{"adjtimex"}

// podFor is the pod of mode m. Every pod is stack.HostPod's: hostNetwork, restartPolicy
// Never, images already in containerd (imagePullPolicy Never).
func podFor(m Mode, name, image string) *corev1.Pod {
	switch m {
	case InitReference:
		pod := stack.HostPod(namespace, name, account, stack.BusyboxImage, stampCommand...)
		pod.Spec.InitContainers = []corev1.Container{{
			Name: "init", Image: stack.BusyboxImage, ImagePullPolicy: corev1.PullNever, Command: []string{"true"},
		}}
		return pod
	case InjectCommand:
		return injected(stack.HostPod(namespace, name, account, stack.BusyboxImage, stampCommand...))
	case InjectImage:
		return injected(stack.HostPod(namespace, name, account, image))
	case InjectInit:
		pod := injected(stack.HostPod(namespace, name, account, stack.BusyboxImage, stampCommand...))
		pod.Annotations["secrets-store.deckhouse.io/injector-delivery"] = "InitContainer"
		return pod
	case InjectNRI:
		pod := injected(stack.HostPod(namespace, name, account, stack.BusyboxImage, stampCommand...))
		pod.Annotations["secrets-store.deckhouse.io/env-delivery"] = "NRI"
		return pod
	case CSIVolume:
		return stack.CSIPod(namespace, name, account, ssiName, stampCommand...)
	default:
		return stack.HostPod(namespace, name, account, stack.BusyboxImage, stampCommand...)
	}
}

// injected opts the pod in with the role annotation and gives its container one env
// reference.
func injected(pod *corev1.Pod) *corev1.Pod {
	pod.Annotations = map[string]string{"secrets-store.deckhouse.io/role": role}
	pod.Spec.Containers[0].Env = []corev1.EnvVar{{Name: secretKey, Value: "secrets-store:" + secretPath + "#" + secretKey}}
	return pod
}

// sample is what one pod measured.
type sample struct{ start, create, exec time.Duration }

// startOne creates the pod, waits until it has ended, reads the application's clock from
// its log and deletes it, waiting until it is gone.
func startOne(ctx context.Context, kube kubernetes.Interface, pod *corev1.Pod) (sample, error) {
	t0 := time.Now()
	if _, err := kube.CoreV1().Pods(namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		return sample{}, fmt.Errorf("create pod %s: %w", pod.Name, err)
	}
	created := time.Now()
	phase, waitErr := stack.WaitPodDone(ctx, kube, namespace, pod.Name, podTimeout)
	log, logErr := appLog(ctx, kube, pod.Name)
	if err := errors.Join(waitErr, logErr, stack.DeletePod(ctx, kube, namespace, pod.Name)); err != nil {
		return sample{}, err
	}
	if phase != corev1.PodSucceeded {
		return sample{}, fmt.Errorf("pod %s ended in phase %s, log %q: look for the cause in the stack's kubelet log", pod.Name, phase, clip(log))
	}
	first, err := parseAdjtimex(log)
	if err != nil {
		return sample{}, fmt.Errorf("pod %s: %w", pod.Name, err)
	}
	// first carries no monotonic reading: the difference is of wall clocks, as it must be.
	s := sample{start: first.Sub(created), create: created.Sub(t0)}
	if resolved, ok := parseResolved(log); ok {
		s.exec = first.Sub(resolved)
	}
	return s, nil
}

// appLog is the log of the container "app" (the injector's lines and the application's).
func appLog(ctx context.Context, kube kubernetes.Interface, name string) (string, error) {
	rc, err := kube.CoreV1().Pods(namespace).GetLogs(name, &corev1.PodLogOptions{Container: "app"}).Stream(ctx)
	if err != nil {
		return "", fmt.Errorf("log of pod %s: %w", name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 64<<10))
	return string(b), err
}

// clip keeps the start of a log for an error message.
func clip(s string) string {
	const n = 1024
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
