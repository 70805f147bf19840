// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package tmpl

import (
	"reflect"
	"testing"
	"text/template/parse"
)

func TestBuiltins(t *testing.T) {
	runCases(t, []tcase{
		{name: "and", text: `${and 1 "a" .port}|${and 1 0 .port}|${and .missing (fail "not evaluated")}`, want: "5432|0|<no value>"},
		{name: "or", text: `${or 0 "" .port}|${or 0 ""}|${or .host (fail "not evaluated")}`, want: "5432||db-XyZzY.example"},
		{name: "and pipeline", text: `${1 | and 2}|${0 | or ""}`, want: "1|0"},
		{name: "and no args", text: `${and}`, wantErr: "want at least 1 got 0"},
		{name: "not", text: `${not .empty}${not .host}${not .missing}${not .emptyList}`, want: "truefalsetruetrue"},
		{name: "len", text: `${len .list}${len .map}${len .host}${len "abc"}`, want: "63163"},
		{name: "len of number", text: `${len .port}`, want: "4"}, // json.Number is a string
		{name: "len of bool", text: `${len .enabled}`, wantErr: "len of type bool"},
		{name: "len of missing", text: `${len .missing}`, wantErr: "calling len"},
		{name: "len of null", text: `${len .none}`, wantErr: "len of nil pointer"},
		{name: "index list", text: `${index .list 0}${index .list 4 "k"}${index .list 5 0}`, want: "a-XyZzYv-XyZzYx"},
		{name: "index map", text: `${index . "host"}|${index .map "missing"}|${index . "none"}`, want: "db-XyZzY.example|<no value>|<no value>"},
		{name: "index string", text: `${index "abc" 1}`, want: "98"},
		{name: "index range", text: `${index .list 6}`, wantErr: "index out of range"},
		{name: "index negative", text: `${index .list -1}`, wantErr: "index out of range"},
		{name: "index nil", text: `${index .missing 1}`, wantErr: "index of untyped nil"},
		{name: "index wrong type", text: `${index .list "a"}`, wantErr: "cannot index slice/array with type string"},
		{name: "index bool", text: `${index .enabled 1}`, wantErr: "can't index item of type bool"},
		{name: "index map int", text: `${index .map 1}`, wantErr: "value has type int; should be string"},
		{name: "index none", text: `${index .list}`, want: "[a-XyZzY 1 true <nil> map[k:v-XyZzY] [x]]"},
		{name: "print", text: `${print 1 2 "a" "b" .missing .none}`, want: "1 2ab<nil> <nil>"},
		{name: "printf", text: `${printf "%d-%s-%v-%5.1f" 3 "x" .enabled 2.25}`, want: "3-x-true-  2.2"},
		{name: "printf bad verb", text: `${printf "%d" "x"}`, want: "%!d(string=x)"},
		{name: "printf needs format", text: `${printf 1}`, wantErr: "can't use 1 as an argument of type string"},
		{name: "println", text: `${println "a" 1}`, want: "a 1\n"},
		{name: "html", text: `${html .password}`, want: "pa55-XyZzY&#34;&lt;&amp;&#39;&gt;=\\\n\uFFFD\u2028"},
		{name: "html args", text: `${html 1 2 .missing}`, want: "1 2&lt;no value&gt;"},
		{name: "js", text: `${js .password}`, want: `pa55-XyZzY\"\u003C\u0026\'\u003E\u003D\\\u000A\u0000\u2028`},
		{name: "js nonprint", text: `${js "\x7f\u00ad\U000E0001"}`, want: "\x7f\\u00AD\\uE0001"},
		{name: "js invalid utf8", text: `${js (b64dec "/w==")}`, want: "\xff"},
		{name: "urlquery", text: `${urlquery "a b&c" 1}`, want: "a+b%26c1"},
		{name: "eq", text: `${eq .port "5432"}${eq 1 1}${eq 1 2 3 1}${eq "a" "b"}${eq .enabled true}${eq 1.5 .float}`, want: "truetruetruefalsetruetrue"}, // json.Number is a string
		{name: "eq missing", text: `${eq .missing "a"}${eq .missing .none}${eq .missing nil}`, want: "falsetruetrue"},
		{name: "eq incompatible", text: `${eq 1 "a"}`, wantErr: "incompatible types for comparison: int and string"},
		{name: "eq maps", text: `${eq .map .map}`, wantErr: "cannot be compared"},
		{name: "eq kinds", text: `${eq .map .list}`, wantErr: "cannot be compared"},
		{name: "eq one arg", text: `${eq 1}`, wantErr: "missing argument for comparison"},
		{name: "eq uint", text: `${eq (len "ab") 2}${eq (int64 2) 2}`, want: "truetrue"},
		{name: "ne", text: `${ne 1 2}${ne "a" "a"}`, want: "truefalse"},
		{name: "lt", text: `${lt 1 2}${lt "b" "a"}${lt 1.5 2.5}${lt -1 (len "a")}`, want: "truefalsetruetrue"},
		{name: "lt bool", text: `${lt true false}`, wantErr: "invalid type for comparison"},
		{name: "lt missing", text: `${lt .missing 1}`, wantErr: "invalid type for comparison"},
		{name: "lt mixed", text: `${lt 1 1.5}`, wantErr: "incompatible types"},
		{name: "le gt ge", text: `${le 2 2}${le 3 2}${gt 3 2}${gt 2 2}${ge 2 2}${ge 1 2}`, want: "truefalsetruefalsetruefalse"},
		{name: "call non-function", text: `${call .host}`, wantErr: "calling call"},
		{name: "call nil", text: `${call .missing}`, wantErr: "calling call"},
		{name: "slice is sprig's", text: `${slice .list 1 3}`, want: "[1 true]"},
		{name: "wrong arg count", text: `${upper}`, wantErr: "wrong number of args: want 1 got 0"},
		{name: "wrong arg type", text: `${upper 1}`, wantErr: "can't use 1 as an argument of type string"},
		{name: "json number to string param", text: `${upper .port}`, wantErr: "wrong type for value; expected string; got json.Number"},
		{name: "missing to string param", text: `${.missing | upper}`, wantErr: "invalid value; expected string"},
		{name: "missing to any param", text: `${.missing | default "d"}`, want: "d"},
		{name: "nil to string param", text: `${upper nil}`, wantErr: "cannot assign nil to string"},
		{name: "variadic", text: `${list 1 "a" .enabled | len}${cat}${cat "a" .missing "b"}`, want: "3a b"},
		{name: "variadic pipeline", text: `${"c" | cat "a" "b"}`, want: "a b c"},
		{name: "float constant", text: `${addf 1 2.5}${add 1.0 2}`, want: "3.53"},
		// sprig computes these in decimal (github.com/shopspring/decimal), not in float64.
		{name: "decimal addf", text: `${addf 0.1 0.2} ${add1f 0.7} ${subf 1 0.9} ${mulf 1.1 1.1}`, want: "0.3 1.7 0.1 1.21"},
		{name: "decimal divf", text: `${divf 1 3} ${divf 10 4} ${divf 2 3 3}`, want: "0.3333333333333333 2.5 0.2222222222222222"},
		{name: "decimal large", text: `${mulf 1e308 10} ${addf 1e16 1} ${subf 5e-324 5e-324}`, want: "+Inf 1e+16 0"},
		{name: "decimal divf by zero", text: `${divf 1 0}`, wantErr: "calling divf"},
		{name: "error stops", text: `a${fail "stop"}b`, wantErr: "calling fail at 1:4: stop"},
		{name: "panic becomes error", text: `${first 1}`, wantErr: "calling first"},
		{name: "dict and set", text: `${$d := dict "a" 1}${$_ := set $d "b" 2}${$d}${keys $d | sortAlpha}`, want: "map[a:1 b:2][a b]"},
		{name: "toJson", text: `${toJson .map}`, want: `{"a":"1-XyZzY","b":"2","nested":{"x":["y"]}}`},
		{name: "fromJson", text: `${(fromJson "{\"a\":[1,2]}").a}`, want: "[1 2]"},
	})
}

// TestConstants checks that constants take the parameter's type as
// untyped Go constants do; sprig has few parameters of these types.
func TestConstants(t *testing.T) {
	tests := []struct {
		node   parse.Node
		typ    reflect.Type
		want   any
		failed bool
	}{
		{&parse.NumberNode{IsInt: true, IsUint: true, IsFloat: true, Int64: 7, Uint64: 7, Float64: 7, Text: "7"}, reflect.TypeFor[uint32](), uint32(7), false},
		{&parse.NumberNode{IsInt: true, IsFloat: true, Int64: -7, Float64: -7, Text: "-7"}, reflect.TypeFor[uint32](), nil, true},
		{&parse.NumberNode{IsInt: true, IsUint: true, IsFloat: true, Int64: 7, Uint64: 7, Float64: 7, Text: "7"}, reflect.TypeFor[int8](), int8(7), false},
		{&parse.NumberNode{IsInt: true, IsUint: true, IsFloat: true, Int64: 7, Uint64: 7, Float64: 7, Text: "7"}, reflect.TypeFor[float32](), float32(7), false},
		{&parse.NumberNode{IsFloat: true, Float64: 1.5, Text: "1.5"}, reflect.TypeFor[int](), nil, true},
		{&parse.NumberNode{IsComplex: true, Complex128: 2i, Text: "2i"}, reflect.TypeFor[complex64](), complex64(2i), false},
		{&parse.BoolNode{True: true}, reflect.TypeFor[bool](), true, false},
		{&parse.StringNode{Text: "s", Quoted: `"s"`}, reflect.TypeFor[string](), "s", false},
		{&parse.StringNode{Text: "s", Quoted: `"s"`}, reflect.TypeFor[int](), nil, true},
		{&parse.StringNode{Text: "s", Quoted: `"s"`}, reflect.TypeFor[any](), "s", false},
		{&parse.NumberNode{IsInt: true, IsFloat: true, Int64: 1000, Float64: 1000, Text: "1e3"}, reflect.TypeFor[any](), 1000.0, false},
		{&parse.NumberNode{IsInt: true, IsUint: true, IsFloat: true, Int64: 97, Uint64: 97, Float64: 97, Text: "'a'"}, reflect.TypeFor[any](), 97, false},
	}
	s := &state{t: &Template{}}
	for _, tt := range tests {
		v, err := s.evalConstant(tt.typ, tt.node)
		if tt.failed {
			if err == nil {
				t.Errorf("evalConstant(%s, %s) = %v, want an error", tt.typ, tt.node, v)
			}
			continue
		}
		if err != nil || v.Interface() != tt.want {
			t.Errorf("evalConstant(%s, %s) = %v, %v; want %#v", tt.typ, tt.node, v, err, tt.want)
		}
	}
}

// TestFunctionTable checks that every function has a signature the
// evaluator can call, and that each guard gets the parameters it reads.
func TestFunctionTable(t *testing.T) {
	for name, f := range functions() {
		typ := f.fn.Type()
		if typ.Kind() != reflect.Func {
			t.Errorf("%s is a %s, want a function", name, typ.Kind())
			continue
		}
		if out := typ.NumOut(); out != 1 && (out != 2 || typ.Out(1) != errorType) {
			t.Errorf("%s has results %s, want one, or two with an error", name, typ)
		}
	}
	guardParams := map[string]string{
		"repeat": "int string", "indent": "int string", "nindent": "int string", "replace": "string string string",
		"wrapWith": "int string string", "until": "int", "untilStep": "int int int", "seq": "...int",
		"randAlphaNum": "int", "randAlpha": "int", "randAscii": "int", "randNumeric": "int", "randBytes": "int",
		"regexReplaceAll": "string string string", "mustRegexReplaceAll": "string string string",
		"regexReplaceAllLiteral": "string string string", "mustRegexReplaceAllLiteral": "string string string",
		"expandenv": "string", "printf": "string ...interface", "uniq": "interface", "mustUniq": "interface",
		"without": "interface ...interface", "mustWithout": "interface ...interface",
		"semverCompare": "string string",
	}
	for name := range guards {
		f := lookup(name)
		if f == nil || f.guard == nil {
			t.Errorf("guard %s: no such function, or the guard is not installed", name)
			continue
		}
		if got, want := paramKinds(f.fn.Type()), guardParams[name]; got != want {
			t.Errorf("guard %s: the function's parameters are %q, the guard reads %q", name, got, want)
		}
	}
}

func paramKinds(typ reflect.Type) string {
	s := ""
	for i := range typ.NumIn() {
		if i > 0 {
			s += " "
		}
		in := typ.In(i)
		if typ.IsVariadic() && i == typ.NumIn()-1 {
			s += "..."
			in = in.Elem()
		}
		s += in.Kind().String()
	}
	return s
}
