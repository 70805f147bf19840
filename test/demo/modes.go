package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

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
)

type demo struct {
	s    *stack.Stack
	kube *kubernetes.Clientset
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
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
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

// modes runs one pod per delivery mode that is built and reports what each received.
func (d *demo) modes(ctx context.Context) []result {
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
	logs, err := d.runPod(ctx, pod)
	fmt.Print(indent(logs))
	if err == nil && !strings.Contains(logs, "secret-password") {
		err = fmt.Errorf("the pod did not print the secret")
	}
	return []result{{mode: "application reads the store itself", err: err}}
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
