// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package openapi_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apiextensions "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"sigs.k8s.io/yaml"
)

// crdFiles lists the CRD manifests the CRD hook installs: crds/*.yaml
// except the doc-* files.
func crdFiles(t *testing.T) []string {
	t.Helper()
	all, err := filepath.Glob(filepath.Join(moduleDir, "crds", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, f := range all {
		if !strings.HasPrefix(filepath.Base(f), "doc-") {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		t.Fatal("no CRD files in crds/")
	}
	return files
}

func readCRD(t *testing.T, path string) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(data, crd); err != nil {
		t.Fatalf("%s is not a v1 CustomResourceDefinition: %v", path, err)
	}
	return crd
}

func TestCRDsAreValidV1(t *testing.T) {
	for _, path := range crdFiles(t) {
		crd := readCRD(t, path)
		if crd.APIVersion != "apiextensions.k8s.io/v1" || crd.Kind != "CustomResourceDefinition" {
			t.Errorf("%s: %s %s, want apiextensions.k8s.io/v1 CustomResourceDefinition", path, crd.APIVersion, crd.Kind)
		}
		if want := crd.Spec.Names.Plural + "." + crd.Spec.Group; crd.Name != want {
			t.Errorf("%s: name %q, want %q", path, crd.Name, want)
		}
		for k, v := range map[string]string{"heritage": "deckhouse", "module": "secrets-store-integration"} {
			if crd.Labels[k] != v {
				t.Errorf("%s: label %s = %q, want %q", path, k, crd.Labels[k], v)
			}
		}
		storage := 0
		for _, v := range crd.Spec.Versions {
			if v.Storage {
				storage++
			}
			if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
				t.Errorf("%s: version %s has no schema", path, v.Name)
				continue
			}
			// The API server accepts only structural schemas.
			internal := &apiextensions.JSONSchemaProps{}
			if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, internal, nil); err != nil {
				t.Fatalf("%s: convert schema: %v", path, err)
			}
			ss, err := structuralschema.NewStructural(internal)
			if err != nil {
				t.Errorf("%s: version %s: %v", path, v.Name, err)
				continue
			}
			if errs := structuralschema.ValidateStructural(field.NewPath("openAPIV3Schema"), ss); len(errs) != 0 {
				t.Errorf("%s: version %s is not structural: %v", path, v.Name, errs.ToAggregate())
			}
		}
		if storage != 1 {
			t.Errorf("%s: %d storage versions, want 1", path, storage)
		}
	}
}

func TestSecretsStoreImport(t *testing.T) {
	crd := readCRD(t, filepath.Join(moduleDir, "crds", "secrets-store-import.yaml"))
	if crd.Name != "secretsstoreimports.deckhouse.io" || crd.Spec.Names.Kind != "SecretsStoreImport" ||
		crd.Spec.Scope != apiextensionsv1.NamespaceScoped {
		t.Fatalf("got %s kind %s scope %s", crd.Name, crd.Spec.Names.Kind, crd.Spec.Scope)
	}
	if len(crd.Spec.Versions) != 1 || crd.Spec.Versions[0].Name != "v1alpha1" || !crd.Spec.Versions[0].Served {
		t.Fatalf("versions %+v, want v1alpha1 served", crd.Spec.Versions)
	}
	js, err := json.Marshal(crd.Spec.Versions[0].Schema.OpenAPIV3Schema)
	if err != nil {
		t.Fatal(err)
	}
	s := new(spec.Schema)
	if err := json.Unmarshal(js, s); err != nil {
		t.Fatal(err)
	}

	obj := func(spec string) any {
		return fromJSON(t, `{"apiVersion": "deckhouse.io/v1alpha1", "kind": "SecretsStoreImport",
			"metadata": {"name": "myapp", "namespace": "default"}, "spec": `+spec+`}`)
	}
	files := `"files": [{"name": "db-password", "source": {"path": "demo-kv/data/myapp", "key": "DB_PASS"}}]`

	good := []string{
		`{"type": "CSI", "role": "myapp-role", ` + files + `}`,
		`{"type": "CSI", "role": "myapp-role", "address": "https://stronghold.mycompany.tld:8200", "authPath": "clusters/prod",
			"namespace": "team-a", "audience": "vault", ` + files + `}`,
		`{"type": "CSI", "role": "r", "skipTLSVerify": true, "files": [{"name": "keytab", "decodeBase64": true, "source": {"path": "kv/data/k", "key": "keytab"}}]}`,
		`{"type": "CSI", "role": "r", "files": [{"name": "a", "mode": 292, "source": {"path": "kv/data/k", "key": "a"}}, {"name": "b", "mode": 256, "source": {"path": "kv/data/k", "key": "b"}}]}`,
		`{"type": "CSI", "role": "r", "filesFrom": [{"source": {"path": "kv/data/k"}}, {"mode": 292, "decodeBase64": true, "source": {"path": "kv/data/j", "version": 2}}]}`,
		`{"type": "CSI", "role": "r", "files": [{"name": "tls.crt", "source": {"path": "pki/issue/web", "key": "certificate", "write": {"common_name": "a.example", "ttl": "72h", "exclude_cn_from_sans": true}}}],
			"filesFrom": [{"source": {"path": "pki/issue/web", "write": {}}}]}`,
	}
	for _, g := range good {
		if errs := validateValues(t, s, obj(g), "x-kubernetes-validations", "rule"); len(errs) != 0 {
			t.Errorf("rejected %s:\n%s", g, strings.Join(errs, "\n"))
		}
	}

	withFile := func(name, path, key string) string {
		return `{"type": "CSI", "role": "r", "files": [{"name": "` + name + `", "source": {"path": "` + path + `", "key": "` + key + `"}}]}`
	}
	bad := []struct{ name, spec, want string }{
		{"no role", `{"type": "CSI", ` + files + `}`, "spec.role in body is required"},
		{"no files", `{"type": "CSI", "role": "r", "files": []}`, "spec.files in body should have at least 1 items"},
		{"unknown type", `{"type": "Env", "role": "r", ` + files + `}`, "spec.type in body should be one of"},
		{"dot-dot role", `{"type": "CSI", "role": "..", ` + files + `}`, `role must not be "." or ".."`},
		{"role with a space", `{"type": "CSI", "role": "a b", ` + files + `}`, "spec.role in body should match"},
		{"http address", `{"type": "CSI", "role": "r", "address": "http://x", ` + files + `}`, "spec.address in body should match"},
		{"ca and skip verify", `{"type": "CSI", "role": "r", "skipTLSVerify": true, "caCert": ` + pemJSON + `, ` + files + `}`, "set either caCert or skipTLSVerify"},
		{"traversal file name", withFile("../x", "kv/data/a", "k"), "name in body should match"},
		{"hidden file name", withFile(".hidden", "kv/data/a", "k"), "name in body should match"},
		{"dot-dot path segment", withFile("a", "kv/../a", "k"), `path must not contain "." or ".." segments`},
		{"leading slash path", withFile("a", "/kv/a", "k"), "path in body should match"},
		{"no key", `{"type": "CSI", "role": "r", "files": [{"name": "a", "source": {"path": "kv/a"}}]}`, "source.key in body is required"},
		{"neither files nor filesFrom", `{"type": "CSI", "role": "r"}`, "set files, filesFrom or both"},
		{"filesFrom without a path", `{"type": "CSI", "role": "r", "filesFrom": [{"source": {}}]}`, "source.path in body is required"},
		{"filesFrom dot-dot", `{"type": "CSI", "role": "r", "filesFrom": [{"source": {"path": "kv/../x"}}]}`, `path must not contain "." or ".." segments`},
		{"filesFrom mode", `{"type": "CSI", "role": "r", "filesFrom": [{"mode": 420, "source": {"path": "kv/x"}}]}`, "mode must be 0400, 0440, 0444 or 0404"},
		{"executable mode", `{"type": "CSI", "role": "r", "files": [{"name": "a", "mode": 365, "source": {"path": "kv/a", "key": "k"}}]}`, "mode must be 0400, 0440, 0444 or 0404"},
		{"version and write", `{"type": "CSI", "role": "r", "files": [{"name": "a", "source": {"path": "pki/issue/a", "key": "k", "version": 2, "write": {}}}]}`, "set either version or write"},
		{"filesFrom version and write", `{"type": "CSI", "role": "r", "filesFrom": [{"source": {"path": "pki/issue/a", "version": 2, "write": {}}}]}`, "set either version or write"},
		{"decimal 444", `{"type": "CSI", "role": "r", "files": [{"name": "a", "mode": 444, "source": {"path": "kv/a", "key": "k"}}]}`, "mode must be 0400, 0440, 0444 or 0404"},
	}
	for _, tt := range bad {
		errs := validateValues(t, s, obj(tt.spec), "x-kubernetes-validations", "rule")
		if joined := strings.Join(errs, "\n"); !strings.Contains(joined, tt.want) {
			t.Errorf("%s: errors do not mention %q:\n%s", tt.name, tt.want, joined)
		}
	}
}
