// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package connection_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/deckhouse/module-sdk/testing/framework"
	"sigs.k8s.io/yaml"

	"github.com/deckhouse/secrets-store-integration/hooks/connection"
	"github.com/deckhouse/secrets-store-integration/hooks/internal/module"
)

// clusterYAML renders objects as a multi-document YAML cluster state.
func clusterYAML(t *testing.T, objs ...map[string]any) string {
	t.Helper()
	docs := make([]string, 0, len(objs))
	for _, o := range objs {
		b, err := yaml.Marshal(o)
		if err != nil {
			t.Fatalf("marshal object: %v", err)
		}
		docs = append(docs, string(b))
	}
	return "---\n" + strings.Join(docs, "---\n")
}

// relocated returns a copy of obj in another namespace, or under another name.
func relocated(t *testing.T, obj map[string]any, namespace, name string) map[string]any {
	t.Helper()
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatalf("marshal object: %v", err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("copy object: %v", err)
	}
	meta, ok := out["metadata"].(map[string]any)
	if !ok {
		t.Fatal("fixture object has no metadata map")
	}
	meta["namespace"], meta["name"] = namespace, name
	return out
}

// A walk through the life of a cluster, with the bindings' selectors and
// filters applied by the framework to a fake cluster: Stronghold appears, is
// removed, comes back, the module is switched to Manual and back.
func TestFlow(t *testing.T) {
	caPEM := testCA(t, "stronghold-ca")
	decoyCA := testCA(t, "decoy-ca")
	initial, _ := json.Marshal(moduleValues(t, `{}`))
	f := framework.HookExecutionConfigInit(t, connection.Config, connection.Handle, string(initial), `{}`)

	// Look-alikes outside d8-stronghold or under other names must be ignored.
	decoys := []map[string]any{
		relocated(t, strongholdService(9999), "default", "stronghold"),
		relocated(t, strongholdService(9999), "d8-stronghold", "stronghold-internal"),
		relocated(t, strongholdTLSSecret(decoyCA), "default", "stronghold-tls"),
		relocated(t, strongholdTLSSecret(decoyCA), "d8-stronghold", "ingress-tls"),
	}
	withStronghold := clusterYAML(t, append([]map[string]any{strongholdService(8200, 8300), strongholdTLSSecret(caPEM)}, decoys...)...)
	withoutStronghold := clusterYAML(t, decoys...)

	discovered := connectionMap(strongholdURL, "kubernetes_local", caPEM, "")
	steps := []struct {
		name    string
		cluster string
		set     map[string]any // values paths to set before the run
		want    map[string]any
	}{
		{name: "stronghold present", cluster: withStronghold, want: discovered},
		{name: "stronghold removed", cluster: withoutStronghold, want: map[string]any{}},
		{name: "stronghold back", cluster: withStronghold, want: discovered},
		{
			name:    "switched to manual",
			cluster: withStronghold,
			set: map[string]any{
				"connectionConfiguration": "Manual",
				"connection":              map[string]any{"url": "https://vault.example.com:8200"},
			},
			want: connectionMap("https://vault.example.com:8200", "kubernetes", "", ""),
		},
		{
			name:    "back to discover with a namespace",
			cluster: withStronghold,
			set: map[string]any{
				"connectionConfiguration": "DiscoverLocalStronghold",
				"connection":              map[string]any{"namespace": "team-a"},
			},
			want: connectionMap(strongholdURL, "kubernetes_local", caPEM, "team-a"),
		},
		{name: "stronghold removed again", cluster: withoutStronghold, want: map[string]any{}},
	}

	for _, step := range steps {
		f.KubeStateSet(step.cluster)
		for path, v := range step.set {
			f.ValuesSet(module.Path(path), v)
		}
		f.RunHook()
		if err := f.HookError(); err != nil {
			t.Fatalf("%s: hook error: %v", step.name, err)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(f.ValuesGet(connection.ValuesPath).Raw), &got); err != nil {
			t.Fatalf("%s: decode internal.connection: %v", step.name, err)
		}
		if !reflect.DeepEqual(got, step.want) {
			t.Errorf("%s: internal.connection:\n got %#v\nwant %#v", step.name, got, step.want)
		}

		// Whatever the cluster holds, the snapshots carry the CA at most.
		for _, s := range f.Snapshots().Get(connection.CASnapshot) {
			if str := s.String(); strings.Contains(str, b64(strongholdTLSKey)) || strings.Contains(str, "tls.key") {
				t.Errorf("%s: snapshot carries the private key", step.name)
			}
		}
		if n := len(f.Snapshots().Get(connection.ServiceSnapshot)); n > 1 {
			t.Errorf("%s: %d services in the snapshot, want at most 1", step.name, n)
		}
	}
}
