// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package modulechart

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"k8s.io/utils/ptr"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

var deleteNow = metav1.DeleteOptions{GracePeriodSeconds: ptr.To(int64(0))}

func isNotFound(err error) bool { return apierrors.IsNotFound(err) }

// applier server-side applies objects, mapping their kinds to resources through discovery.
type applier struct {
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

func newApplier(s *stack.Stack) (*applier, error) {
	dyn, cs, err := dynamicClient(s)
	if err != nil {
		return nil, err
	}
	return &applier{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(cs.Discovery()))}, nil
}

// applyOrder puts the Namespace first and the workloads after everything they reference
// (ServiceAccounts, RBAC, ConfigMaps, Secrets), so their pods are admitted at the first try.
var applyOrder = map[string]int{
	"Namespace":          0,
	"ServiceAccount":     1,
	"ClusterRole":        2,
	"ClusterRoleBinding": 3,
	"Role":               2,
	"RoleBinding":        3,
	"ConfigMap":          4,
	"Secret":             4,
	"Service":            5,
	"CSIDriver":          5,
	"Deployment":         7,
	"DaemonSet":          7,
}

const defaultApplyOrder = 6

func order(kind string) int {
	if o, ok := applyOrder[kind]; ok {
		return o
	}
	return defaultApplyOrder
}

// applyAll applies objs in applyOrder, keeping the render order within one kind.
func (a *applier) applyAll(ctx context.Context, objs []*unstructured.Unstructured) error {
	sorted := append([]*unstructured.Unstructured(nil), objs...)
	sort.SliceStable(sorted, func(i, j int) bool { return order(sorted[i].GetKind()) < order(sorted[j].GetKind()) })
	for _, o := range sorted {
		if err := a.apply(ctx, o); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) apply(ctx context.Context, o *unstructured.Unstructured) error {
	gvk := o.GroupVersionKind()
	mapping, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return fmt.Errorf("%s %s: no resource for the kind: %w", gvk, o.GetName(), err)
	}
	var r dynamic.ResourceInterface = a.dyn.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		if o.GetNamespace() == "" {
			return fmt.Errorf("%s %s is namespaced but the chart gives it no namespace", gvk.Kind, o.GetName())
		}
		r = a.dyn.Resource(mapping.Resource).Namespace(o.GetNamespace())
	}
	_, err = r.Apply(ctx, o.GetName(), o, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	if err != nil {
		return fmt.Errorf("apply %s %s: %w", gvk.Kind, objectName(o), err)
	}
	return nil
}

func objectName(o *unstructured.Unstructured) string {
	if o.GetNamespace() == "" {
		return o.GetName()
	}
	return o.GetNamespace() + "/" + o.GetName()
}

// replaceStalePods deletes the module's pods that run an image other than the one just built.
// The images keep their names from build to build (nothing is pulled), so a new build would
// otherwise never reach pods whose template did not change; their controllers recreate them.
// The deletion is graceful: a CSI plugin pod is replaced only once it has stopped, so two
// plugins never serve the same socket.
func (m *Module) replaceStalePods(ctx context.Context, images []builtImage) error {
	pods, err := m.kube.CoreV1().Pods(Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil || !runsStaleImage(p, images) {
			continue
		}
		m.logf("replacing pod %s: it runs an earlier build", p.Name)
		err := m.kube.CoreV1().Pods(Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{})
		if err != nil && !isNotFound(err) {
			return fmt.Errorf("replace pod %s/%s: %w", Namespace, p.Name, err)
		}
	}
	return nil
}

func runsStaleImage(p corev1.Pod, images []builtImage) bool {
	statuses := append(append([]corev1.ContainerStatus(nil), p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...)
	for _, st := range statuses {
		for _, im := range images {
			if st.Image == im.name && st.ImageID != "" && !im.runs(st.ImageID) {
				return true
			}
		}
	}
	return false
}
