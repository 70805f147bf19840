// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package sprig

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/mitchellh/copystructure"
)

func TestDictSignatures(t *testing.T) {
	diffSignatures(t, dictFuncs())
}

type dictPoint struct {
	X, Y   int
	hidden string
}

// mergeCases build fresh arguments at every call, because the merge
// functions change dst (and mergo may share src's maps with it).
var mergeCases = []struct {
	name string
	args func() (map[string]any, []map[string]any)
}{
	{"no sources", func() (map[string]any, []map[string]any) {
		return map[string]any{"a": 1}, nil
	}},
	{"flat", func() (map[string]any, []map[string]any) {
		return map[string]any{"a": 1, "b": "x"}, []map[string]any{{"a": 2, "c": 3}, {"c": 4, "d": nil}}
	}},
	{"nested", func() (map[string]any, []map[string]any) {
		return map[string]any{"a": map[string]any{"x": 1, "y": map[string]any{"p": 1}}},
			[]map[string]any{{"a": map[string]any{"x": 2, "z": 3, "y": map[string]any{"q": 2}}, "b": []any{1}}}
	}},
	{"empty values", func() (map[string]any, []map[string]any) {
		return map[string]any{"zero": 0, "empty": "", "nil": nil, "false": false, "list": []any{}, "map": map[string]any{}},
			[]map[string]any{{"zero": 5, "empty": "e", "nil": "n", "false": true, "list": []any{1}, "map": map[string]any{"k": 1}}}
	}},
	{"empty sources", func() (map[string]any, []map[string]any) {
		return map[string]any{"a": 1, "b": map[string]any{"c": 2}},
			[]map[string]any{{"a": 0, "b": nil}, {"a": "", "b": map[string]any{}}, nil, {}}
	}},
	{"nil dst", func() (map[string]any, []map[string]any) {
		return nil, []map[string]any{{"a": 1}}
	}},
	{"nil dst no sources", func() (map[string]any, []map[string]any) {
		return nil, nil
	}},
	{"type clash", func() (map[string]any, []map[string]any) {
		return map[string]any{"a": map[string]any{"x": 1}, "b": 1, "c": []any{1}},
			[]map[string]any{{"a": 1, "b": map[string]any{"y": 2}, "c": "s"}}
	}},
	{"typed maps", func() (map[string]any, []map[string]any) {
		return map[string]any{"a": map[string]string{"x": "1"}, "b": map[string]any{"x": 1}},
			[]map[string]any{{"a": map[string]string{"y": "2"}, "b": map[string]string{"y": "2"}}}
	}},
	{"lists", func() (map[string]any, []map[string]any) {
		return map[string]any{"a": []any{1, 2}, "b": []string{"x"}},
			[]map[string]any{{"a": []any{3}, "b": []string{"y", "z"}}}
	}},
	{"structs and pointers", func() (map[string]any, []map[string]any) {
		return map[string]any{"p": dictPoint{X: 1}, "q": &dictPoint{Y: 2}, "t": time.Time{}},
			[]map[string]any{{"p": dictPoint{Y: 5, hidden: "h"}, "q": &dictPoint{X: 7}, "t": time.Unix(5, 0).UTC()}}
	}},
	{"data as decoded", func() (map[string]any, []map[string]any) {
		return map[string]any{"port": json.Number("0"), "tls": map[string]any{"enabled": false}},
			[]map[string]any{{"port": json.Number("5432"), "tls": map[string]any{"enabled": true, "ca": "x"}}}
	}},
}

// TestMergeAsSprig runs every merge function on the cases above, ours and
// Sprig's on copies of the same arguments, and compares results, errors,
// panics and what became of dst and the sources.
func TestMergeAsSprig(t *testing.T) {
	funcs := dictFuncs()
	for _, name := range []string{"merge", "mergeOverwrite", "mustMerge", "mustMergeOverwrite"} {
		for _, c := range mergeCases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				dst, srcs := c.args()
				wantDst, wantSrcs := c.args()
				got := diffInvoke(funcs[name], mergeArgs(dst, srcs)...)
				want := diffInvoke(diffSprig()[name], mergeArgs(wantDst, wantSrcs)...)
				if !got.same(want) {
					t.Errorf("got %s, want %s", got, want)
				}
				if !reflect.DeepEqual(dst, wantDst) {
					t.Errorf("dst became %#v, want %#v", dst, wantDst)
				}
				if !reflect.DeepEqual(srcs, wantSrcs) {
					t.Errorf("sources became %#v, want %#v", srcs, wantSrcs)
				}
			})
		}
	}
}

func mergeArgs(dst map[string]any, srcs []map[string]any) []any {
	args := []any{dst}
	for _, s := range srcs {
		args = append(args, s)
	}
	return args
}

// TestMergeValues pins the two rules that matter most to templates: merge
// keeps dst's values, mergeOverwrite takes the sources', in nested maps too.
func TestMergeValues(t *testing.T) {
	funcs := dictFuncs()
	cases := []struct {
		name string
		want map[string]any
	}{
		{"merge", map[string]any{"a": 1, "n": map[string]any{"x": 1, "y": 2}, "b": 3}},
		{"mergeOverwrite", map[string]any{"a": 2, "n": map[string]any{"x": 2, "y": 2}, "b": 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := map[string]any{"a": 1, "n": map[string]any{"x": 1}}
			src := map[string]any{"a": 2, "n": map[string]any{"x": 2, "y": 2}, "b": 3}
			r := diffInvoke(funcs[c.name], dst, src)
			if len(r.values) != 1 || !reflect.DeepEqual(r.values[0], c.want) {
				t.Errorf("got %s, want %#v", r, c.want)
			}
		})
	}
}

type dictCycle struct {
	Next *dictCycle
	Name string
}

// TestDeepCopyAsSprig compares deepCopy and mustDeepCopy with Sprig's, and
// checks that the copy shares nothing with the original.
func TestDeepCopyAsSprig(t *testing.T) {
	funcs := dictFuncs()
	// exact is false where the copy is not equal to the original: nil
	// makes copystructure panic, and unexported fields are not copied.
	inputs := []struct {
		make  func() any
		exact bool
	}{
		{func() any { return nil }, false},
		{func() any { return 1 }, true},
		{func() any { return "s" }, true},
		{func() any { return json.Number("1.5") }, true},
		{func() any { return []any{1, "a", nil, []any{2}} }, true},
		{func() any {
			return map[string]any{"a": map[string]any{"b": []any{1, map[string]any{"c": 2}}}, "n": nil}
		}, true},
		{func() any { return map[string]string{"k": "v"} }, true},
		{func() any { return map[int][]byte{1: []byte("x")} }, true},
		{func() any { return &dictPoint{X: 1, hidden: "h"} }, false},
		{func() any { return dictPoint{X: 1, hidden: "h"} }, false},
		{func() any { return []*dictPoint{{X: 1}, nil} }, true},
		{func() any { return time.Unix(5, 6).UTC() }, true},
		{func() any { return [2]any{1, map[string]any{}} }, true},
		{func() any { return (*dictPoint)(nil) }, true},
		{func() any { return ([]any)(nil) }, true},
		{func() any { return map[string]any(nil) }, true},
		{func() any {
			c := &dictCycle{Name: "a"}
			c.Next = &dictCycle{Name: "b"}
			return c
		}, true},
	}
	for _, in := range inputs {
		v := in.make()
		t.Run(diffShowArgs([]any{v}), func(t *testing.T) {
			for _, name := range []string{"deepCopy", "mustDeepCopy"} {
				diffCompare(t, funcs, name, in.make())
			}
			if r := diffInvoke(funcs["deepCopy"], v); in.exact && (r.panicked != "" || !reflect.DeepEqual(r.values[0], v)) {
				t.Errorf("deepCopy: got %s, want a copy of %#v", r, v)
			}
		})
	}
	orig := map[string]any{"a": map[string]any{"b": []any{1}}}
	c, ok := deepCopy(orig).(map[string]any)
	if !ok {
		t.Fatalf("got %T, want map[string]any", deepCopy(orig))
	}
	inner, ok := c["a"].(map[string]any)
	if !ok {
		t.Fatalf("got %#v, want a copy of %#v", c, orig)
	}
	list, ok := inner["b"].([]any)
	if !ok || len(list) != 1 {
		t.Fatalf("got %#v, want a copy of %#v", c, orig)
	}
	list[0] = 2
	inner["x"] = 3
	if want := (map[string]any{"a": map[string]any{"b": []any{1}}}); !reflect.DeepEqual(orig, want) {
		t.Errorf("changing the copy changed the original to %#v", orig)
	}
}

type dictUncopyable struct{ N int }

// TestDeepCopyFailure: copystructure fails only through a copier of
// copystructure.Copiers, the registry Sprig's calls use too; one that
// fails shows mustDeepCopy's error and deepCopy's panic.
func TestDeepCopyFailure(t *testing.T) {
	typ := reflect.TypeFor[dictUncopyable]()
	copystructure.Copiers[typ] = func(any) (any, error) { return nil, errors.New("no copy") }
	t.Cleanup(func() { delete(copystructure.Copiers, typ) })
	funcs := dictFuncs()
	for _, v := range []any{dictUncopyable{1}, map[string]any{"a": []any{dictUncopyable{2}}}} {
		for _, name := range []string{"deepCopy", "mustDeepCopy"} {
			diffCompare(t, funcs, name, v)
		}
		if r := diffInvoke(funcs["mustDeepCopy"], v); r.err != "no copy" {
			t.Errorf("mustDeepCopy(%#v): got %s, want error %q", v, r, "no copy")
		}
		if r := diffInvoke(funcs["deepCopy"], v); r.panicked != "deepCopy error: no copy" {
			t.Errorf("deepCopy(%#v): got %s, want panic %q", v, r, "deepCopy error: no copy")
		}
	}
}
