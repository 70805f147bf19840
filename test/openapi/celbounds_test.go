// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package openapi_test

import (
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// celBoundProblems walks a CRD schema and reports what would let the API
// server's estimate of a CEL rule's cost grow without bound: the API server
// refuses a CRD whose estimate exceeds its budget, and it estimates a string,
// list or map without maxLength, maxItems or maxProperties at the size of a
// whole request. A rule may read anything below the node it is set on, so every
// string, list and map there must be bounded, and a rule below a list or map
// runs once per element, so every list and map above it must be bounded too.
// It also reports a rule that does not compile.
func celBoundProblems(s *apiextensionsv1.JSONSchemaProps, path string, inRule bool, unboundedAbove string) []string {
	var problems []string
	if len(s.XValidations) > 0 {
		inRule = true
		if unboundedAbove != "" {
			problems = append(problems, path+": a rule below "+unboundedAbove+", which has no maxItems or maxProperties")
		}
		for _, r := range s.XValidations {
			if _, err := compileCEL(r.Rule); err != nil {
				problems = append(problems, path+": rule "+r.Rule+": "+err.Error())
			}
		}
	}
	isMap := s.AdditionalProperties != nil && (s.AdditionalProperties.Allows || s.AdditionalProperties.Schema != nil)
	if inRule {
		switch {
		case s.Type == "string" && s.MaxLength == nil && len(s.Enum) == 0:
			problems = append(problems, path+": a string a rule reads has no maxLength")
		case s.Type == "array" && s.MaxItems == nil:
			problems = append(problems, path+": a list a rule reads has no maxItems")
		case s.Type == "object" && isMap && s.MaxProperties == nil:
			problems = append(problems, path+": a map a rule reads has no maxProperties")
		}
	}
	for name, p := range s.Properties {
		problems = append(problems, celBoundProblems(&p, path+"."+name, inRule, unboundedAbove)...)
	}
	if s.Items != nil && s.Items.Schema != nil {
		above := unboundedAbove
		if s.MaxItems == nil && above == "" {
			above = path
		}
		problems = append(problems, celBoundProblems(s.Items.Schema, path+"[]", inRule, above)...)
	}
	if isMap && s.AdditionalProperties.Schema != nil {
		above := unboundedAbove
		if s.MaxProperties == nil && above == "" {
			above = path
		}
		problems = append(problems, celBoundProblems(s.AdditionalProperties.Schema, path+"{}", inRule, above)...)
	}
	return problems
}

func TestCRDRulesAreBounded(t *testing.T) {
	for _, path := range crdFiles(t) {
		crd := readCRD(t, path)
		for _, v := range crd.Spec.Versions {
			if problems := celBoundProblems(v.Schema.OpenAPIV3Schema, v.Name, false, ""); len(problems) > 0 {
				t.Errorf("%s:\n%s", path, strings.Join(problems, "\n"))
			}
		}
	}
}

// The walk itself finds each kind of unbounded node.
func TestCELBoundProblemsCatchesUnbounded(t *testing.T) {
	ptr := func(n int64) *int64 { return &n }
	rule := apiextensionsv1.ValidationRules{{Rule: "true"}}
	str := apiextensionsv1.JSONSchemaProps{Type: "string"}
	boundedStr := apiextensionsv1.JSONSchemaProps{Type: "string", MaxLength: ptr(8)}
	tests := map[string]struct {
		schema apiextensionsv1.JSONSchemaProps
		want   string
	}{
		"bounded": {schema: apiextensionsv1.JSONSchemaProps{
			Type: "object", XValidations: rule,
			Properties: map[string]apiextensionsv1.JSONSchemaProps{"a": boundedStr},
		}},
		"string below a rule": {schema: apiextensionsv1.JSONSchemaProps{
			Type: "object", XValidations: rule,
			Properties: map[string]apiextensionsv1.JSONSchemaProps{"a": str},
		}, want: "root.a: a string a rule reads has no maxLength"},
		"unbounded string outside rules": {schema: apiextensionsv1.JSONSchemaProps{
			Type:       "object",
			Properties: map[string]apiextensionsv1.JSONSchemaProps{"a": str},
		}},
		"rule in an unbounded list": {schema: apiextensionsv1.JSONSchemaProps{
			Type: "array",
			Items: &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &apiextensionsv1.JSONSchemaProps{
				Type: "string", MaxLength: ptr(8), XValidations: rule,
			}},
		}, want: "root[]: a rule below root"},
		"map without maxProperties": {schema: apiextensionsv1.JSONSchemaProps{
			Type: "object", XValidations: rule,
			AdditionalProperties: &apiextensionsv1.JSONSchemaPropsOrBool{Schema: &boundedStr},
		}, want: "root: a map a rule reads has no maxProperties"},
		"rule that does not compile": {schema: apiextensionsv1.JSONSchemaProps{
			Type: "string", MaxLength: ptr(8),
			XValidations: apiextensionsv1.ValidationRules{{Rule: "self =="}},
		}, want: "root: rule self =="},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := strings.Join(celBoundProblems(&tt.schema, "root", false, ""), "\n")
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
