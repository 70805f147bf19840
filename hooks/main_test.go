// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// buildHooks builds the hooks binary the way the module image does (no
// -trimpath), into dir/hooks/, as in the module bundle.
func buildHooks(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the hooks binary")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the hooks binary")
	}
	bin := filepath.Join(t.TempDir(), "hooks", "go-hooks")
	cmd := exec.CommandContext(t.Context(), gobin, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func runHooks(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", bin, args, err, out)
	}
	return string(out)
}

// The binary speaks module-sdk's protocol to addon-operator: it lists the
// hooks under their source paths, prints their bindings, and runs one hook
// from the input files into the output files.
func TestBinary(t *testing.T) {
	bin := buildHooks(t)

	list := runHooks(t, bin, nil, "hooks", "list")
	index := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^(\d+) - (\S+)$`).FindAllStringSubmatch(list, -1) {
		index[m[2]] = m[1]
	}
	for _, name := range []string{"apiserver/apiserver", "connection/connection", "crds/crds", "tlscert/tlscert"} {
		if index[name] == "" {
			t.Fatalf("hook %s not listed:\n%s", name, list)
		}
	}
	if len(index) != 4 {
		t.Errorf("got hooks %v, want exactly four", index)
	}

	var config struct {
		Hooks []struct {
			Metadata   struct{ Name string } `json:"metadata"`
			OnStartup  *int                  `json:"onStartup"`
			BeforeHelm *int                  `json:"beforeHelm"`
			Kubernetes []struct {
				Name         string `json:"name"`
				Kind         string `json:"kind"`
				NameSelector struct {
					MatchNames []string `json:"matchNames"`
				} `json:"nameSelector"`
				Namespace struct {
					NameSelector struct {
						MatchNames []string `json:"matchNames"`
					} `json:"nameSelector"`
				} `json:"namespace"`
			} `json:"kubernetes"`
		} `json:"hooks"`
	}
	if err := json.Unmarshal([]byte(runHooks(t, bin, nil, "hooks", "config")), &config); err != nil {
		t.Fatalf("decode hooks config: %v", err)
	}
	got := map[string]string{}
	for _, h := range config.Hooks {
		var b []string
		for _, k := range h.Kubernetes {
			b = append(b, k.Name+"="+k.Kind+":"+strings.Join(k.Namespace.NameSelector.MatchNames, ",")+"/"+strings.Join(k.NameSelector.MatchNames, ","))
		}
		switch {
		case h.OnStartup != nil:
			b = append(b, "onStartup")
		case h.BeforeHelm != nil:
			b = append(b, "beforeHelm")
		}
		got[h.Metadata.Name] = strings.Join(b, " ")
	}
	want := map[string]string{
		"apiserver/apiserver":   "apiserver_endpoints=EndpointSlice:default/ beforeHelm",
		"connection/connection": "stronghold_service=Service:d8-stronghold/stronghold stronghold_ca=Secret:d8-stronghold/stronghold-tls beforeHelm",
		"crds/crds":             "onStartup",
		"tlscert/tlscert":       "secret=Secret:d8-secrets-store-integration/secrets-store-integration-webhook-tls beforeHelm",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("hooks config:\n got %v\nwant %v", got, want)
	}

	t.Run("run connection", func(t *testing.T) {
		dir := t.TempDir()
		ca := "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
		files := map[string]string{
			"values.json": `{"global": {"discovery": {"clusterDomain": "cluster.local"}},
				"secretsStoreIntegration": {"connectionConfiguration": "DiscoverLocalStronghold", "internal": {"connection": {}, "webhookCert": {}}}}`,
			"config_values.json": `{"secretsStoreIntegration": {}}`,
			"binding_context.json": `[{"binding": "stronghold_ca", "type": "Synchronization", "snapshots": {
				"stronghold_service": [{"filterResult": {"name": "stronghold", "ports": [{"name": "api", "port": 8200}, {"name": "https", "port": 8300}]}}],
				"stronghold_ca": [{"filterResult": {"caCrt": "` + base64.StdEncoding.EncodeToString([]byte(ca)) + `"}}]}}]`,
		}
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		out := filepath.Join(dir, "out")
		runHooks(t, bin, []string{
			"CREATE_FILES=true",
			"BINDING_CONTEXT_PATH=" + filepath.Join(dir, "binding_context.json"),
			"VALUES_PATH=" + filepath.Join(dir, "values.json"),
			"CONFIG_VALUES_PATH=" + filepath.Join(dir, "config_values.json"),
			"VALUES_JSON_PATCH_PATH=" + filepath.Join(out, "values.json"),
			"CONFIG_VALUES_JSON_PATCH_PATH=" + filepath.Join(out, "config_values.json"),
			"KUBERNETES_PATCH_PATH=" + filepath.Join(out, "kubernetes.json"),
			"METRICS_PATH=" + filepath.Join(out, "metrics.json"),
		}, "hooks", "run", index["connection/connection"])

		raw, err := os.ReadFile(filepath.Join(out, "values.json"))
		if err != nil {
			t.Fatalf("read values patch: %v", err)
		}
		var patches []struct {
			Op    string         `json:"op"`
			Path  string         `json:"path"`
			Value map[string]any `json:"value"`
		}
		if err := json.Unmarshal(raw, &patches); err != nil {
			t.Fatalf("decode values patch %s: %v", raw, err)
		}
		wantValue := map[string]any{"url": "https://stronghold.d8-stronghold.svc:8300", "authPath": "kubernetes_local", "caCert": ca, "namespace": ""}
		if len(patches) != 1 || patches[0].Op != "add" || patches[0].Path != "/secretsStoreIntegration/internal/connection" ||
			!reflect.DeepEqual(patches[0].Value, wantValue) {
			t.Errorf("values patch %s, want one add of %v at /secretsStoreIntegration/internal/connection", raw, wantValue)
		}
	})
}
