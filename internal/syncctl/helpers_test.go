// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncctl

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	corelisters "k8s.io/client-go/listers/core/v1"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"

	"github.com/deckhouse/secrets-store-integration/internal/storeconn"
)

const testNS = "app"

// harness is a controller over fake API clients and a memStore. Its
// listers are filled from the fakes by resync, so a reconcile sees exactly
// what the previous one wrote.
type harness struct {
	t       *testing.T
	store   *memStore
	kube    *kubefake.Clientset
	dyn     *dynamicfake.FakeDynamicClient
	syncIdx cache.Indexer
	secIdx  cache.Indexer
	events  *record.FakeRecorder
	logs    *bytes.Buffer
	c       *Controller
	clock   *fakeClock

	mu     sync.Mutex
	tokens []authnv1.TokenRequestSpec // every TokenRequest, in order
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeClock) now() time.Time      { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeClock) add(d time.Duration) { f.mu.Lock(); defer f.mu.Unlock(); f.t = f.t.Add(d) }

func newHarness(t *testing.T, objs ...runtime.Object) *harness {
	t.Helper()
	h := &harness{
		t: t, store: newMemStore(t), logs: &bytes.Buffer{}, events: record.NewFakeRecorder(100),
		clock: &fakeClock{t: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)},
	}
	h.kube = kubefake.NewClientset(objs...)
	h.kube.PrependReactor("create", "serviceaccounts", func(a k8stesting.Action) (bool, runtime.Object, error) {
		ca, ok := a.(k8stesting.CreateActionImpl)
		if !ok || a.GetSubresource() != "token" {
			return false, nil, nil
		}
		if ca.Name == "missing" {
			return true, nil, apierrors.NewNotFound(corev1.Resource("serviceaccounts"), ca.Name)
		}
		req, _ := ca.GetObject().(*authnv1.TokenRequest)
		h.mu.Lock()
		h.tokens = append(h.tokens, req.Spec)
		h.mu.Unlock()
		return true, &authnv1.TokenRequest{Status: authnv1.TokenRequestStatus{Token: jwtPrefix + a.GetNamespace() + "/" + ca.Name}}, nil
	})
	scheme := runtime.NewScheme()
	h.dyn = dynamicfake.NewSimpleDynamicClientWithCustomListKinds(scheme,
		map[schemaGVR]string{GroupVersionResource: Kind + "List"})
	h.syncIdx = cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	h.secIdx = cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	cfg := Config{
		Store:           storeDefaults(h.store.srv.URL),
		RefreshInterval: time.Minute, Namespace: "d8-secrets-store-integration", LeaseName: "l", HMACKeySecret: "k", Workers: 1,
		AdditionalTokenAudiences: []string{"vault"},
	}
	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.c = NewController(cfg, log, Deps{
		Kube: h.kube, Dynamic: h.dyn, Events: h.events, Registerer: prometheus.NewRegistry(),
		SyncLister:   cache.NewGenericLister(h.syncIdx, GroupVersionResource.GroupResource()),
		SecretLister: corelisters.NewSecretLister(h.secIdx),
		HMACKey:      bytes.Repeat([]byte{7}, 32), Now: h.clock.now,
	})
	t.Cleanup(h.c.queue.ShutDown)
	return h
}

// create adds a SecretsStoreSync with spec to the fake API server.
func (h *harness) create(name string, spec map[string]any) {
	h.t.Helper()
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": Group + "/" + Version, "kind": Kind,
		"metadata": map[string]any{"name": name, "namespace": testNS, "uid": "uid-" + name, "generation": int64(1)},
		"spec":     spec,
	}}
	if _, err := h.dyn.Resource(GroupVersionResource).Namespace(testNS).Create(context.Background(), u, metav1.CreateOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

// updateSpec replaces the spec and bumps the generation, as the API server does.
func (h *harness) updateSpec(name string, spec map[string]any) {
	h.t.Helper()
	u := h.get(name)
	u.Object["spec"] = spec
	u.SetGeneration(u.GetGeneration() + 1)
	if _, err := h.dyn.Resource(GroupVersionResource).Namespace(testNS).Update(context.Background(), u, metav1.UpdateOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) get(name string) *unstructured.Unstructured {
	h.t.Helper()
	u, err := h.dyn.Resource(GroupVersionResource).Namespace(testNS).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return u
}

// status is the resource's status as the controller wrote it.
func (h *harness) status(name string) *SecretsStoreSync {
	h.t.Helper()
	_, res, err := decode(h.get(name))
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

// reconcile syncs the listers with the fakes and reconciles name once.
func (h *harness) reconcile(name string) {
	h.t.Helper()
	h.resync()
	h.c.reconcile(context.Background(), testNS+"/"+name)
}

func (h *harness) resync() {
	h.t.Helper()
	ctx := context.Background()
	list, err := h.dyn.Resource(GroupVersionResource).Namespace(testNS).List(ctx, metav1.ListOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	objs := make([]any, 0, len(list.Items))
	for i := range list.Items {
		objs = append(objs, &list.Items[i])
	}
	_ = h.syncIdx.Replace(objs, "")
	secrets, err := h.kube.CoreV1().Secrets("").List(ctx, metav1.ListOptions{LabelSelector: LabelSync})
	if err != nil {
		h.t.Fatal(err)
	}
	objs = objs[:0]
	for i := range secrets.Items {
		objs = append(objs, &secrets.Items[i])
	}
	_ = h.secIdx.Replace(objs, "")
}

func (h *harness) secret(name string) *corev1.Secret {
	h.t.Helper()
	s, err := h.kube.CoreV1().Secrets(testNS).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatalf("Secret %s: %v", name, err)
	}
	return s
}

// restarts lists the patches of workloads, as "Kind/name".
func (h *harness) restarts() []string {
	var out []string
	for _, a := range h.kube.Actions() {
		if p, ok := a.(k8stesting.PatchAction); ok && p.GetPatchType() == types.MergePatchType && a.GetResource().Group == "apps" {
			out = append(out, a.GetResource().Resource+"/"+p.GetName())
		}
	}
	return out
}

// drainEvents returns the events recorded so far.
func (h *harness) drainEvents() []string {
	var out []string
	for {
		select {
		case e := <-h.events.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

// noLeak fails when a value, a JWT or a store token appears in the logs,
// the events or any resource status.
func (h *harness) noLeak(texts ...string) {
	h.t.Helper()
	all := append([]string{h.logs.String()}, texts...)
	for _, s := range all {
		for _, bad := range []string{valueTLSKey, valuePass, valueUser, jwtPrefix, tokenPrefix} {
			if strings.Contains(s, bad) {
				h.t.Errorf("%q leaked into: %s", bad, s)
			}
		}
	}
}

func condition(res *SecretsStoreSync, typ string) metav1.Condition {
	for _, c := range res.Status.Conditions {
		if c.Type == typ {
			return c
		}
	}
	return metav1.Condition{}
}

type schemaGVR = schema.GroupVersionResource

func storeDefaults(addr string) storeconn.Defaults {
	return storeconn.Defaults{Address: addr, AuthPath: "kubernetes_local", Timeout: 5 * time.Second}
}
