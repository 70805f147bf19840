// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package tmpl

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestIsTemplate(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"postgresql://${.username}@h", true},
		{"${}", true},
		{"a${b}c", true},
		{"}${", false},
		{"${ no close", false},
		{"$ {.x}", false},
		{"password", false},
		{"", false},
		{"${", false},
		{"}", false},
	}
	for _, tt := range tests {
		if got := IsTemplate(tt.in); got != tt.want {
			t.Errorf("IsTemplate(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		text        string
		wantErr     string
		unsupported bool
	}{
		{`${define "x"}a${end}b`, "define and block", true},
		{`${block "x" .}a${end}`, "define and block", true},
		{`${template "x"}`, "line 1: the template action", true},
		{"a\n${if .x}${template \"x\"}${end}", "line 2: the template action", true},
		{`${nosuchfunc .x}`, `line 1: function "nosuchfunc" not defined`, false},
		{`${.x`, "line 1: unclosed action", false},
		{"a\n\n${if .x}", "line 3: unexpected EOF", false},
		{`${break}`, "{{break}} outside {{range}}", false},
		{`${$x}`, "undefined variable", false},
	}
	for _, tt := range tests {
		_, err := Parse(tt.text)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tt.text, err, tt.wantErr)
			continue
		}
		if got := errors.Is(err, errUnsupported); got != tt.unsupported {
			t.Errorf("Parse(%q) error %v: errors.Is(err, errUnsupported) = %v, want %v", tt.text, err, got, tt.unsupported)
		}
		if !strings.HasPrefix(err.Error(), "parse template: ") || strings.Contains(err.Error(), "template: template") {
			t.Errorf("Parse(%q) error %q: want it to start with \"parse template: \" only once", tt.text, err)
		}
	}
}

func TestExamples(t *testing.T) {
	runCases(t, []tcase{
		{
			name: "postgres", text: "postgresql://${.username}:${.password}@${.host}:${.port}/app",
			want: "postgresql://app-XyZzY-user:pa55-XyZzY\"<&'>=\\\n\x00\u2028@db-XyZzY.example:5432/app",
		},
		{
			name: "urlquery escaped", text: "postgresql://${.username}:${.password | urlquery}@${.host}/app",
			want: "postgresql://app-XyZzY-user:pa55-XyZzY%22%3C%26%27%3E%3D%5C%0A%00%E2%80%A8@db-XyZzY.example/app",
		},
		{name: "no action", text: "plain", want: "plain"},
		{
			name: "sprig", text: `${.username | upper | trunc 7}-${b64dec .b64}-${default "x" .missing}`,
			want: "APP-XYZ-secret-XyZzY-x",
		},
		{name: "accessor", text: `${accessor "auth/kubernetes"}`, want: "__accessor__auth/kubernetes"},
	})
}

func TestNodes(t *testing.T) {
	runCases(t, []tcase{
		{name: "text", text: "a}b", want: "a}b"},
		{name: "trim markers", text: "a  ${- .empty -}  b", want: "ab"},
		{name: "field", text: "${.host}", want: "db-XyZzY.example"},
		{name: "capital field", text: "${.Upper}", want: "U-XyZzY"},
		{name: "chain", text: "${.map.nested.x}", want: "[y]"},
		{name: "missing key", text: "${.missing}", want: "<no value>"},
		{name: "missing chain", text: "${.missing.a.b}", want: "<no value>"},
		{name: "json null", text: "${.none}", want: "<no value>"},
		{name: "field of null", text: "${.none.x}", wantErr: "nil pointer evaluating interface {}.x"},
		{name: "field of null variable", text: "${$n := .none}${$n.x}", want: "<no value>"},
		{name: "field of string", text: "${.host.x}", wantErr: "can't evaluate field x in type interface {}"},
		{name: "field with args", text: "${.host 1}", wantErr: "host is not a method but has arguments"},
		{name: "dot", text: "${with .map.nested}${.}${end}", want: "map[x:[y]]"},
		{name: "dot map", text: "${.emptyMap}${.emptyList}", want: "map[][]"},
		{name: "string", text: `${"a\tb"}${` + "`raw`" + `}`, want: "a\tbraw"},
		{name: "numbers", text: "${1}${1.5}${0x10}${'a'}${1e3}${2i}${-7}", want: "11.516971000(0+2i)-7"},
		{name: "int overflow", text: "${18446744073709551615}", wantErr: "overflows int"},
		{name: "bool", text: "${true}${false}", want: "truefalse"},
		{name: "nil command", text: "${nil}", wantErr: "nil is not a command"},
		{name: "args to constant", text: "${1 2}", wantErr: "non-function"},
		{name: "number", text: "${.port}${.ratio}${.float}", want: "54320.251.5"},
		{name: "list", text: "${.list}", want: "[a-XyZzY 1 true <nil> map[k:v-XyZzY] [x]]"},
		{name: "declare", text: "${$x := .host}${$x}", want: "db-XyZzY.example"},
		{name: "assign", text: `${$x := 1}${$x = 2}${$x}`, want: "2"},
		{name: "assign in if", text: `${$x := 1}${if true}${$x = 2}${end}${$x}`, want: "2"},
		{name: "declare in if is scoped", text: `${$x := 1}${if true}${$x := 2}${$x}${end}${$x}`, want: "21"},
		{name: "dollar", text: "${with .map}${$.host}${end}", want: "db-XyZzY.example"},
		{name: "variable chain", text: "${$m := .map}${$m.nested.x}", want: "[y]"},
		{name: "variable with args", text: "${$x := 1}${$x 2}", wantErr: "non-function"},
		{name: "pipeline", text: `${"a" | printf "%s-%s" "b"}`, want: "b-a"},
		{name: "paren pipeline", text: `${(print "a" "b") | len}`, want: "2"},
		{name: "paren chain", text: `${(.map).nested.x}`, want: "[y]"},
		{name: "func chain", text: `${(dict "a" "b").a}`, want: "b"},
		{name: "if", text: "${if .enabled}y${end}${if .disabled}n${end}", want: "y"},
		{name: "if else", text: "${if .missing}a${else}b${end}", want: "b"},
		{name: "else if", text: "${if .disabled}a${else if .empty}b${else if .list}c${else}d${end}", want: "c"},
		{name: "if empty things", text: "${if .emptyList}a${end}${if .emptyMap}b${end}${if .none}c${end}${if 0}d${end}${if .port}e${end}", want: "e"},
		{name: "with", text: "${with .username}${.}${end}", want: "app-XyZzY-user"},
		{name: "with else", text: "${with .missing}a${else}${.port}${end}", want: "5432"},
		{name: "else with", text: "${with .missing}a${else with .empty}b${else with .host}${.}${end}", want: "db-XyZzY.example"},
		{name: "range list", text: "${range .list}[${.}]${end}", want: "[a-XyZzY][1][true][<no value>][map[k:v-XyZzY]][[x]]"},
		{name: "range index", text: "${range $i, $v := .list}${$i}${end}", want: "012345"},
		{name: "range one var", text: "${range $v := .map}${$v}${end}", want: "1-XyZzY2map[x:[y]]"},
		{name: "range map sorted", text: "${range $k, $v := .map}${$k};${end}", want: "a;b;nested;"},
		{name: "range assign", text: "${$k := 0}${$v := 0}${range $k, $v = .map}${end}${$k}=${$v}", want: "nested=map[x:[y]]"},
		{name: "range assign one", text: "${$v := 0}${range $v = .list}${end}${$v}", want: "[x]"},
		{name: "range else", text: "${range .emptyList}a${else}b${end}${range .missing}c${else}d${end}", want: "bd"},
		{name: "range int", text: "${range $i := 3}${$i}${end}${range 0}x${else}y${end}", want: "012y"},
		{name: "range int two vars", text: "${range $i, $v := 3}${end}", wantErr: "two variables"},
		{name: "range string", text: "${range .host}${end}", wantErr: "can't iterate over a value of type string"},
		{name: "break continue", text: "${range $i, $v := .list}${if eq $i 1}${continue}${end}${if eq $i 3}${break}${end}${$i}${end}", want: "02"},
		{name: "break in else of inner range", text: "${range 2}${range $.emptyList}${else}${break}${end}x${end}", want: "xx"},
		{name: "continue in else of inner range", text: "${range 2}${range $.emptyList}${else}${continue}${end}x${end}", want: ""},
		{name: "range dot", text: "${range .map.nested.x}${.}${$.port}${end}", want: "y5432"},
		{name: "range vars scoped", text: "${range $i, $v := .emptyList}${end}${$x := 1}${$x}", want: "1"},
		{name: "comment", text: "a${/* note */}b", want: "ab"},
		{name: "method refused", text: "${.port.String}", wantErr: "calling methods is not supported", ownOnly: true},
		{name: "method on struct refused", text: `${(semver "1.2.3").Major}`, wantErr: "calling methods is not supported", ownOnly: true},
		{name: "struct field", text: `${(semver "1.2.3")}`, want: "1.2.3"},
		{name: "unexported field", text: `${(semver "1.2.3").major}`, wantErr: "unexported field"},
	})
}

func TestDataIsNotChanged(t *testing.T) {
	tp, err := Parse(`${$_ := set . "host" "changed"}${$_ := unset .map "a"}${$_ := set (index .list 4) "k" 1}${$_ := append .list 1}${.host}`)
	if err != nil {
		t.Fatal(err)
	}
	data, want := testData(), testData()
	for range 2 {
		got, err := tp.Execute(data)
		if err != nil || got != "changed" {
			t.Fatalf("Execute = %q, %v; want %q", got, err, "changed")
		}
	}
	if !reflect.DeepEqual(data, want) {
		t.Fatalf("Execute changed its data to %v, want %v", data, want)
	}
}

func TestDeepNesting(t *testing.T) {
	runCases(t, []tcase{
		{name: "parens", text: "${" + strings.Repeat("(", 5000) + ".port" + strings.Repeat(")", 5000) + "}", want: "5432"},
		{name: "if", text: strings.Repeat("${if 1}", 2000) + "x" + strings.Repeat("${end}", 2000), want: "x"},
		{name: "pipeline", text: "${.username" + strings.Repeat(" | lower", 2000) + "}", want: "app-xyzzy-user"},
	})
}

func TestExecuteIsRepeatable(t *testing.T) {
	tp, err := Parse("${.username}-${range $i, $v := .list}${$i}${end}")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		got, err := tp.Execute(testData())
		if want := "app-XyZzY-user-012345"; err != nil || got != want {
			t.Fatalf("Execute = %q, %v; want %q", got, err, want)
		}
	}
	got, err := tp.Execute(nil)
	if want := "<no value>-"; err != nil || got != want {
		t.Fatalf("Execute(nil) = %q, %v; want %q", got, err, want)
	}
}
