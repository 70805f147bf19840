// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package tmpl

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

// secretMarker is part of every secret-looking value of testData; no error
// may contain it unless the template text does.
const secretMarker = "XyZzY"

// testData returns a fresh copy of the data the tests execute over, shaped
// as the store returns it: strings and JSON values decoded with UseNumber,
// plus a float64 as a decoder without UseNumber gives. Fresh, because
// sprig's set and unset change maps in place.
func testData() map[string]any {
	return map[string]any{
		"username":  "app-" + secretMarker + "-user",
		"password":  "pa55-" + secretMarker + "\"<&'>=\\\n\x00\u2028",
		"host":      "db-" + secretMarker + ".example",
		"port":      json.Number("5432"),
		"ratio":     json.Number("0.25"),
		"float":     1.5,
		"enabled":   true,
		"disabled":  false,
		"none":      nil,
		"empty":     "",
		"b64":       "c2VjcmV0LVh5WnpZ", // secret-XyZzY
		"list":      []any{"a-" + secretMarker, json.Number("1"), true, nil, map[string]any{"k": "v-" + secretMarker}, []any{"x"}},
		"emptyList": []any{},
		"map":       map[string]any{"b": "2", "a": "1-" + secretMarker, "nested": map[string]any{"x": []any{"y"}}},
		"emptyMap":  map[string]any{},
		"Upper":     "U-" + secretMarker,
	}
}

// run parses and executes text with this package over data.
func run(text string, data map[string]any) (string, error) {
	t, err := Parse(text)
	if err != nil {
		return "", err
	}
	return t.Execute(data)
}

// refLimit bounds the output of the reference execution.
const refLimit = 4 << 20

type refWriter struct{ strings.Builder }

func (w *refWriter) Write(p []byte) (int, error) {
	if w.Len()+len(p) > refLimit {
		return 0, errors.New("reference output too long")
	}
	return w.Builder.Write(p)
}

// reference executes text with text/template itself, with the same
// functions and delimiters; a panic counts as an error.
func reference(text string, data map[string]any) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	t, err := template.New(treeName).Delims(leftDelim, rightDelim).
		Funcs(sprig.TxtFuncMap()).
		Funcs(template.FuncMap{"file": readFile, "accessor": accessor}).
		Parse(text)
	if err != nil {
		return "", err
	}
	var w refWriter
	if err := t.Execute(&w, data); err != nil {
		return "", err
	}
	return w.String(), nil
}

// checkNoData fails when err quotes a string value of data that the
// template text itself does not contain.
func checkNoData(t *testing.T, text string, err error) {
	t.Helper()
	if err == nil || strings.Contains(text, secretMarker) {
		return
	}
	if strings.Contains(err.Error(), secretMarker) {
		t.Fatalf("error for %q quotes data: %v", text, err)
	}
}

// tcase is one template with the output or error it must give.
type tcase struct {
	name    string
	text    string
	want    string
	wantErr string // substring of the error; "" for success
	// ownOnly marks a case where this package deliberately differs from
	// text/template (a refusal or a limit), so the reference is not run.
	ownOnly bool
}

// runCases checks each case against this package and, unless ownOnly,
// checks that text/template agrees: the same output, or an error too.
func runCases(t *testing.T, cases []tcase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := run(tc.text, testData())
			checkNoData(t, tc.text, err)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("run(%q) failed: %v", tc.text, err)
			case tc.wantErr == "" && got != tc.want:
				t.Fatalf("run(%q) = %q, want %q", tc.text, got, tc.want)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("run(%q) = %q, %v; want an error containing %q", tc.text, got, err, tc.wantErr)
			}
			if tc.ownOnly {
				return
			}
			ref, refErr := reference(tc.text, testData())
			if (refErr != nil) != (err != nil) || ref != got {
				t.Fatalf("text/template gives %q, %v; this package %q, %v", ref, refErr, got, err)
			}
		})
	}
}
