// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package tmpl

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"text/template/parse"
)

// state is one execution of a Template.
type state struct {
	t     *Template
	out   output
	vars  []variable // innermost last; "$" is always vars[0]
	steps int        // charged against maxSteps
	built int        // bytes of function results, charged against maxBuilt
}

type variable struct {
	name  string
	value reflect.Value
}

// output collects the result and refuses to grow past maxOutput.
type output struct{ b strings.Builder }

func (o *output) Write(p []byte) (int, error) {
	if o.b.Len()+len(p) > maxOutput {
		return 0, fmt.Errorf("the output would exceed %d bytes: %w", maxOutput, errLimit)
	}
	return o.b.Write(p)
}

// step charges n steps against maxSteps.
func (s *state) step(node parse.Node, n int) error {
	s.steps += n
	if s.steps > maxSteps {
		return s.errorf(node, "more than %d steps (function calls and range iterations): %w", maxSteps, errLimit)
	}
	return nil
}

func (s *state) popTo(mark int) { s.vars = s.vars[:mark] }

// setVar assigns to the innermost variable of that name.
func (s *state) setVar(node parse.Node, name string, v reflect.Value) error {
	for i := len(s.vars) - 1; i >= 0; i-- {
		if s.vars[i].name == name {
			s.vars[i].value = v
			return nil
		}
	}
	return s.errorf(node, "undefined variable %s", name)
}

func (s *state) varValue(node parse.Node, name string) (reflect.Value, error) {
	for i := len(s.vars) - 1; i >= 0; i-- {
		if s.vars[i].name == name {
			return s.vars[i].value, nil
		}
	}
	return reflect.Value{}, s.errorf(node, "undefined variable %s", name)
}

// walk writes the output of node with dot as ".". Variables an action
// declares live until the end of the enclosing if, with or range.
func (s *state) walk(dot reflect.Value, node parse.Node) error {
	switch n := node.(type) {
	case *parse.ActionNode:
		v, err := s.evalPipeline(dot, n.Pipe)
		if err != nil || len(n.Pipe.Decl) > 0 {
			return err
		}
		return s.print(n.Pipe, v)
	case *parse.TextNode:
		if _, err := s.out.Write(n.Text); err != nil {
			return &evalError{what: "writing text", pos: s.t.pos(n), err: err}
		}
		return nil
	case *parse.ListNode:
		for _, c := range n.Nodes {
			if err := s.walk(dot, c); err != nil {
				return err
			}
		}
		return nil
	case *parse.IfNode:
		return s.walkIfWith(dot, &n.BranchNode, false)
	case *parse.WithNode:
		return s.walkIfWith(dot, &n.BranchNode, true)
	case *parse.RangeNode:
		return s.walkRange(dot, n)
	case *parse.BreakNode:
		return errBreak
	case *parse.ContinueNode:
		return errContinue
	case *parse.CommentNode:
		return nil
	}
	return s.errorf(node, "this action is %w", errUnsupported)
}

func (s *state) walkIfWith(dot reflect.Value, b *parse.BranchNode, with bool) error {
	defer s.popTo(len(s.vars))
	v, err := s.evalPipeline(dot, b.Pipe)
	if err != nil {
		return err
	}
	truth, ok := isTrue(indirectIface(v))
	if !ok {
		return s.errorf(b.Pipe, "if/with can't use a value of type %s", v.Type())
	}
	switch {
	case truth && with:
		return s.walk(v, b.List)
	case truth:
		return s.walk(dot, b.List)
	case b.ElseList != nil:
		return s.walk(dot, b.ElseList)
	}
	return nil
}

// walkRange runs a range action. A break anywhere under it, its else part
// included, ends this range only (as in text/template).
func (s *state) walkRange(dot reflect.Value, r *parse.RangeNode) error {
	defer s.popTo(len(s.vars))
	v, err := s.evalPipeline(dot, r.Pipe)
	if err != nil {
		return err
	}
	v, _ = indirect(v)
	mark := len(s.vars)
	ran, err := s.iterate(r, v, func(key, elem reflect.Value) error {
		if err := s.step(r.Pipe, 1); err != nil {
			return err
		}
		if err := s.setRangeVars(r.Pipe, key, elem); err != nil {
			return err
		}
		err := s.walk(elem, r.List)
		s.popTo(mark)
		if errors.Is(err, errContinue) {
			return nil
		}
		return err
	})
	if err == nil && !ran && r.ElseList != nil {
		err = s.walk(dot, r.ElseList)
	}
	if errors.Is(err, errBreak) {
		return nil
	}
	return err
}

// setRangeVars gives the range variables the key and element of one
// iteration. With one variable it gets the element; with two, the first
// gets the key. A declaration pushed both just before the loop.
func (s *state) setRangeVars(pipe *parse.PipeNode, key, elem reflect.Value) error {
	decl := pipe.Decl
	switch {
	case len(decl) == 0:
		return nil
	case !pipe.IsAssign && len(decl) == 1:
		s.vars[len(s.vars)-1].value = elem
		return nil
	case !pipe.IsAssign:
		s.vars[len(s.vars)-1].value = elem
		s.vars[len(s.vars)-2].value = key
		return nil
	case len(decl) == 1:
		return s.setVar(pipe, decl[0].Ident[0], elem)
	}
	if err := s.setVar(pipe, decl[0].Ident[0], key); err != nil {
		return err
	}
	return s.setVar(pipe, decl[1].Ident[0], elem)
}

// iterate calls body for each element of v and reports whether there was
// one. Maps go in key order; an integer n counts 0 to n-1.
func (s *state) iterate(r *parse.RangeNode, v reflect.Value, body func(key, elem reflect.Value) error) (bool, error) {
	switch v.Kind() {
	case reflect.Invalid:
		return false, nil
	case reflect.Array, reflect.Slice:
		for i := range v.Len() {
			if err := body(reflect.ValueOf(i), v.Index(i)); err != nil {
				return true, err
			}
		}
		return v.Len() > 0, nil
	case reflect.Map:
		keys, err := sortedKeys(v)
		if err != nil {
			return false, s.errorf(r.Pipe, "range over a map of type %s: %w", v.Type(), err)
		}
		for _, k := range keys {
			if err := body(k, v.MapIndex(k)); err != nil {
				return true, err
			}
		}
		return len(keys) > 0, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return s.iterateInt(r, v, body)
	case reflect.Chan, reflect.Func:
		return false, s.errorf(r.Pipe, "range over a %s is %w", v.Kind(), errUnsupported)
	}
	return false, s.errorf(r.Pipe, "range can't iterate over a value of type %s", v.Type())
}

func (s *state) iterateInt(r *parse.RangeNode, v reflect.Value, body func(key, elem reflect.Value) error) (bool, error) {
	if len(r.Pipe.Decl) > 1 {
		return false, s.errorf(r.Pipe, "range over an integer can't set two variables")
	}
	var n uint64
	if v.CanInt() {
		n = uint64(max(v.Int(), 0))
	} else {
		n = v.Uint()
	}
	for i := uint64(0); i < n; i++ {
		if err := body(reflect.Value{}, reflect.ValueOf(i).Convert(v.Type())); err != nil {
			return true, err
		}
	}
	return n > 0, nil
}

// sortedKeys returns the keys of map v in the order text/template ranges
// over them: by value, for keys of basic kinds.
func sortedKeys(v reflect.Value) ([]reflect.Value, error) {
	keys := v.MapKeys()
	var compare func(a, b reflect.Value) int
	switch v.Type().Key().Kind() {
	case reflect.String:
		compare = func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		compare = func(a, b reflect.Value) int { return cmp.Compare(a.Int(), b.Int()) }
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		compare = func(a, b reflect.Value) int { return cmp.Compare(a.Uint(), b.Uint()) }
	case reflect.Float32, reflect.Float64:
		compare = compareFloat
	case reflect.Bool:
		compare = func(a, b reflect.Value) int { return cmp.Compare(boolInt(a.Bool()), boolInt(b.Bool())) }
	default:
		return nil, fmt.Errorf("ordering keys of kind %s is %w", v.Type().Key().Kind(), errUnsupported)
	}
	slices.SortStableFunc(keys, compare)
	return keys, nil
}

// compareFloat orders NaN first, as fmt's map printing and text/template do.
func compareFloat(a, b reflect.Value) int {
	x, y := a.Float(), b.Float()
	switch {
	case math.IsNaN(x) && math.IsNaN(y):
		return 0
	case math.IsNaN(x):
		return -1
	case math.IsNaN(y):
		return 1
	}
	return cmp.Compare(x, y)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// print writes v as text/template prints the value of an action.
func (s *state) print(node parse.Node, v reflect.Value) error {
	iface, ok := printable(v)
	if !ok {
		return s.errorf(node, "can't print a value of type %s", v.Type())
	}
	if _, err := fmt.Fprint(&s.out, iface); err != nil {
		return s.errorf(node, "%w", err)
	}
	return nil
}
