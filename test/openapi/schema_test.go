// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package openapi_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"k8s.io/kube-openapi/pkg/validation/strfmt"
	"k8s.io/kube-openapi/pkg/validation/validate"
	"sigs.k8s.io/yaml"
)

// moduleDir is the module's root, where openapi/ and crds/ live.
const moduleDir = "../.."

// readYAML reads a YAML file into generic JSON values.
func readYAML(t *testing.T, rel string) any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(moduleDir, rel))
	if err != nil {
		t.Fatalf("read %s: %v", rel, err)
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("parse %s: %v", rel, err)
	}
	return v
}

// loadSchema reads an OpenAPI schema file as addon-operator does.
func loadSchema(t *testing.T, rel string) *spec.Schema {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(moduleDir, rel))
	if err != nil {
		t.Fatalf("read %s: %v", rel, err)
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatalf("parse %s: %v", rel, err)
	}
	s := new(spec.Schema)
	if err := json.Unmarshal(js, s); err != nil {
		t.Fatalf("decode %s as a schema: %v", rel, err)
	}
	return s
}

// configSchema is openapi/config-values.yaml as addon-operator validates
// ModuleConfig settings with it: objects without additionalProperties
// accept no unknown keys.
func configSchema(t *testing.T) *spec.Schema {
	t.Helper()
	return noAdditionalProperties(loadSchema(t, "openapi/config-values.yaml"))
}

// valuesSchema is openapi/values.yaml extended with config-values.yaml
// (x-extend), then closed like configSchema.
func valuesSchema(t *testing.T) *spec.Schema {
	t.Helper()
	s := loadSchema(t, "openapi/values.yaml")
	extend(s, loadSchema(t, "openapi/config-values.yaml"))
	return noAdditionalProperties(s)
}

// noAdditionalProperties mirrors addon-operator's AdditionalPropertiesTransformer:
// a schema without additionalProperties gets additionalProperties: false, and
// so do its properties and items, recursively (but not oneOf/anyOf branches).
func noAdditionalProperties(s *spec.Schema) *spec.Schema {
	if s == nil {
		return nil
	}
	if s.AdditionalProperties == nil {
		s.AdditionalProperties = &spec.SchemaOrBool{Allows: false}
	}
	for k, prop := range s.Properties {
		if prop.AdditionalProperties == nil {
			prop.AdditionalProperties = &spec.SchemaOrBool{Allows: false}
			s.Properties[k] = *noAdditionalProperties(&prop)
		}
	}
	if s.Items != nil && s.Items.Schema != nil {
		s.Items.Schema = noAdditionalProperties(s.Items.Schema)
	}
	return s
}

// extend mirrors addon-operator's ExtendTransformer: the parent's properties,
// required keys, definitions and extensions are added to the child; the child
// wins on conflicts.
func extend(child, parent *spec.Schema) {
	if child.Properties == nil {
		child.Properties = map[string]spec.Schema{}
	}
	for k, v := range parent.Properties {
		if _, ok := child.Properties[k]; !ok {
			child.Properties[k] = v
		}
	}
	for k, v := range parent.Definitions {
		if child.Definitions == nil {
			child.Definitions = spec.Definitions{}
		}
		if _, ok := child.Definitions[k]; !ok {
			child.Definitions[k] = v
		}
	}
	for k, v := range parent.Extensions {
		if _, ok := child.Extensions[k]; !ok && k != "x-extend" {
			child.AddExtension(k, v)
		}
	}
	seen := map[string]bool{}
	required := []string{}
	for _, r := range append(append([]string{}, parent.Required...), child.Required...) {
		if !seen[r] {
			seen[r] = true
			required = append(required, r)
		}
	}
	child.Required = required
}

// applyDefaults sets every absent property that has a default, recursively,
// into defaulted objects too, as addon-operator does before validation.
func applyDefaults(v any, s *spec.Schema) {
	switch v := v.(type) {
	case map[string]any:
		for k, prop := range s.Properties {
			if _, ok := v[k]; !ok && prop.Default != nil {
				v[k] = deepCopy(prop.Default)
			}
		}
		for k, child := range v {
			if prop, ok := s.Properties[k]; ok {
				applyDefaults(child, &prop)
			} else if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
				applyDefaults(child, s.AdditionalProperties.Schema)
			}
		}
	case []any:
		if s.Items != nil && s.Items.Schema != nil {
			for _, item := range v {
				applyDefaults(item, s.Items.Schema)
			}
		}
	}
}

func deepCopy(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// validateValues returns every schema error and every failed CEL rule of the
// given extension (x-deckhouse-validations with "expression", or
// x-kubernetes-validations with "rule"), sorted.
func validateValues(t *testing.T, s *spec.Schema, v any, celKey, celField string) []string {
	t.Helper()
	var errs []string
	res := validate.NewSchemaValidator(s, nil, "", strfmt.Default).Validate(v)
	for _, e := range res.Errors {
		errs = append(errs, e.Error())
	}
	errs = append(errs, celErrors(t, s, v, "self", celKey, celField)...)
	sort.Strings(errs)
	return errs
}

var celEnv = func() *cel.Env {
	env, err := cel.NewEnv(cel.Variable("self", cel.DynType), ext.Strings())
	if err != nil {
		panic(err)
	}
	return env
}()

// celErrors evaluates the CEL rules found on the schema nodes that have a
// value, with self bound to that value.
func celErrors(t *testing.T, s *spec.Schema, v any, path, key, field string) []string {
	t.Helper()
	var errs []string
	if raw, ok := s.Extensions[key]; ok {
		rules, ok := raw.([]any)
		if !ok {
			t.Fatalf("%s: %s is not a list", path, key)
		}
		for _, r := range rules {
			rule, _ := r.(map[string]any)
			expr, _ := rule[field].(string)
			msg, _ := rule["message"].(string)
			prg, err := compileCEL(expr)
			if err != nil {
				t.Fatalf("%s: rule %q: %v", path, expr, err)
			}
			// An evaluation error (a value of the wrong type) rejects the value.
			ok, err := evalCEL(prg, v)
			switch {
			case err != nil:
				errs = append(errs, fmt.Sprintf("%s: %s (%v)", path, msg, err))
			case !ok:
				errs = append(errs, path+": "+msg)
			}
		}
	}
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if prop, ok := s.Properties[k]; ok {
				errs = append(errs, celErrors(t, &prop, child, path+"."+k, key, field)...)
			}
		}
	case []any:
		if s.Items != nil && s.Items.Schema != nil {
			for i, item := range v {
				errs = append(errs, celErrors(t, s.Items.Schema, item, fmt.Sprintf("%s[%d]", path, i), key, field)...)
			}
		}
	}
	return errs
}

func compileCEL(expr string) (cel.Program, error) {
	ast, iss := celEnv.Compile(expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("compile: %w", iss.Err())
	}
	return celEnv.Program(ast)
}

func evalCEL(prg cel.Program, self any) (bool, error) {
	out, _, err := prg.Eval(map[string]any{"self": self})
	if err != nil {
		return false, fmt.Errorf("eval: %w", err)
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("result %v is not a bool", out.Value())
	}
	return b, nil
}

// fromJSON decodes a JSON literal of a test case.
func fromJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

// object returns v as a JSON object, failing the test when it is not one.
func object(t *testing.T, v any, what string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s is %T, want an object", what, v)
	}
	return m
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
