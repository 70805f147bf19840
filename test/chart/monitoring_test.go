// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package chart_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// metricNamePattern finds the module's metric names in PromQL: all of them
// start with secrets_store_.
var metricNamePattern = regexp.MustCompile(`\bsecrets_store_[a-z0-9_]+\b`)

// selectorPattern finds every identifier used as a series selector (followed
// by a label matcher or a range), whatever its prefix.
var selectorPattern = regexp.MustCompile(`\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[{\[]`)

// exportedNames collects the string constants of the programs' Go sources
// (tests excluded). A metric name is exported if it is one of them or the
// concatenation of two (a prefix constant plus a name).
func exportedNames(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	root := repoRoot(t)
	fset := token.NewFileSet()
	for _, dir := range []string{"internal", "images", "hooks"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil {
						names[s] = true
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return names
}

// metricExported reports whether the series name (histogram suffixes
// allowed) is a metric the programs export.
func metricExported(names map[string]bool, series string) bool {
	candidates := []string{series}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(series, suffix); ok {
			candidates = append(candidates, base)
		}
	}
	for _, name := range candidates {
		if names[name] {
			return true
		}
		for i := 1; i < len(name); i++ {
			if names[name[:i]] && names[name[i:]] {
				return true
			}
		}
	}
	return false
}

// checkExpr reports metrics in a PromQL expression that no program exports.
func checkExpr(t *testing.T, names map[string]bool, where, expr string) {
	t.Helper()
	used := metricNamePattern.FindAllString(expr, -1)
	for _, m := range selectorPattern.FindAllStringSubmatch(expr, -1) {
		used = append(used, m[1])
	}
	if len(used) == 0 {
		t.Errorf("%s: expression uses none of the module's metrics: %s", where, expr)
	}
	for _, m := range used {
		if !metricExported(names, m) {
			t.Errorf("%s: metric %s is not exported by any program (expression %s)", where, m, expr)
		}
	}
}

func ruleFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "monitoring", "prometheus-rules", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files in monitoring/prometheus-rules (%v)", err)
	}
	return files
}

func TestPrometheusRules(t *testing.T) {
	names := exportedNames(t)
	alerts := map[string]bool{}
	for _, f := range ruleFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var groups []ruleGroup
		if err := yaml.UnmarshalStrict(b, &groups); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(groups) == 0 {
			t.Errorf("%s: no rule groups", f)
		}
		for _, g := range groups {
			if !strings.HasPrefix(g.Name, "d8.secrets-store-integration.") || len(g.Rules) == 0 {
				t.Errorf("%s: group %q: want a d8.secrets-store-integration.* name and rules", f, g.Name)
			}
			for _, r := range g.Rules {
				where := filepath.Base(f) + ": " + r.Alert
				// D8SecretsStore*: a component of the module; SecretsStore*: a user's resource.
				if r.Alert == "" || !strings.HasPrefix(r.Alert, "D8SecretsStore") && !strings.HasPrefix(r.Alert, "SecretsStore") {
					t.Errorf("%s: alert name %q, want D8SecretsStore* or SecretsStore*", where, r.Alert)
				}
				if alerts[r.Alert] {
					t.Errorf("%s: duplicate alert", where)
				}
				alerts[r.Alert] = true
				if r.For == "" {
					t.Errorf("%s: no for: a single scrape must not fire the alert", where)
				}
				if lvl, err := strconv.Atoi(r.Labels["severity_level"]); err != nil || lvl < 1 || lvl > 9 {
					t.Errorf("%s: severity_level %q, want 1..9", where, r.Labels["severity_level"])
				}
				if r.Labels["d8_module"] != moduleName {
					t.Errorf("%s: d8_module %q", where, r.Labels["d8_module"])
				}
				for _, a := range []string{"summary", "description", "plk_protocol_version", "plk_markup_format"} {
					if strings.TrimSpace(r.Annotations[a]) == "" {
						t.Errorf("%s: no %s annotation", where, a)
					}
				}
				if !strings.Contains(r.Annotations["description"], "What to do") {
					t.Errorf("%s: the description does not say what to do", where)
				}
				checkGrouping(t, where, r.Annotations)
				checkExpr(t, names, where, r.Expr)
			}
		}
	}
	for _, want := range []string{
		"D8SecretsStoreWebhookReviewErrors", "D8SecretsStoreWebhookSlowReviews", "D8SecretsStoreWebhookCertificateExpiresSoon",
		"D8SecretsStoreCSIPublishFailing", "D8SecretsStoreCSIRotationFailing", "D8SecretsStoreLoginFailing",
		"D8SecretsStoreCSIInjectorUnavailable",
		"SecretsStoreSyncFailing", "D8SecretsStoreSyncControllerUnavailable",
	} {
		if !alerts[want] {
			t.Errorf("alert %s is missing", want)
		}
	}
}

// checkGrouping: each "create group" annotation has its "grouped by" twin.
func checkGrouping(t *testing.T, where string, ann map[string]string) {
	t.Helper()
	const create, groupedBy = "plk_create_group_if_not_exists__", "plk_grouped_by__"
	for k, v := range ann {
		if suffix, ok := strings.CutPrefix(k, create); ok {
			if ann[groupedBy+suffix] != v {
				t.Errorf("%s: %s has no matching %s%s", where, k, groupedBy, suffix)
			}
		}
	}
}

// TestRenderedRules: the chart turns each rule file into one PrometheusRule
// with the same groups (in the manual case, which turns synchronization on and
// so renders the sync-controller files too).
func TestRenderedRules(t *testing.T) {
	objs := renderedCase(t, renderCases[2])
	rendered := map[string][]ruleGroup{}
	for _, r := range find[*prometheusRule](objs) {
		if r.Labels["prometheus"] != "main" || r.Namespace != moduleNamespace {
			t.Errorf("PrometheusRule %s: labels %v, namespace %s", r.Name, r.Labels, r.Namespace)
		}
		rendered[r.Name] = r.Spec.Groups
	}
	for _, f := range ruleFiles(t) {
		name := moduleName + "-" + strings.TrimSuffix(filepath.Base(f), ".yaml")
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var want []ruleGroup
		if err := yaml.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		got, ok := rendered[name]
		if !ok {
			t.Errorf("no PrometheusRule %s for %s", name, filepath.Base(f))
			continue
		}
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if string(gj) != string(wj) {
			t.Errorf("PrometheusRule %s differs from %s", name, filepath.Base(f))
		}
	}
}

// dashboard holds the parts of a Grafana dashboard the test reads.
type dashboard struct {
	UID       string  `json:"uid"`
	Title     string  `json:"title"`
	Panels    []panel `json:"panels"`
	Templates struct {
		List []struct {
			Name       string `json:"name"`
			Type       string `json:"type"`
			Definition string `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID      int    `json:"id"`
	Type    string `json:"type"`
	Title   string `json:"title"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

func TestDashboards(t *testing.T) {
	names := exportedNames(t)
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "monitoring", "grafana-dashboards", "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	uids := map[string]bool{}
	for _, f := range files {
		got = append(got, filepath.Base(f))
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if d.UID == "" || d.Title == "" || uids[d.UID] {
			t.Errorf("%s: uid %q, title %q: want a unique uid and a title", f, d.UID, d.Title)
		}
		uids[d.UID] = true
		ids := map[int]bool{}
		queries := 0
		var walk func([]panel)
		walk = func(ps []panel) {
			for _, p := range ps {
				where := filepath.Base(f) + ": " + p.Title
				if ids[p.ID] {
					t.Errorf("%s: duplicate panel id %d", where, p.ID)
				}
				ids[p.ID] = true
				if p.Type != "row" && len(p.Targets) == 0 {
					t.Errorf("%s: panel has no query", where)
				}
				for _, tg := range p.Targets {
					queries++
					checkExpr(t, names, where, tg.Expr)
				}
				walk(p.Panels)
			}
		}
		walk(d.Panels)
		if queries == 0 {
			t.Errorf("%s: no queries", f)
		}
		for _, v := range d.Templates.List {
			if v.Type == "query" {
				checkExpr(t, names, filepath.Base(f)+": variable "+v.Name, v.Definition)
			}
		}
	}
	sort.Strings(got)
	if want := []string{"csi-driver.json", "sync-controller.json", "webhook.json"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("dashboards %v, want one per component %v", got, want)
	}
}

// TestRenderedDashboards: each dashboard becomes a GrafanaDashboardDefinition
// whose definition is the file's JSON.
func TestRenderedDashboards(t *testing.T) {
	defs := find[*grafanaDashboardDefinition](renderedCase(t, renderCases[2])) // manual: synchronization on
	if len(defs) != 3 {
		t.Fatalf("%d GrafanaDashboardDefinitions, want 3", len(defs))
	}
	for _, d := range defs {
		var v map[string]any
		if err := json.Unmarshal([]byte(d.Spec.Definition), &v); err != nil {
			t.Errorf("%s: definition is not JSON: %v", d.Name, err)
		}
		if d.Spec.Folder != "Secrets Store Integration" {
			t.Errorf("%s: folder %q", d.Name, d.Spec.Folder)
		}
	}
}
