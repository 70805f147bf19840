// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package crds_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/deckhouse/module-sdk/pkg/registry"
	"github.com/deckhouse/module-sdk/testing/framework"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/deckhouse/secrets-store-integration/hooks/crds"
)

func TestGlob(t *testing.T) {
	got := crds.Glob("/modules/secrets-store-integration/hooks/go-hooks")
	if want := "/modules/secrets-store-integration/crds/*.yaml"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRegistered(t *testing.T) {
	for _, h := range registry.Registry().ModuleHooks() {
		if h.Config.Metadata.Name != "crds/crds" {
			continue
		}
		if h.Config.OnStartup == nil || h.Config.OnStartup.Order != 5 || len(h.Config.Kubernetes) != 0 {
			t.Errorf("registered config %+v, want on start-up with order 5 and no bindings", h.Config)
		}
		return
	}
	t.Fatal("hook crds/crds is not registered")
}

// The module's own crds directory, as the binary finds it from hooks/, is
// installed into a fake cluster: the CRD is created with heritage=deckhouse,
// and the doc-ru file (Russian descriptions only, no CRD) is skipped.
func TestInstallsModuleCRDs(t *testing.T) {
	exe := filepath.Join("..", "..", "hooks", "hooks-binary")
	f := framework.HookExecutionConfigInit(t, crds.Config, crds.Handler(func() (string, error) { return crds.Glob(exe), nil }), `{}`, `{}`)
	f.RunHook()
	if err := f.HookError(); err != nil {
		t.Fatalf("hook error: %v", err)
	}

	crd := f.KubernetesGlobalResource("CustomResourceDefinition", "secretsstoreimports.deckhouse.io")
	if crd == nil {
		t.Fatal("CRD secretsstoreimports.deckhouse.io not created")
	}
	labels := crd.GetLabels()
	for k, v := range map[string]string{"heritage": "deckhouse", "module": "secrets-store-integration"} {
		if labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, labels[k], v)
		}
	}
	versions, _, err := unstructured.NestedSlice(crd.Object, "spec", "versions")
	if err != nil || len(versions) != 1 {
		t.Fatalf("got versions %v (%v), want one", versions, err)
	}
	version, ok := versions[0].(map[string]any)
	if !ok {
		t.Fatalf("got version %T, want an object", versions[0])
	}
	desc, _, err := unstructured.NestedString(version, "schema", "openAPIV3Schema", "description")
	if err != nil {
		t.Fatalf("read schema description: %v", err)
	}
	if !strings.HasPrefix(desc, "Describes which secrets") {
		t.Errorf("installed schema description %q, want the English one", desc)
	}
}

func TestNoCRDFilesIsAnError(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "hooks", "hooks-binary")
	f := framework.HookExecutionConfigInit(t, crds.Config, crds.Handler(func() (string, error) { return crds.Glob(exe), nil }), `{}`, `{}`)
	f.RunHook()
	if err := f.HookError(); err == nil || !strings.Contains(err.Error(), "no crd files match") {
		t.Errorf("got error %v, want one saying no crd files match", err)
	}
}
