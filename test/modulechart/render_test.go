// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package modulechart

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// fakeStack is a stack directory with the files Values reads; nothing runs.
func fakeStack(t *testing.T) *stack.Stack {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "pki"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"ca.crt", "localhost.crt", "localhost.key"} {
		if err := os.WriteFile(filepath.Join(dir, "pki", f), []byte("PEM of "+f+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return &stack.Stack{Dir: dir, RepoRoot: root, Env: stack.Env{
		StoreAddr:  "https://127.0.0.1:18200",
		KubeletDir: filepath.Join(dir, "data", "kubelet"),
		NodeName:   stack.NodeName,
		Ports:      map[string]int{"apiserver": 16443},
	}}
}

func find(t *testing.T, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	t.Fatalf("no %s %s rendered", kind, name)
	return nil
}

func containerArgs(t *testing.T, o *unstructured.Unstructured) []string {
	t.Helper()
	cs, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
	if len(cs) == 0 {
		t.Fatalf("%s %s has no containers", o.GetKind(), o.GetName())
	}
	c, ok := cs[0].(map[string]any)
	if !ok {
		t.Fatalf("%s %s: container is a %T, want an object", o.GetKind(), o.GetName(), cs[0])
	}
	args, _, _ := unstructured.NestedStringSlice(c, "args")
	return args
}

// The render carries the stack's settings to the programs' flags, including a rotation
// interval below the schema's minimum, and the connection the hook computes.
func TestRenderForStack(t *testing.T) {
	s := fakeStack(t)
	values, err := Values(s, Options{AuthMount: "kubernetes_local", RotationInterval: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Render(s.RepoRoot, values)
	if err != nil {
		t.Fatal(err)
	}
	ds := containerArgs(t, find(t, objs, "DaemonSet", csiDaemonSet))
	for _, want := range []string{
		"--rotation-interval=5s",
		"--kubelet-dir=" + s.Env.KubeletDir,
		"--store-addr=https://127.0.0.1:18200",
		"--store-auth-path=kubernetes_local",
	} {
		if !slices.Contains(ds, want) {
			t.Errorf("CSI driver args %q lack %q", ds, want)
		}
	}
	wh := containerArgs(t, find(t, objs, "Deployment", webhookDeployment))
	var listen string
	for _, a := range wh {
		if v, ok := strings.CutPrefix(a, "--listen="); ok {
			listen = v
		}
	}
	mwc := find(t, objs, "MutatingWebhookConfiguration", "d8-secrets-store-integration")
	hooks, _, _ := unstructured.NestedSlice(mwc.Object, "webhooks")
	if len(hooks) == 0 {
		t.Fatal("MutatingWebhookConfiguration has no webhooks")
	}
	hook, ok := hooks[0].(map[string]any)
	if !ok {
		t.Fatalf("webhook is a %T, want an object", hooks[0])
	}
	url, _, _ := unstructured.NestedString(hook, "clientConfig", "url")
	if listen == "" || url != "https://"+listen+"/mutate" {
		t.Errorf("webhook listens on %q, configuration calls %q", listen, url)
	}
	for _, o := range objs {
		if o.GetKind() == "PodMonitor" || o.GetKind() == "PrometheusRule" {
			t.Errorf("%s %s rendered without the monitoring APIs", o.GetKind(), o.GetName())
		}
	}
	if got, err := renderedReplicas(objs); err != nil || got != 1 {
		t.Errorf("webhook replicas: got %d, %v; want 1", got, err)
	}
}
