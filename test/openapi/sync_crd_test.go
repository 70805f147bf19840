// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package openapi_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// specSchema returns the spec schema of a CRD's only version.
func specSchema(t *testing.T, crd *apiextensionsv1.CustomResourceDefinition) apiextensionsv1.JSONSchemaProps {
	t.Helper()
	return crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
}

// withoutDescriptions returns a copy of s with every description removed, to
// compare the rules of two schemas that word their descriptions differently.
func withoutDescriptions(t *testing.T, s apiextensionsv1.JSONSchemaProps) apiextensionsv1.JSONSchemaProps {
	t.Helper()
	s = *s.DeepCopy()
	s.Description = ""
	for k, p := range s.Properties {
		s.Properties[k] = withoutDescriptions(t, p)
	}
	if s.Items != nil && s.Items.Schema != nil {
		item := withoutDescriptions(t, *s.Items.Schema)
		s.Items.Schema = &item
	}
	return s
}

func TestSecretsStoreSyncShape(t *testing.T) {
	crd := readCRD(t, filepath.Join(moduleDir, "crds", "secrets-store-sync.yaml"))
	ssi := readCRD(t, filepath.Join(moduleDir, "crds", "secrets-store-import.yaml"))

	n := crd.Spec.Names
	if crd.Name != "secretsstoresyncs.deckhouse.io" || n.Kind != "SecretsStoreSync" || n.ListKind != "SecretsStoreSyncList" ||
		n.Singular != "secretsstoresync" || !reflect.DeepEqual(n.ShortNames, []string{"sss"}) ||
		!reflect.DeepEqual(n.Categories, []string{"secrets-store"}) || crd.Spec.Scope != apiextensionsv1.NamespaceScoped {
		t.Errorf("got %s names %+v scope %s", crd.Name, n, crd.Spec.Scope)
	}
	if !reflect.DeepEqual(crd.Labels, ssi.Labels) {
		t.Errorf("labels %v, want those of the SecretsStoreImport CRD %v", crd.Labels, ssi.Labels)
	}
	if len(crd.Spec.Versions) != 1 {
		t.Fatalf("got %d versions, want 1", len(crd.Spec.Versions))
	}
	v := crd.Spec.Versions[0]
	if v.Name != "v1alpha1" || !v.Served || !v.Storage {
		t.Errorf("version %s served %v storage %v, want v1alpha1 served and stored", v.Name, v.Served, v.Storage)
	}
	if v.Subresources == nil || v.Subresources.Status == nil {
		t.Error("no status subresource: the controller's status writes would go through the main resource")
	}
	var columns []string
	for _, c := range v.AdditionalPrinterColumns {
		columns = append(columns, c.Name+" "+c.Type+" "+c.JSONPath)
	}
	wantColumns := []string{
		`Ready string .status.conditions[?(@.type=="Ready")].status`,
		"Secret string .status.secretName",
		"Last Sync date .status.lastSyncTime",
		"Age date .metadata.creationTimestamp",
	}
	if !reflect.DeepEqual(columns, wantColumns) {
		t.Errorf("printer columns\n%s\nwant\n%s", strings.Join(columns, "\n"), strings.Join(wantColumns, "\n"))
	}

	// The connection fields and the source of a secret follow SecretsStoreImport exactly.
	sync, imp := specSchema(t, crd), specSchema(t, ssi)
	for _, f := range []string{"role", "address", "authPath", "namespace", "caCert", "audience", "skipTLSVerify"} {
		if got, want := withoutDescriptions(t, sync.Properties[f]), withoutDescriptions(t, imp.Properties[f]); !reflect.DeepEqual(got, want) {
			t.Errorf("spec.%s differs from SecretsStoreImport's:\n got %+v\nwant %+v", f, got, want)
		}
	}
	if !reflect.DeepEqual(sync.XValidations[0], imp.XValidations[0]) {
		t.Errorf("spec rule %+v, want SecretsStoreImport's %+v", sync.XValidations[0], imp.XValidations[0])
	}
	ssiSource := imp.Properties["files"].Items.Schema.Properties["source"]
	sources := map[string]apiextensionsv1.JSONSchemaProps{
		"data":     sync.Properties["data"].Items.Schema.Properties["source"],
		"dataFrom": sync.Properties["dataFrom"].Items.Schema.Properties["source"],
	}
	for where, src := range sources {
		for f, p := range src.Properties {
			if f == "version" {
				continue
			}
			if got, want := withoutDescriptions(t, p), withoutDescriptions(t, ssiSource.Properties[f]); !reflect.DeepEqual(got, want) {
				t.Errorf("spec.%s[].source.%s differs from SecretsStoreImport's:\n got %+v\nwant %+v", where, f, got, want)
			}
		}
	}
	if _, ok := sources["dataFrom"].Properties["key"]; ok {
		t.Error("spec.dataFrom[].source has a key: dataFrom copies every key of the path")
	}

	// The API server refuses duplicates only in lists typed as maps.
	status := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["status"]
	lists := map[string]struct {
		s    apiextensionsv1.JSONSchemaProps
		keys []string
	}{
		"spec.data":                  {sync.Properties["data"], []string{"key"}},
		"spec.rolloutRestartTargets": {sync.Properties["rolloutRestartTargets"], []string{"kind", "name"}},
		"status.conditions":          {status.Properties["conditions"], []string{"type"}},
	}
	for name, l := range lists {
		if l.s.XListType == nil || *l.s.XListType != "map" || !reflect.DeepEqual(l.s.XListMapKeys, l.keys) {
			t.Errorf("%s: list type %v keys %v, want a map keyed by %v", name, l.s.XListType, l.s.XListMapKeys, l.keys)
		}
	}
	for _, f := range []string{"observedGeneration", "secretName", "lastSyncTime", "dataHMAC", "conditions"} {
		if _, ok := status.Properties[f]; !ok {
			t.Errorf("status has no %s", f)
		}
	}
	if got := status.Properties["lastSyncTime"].Format; got != "date-time" {
		t.Errorf("status.lastSyncTime format %q, want date-time", got)
	}
}

// syncSchema is the SecretsStoreSync schema as kube-openapi validates it.
func syncSchema(t *testing.T) *spec.Schema {
	t.Helper()
	crd := readCRD(t, filepath.Join(moduleDir, "crds", "secrets-store-sync.yaml"))
	js, err := json.Marshal(crd.Spec.Versions[0].Schema.OpenAPIV3Schema)
	if err != nil {
		t.Fatal(err)
	}
	s := new(spec.Schema)
	if err := json.Unmarshal(js, s); err != nil {
		t.Fatal(err)
	}
	return s
}

// syncObject is a SecretsStoreSync with the given spec fields (a JSON object's
// members, without braces) after serviceAccountName and role.
func syncObject(t *testing.T, fields string) any {
	t.Helper()
	if fields != "" {
		fields = ", " + fields
	}
	return fromJSON(t, `{"apiVersion": "deckhouse.io/v1alpha1", "kind": "SecretsStoreSync",
		"metadata": {"name": "myapp", "namespace": "default"},
		"spec": {"serviceAccountName": "myapp-sa", "role": "myapp-role"`+fields+`}}`)
}

const syncData = `"data": [{"key": "password", "source": {"path": "demo-kv/data/myapp-secret", "key": "DB_PASS"}}]`

func TestSecretsStoreSyncAccepts(t *testing.T) {
	s := syncSchema(t)
	good := map[string]string{
		"one key":       syncData,
		"only dataFrom": `"dataFrom": [{"source": {"path": "demo-kv/data/myapp-secret"}}, {"source": {"path": "kv/data/b", "version": 2}}]`,
		"tls from pki": `"target": {"name": "web-tls", "type": "kubernetes.io/tls"}, "data": [
			{"key": "tls.crt", "source": {"path": "pki/issue/web", "key": "certificate"}},
			{"key": "tls.key", "source": {"path": "pki/issue/web", "key": "private_key"}}]`,
		"template and version": `"data": [{"key": ".dockerconfigjson", "source": {"path": "kv/data/registry", "version": 3},
			"template": "{\"auths\": {\"r.example.com\": {\"username\": \"${.username}\", \"password\": \"${.password}\"}}}"}],
			"target": {"type": "kubernetes.io/dockerconfigjson"}`,
		"base64 and data over dataFrom": `"data": [{"key": "keytab", "decodeBase64": true, "source": {"path": "kv/data/k", "key": "keytab"}}],
			"dataFrom": [{"source": {"path": "kv/data/k"}}]`,
		"shortest refresh":  `"refreshInterval": "30s", ` + syncData,
		"longest refresh":   `"refreshInterval": "24h", ` + syncData,
		"composite refresh": `"refreshInterval": "1h30m", ` + syncData,
		"labels and annotations": `"target": {"labels": {"app.kubernetes.io/name": "myapp", "tier": ""},
			"annotations": {"example.com/owner": "team-a", "note": "any text, with spaces"}}, ` + syncData,
		"restart targets": `"rolloutRestartTargets": [{"kind": "Deployment", "name": "myapp"}, {"kind": "StatefulSet", "name": "myapp"},
			{"kind": "DaemonSet", "name": "agent"}], ` + syncData,
		"connection overrides": `"address": "https://stronghold.mycompany.tld:8200", "authPath": "clusters/prod", "namespace": "team-a",
			"audience": "vault", "caCert": ` + pemJSON + `, ` + syncData,
		"skip verify": `"skipTLSVerify": true, ` + syncData,
	}
	for name, fields := range good {
		if errs := validateValues(t, s, syncObject(t, fields), "x-kubernetes-validations", "rule"); len(errs) != 0 {
			t.Errorf("%s: rejected:\n%s", name, strings.Join(errs, "\n"))
		}
	}
}

func TestSecretsStoreSyncRefuses(t *testing.T) {
	s := syncSchema(t)
	item := func(members string) string { return `"data": [{` + members + `}]` }
	var many []string
	for i := range 257 {
		many = append(many, fmt.Sprintf(`{"key": "k%d", "source": {"path": "kv/a", "key": "k"}}`, i))
	}
	labels := map[string]string{}
	for i := range 65 {
		labels[fmt.Sprintf("l%d", i)] = "v"
	}
	manyLabels, err := json.Marshal(labels)
	if err != nil {
		t.Fatal(err)
	}
	bad := []struct{ name, fields, want string }{
		{"no data", ``, "set data, dataFrom or both"},
		{"empty data", `"data": []`, "spec.data in body should have at least 1 items"},
		{"empty dataFrom", `"dataFrom": []`, "spec.dataFrom in body should have at least 1 items"},
		{"too many keys", `"data": [` + strings.Join(many, ",") + `]`, "spec.data in body should have at most 256 items"},
		{"key and template", item(`"key": "a", "source": {"path": "kv/a", "key": "k"}, "template": "${.k}"`), "set exactly one of source.key and template"},
		{"neither key nor template", item(`"key": "a", "source": {"path": "kv/a"}`), "set exactly one of source.key and template"},
		{"no source", item(`"key": "a", "template": "x"`), "data[0].source in body is required"},
		{"dot-dot secret key", item(`"key": "..data", "source": {"path": "kv/a", "key": "k"}`), `key must not be "." and must not start with ".."`},
		{"dot secret key", item(`"key": ".", "source": {"path": "kv/a", "key": "k"}`), `key must not be "." and must not start with ".."`},
		{"slash in secret key", item(`"key": "a/b", "source": {"path": "kv/a", "key": "k"}`), "data[0].key in body should match"},
		{"dot-dot path segment", item(`"key": "a", "source": {"path": "kv/../a", "key": "k"}`), `path must not contain "." or ".." segments`},
		{"dataFrom dot-dot segment", `"dataFrom": [{"source": {"path": "kv/.."}}]`, `path must not contain "." or ".." segments`},
		{"leading slash", item(`"key": "a", "source": {"path": "/kv/a", "key": "k"}`), "source.path in body should match"},
		{"version zero", item(`"key": "a", "source": {"path": "kv/a", "key": "k", "version": 0}`), "source.version in body should be greater than or equal to 1"},
		{"long template", item(`"key": "a", "source": {"path": "kv/a"}, "template": "` + strings.Repeat("x", 8193) + `"`), "template in body should be at most 8192 chars long"},
		{"service account with capitals", `"serviceAccountName": "MyApp", ` + syncData, "spec.serviceAccountName in body should match"},
		{"refresh too short", `"refreshInterval": "29s", ` + syncData, "refreshInterval must be from 30s to 24h"},
		{"refresh too long", `"refreshInterval": "24h0m1s", ` + syncData, "refreshInterval must be from 30s to 24h"},
		{"refresh in words", `"refreshInterval": "2 minutes", ` + syncData, "spec.refreshInterval in body should match"},
		{"reserved label", `"target": {"labels": {"secrets-store.deckhouse.io/sync": "other"}}, ` + syncData, "label keys under secrets-store.deckhouse.io/ are reserved"},
		{"reserved annotation", `"target": {"annotations": {"secrets-store.deckhouse.io/synced-from": "x/y"}}, ` + syncData, "annotation keys under secrets-store.deckhouse.io/ are reserved"},
		{"bad label value", `"target": {"labels": {"a": "x y"}}, ` + syncData, "in body should match"},
		{"too many labels", `"target": {"labels": ` + string(manyLabels) + `}, ` + syncData, "spec.target.labels in body should have at most 64 properties"},
		{"unknown secret type", `"target": {"type": "bootstrap.kubernetes.io/token"}, ` + syncData, "spec.target.type in body should be one of"},
		{"bad secret name", `"target": {"name": "My_Secret"}, ` + syncData, "spec.target.name in body should match"},
		{"restart a job", `"rolloutRestartTargets": [{"kind": "Job", "name": "x"}], ` + syncData, "kind in body should be one of"},
		{"ca and skip verify", `"skipTLSVerify": true, "caCert": ` + pemJSON + `, ` + syncData, "set either caCert or skipTLSVerify"},
		{"http address", `"address": "http://x", ` + syncData, "spec.address in body should match"},
		{"dot-dot role", `"role": "..", ` + syncData, `role must not be "." or ".."`},
	}
	for _, tt := range bad {
		// A member given twice in a JSON object takes its last value, so a case
		// may replace serviceAccountName or role.
		errs := validateValues(t, s, syncObject(t, tt.fields), "x-kubernetes-validations", "rule")
		if joined := strings.Join(errs, "\n"); !strings.Contains(joined, tt.want) {
			t.Errorf("%s: errors do not mention %q:\n%s", tt.name, tt.want, joined)
		}
	}
	for _, field := range []string{"serviceAccountName", "role"} {
		obj := syncObject(t, syncData)
		delete(object(t, object(t, obj, "object")["spec"], "spec"), field)
		want := "spec." + field + " in body is required"
		if joined := strings.Join(validateValues(t, s, obj, "x-kubernetes-validations", "rule"), "\n"); !strings.Contains(joined, want) {
			t.Errorf("no %s: errors do not mention %q:\n%s", field, want, joined)
		}
	}
}
