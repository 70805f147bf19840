// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package tmpl

import (
	"slices"
	"strings"
	"testing"
)

// FuzzKeys checks, for any template text and for a template generated
// from program (see gen), that Keys does not panic, returns sorted and
// distinct keys (none with all), and that when all is false the keys
// suffice: executions over data that agree on them, and differ in any
// other key, give the same output or the same error.
func FuzzKeys(f *testing.F) {
	for _, tc := range keysCases {
		f.Add(tc.text, []byte(tc.text))
	}
	f.Fuzz(func(t *testing.T, text string, program []byte) {
		checkKeys(t, text)
		checkKeys(t, (&gen{in: program}).template())
	})
}

func checkKeys(t *testing.T, text string) {
	t.Helper()
	if len(text) > 4096 {
		return
	}
	tp, err := Parse(text)
	if err != nil {
		return
	}
	keys, all := tp.Keys()
	if all {
		if keys != nil {
			t.Fatalf("Keys(%q) = %q, true; want no keys with all", text, keys)
		}
		return
	}
	if !slices.IsSorted(keys) || len(slices.Compact(slices.Clone(keys))) != len(keys) {
		t.Fatalf("Keys(%q) = %q: not sorted and distinct", text, keys)
	}
	if !deterministic(text) {
		return
	}
	for _, value := range []func(k string) any{
		func(string) any { return "v" },
		func(k string) any { return testData()[k] },
	} {
		d1, d2 := map[string]any{}, map[string]any{}
		for _, k := range keys {
			d1[k], d2[k] = value(k), value(k)
		}
		// The other keys: one absent from d1, and testData's ones,
		// present in d2 only.
		if _, ok := d1["zz"]; !ok {
			d1["zz"], d2["zz"] = "1", "2"
		}
		for k, v := range testData() {
			if _, ok := d1[k]; !ok {
				d2[k] = v
			}
		}
		out1, err1 := tp.Execute(d1)
		if again, errAgain := tp.Execute(d1); again != out1 || errText(errAgain) != errText(err1) {
			return // nondeterministic in a way deterministic() missed
		}
		out2, err2 := tp.Execute(d2)
		if out1 != out2 || errText(err1) != errText(err2) {
			t.Fatalf("Keys(%q) = %q, but the output differs with other keys:\n%v: %q, %v\n%v: %q, %v",
				text, keys, d1, out1, err1, d2, out2, err2)
		}
	}
}

// deterministic reports whether text's output depends on its data only:
// ParseIsolated refuses the functions that read the host or the clock or
// are random, and sprig's keys and values return a map's keys in Go's
// random map order.
func deterministic(text string) bool {
	if _, err := ParseIsolated(text); err != nil {
		return false
	}
	lower := strings.ToLower(text)
	return !strings.Contains(lower, "keys") && !strings.Contains(lower, "values")
}
