// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/deckhouse/secrets-store-integration/test/modulechart"
	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// The names of seed 004's test environment.
const (
	namespace      = "myapp-namespace"
	serviceAccount = "myapp-sa"
	role           = "myapp-role"
	authMount      = "kubernetes_local"
	kvMount        = "demo-kv"
	storeReader    = "stack.local/store-reader:demo"
	// rotation is the CSI rotation interval of the demo (the module's default is 2m).
	rotation = 10 * time.Second
)

type demo struct {
	s    *stack.Stack
	kube *kubernetes.Clientset
	// processModule runs the webhook and the CSI plugin as host processes instead of
	// installing the module from its chart.
	processModule bool
}

type result struct {
	mode string
	err  error
}

// prepare sets up the store and the cluster as seed 004's "Preparing a test environment".
func (d *demo) prepare(ctx context.Context) error {
	fmt.Println("\n== preparing the store: kv v2 at demo-kv, myapp-ro-policy, kubernetes_local auth, myapp-role")
	s := d.s
	var err error
	if d.kube, err = s.Clientset(); err != nil {
		return err
	}
	steps := []func() error{
		func() error { return s.EnableKubernetesAuth(ctx, authMount) },
		func() error { return s.EnableKV(ctx, kvMount, 2) },
		func() error {
			_, err := s.PutKV2(ctx, kvMount, "myapp-secret", map[string]any{"DB_USER": "username", "DB_PASS": "secret-password"})
			return err
		},
		func() error {
			return s.WritePolicy(ctx, "myapp-ro-policy", stack.ReadPolicy(kvMount+"/data/myapp-secret"))
		},
		func() error {
			return s.WriteRole(ctx, authMount, role, namespace, serviceAccount, "10m", "myapp-ro-policy")
		},
		func() error { return stack.EnsureServiceAccount(ctx, d.kube, namespace, serviceAccount) },
		d.storeCAConfigMap(ctx),
		d.buildStoreReader(ctx),
		d.installModule(ctx),
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// installModule installs the module from its Helm chart, as Deckhouse does: the images built
// and imported into containerd, the chart rendered with the local values overlay and applied;
// the webhook runs as its Deployment, the CSI plugin as its DaemonSet and, with synchronization
// turned on, the sync controller as its Deployment.
func (d *demo) installModule(ctx context.Context) func() error {
	return func() error {
		if d.processModule {
			fmt.Println("== installing the module's webhook and CSI node plugin as processes next to the cluster")
			return d.s.InstallModule(ctx, stack.ModuleOptions{AuthMount: authMount, RotationInterval: rotation})
		}
		fmt.Println("== installing the module from its Helm chart (images built and imported, chart rendered and applied)")
		opts := modulechart.Options{AuthMount: authMount, RotationInterval: rotation, Synchronization: true, Log: os.Stdout}
		if _, err := modulechart.Install(ctx, d.s, opts); err != nil {
			return err
		}
		pods, err := d.kube.CoreV1().Pods(modulechart.Namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		for _, p := range pods.Items {
			fmt.Printf("  %s/%s %s\n", p.Namespace, p.Name, p.Status.Phase)
		}
		return nil
	}
}

// storeCAConfigMap publishes the store's CA certificate for the pods (it is public).
func (d *demo) storeCAConfigMap(ctx context.Context) func() error {
	return func() error {
		ca, err := os.ReadFile(d.s.Env.CAFile)
		if err != nil {
			return err
		}
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "store-ca", Namespace: namespace}, Data: map[string]string{"ca.crt": string(ca)}}
		_, err = d.kube.CoreV1().ConfigMaps(namespace).Create(ctx, cm, metav1.CreateOptions{})
		return err
	}
}

func (d *demo) buildStoreReader(ctx context.Context) func() error {
	return func() error { return d.s.BuildGoImage(ctx, storeReader, "./test/apps/store-reader", "store-reader") }
}

// modes runs one pod per delivery mode and reports what each received.
func (d *demo) modes(ctx context.Context) []result {
	return []result{
		{mode: "application reads the store itself", err: d.direct(ctx)},
		{mode: "entrypoint injection", err: d.injection(ctx)},
		{mode: "CSI volume with rotation", err: d.csi(ctx)},
		d.synchronization(ctx),
	}
}

func (d *demo) direct(ctx context.Context) error {
	fmt.Println("\n== delivery mode: the application reads the store itself (pod myapp0)")
	pod := stack.HostPod(namespace, "myapp0", serviceAccount, storeReader)
	pod.Spec.Containers[0].Env = []corev1.EnvVar{
		{Name: "STORE_ADDR", Value: d.s.Env.StoreAddr},
		{Name: "STORE_AUTH_PATH", Value: authMount},
		{Name: "STORE_ROLE", Value: role},
		{Name: "SECRET_PATH", Value: kvMount + "/data/myapp-secret"},
		{Name: "SECRET_KEY", Value: "DB_PASS"},
	}
	pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "store-ca", MountPath: "/etc/store-ca", ReadOnly: true}}
	pod.Spec.Volumes = []corev1.Volume{{Name: "store-ca", VolumeSource: corev1.VolumeSource{
		ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "store-ca"}},
	}}}
	return d.expect(ctx, pod, "secret-password")
}

// injection runs the seed's myapp1 (env-from-path) and myapp2 (templates) pods.
func (d *demo) injection(ctx context.Context) error {
	fmt.Println("\n== delivery mode: entrypoint injection (pods myapp1 and myapp2, seed 004)")
	p1 := stack.HostPod(namespace, "myapp1", serviceAccount, stack.BusyboxImage, "sh", "-c", "env | grep ^DB_ | sort")
	p1.Annotations = map[string]string{
		"secrets-store.deckhouse.io/role":          role,
		"secrets-store.deckhouse.io/env-from-path": kvMount + "/data/myapp-secret",
	}
	if err := d.expect(ctx, p1, "DB_PASS=secret-password"); err != nil {
		return err
	}
	p2 := stack.HostPod(namespace, "myapp2", serviceAccount, stack.BusyboxImage, "sh", "-c", "env | grep ^DB_ | sort")
	p2.Annotations = map[string]string{"secrets-store.deckhouse.io/role": role}
	p2.Spec.Containers[0].Env = []corev1.EnvVar{
		{Name: "DB_USER", Value: "secrets-store:" + kvMount + "/data/myapp-secret#DB_USER"},
		{Name: "DB_PASS", Value: "secrets-store:" + kvMount + "/data/myapp-secret#DB_PASS"},
	}
	fmt.Println("  (the pod spec holds only templates such as secrets-store:demo-kv/data/myapp-secret#DB_PASS)")
	return d.expect(ctx, p2, "DB_USER=username")
}

// csi runs the seed's myapp3 pod and changes the secret in the store while it runs.
func (d *demo) csi(ctx context.Context) error {
	fmt.Println("\n== delivery mode: CSI volume (SecretsStoreImport myapp-ssi, pod myapp3, seed 004)")
	err := d.s.ApplySSI(ctx, namespace, "myapp-ssi", role, stack.SSIFile{Name: "db-password", Path: kvMount + "/data/myapp-secret", Key: "DB_PASS"})
	if err != nil {
		return err
	}
	pod := stack.CSIPod(namespace, "myapp3", serviceAccount, "myapp-ssi", "sh", "-c",
		`while true; do echo "$(date +%T) /mnt/secrets/db-password: $(cat /mnt/secrets/db-password)"; sleep 2; done`)
	if _, err := d.kube.CoreV1().Pods(namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		return err
	}
	if err := d.waitLog(ctx, pod.Name, "db-password: secret-password", time.Minute); err != nil {
		return err
	}
	fmt.Printf("  changing DB_PASS in the store (rotation interval %s) ...\n", rotation)
	if _, err := d.s.PutKV2(ctx, kvMount, "myapp-secret", map[string]any{"DB_USER": "username", "DB_PASS": "rotated-password"}); err != nil {
		return err
	}
	t0 := time.Now()
	if err := d.waitLog(ctx, pod.Name, "db-password: rotated-password", 2*time.Minute); err != nil {
		return err
	}
	logs, err := stack.PodLogs(ctx, d.kube, namespace, pod.Name)
	fmt.Print(indent(logs))
	fmt.Printf("  the pod saw the new value %s after the change, without a restart\n", time.Since(t0).Round(time.Second))
	if err != nil {
		return err
	}
	return d.showSSI(ctx, "myapp-ssi")
}

// showSSI prints kubectl get ssi once the CSI driver has written the resource's status:
// valid, up to date, one pod, and the rotation just seen.
func (d *demo) showSSI(ctx context.Context, name string) error {
	kubectl := func(ctx context.Context, args ...string) (string, error) {
		out, err := exec.CommandContext(ctx, d.s.Env.Kubectl, append([]string{"--kubeconfig", d.s.Env.Kubeconfig, //nolint:gosec // G204: the stack's own kubectl and kubeconfig
			"--namespace", namespace, "get", "ssi", name}, args...)...).CombinedOutput()
		return string(out), err
	}
	const fields = `{.status.conditions[?(@.type=="Valid")].status} {.status.conditions[?(@.type=="UpToDate")].status} {.status.pods} {.status.lastRotationTime}`
	var status string
	err := stack.Poll(ctx, 30*time.Second, func(ctx context.Context) (bool, error) {
		out, err := kubectl(ctx, "-o", "jsonpath="+fields)
		status = out
		f := strings.Fields(out)
		return err == nil && len(f) == 4 && f[0] == "True" && f[1] == "True" && f[2] == "1", nil
	})
	if err != nil {
		return fmt.Errorf("SecretsStoreImport %s: no status with a valid, up-to-date resource, 1 pod and a last rotation (got %q): %w", name, status, err)
	}
	table, err := kubectl(ctx)
	fmt.Printf("  kubectl get ssi %s:\n%s", name, indent(table))
	return err
}

// expect runs the pod to its end and checks that its log contains want.
func (d *demo) expect(ctx context.Context, pod *corev1.Pod, want string) error {
	logs, err := d.runPod(ctx, pod)
	fmt.Print(indent(logs))
	if err == nil && !strings.Contains(logs, want) {
		err = fmt.Errorf("pod %s did not print %q", pod.Name, want)
	}
	return err
}

func (d *demo) waitLog(ctx context.Context, pod, want string, timeout time.Duration) error {
	return stack.Poll(ctx, timeout, func(ctx context.Context) (bool, error) {
		logs, err := stack.PodLogs(ctx, d.kube, namespace, pod)
		return err == nil && strings.Contains(logs, want), nil
	})
}

// runPod runs the pod to its end and returns its log.
func (d *demo) runPod(ctx context.Context, pod *corev1.Pod) (string, error) {
	t0 := time.Now()
	phase, logs, err := stack.RunPod(ctx, d.kube, pod, 2*time.Minute)
	if err != nil {
		return logs, err
	}
	fmt.Printf("  pod %s %s after %s\n", pod.Name, phase, time.Since(t0).Round(100*time.Millisecond))
	if phase != corev1.PodSucceeded {
		return logs, fmt.Errorf("pod %s ended %s", pod.Name, phase)
	}
	return logs, nil
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("    | " + l + "\n")
	}
	return b.String()
}
