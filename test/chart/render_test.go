// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package chart_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"sigs.k8s.io/yaml"

	"github.com/deckhouse/secrets-store-integration/test/modulechart"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with the current output")

const (
	moduleName      = "secrets-store-integration"
	moduleNamespace = "d8-secrets-store-integration"
)

// renderCase is one way Deckhouse (or the local cluster) renders the chart.
type renderCase struct {
	name string
	// values are files merged in order over testdata/values/base.yaml.
	values []string
	// monitoring: the cluster serves the Prometheus Operator and Grafana
	// dashboard APIs, and those of the other Deckhouse modules the chart uses
	// (VPA, admission-policy-engine's SecurityPolicyException).
	monitoring bool
}

var renderCases = []renderCase{
	{name: "discover-stronghold", values: []string{"testdata/values/discover-stronghold.yaml"}, monitoring: true},
	{name: "discover-absent", values: []string{"testdata/values/discover-absent.yaml"}},
	{name: "manual", values: []string{"testdata/values/manual.yaml"}, monitoring: true},
	{name: "local", values: []string{"testdata/values/local.yaml", "local_values.yaml"}},
}

// manifest is one rendered YAML document and the template it came from.
type manifest struct {
	source string
	doc    string
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// loadChart loads the chart as Helm does: the repository root is the chart
// directory and .helmignore decides which files belong to it.
func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	ch, err := loader.Load(repoRoot(t))
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	return ch
}

func readValues(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func caseValues(t *testing.T, c renderCase) map[string]any {
	t.Helper()
	v := readValues(t, "testdata/values/base.yaml")
	for _, f := range c.values {
		v = modulechart.Merge(v, readValues(t, f))
	}
	return v
}

func capabilities(monitoring bool) *chartutil.Capabilities {
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = chartutil.KubeVersion{Version: "v1.33.4", Major: "1", Minor: "33"}
	if monitoring {
		caps.APIVersions = append(caps.APIVersions,
			"monitoring.coreos.com/v1",
			"monitoring.coreos.com/v1/PodMonitor",
			"monitoring.coreos.com/v1/PrometheusRule",
			"deckhouse.io/v1",
			"deckhouse.io/v1/GrafanaDashboardDefinition",
			"autoscaling.k8s.io/v1",
			"autoscaling.k8s.io/v1/VerticalPodAutoscaler",
			"deckhouse.io/v1alpha1",
			securityPolicyExceptionAPI,
		)
	}
	return caps
}

// monitoringModules are the modules Deckhouse enables where the monitoring APIs of capabilities
// exist; the platform's Helm library renders alerts and dashboards by them.
var monitoringModules = []any{"operator-prometheus-crd", "prometheus-crd"}

// withMonitoringModules returns values with monitoringModules in global.enabledModules.
func withMonitoringModules(values map[string]any) map[string]any {
	enabled, _ := digAny(values, "global", "enabledModules").([]any)
	return modulechart.Merge(values, map[string]any{"global": map[string]any{
		"enabledModules": append(append([]any{}, enabled...), monitoringModules...),
	}})
}

// render renders the chart with the given values and returns its documents in
// a stable order: by template path, then in template order.
func render(t *testing.T, ch *chart.Chart, values map[string]any, monitoring bool) ([]manifest, error) {
	t.Helper()
	opts := chartutil.ReleaseOptions{Name: moduleName, Namespace: moduleNamespace, IsInstall: true}
	if monitoring {
		values = withMonitoringModules(values)
	}
	vals, err := chartutil.ToRenderValues(ch, values, opts, capabilities(monitoring))
	if err != nil {
		return nil, fmt.Errorf("render values: %w", err)
	}
	out, err := engine.Render(ch, vals)
	if err != nil {
		return nil, err
	}
	paths := make([]string, 0, len(out))
	for p := range out {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var ms []manifest
	for _, p := range paths {
		for _, doc := range docSeparator.Split(out[p], -1) {
			if isBlankYAML(doc) {
				continue
			}
			// Blank lines around a document are dropped; its last line break
			// stays, as the end of a block scalar may depend on it.
			ms = append(ms, manifest{source: strings.TrimPrefix(p, moduleName+"/"), doc: strings.TrimSpace(doc) + "\n"})
		}
	}
	return ms, nil
}

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// isBlankYAML reports a document made of blank lines and comments only.
func isBlankYAML(doc string) bool {
	for _, l := range strings.Split(doc, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

func mustRender(t *testing.T, c renderCase) []manifest {
	t.Helper()
	ms, err := render(t, loadChart(t), caseValues(t, c), c.monitoring)
	if err != nil {
		t.Fatalf("render %s: %v", c.name, err)
	}
	return ms
}

func goldenText(ms []manifest) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s", m.source, m.doc)
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	for _, c := range renderCases {
		t.Run(c.name, func(t *testing.T) {
			got := goldenText(mustRender(t, c))
			path := filepath.Join("testdata", c.name+".golden.yaml")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./test/chart -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("rendered chart differs from %s (run go test ./test/chart -update and review the diff):\n%s",
					path, firstDifference(string(want), got))
			}
		})
	}
}

// firstDifference shows the first differing line with a little context.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  want: %q\n  got:  %q", i+1, wl, gl)
		}
	}
	return "(no line differs)"
}

// webhookDeployment is the webhook's Deployment (templates/webhook/deployment.yaml).
const webhookDeployment = "secrets-store-webhook"

// TestTrailingWhitespace keeps the output free of the blank indented lines
// that optional template blocks leave behind when they render nothing. The
// alerts and dashboards and the kube-rbac-proxy CA ConfigMap are rendered by
// the platform's Helm library, whose output is not this chart's to format.
func TestTrailingWhitespace(t *testing.T) {
	for _, c := range renderCases {
		for _, m := range mustRender(t, c) {
			if m.source == "templates/monitoring.yaml" || m.source == "templates/kube-rbac-proxy-ca.yaml" {
				continue
			}
			for i, l := range strings.Split(strings.TrimSuffix(m.doc, "\n"), "\n") {
				if strings.TrimRight(l, " \t") != l {
					t.Errorf("%s: %s line %d has trailing whitespace: %q", c.name, m.source, i+1, l)
				}
			}
		}
	}
}

func TestRenderFailsWithoutRequiredValues(t *testing.T) {
	ch := loadChart(t)
	base := caseValues(t, renderCases[0])
	tests := []struct {
		name     string
		override string
		want     string
	}{
		{
			name:     "no webhook certificate",
			override: `{"secretsStoreIntegration": {"internal": {"webhookCert": {"crt": "", "key": "", "ca": ""}}}}`,
			want:     "internal.webhookCert",
		},
		{
			name:     "no image digest",
			override: `{"global": {"modulesImages": {"digests": {"secretsStoreIntegration": {"csiDriver": ""}}}}}`,
			want:     "secretsStoreIntegration.csiDriver has no digest",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o map[string]any
			if err := yaml.Unmarshal([]byte(tt.override), &o); err != nil {
				t.Fatal(err)
			}
			_, err := render(t, ch, modulechart.Merge(base, o), false)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("render error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}
