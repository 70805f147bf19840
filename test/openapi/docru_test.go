// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package openapi_test

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// Keys through which a schema nests other schemas.
var schemaContainers = map[string]bool{
	"properties": true, "patternProperties": true, "items": true, "additionalProperties": true,
}

// describedNodes walks a schema and returns the path of every schema node and
// whether it has a description. Only nested schemas are followed (not oneOf
// branches, which repeat properties to state a rule and carry no text).
func describedNodes(node any, path string, out map[string]bool) {
	m, ok := node.(map[string]any)
	if !ok {
		return
	}
	_, described := m["description"]
	out[path] = described
	for key, v := range m {
		if !schemaContainers[key] {
			continue
		}
		switch key {
		case "items", "additionalProperties":
			if _, isSchema := v.(map[string]any); isSchema {
				describedNodes(v, path+"."+key, out)
			}
		default:
			children, _ := v.(map[string]any)
			for name, child := range children {
				describedNodes(child, path+"."+key+"."+name, out)
			}
		}
	}
}

// reporter is the part of *testing.T that checkRussian reports through.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// checkRussian compares a Russian schema tree with its English original: the
// same nodes carry a description, the Russian one is in Russian, and the
// Russian file holds nothing else.
func checkRussian(t reporter, file string, en, ru any) {
	t.Helper()
	enNodes, ruNodes := map[string]bool{}, map[string]bool{}
	describedNodes(en, "", enNodes)
	describedNodes(ru, "", ruNodes)

	var problems []string
	for path, described := range enNodes {
		has, present := ruNodes[path]
		switch {
		case described && (!present || !has):
			problems = append(problems, "missing Russian description at "+display(path))
		case !described && has:
			problems = append(problems, "Russian description without an English one at "+display(path))
		}
	}
	for path := range ruNodes {
		if _, ok := enNodes[path]; !ok {
			problems = append(problems, "no such schema node in the English file: "+display(path))
		}
	}
	problems = append(problems, onlyDescriptions(ru, "")...)
	sort.Strings(problems)
	for _, p := range problems {
		t.Errorf("%s: %s", file, p)
	}
}

// onlyDescriptions reports any key of a Russian schema tree other than
// description and the containers leading to nested schemas, and any
// description that has no Russian text.
func onlyDescriptions(node any, path string) []string {
	m, ok := node.(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("%s is not an object", display(path))}
	}
	var problems []string
	for key, v := range m {
		switch {
		case key == "description":
			s, _ := v.(string)
			if !hasCyrillic(s) {
				problems = append(problems, fmt.Sprintf("description at %s is not in Russian: %q", display(path), s))
			}
		case key == "items" || key == "additionalProperties":
			problems = append(problems, onlyDescriptions(v, path+"."+key)...)
		case schemaContainers[key]:
			children, _ := v.(map[string]any)
			for name, child := range children {
				problems = append(problems, onlyDescriptions(child, path+"."+key+"."+name)...)
			}
		default:
			problems = append(problems, fmt.Sprintf("key %q at %s: a Russian file carries descriptions only", key, display(path)))
		}
	}
	return problems
}

func hasCyrillic(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Cyrillic, r) {
			return true
		}
	}
	return false
}

func display(path string) string {
	if path == "" {
		return "the root"
	}
	return strings.TrimPrefix(path, ".")
}

// crdSchemas returns the openAPIV3Schema of every version of a CRD document
// (English or Russian), by version name, and reports any other content of a
// Russian document.
func crdSchemas(t *testing.T, file string, doc any, russian bool) map[string]any {
	t.Helper()
	m, _ := doc.(map[string]any)
	specMap, _ := m["spec"].(map[string]any)
	versions, _ := specMap["versions"].([]any)
	if len(versions) == 0 {
		t.Fatalf("%s: no spec.versions", file)
	}
	if russian && (len(m) != 1 || len(specMap) != 1) {
		t.Errorf("%s: a Russian CRD file carries spec.versions only, got keys %v / %v", file, keys(m), keys(specMap))
	}
	out := map[string]any{}
	for _, v := range versions {
		vm, _ := v.(map[string]any)
		name, _ := vm["name"].(string)
		schema, _ := vm["schema"].(map[string]any)
		out[name] = schema["openAPIV3Schema"]
		if russian && (len(vm) != 2 || len(schema) != 1) {
			t.Errorf("%s: version %s carries more than name and schema.openAPIV3Schema: %v / %v", file, name, keys(vm), keys(schema))
		}
	}
	return out
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestRussianDescriptions(t *testing.T) {
	ruFiles, err := filepath.Glob(filepath.Join(moduleDir, "*", "doc-ru-*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, ruPath := range ruFiles {
		rel, _ := filepath.Rel(moduleDir, ruPath)
		enRel := filepath.Join(filepath.Dir(rel), strings.TrimPrefix(filepath.Base(rel), "doc-ru-"))
		seen[enRel] = true
		t.Run(rel, func(t *testing.T) {
			en, ru := readYAML(t, enRel), readYAML(t, rel)
			if filepath.Dir(rel) != "crds" {
				checkRussian(t, rel, en, ru)
				return
			}
			enVersions, ruVersions := crdSchemas(t, enRel, en, false), crdSchemas(t, rel, ru, true)
			for name, enSchema := range enVersions {
				ruSchema, ok := ruVersions[name]
				if !ok {
					t.Errorf("%s: no Russian descriptions for version %s", rel, name)
					continue
				}
				checkRussian(t, rel+" version "+name, enSchema, ruSchema)
			}
			for name := range ruVersions {
				if _, ok := enVersions[name]; !ok {
					t.Errorf("%s: version %s does not exist in %s", rel, name, enRel)
				}
			}
		})
	}

	// Every schema shown on the documentation site has its Russian twin.
	want := []string{filepath.Join("openapi", "config-values.yaml")}
	for _, f := range crdFiles(t) {
		rel, _ := filepath.Rel(moduleDir, f)
		want = append(want, rel)
	}
	for _, w := range want {
		if !seen[w] {
			t.Errorf("%s has no doc-ru twin", w)
		}
	}
}

// The comparison itself catches a missing and an extra Russian description.
func TestCheckRussianCatchesDrift(t *testing.T) {
	en := fromJSON(t, `{"properties": {"a": {"type": "string", "description": "A."}, "b": {"type": "object", "description": "B.",
		"properties": {"c": {"type": "string", "description": "C."}}}, "d": {"type": "string"}}}`)
	tests := map[string]struct {
		ru   string
		want []string
	}{
		"complete":            {ru: `{"properties": {"a": {"description": "\u0410."}, "b": {"description": "\u0411.", "properties": {"c": {"description": "\u0412."}}}}}`},
		"missing nested":      {ru: `{"properties": {"a": {"description": "\u0410."}, "b": {"description": "\u0411."}}}`, want: []string{"missing Russian description at properties.b.properties.c"}},
		"extra":               {ru: `{"properties": {"a": {"description": "\u0410."}, "b": {"description": "\u0411.", "properties": {"c": {"description": "\u0412."}}}, "d": {"description": "\u0413."}}}`, want: []string{"Russian description without an English one at properties.d"}},
		"unknown property":    {ru: `{"properties": {"a": {"description": "\u0410."}, "b": {"description": "\u0411.", "properties": {"c": {"description": "\u0412."}}}, "x": {"description": "\u0425."}}}`, want: []string{"no such schema node in the English file: properties.x"}},
		"other keys":          {ru: `{"properties": {"a": {"description": "\u0410.", "type": "string"}, "b": {"description": "\u0411.", "properties": {"c": {"description": "\u0412."}}}}}`, want: []string{`key "type" at properties.a`}},
		"english left behind": {ru: `{"properties": {"a": {"description": "A."}, "b": {"description": "\u0411.", "properties": {"c": {"description": "\u0412."}}}}}`, want: []string{"description at properties.a is not in Russian"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{}
			checkRussian(rec, "file", en, fromJSON(t, tt.ru))
			if len(rec.errs) != len(tt.want) {
				t.Fatalf("got %v, want %v", rec.errs, tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(rec.errs[i], w) {
					t.Errorf("got %q, want it to mention %q", rec.errs[i], w)
				}
			}
		})
	}
}

// recorder collects what checkRussian reports.
type recorder struct{ errs []string }

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
