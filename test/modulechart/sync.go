// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package modulechart

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// SyncDisabledMessage starts the refusal of a SecretsStoreSync while synchronization is off
// (templates/sync-admission-policies.yaml).
const SyncDisabledMessage = "SecretsStoreSync is disabled in this cluster"

// syncGVR is the resource of SecretsStoreSync objects (crds/secrets-store-sync.yaml).
var syncGVR = schema.GroupVersionResource{Group: "deckhouse.io", Version: "v1alpha1", Resource: "secretsstoresyncs"}

// syncEnabled is synchronization.enabled of chart values.
func syncEnabled(values map[string]any) bool {
	on, _ := dig(values, "secretsStoreIntegration", "synchronization", "enabled").(bool)
	return on
}

// settleSync brings the cluster in line with synchronization.enabled of values after objs, their
// render, were applied: it deletes the objects of the other setting, as Helm deletes what a new
// release no longer renders, then waits until the sync controller is available and
// SecretsStoreSync objects are admitted (on), or, when the setting has just been turned off
// (changed), until the controller's pods are gone and creation is refused.
func (m *Module) settleSync(ctx context.Context, a *applier, values map[string]any, objs []*unstructured.Unstructured, changed bool) error {
	on := syncEnabled(values)
	if err := m.pruneOtherSetting(ctx, a, values, objs); err != nil {
		return err
	}
	switch {
	case on:
		if err := m.waitSyncController(ctx, 3*time.Minute); err != nil {
			return err
		}
		return m.waitSyncAdmission(ctx, true, time.Minute)
	case changed:
		if err := m.waitSyncControllerGone(ctx, 2*time.Minute); err != nil {
			return err
		}
		return m.waitSyncAdmission(ctx, false, time.Minute)
	}
	return nil
}

// pruneOtherSetting deletes what the chart renders with synchronization.enabled flipped and not
// with values: the controller's objects when it is off, the policy that refuses SecretsStoreSync
// objects when it is on. The Deployment goes first, its RBAC after it.
func (m *Module) pruneOtherSetting(ctx context.Context, a *applier, values map[string]any, objs []*unstructured.Unstructured) error {
	stale, err := otherSettingObjects(m.s.RepoRoot, values, objs)
	if err != nil {
		return err
	}
	for _, o := range stale {
		deleted, err := a.delete(ctx, o)
		if err != nil {
			return err
		}
		if deleted {
			m.logf("deleted %s %s: the render no longer has it", o.GetKind(), objectName(o))
		}
	}
	return nil
}

// otherSettingObjects are the objects the chart renders with synchronization.enabled flipped
// and not in objs, the render of values, in the order to delete them: workloads first.
func otherSettingObjects(repoRoot string, values map[string]any, objs []*unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	flipped := Merge(values, map[string]any{"secretsStoreIntegration": map[string]any{
		"synchronization": map[string]any{"enabled": !syncEnabled(values)},
	}})
	other, err := Render(repoRoot, flipped)
	if err != nil {
		return nil, err
	}
	keep := map[string]bool{}
	for _, o := range objs {
		keep[objectKey(o)] = true
	}
	var stale []*unstructured.Unstructured
	for _, o := range other {
		if !keep[objectKey(o)] {
			stale = append(stale, o)
		}
	}
	slices.SortStableFunc(stale, func(x, y *unstructured.Unstructured) int { return order(y.GetKind()) - order(x.GetKind()) })
	return stale, nil
}

func objectKey(o *unstructured.Unstructured) string {
	return o.GroupVersionKind().GroupKind().String() + "/" + objectName(o)
}

// delete deletes o in the background (its dependents after it) and reports whether it existed.
func (a *applier) delete(ctx context.Context, o *unstructured.Unstructured) (bool, error) {
	gvk := o.GroupVersionKind()
	mapping, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return false, fmt.Errorf("%s %s: no resource for the kind: %w", gvk, o.GetName(), err)
	}
	var r dynamic.ResourceInterface = a.dyn.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		r = a.dyn.Resource(mapping.Resource).Namespace(o.GetNamespace())
	}
	policy := metav1.DeletePropagationBackground
	err = r.Delete(ctx, o.GetName(), metav1.DeleteOptions{PropagationPolicy: &policy})
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("delete %s %s: %w", gvk.Kind, objectName(o), err)
	}
	return true, nil
}

// waitSyncAdmission waits until the API server enforces the admission policies of the setting:
// a dry-run creation of a valid SecretsStoreSync by the admin is refused with
// SyncDisabledMessage while synchronization is off, and is not while it is on. A policy takes
// effect a moment after it is applied or deleted; tests that create a SecretsStoreSync right
// after Configure must not see the previous setting.
func (m *Module) waitSyncAdmission(ctx context.Context, on bool, timeout time.Duration) error {
	dyn, _, err := dynamicClient(m.s)
	if err != nil {
		return err
	}
	probe := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": syncGVR.GroupVersion().String(), "kind": "SecretsStoreSync",
		"metadata": map[string]any{"name": "modulechart-admission-probe", "namespace": "default"},
		"spec": map[string]any{
			"serviceAccountName": "default", "role": "modulechart-probe",
			"data": []any{map[string]any{"key": "probe", "source": map[string]any{"path": "kv/data/probe", "key": "probe"}}},
		},
	}}
	what := "SecretsStoreSync creation refused (synchronization off)"
	if on {
		what = "SecretsStoreSync creation admitted (synchronization on)"
	}
	return m.wait(ctx, what, timeout, func(ctx context.Context) (string, error) {
		_, err := dyn.Resource(syncGVR).Namespace("default").Create(ctx, probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		refused := err != nil && strings.Contains(err.Error(), SyncDisabledMessage)
		switch {
		case apierrors.IsNotFound(err) && !refused:
			return "", fmt.Errorf("the API server does not serve %s: is crds/secrets-store-sync.yaml applied? %w", syncGVR.Resource, err)
		case on && refused:
			return "the policy of synchronization off still refuses it", nil
		case on && err != nil:
			return "", fmt.Errorf("dry-run creation of a SecretsStoreSync: %w", err)
		case !on && err == nil:
			return "not refused yet: the dry run created it", nil
		case !on && !refused:
			return fmt.Sprintf("not refused by the policy yet: %v", err), nil
		}
		return "", nil
	})
}
