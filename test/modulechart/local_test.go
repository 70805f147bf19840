// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package modulechart

import (
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func testLocal() *Local {
	return &Local{
		BindAddress:   "127.0.0.1",
		Ports:         map[int64]int64{9443: 30001, 9090: 30002, 9190: 30003},
		APIServerHost: "127.0.0.1",
		APIServerPort: 16443,
		WebhookURL:    "https://127.0.0.1:30001/mutate",
		KubeletDir:    "/tmp/stack/kubelet/",
		Digests:       map[string]string{"webhook": "sha256:aaaa", "injector": "sha256:bbbb", "kubeRbacProxy": "sha256:cccc"},
		Images: map[string]string{
			"webhook": "localhost/x/webhook:dev", "injector": "localhost/x/injector:dev", "kubeRbacProxy": "localhost/x/kube-rbac-proxy:dev",
		},
	}
}

func objectFromYAML(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(j); err != nil {
		t.Fatal(err)
	}
	return u
}

func list(t *testing.T, v any) []any {
	t.Helper()
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		t.Fatalf("got %v, want a non-empty list", v)
	}
	return l
}

func object(t *testing.T, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("got %v, want an object", v)
	}
	return m
}

const productionDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: w}
spec:
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    spec:
      initContainers:
      - name: init
        image: registry.example/m@sha256:bbbb
        imagePullPolicy: IfNotPresent
      containers:
      - name: webhook
        image: registry.example/m@sha256:aaaa
        imagePullPolicy: IfNotPresent
        args: [--listen=:9443, --metrics-listen=127.0.0.1:9090, --injector-image=registry.example/m@sha256:bbbb, --log-level=info]
        env: [{name: A, value: b}]
        ports: [{name: https, containerPort: 9443}, {name: http-metrics, containerPort: 9090}]
        readinessProbe: {httpGet: {path: /readyz, port: https, scheme: HTTPS}}
        livenessProbe: {httpGet: {path: /healthz, port: 9090}}
      - name: kube-rbac-proxy
        image: registry.example/common@sha256:cccc
        args: [--secure-listen-address=:9190, --upstream=http://127.0.0.1:9090/, --config-file=/etc/c.yaml]
        ports: [{name: https-metrics, containerPort: 9190}]
        livenessProbe: {tcpSocket: {port: https-metrics}}
`

func TestLocalWorkload(t *testing.T) {
	o := objectFromYAML(t, productionDeployment)
	if err := testLocal().apply([]*unstructured.Unstructured{o}); err != nil {
		t.Fatal(err)
	}
	want := objectFromYAML(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: w}
spec:
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 0, maxUnavailable: 1}}
  template:
    spec:
      hostNetwork: true
      dnsPolicy: ClusterFirstWithHostNet
      initContainers:
      - name: init
        image: localhost/x/injector:dev
        imagePullPolicy: Never
      containers:
      - name: webhook
        image: localhost/x/webhook:dev
        imagePullPolicy: Never
        args: [--listen=127.0.0.1:30001, --metrics-listen=127.0.0.1:30002, --injector-image=localhost/x/injector:dev, --log-level=info]
        env:
        - {name: A, value: b}
        - {name: KUBERNETES_SERVICE_HOST, value: 127.0.0.1}
        - {name: KUBERNETES_SERVICE_PORT, value: "16443"}
        ports: [{name: https, containerPort: 30001}, {name: http-metrics, containerPort: 30002}]
        readinessProbe: {httpGet: {path: /readyz, port: https, scheme: HTTPS, host: 127.0.0.1}}
        livenessProbe: {httpGet: {path: /healthz, port: 30002, host: 127.0.0.1}}
      - name: kube-rbac-proxy
        image: localhost/x/kube-rbac-proxy:dev
        imagePullPolicy: Never
        args: [--secure-listen-address=127.0.0.1:30003, --upstream=http://127.0.0.1:30002/, --config-file=/etc/c.yaml]
        env:
        - {name: KUBERNETES_SERVICE_HOST, value: 127.0.0.1}
        - {name: KUBERNETES_SERVICE_PORT, value: "16443"}
        ports: [{name: https-metrics, containerPort: 30003}]
        livenessProbe: {tcpSocket: {port: https-metrics, host: 127.0.0.1}}
`)
	if !reflect.DeepEqual(o.Object, want.Object) {
		got, _ := yaml.Marshal(o.Object)
		t.Errorf("got\n%s", got)
	}
}

func TestLocalKubeletDir(t *testing.T) {
	o := objectFromYAML(t, `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: csi}
spec:
  template:
    spec:
      containers:
      - name: csi
        image: other.example/img:1
        args: [--endpoint=unix:///var/lib/kubelet/plugins/d/csi.sock, --kubelet-dir=/var/lib/kubelet, --path=/var/lib/kubeletx]
        volumeMounts: [{name: pods, mountPath: /var/lib/kubelet/pods}, {name: etc, mountPath: /etc/x}]
      volumes:
      - {name: pods, hostPath: {path: /var/lib/kubelet/pods}}
`)
	if err := testLocal().apply([]*unstructured.Unstructured{o}); err != nil {
		t.Fatal(err)
	}
	c := object(t, list(t, dig(o.Object, "spec", "template", "spec", "containers"))[0])
	wantArgs := []any{"--endpoint=unix:///tmp/stack/kubelet/plugins/d/csi.sock", "--kubelet-dir=/tmp/stack/kubelet", "--path=/var/lib/kubeletx"}
	if !reflect.DeepEqual(c["args"], wantArgs) {
		t.Errorf("got args %v, want %v", c["args"], wantArgs)
	}
	if got := dig(list(t, c["volumeMounts"])[0], "mountPath"); got != "/tmp/stack/kubelet/pods" {
		t.Errorf("got mount %v", got)
	}
	if got := dig(list(t, c["volumeMounts"])[1], "mountPath"); got != "/etc/x" {
		t.Errorf("got mount %v, want it unchanged", got)
	}
	if got := list(t, dig(o.Object, "spec", "template", "spec", "volumes"))[0]; dig(got, "hostPath", "path") != "/tmp/stack/kubelet/pods" {
		t.Errorf("got volume %v", got)
	}
	if c["image"] != "other.example/img:1" {
		t.Errorf("got image %v, want an image of no known digest unchanged", c["image"])
	}
}

func TestLocalWebhookConfiguration(t *testing.T) {
	o := objectFromYAML(t, `
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: m}
webhooks:
- name: pods.example
  clientConfig:
    caBundle: Q0E=
    service: {namespace: n, name: s, path: /mutate, port: 443}
`)
	if err := testLocal().apply([]*unstructured.Unstructured{o}); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"caBundle": "Q0E=", "url": "https://127.0.0.1:30001/mutate"}
	if got := dig(list(t, o.Object["webhooks"])[0], "clientConfig"); !reflect.DeepEqual(got, want) {
		t.Errorf("got clientConfig %v, want %v", got, want)
	}
}

// A program that listens on a port the local cluster has no free port for is a test setup
// error, never a silent listener on every address.
func TestLocalUnknownPort(t *testing.T) {
	o := objectFromYAML(t, strings.Replace(productionDeployment, "--listen=:9443", "--listen=:7000", 1))
	err := testLocal().apply([]*unstructured.Unstructured{o})
	if err == nil || !strings.Contains(err.Error(), "port 7000") {
		t.Errorf("got %v, want an error naming port 7000", err)
	}
}
