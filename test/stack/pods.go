// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package stack

import (
	"context"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
)

// WaitPodDone waits until the pod has succeeded or failed and returns its phase.
func WaitPodDone(ctx context.Context, cs kubernetes.Interface, ns, name string, timeout time.Duration) (corev1.PodPhase, error) {
	var phase corev1.PodPhase
	err := Poll(ctx, timeout, func(ctx context.Context) (bool, error) {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		phase = p.Status.Phase
		return phase == corev1.PodSucceeded || phase == corev1.PodFailed, nil
	})
	if err != nil {
		return phase, fmt.Errorf("pod %s/%s not done (phase %q): %w", ns, name, phase, err)
	}
	return phase, nil
}

// PodLogs returns the log of the pod's first container (through the kubelet).
func PodLogs(ctx context.Context, cs kubernetes.Interface, ns, name string) (string, error) {
	return ContainerLogs(ctx, cs, ns, name, "")
}

// ContainerLogs is the log of one container of a pod ("" for the pod's only or default
// container), up to 1 MiB.
func ContainerLogs(ctx context.Context, cs kubernetes.Interface, ns, name, container string) (string, error) {
	rc, err := cs.CoreV1().Pods(ns).GetLogs(name, &corev1.PodLogOptions{Container: container}).Stream(ctx)
	if err != nil {
		if container != "" {
			return "", fmt.Errorf("logs of container %s of pod %s/%s: %w", container, ns, name, err)
		}
		return "", fmt.Errorf("logs of pod %s/%s: %w", ns, name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 1<<20))
	return string(b), err
}

// Poll calls cond every 200 ms until it returns true, returns an error, or timeout passes.
func Poll(ctx context.Context, timeout time.Duration, cond func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		ok, err := cond(ctx)
		if err != nil && ctx.Err() == nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// RunPod creates the pod, waits until it ends and returns its phase and log.
func RunPod(ctx context.Context, cs kubernetes.Interface, pod *corev1.Pod, timeout time.Duration) (corev1.PodPhase, string, error) {
	if err := DeletePod(ctx, cs, pod.Namespace, pod.Name); err != nil {
		return "", "", err
	}
	if _, err := cs.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		return "", "", fmt.Errorf("create pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	phase, err := WaitPodDone(ctx, cs, pod.Namespace, pod.Name, timeout)
	if err != nil {
		return phase, "", err
	}
	logs, err := PodLogs(ctx, cs, pod.Namespace, pod.Name)
	return phase, logs, err
}

// HostPod is a pod on the stack's node with hostNetwork (traffic stays on 127.0.0.1), one
// container "app" with a local image, and restartPolicy Never.
func HostPod(ns, name, serviceAccount, image string, command ...string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.PodSpec{
			ServiceAccountName: serviceAccount,
			HostNetwork:        true,
			RestartPolicy:      corev1.RestartPolicyNever,
			Containers:         []corev1.Container{{Name: "app", Image: image, ImagePullPolicy: corev1.PullNever, Command: command}},
		},
	}
}

// DeletePod deletes a pod at once (grace period 0) and waits until it is gone.
func DeletePod(ctx context.Context, cs kubernetes.Interface, ns, name string) error {
	err := cs.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To(int64(0))})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	return Poll(ctx, time.Minute, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
}

// Injected reports whether the webhook mutated pod for entrypoint injection: a container
// runs the injector.
func Injected(pod *corev1.Pod) bool {
	for _, list := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range list {
			if len(c.Command) > 0 && c.Command[0] == envcontract.BinaryPath {
				return true
			}
		}
	}
	return false
}
