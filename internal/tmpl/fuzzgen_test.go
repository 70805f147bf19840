// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package tmpl

import (
	"strings"
	"testing"
)

// gen turns fuzz bytes into a template that usually parses, so the
// differential test reaches the evaluator rather than the parser's errors.
type gen struct {
	in     []byte
	b      strings.Builder
	vars   []string
	depth  int
	ranges int // enclosing range actions, for break and continue
}

func (g *gen) next(n int) int {
	if len(g.in) == 0 {
		return 0
	}
	c := int(g.in[0])
	g.in = g.in[1:]
	return c % n
}

var (
	genFields = []string{
		".username", ".password", ".port", ".ratio", ".float", ".enabled", ".disabled", ".none", ".empty",
		".list", ".emptyList", ".map", ".map.nested", ".map.nested.x", ".emptyMap", ".missing", ".missing.x",
		".b64", ".Upper", ".map.a", "$", ".", ".none.x", ".port.x",
	}
	genConsts = []string{
		`"a"`, `"b"`, `""`, `"%v-%d"`, `"k"`, "0", "1", "2", "-1", "1.5", "0x10", "'a'", "1e2", "true", "false", "nil", "2i",
	}
	// genFuncs are builtins and deterministic sprig functions, with
	// their usual number of arguments.
	genFuncs = []struct {
		name string
		args int
	}{
		{"and", 2},
		{"or", 2},
		{"not", 1},
		{"len", 1},
		{"index", 2},
		{"index", 3},
		{"print", 2},
		{"printf", 2},
		{"println", 1},
		{"eq", 2},
		{"eq", 3},
		{"ne", 2},
		{"lt", 2},
		{"le", 2},
		{"gt", 2},
		{"ge", 2},
		{"html", 1},
		{"js", 1},
		{"urlquery", 1},
		{"call", 1},
		{"slice", 2},
		{"upper", 1},
		{"default", 2},
		{"list", 2},
		{"dict", 2},
		{"pick", 2},
		{"b64enc", 1},
		{"toJson", 1},
		{"first", 1},
		{"cat", 2},
		{"join", 2},
		{"add", 2},
		{"atoi", 1},
		{"int", 1},
		{"toString", 1},
		{"empty", 1},
		{"coalesce", 2},
		{"ternary", 3},
		{"has", 2},
		{"hasKey", 2},
		{"get", 2},
		{"set", 3},
		{"contains", 2},
		{"quote", 1},
		{"splitList", 2},
		{"sortAlpha", 1},
		{"uniq", 1},
		{"typeOf", 1},
		{"kindOf", 1},
		{"deepEqual", 2},
		{"toStrings", 1},
		{"until", 1},
		{"seq", 1},
		{"append", 2},
		{"fail", 1},
		{"semver", 1},
		{"repeat", 2},
		{"accessor", 1},
		{"fromJson", 1},
		{"max", 2},
		{"float64", 1},
		{"trunc", 2},
		{"b64dec", 1},
		{"dig", 3},
	}
)

func (g *gen) template() string {
	for range 1 + g.next(4) {
		g.item()
	}
	return g.b.String()
}

func (g *gen) item() {
	g.depth++
	defer func() { g.depth-- }()
	if g.depth > 4 {
		g.b.WriteString("x")
		return
	}
	mark := len(g.vars)
	switch g.next(8) {
	case 0:
		g.b.WriteString([]string{"x", " ", "-", "\n", "}"}[g.next(5)])
	case 1, 2:
		g.b.WriteString("${")
		g.pipeline(true)
		g.b.WriteString("}")
		return // declarations persist to the end of the enclosing block
	case 3:
		g.block("if", "else if")
	case 4:
		g.block("with", "else with")
	case 5, 6:
		g.rangeBlock()
	default:
		if g.ranges > 0 {
			g.b.WriteString([]string{"${break}", "${continue}"}[g.next(2)])
		}
	}
	g.vars = g.vars[:mark]
}

func (g *gen) block(kw, elseKw string) {
	g.b.WriteString("${" + kw + " ")
	g.pipeline(false)
	g.b.WriteString("}")
	g.body()
	switch g.next(3) {
	case 1:
		g.b.WriteString("${else}")
		g.body()
	case 2:
		g.b.WriteString("${" + elseKw + " ")
		g.pipeline(false)
		g.b.WriteString("}")
		g.body()
	}
	g.b.WriteString("${end}")
}

func (g *gen) rangeBlock() {
	g.b.WriteString("${range ")
	mark := len(g.vars)
	switch g.next(3) {
	case 1:
		g.b.WriteString("$v := ")
		g.vars = append(g.vars, "$v")
	case 2:
		g.b.WriteString("$i, $v := ")
		g.vars = append(g.vars, "$i", "$v")
	}
	g.pipeline(false)
	g.b.WriteString("}")
	g.ranges++
	g.body()
	g.ranges--
	g.vars = g.vars[:mark]
	if g.next(2) == 1 {
		g.b.WriteString("${else}")
		g.body()
	}
	g.b.WriteString("${end}")
}

func (g *gen) body() {
	mark := len(g.vars)
	for range g.next(3) {
		g.item()
	}
	g.vars = g.vars[:mark]
}

func (g *gen) pipeline(mayDeclare bool) {
	var declared string
	if mayDeclare && g.next(4) == 0 {
		declared = []string{"$x", "$y"}[g.next(2)]
		op := " := "
		if g.declared(declared) && g.next(2) == 0 {
			op = " = "
		}
		g.b.WriteString(declared + op)
	}
	g.command()
	for range g.next(3) {
		g.b.WriteString(" | ")
		g.call(true)
	}
	if declared != "" && !g.declared(declared) {
		g.vars = append(g.vars, declared)
	}
}

func (g *gen) declared(name string) bool {
	for _, v := range g.vars {
		if v == name {
			return true
		}
	}
	return false
}

func (g *gen) command() {
	if g.next(3) == 0 {
		g.operand()
		return
	}
	g.call(false)
}

// call writes a function call with its usual number of arguments (one
// fewer in a pipeline, which passes the last), and sometimes one more or
// one fewer.
func (g *gen) call(piped bool) {
	f := genFuncs[g.next(len(genFuncs))]
	g.b.WriteString(f.name)
	n := f.args
	if piped {
		n--
	}
	switch g.next(8) {
	case 0:
		n++
	case 1:
		n--
	}
	for range n {
		g.b.WriteString(" ")
		g.operand()
	}
}

func (g *gen) operand() {
	g.depth++
	defer func() { g.depth-- }()
	switch n := g.next(10); {
	case n < 4:
		g.b.WriteString(genFields[g.next(len(genFields))])
	case n < 7:
		g.b.WriteString(genConsts[g.next(len(genConsts))])
	case n < 8 && len(g.vars) > 0:
		g.b.WriteString(g.vars[g.next(len(g.vars))])
	case g.depth < 4:
		g.b.WriteString("(")
		g.pipeline(false)
		g.b.WriteString(")")
		if g.next(4) == 0 {
			g.b.WriteString(".k")
		}
	default:
		g.b.WriteString(".host")
	}
}

func TestGenerator(t *testing.T) {
	parsed := 0
	for i := range 200 {
		in := make([]byte, 64)
		for j := range in {
			in[j] = byte(i*31 + j*17 + j*j)
		}
		text := (&gen{in: in}).template()
		if _, err := Parse(text); err == nil {
			parsed++
		}
		compare(t, text)
	}
	if parsed < 150 {
		t.Fatalf("%d of 200 generated templates parse, want most of them", parsed)
	}
}
