// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package tmpl

import (
	"reflect"
	"strings"
	"text/template/parse"
)

// final is the result of the previous command of a pipeline, which the
// next command receives as its last argument. ok is false for the first
// command; v may be invalid (a missing key) even when ok is true.
type final struct {
	v  reflect.Value
	ok bool
}

// evalPipeline evaluates the commands of pipe in turn and then declares or
// assigns its variables. A value of type any is replaced by what it holds,
// so a nil any becomes the invalid Value ("<no value>").
func (s *state) evalPipeline(dot reflect.Value, pipe *parse.PipeNode) (reflect.Value, error) {
	var v reflect.Value
	prev := final{}
	for _, cmd := range pipe.Cmds {
		var err error
		if v, err = s.evalCommand(dot, cmd, prev); err != nil {
			return reflect.Value{}, err
		}
		if v.Kind() == reflect.Interface && v.Type().NumMethod() == 0 {
			v = v.Elem()
		}
		prev = final{v: v, ok: true}
	}
	for _, d := range pipe.Decl {
		if !pipe.IsAssign {
			s.vars = append(s.vars, variable{name: d.Ident[0], value: v})
			continue
		}
		if err := s.setVar(d, d.Ident[0], v); err != nil {
			return reflect.Value{}, err
		}
	}
	return v, nil
}

func (s *state) evalCommand(dot reflect.Value, cmd *parse.CommandNode, prev final) (reflect.Value, error) {
	switch n := cmd.Args[0].(type) {
	case *parse.FieldNode:
		return s.evalFieldChain(dot, n, n.Ident, cmd.Args, prev)
	case *parse.ChainNode:
		return s.evalChain(dot, n, cmd.Args, prev)
	case *parse.IdentifierNode:
		return s.evalFunction(dot, n, cmd.Args, prev)
	case *parse.VariableNode:
		return s.evalVariable(n, cmd.Args, prev)
	}
	if hasArgs(cmd.Args, prev) {
		return reflect.Value{}, s.errorf(cmd, "can't give an argument to a non-function")
	}
	switch n := cmd.Args[0].(type) {
	case *parse.PipeNode:
		return s.evalPipeline(dot, n)
	case *parse.BoolNode:
		return reflect.ValueOf(n.True), nil
	case *parse.DotNode:
		return dot, nil
	case *parse.NumberNode:
		return s.idealConstant(n)
	case *parse.StringNode:
		return reflect.ValueOf(n.Text), nil
	case *parse.NilNode:
		return reflect.Value{}, s.errorf(n, "nil is not a command")
	}
	return reflect.Value{}, s.errorf(cmd, "can't evaluate command %s", context(cmd.Args[0]))
}

// hasArgs reports whether a command whose words are args (the first is
// the command itself) gets arguments, from its words or the pipeline.
func hasArgs(args []parse.Node, prev final) bool { return len(args) > 1 || prev.ok }

func (s *state) evalChain(dot reflect.Value, chain *parse.ChainNode, args []parse.Node, prev final) (reflect.Value, error) {
	if chain.Node.Type() == parse.NodeNil {
		return reflect.Value{}, s.errorf(chain, "indirection through explicit nil")
	}
	v, err := s.evalArg(dot, nil, chain.Node)
	if err != nil {
		return reflect.Value{}, err
	}
	return s.evalFieldChain(v, chain, chain.Field, args, prev)
}

func (s *state) evalVariable(n *parse.VariableNode, args []parse.Node, prev final) (reflect.Value, error) {
	v, err := s.varValue(n, n.Ident[0])
	if err != nil {
		return reflect.Value{}, err
	}
	if len(n.Ident) == 1 {
		if hasArgs(args, prev) {
			return reflect.Value{}, s.errorf(n, "can't give an argument to a non-function")
		}
		return v, nil
	}
	return s.evalFieldChain(v, n, n.Ident[1:], args, prev)
}

// evalFieldChain looks up .X.Y.Z from receiver; only the last name may get
// arguments (and then fails, as only methods could take them).
func (s *state) evalFieldChain(receiver reflect.Value, node parse.Node, names []string, args []parse.Node, prev final) (reflect.Value, error) {
	for _, name := range names[:len(names)-1] {
		var err error
		if receiver, err = s.evalField(node, name, nil, final{}, receiver); err != nil {
			return reflect.Value{}, err
		}
	}
	return s.evalField(node, names[len(names)-1], args, prev, receiver)
}

// evalField returns the map entry or struct field name of receiver. A
// missing map key, or any name looked up on a missing value, gives the
// invalid Value. Methods are never called: a name on a value whose type
// has methods is refused unless it is a map key or a direct struct field.
func (s *state) evalField(node parse.Node, name string, args []parse.Node, prev final, receiver reflect.Value) (reflect.Value, error) {
	if !receiver.IsValid() {
		return reflect.Value{}, nil
	}
	typ := receiver.Type()
	rv, isNil := indirect(receiver)
	if rv.Kind() == reflect.Interface && isNil {
		return reflect.Value{}, s.errorf(node, "nil pointer evaluating %s.%s", typ, name)
	}
	withArgs := hasArgs(args, prev)
	methods := hasMethods(rv)
	switch rv.Kind() {
	case reflect.Struct:
		f, ok := rv.Type().FieldByName(name)
		if !ok || (methods && len(f.Index) > 1) {
			break
		}
		if !f.IsExported() {
			return reflect.Value{}, s.errorf(node, "%s is an unexported field of struct type %s", name, typ)
		}
		field, err := rv.FieldByIndexErr(f.Index)
		if err != nil {
			return reflect.Value{}, s.errorf(node, "field %s of type %s: nil pointer to an embedded struct", name, typ)
		}
		if withArgs {
			return reflect.Value{}, s.errorf(node, "%s has arguments but cannot be invoked as a function", name)
		}
		return field, nil
	case reflect.Map:
		key := reflect.ValueOf(name)
		if methods || !key.Type().AssignableTo(rv.Type().Key()) {
			break
		}
		if withArgs {
			return reflect.Value{}, s.errorf(node, "%s is not a method but has arguments", name)
		}
		return rv.MapIndex(key), nil
	case reflect.Pointer:
		if !methods && (rv.Type().Elem().Kind() != reflect.Struct || hasField(rv.Type().Elem(), name)) {
			return reflect.Value{}, s.errorf(node, "nil pointer evaluating %s.%s", typ, name)
		}
	}
	if methods {
		return reflect.Value{}, s.errorf(node, "can't evaluate %s in type %s: it is not a map key or struct field, and calling methods is %w", name, typ, errUnsupported)
	}
	return reflect.Value{}, s.errorf(node, "can't evaluate field %s in type %s", name, typ)
}

// hasMethods reports whether text/template would look for a method on v:
// whether v's type, or its pointer type when v is addressable, has any.
func hasMethods(v reflect.Value) bool {
	if v.Kind() == reflect.Interface {
		return false
	}
	if v.Type().NumMethod() > 0 {
		return true
	}
	return v.Kind() != reflect.Pointer && v.CanAddr() && reflect.PointerTo(v.Type()).NumMethod() > 0
}

func hasField(t reflect.Type, name string) bool {
	_, ok := t.FieldByName(name)
	return ok
}

// evalArg evaluates argument n for a parameter of type typ (nil: any
// type). Constants take the parameter's type, as untyped constants in Go.
func (s *state) evalArg(dot reflect.Value, typ reflect.Type, n parse.Node) (reflect.Value, error) {
	var v reflect.Value
	var err error
	switch arg := n.(type) {
	case *parse.DotNode:
		v = dot
	case *parse.NilNode:
		if canBeNil(typ) {
			return zeroOf(typ), nil
		}
		return reflect.Value{}, s.errorf(n, "cannot assign nil to %s", typ)
	case *parse.FieldNode:
		v, err = s.evalFieldChain(dot, arg, arg.Ident, []parse.Node{n}, final{})
	case *parse.VariableNode:
		v, err = s.evalVariable(arg, nil, final{})
	case *parse.PipeNode:
		v, err = s.evalPipeline(dot, arg)
	case *parse.IdentifierNode:
		v, err = s.evalFunction(dot, arg, nil, final{})
	case *parse.ChainNode:
		v, err = s.evalChain(dot, arg, nil, final{})
	default:
		return s.evalConstant(typ, n)
	}
	if err != nil {
		return reflect.Value{}, err
	}
	return s.convert(n, v, typ)
}

// evalConstant gives a bool, number or string constant the parameter's type.
func (s *state) evalConstant(typ reflect.Type, n parse.Node) (reflect.Value, error) {
	if typ == nil || (typ.Kind() == reflect.Interface && typ.NumMethod() == 0) {
		return s.untypedConstant(n)
	}
	if typ == reflectValueType {
		v, err := s.untypedConstant(n)
		return reflect.ValueOf(v), err
	}
	v := reflect.New(typ).Elem()
	num, isNum := n.(*parse.NumberNode)
	switch k := typ.Kind(); {
	case k == reflect.Bool:
		if b, ok := n.(*parse.BoolNode); ok {
			v.SetBool(b.True)
			return v, nil
		}
	case k == reflect.String:
		if str, ok := n.(*parse.StringNode); ok {
			v.SetString(str.Text)
			return v, nil
		}
	case v.CanInt() && isNum && num.IsInt:
		v.SetInt(num.Int64)
		return v, nil
	case v.CanUint() && isNum && num.IsUint:
		v.SetUint(num.Uint64)
		return v, nil
	case v.CanFloat() && isNum && num.IsFloat:
		v.SetFloat(num.Float64)
		return v, nil
	case v.CanComplex() && isNum && num.IsComplex:
		v.SetComplex(num.Complex128)
		return v, nil
	}
	return reflect.Value{}, s.errorf(n, "can't use %s as an argument of type %s", context(n), typ)
}

// untypedConstant is the value of a constant where any type will do.
func (s *state) untypedConstant(n parse.Node) (reflect.Value, error) {
	switch c := n.(type) {
	case *parse.BoolNode:
		return reflect.ValueOf(c.True), nil
	case *parse.StringNode:
		return reflect.ValueOf(c.Text), nil
	case *parse.NumberNode:
		return s.idealConstant(c)
	}
	return reflect.Value{}, s.errorf(n, "can't use %s as an argument", context(n))
}

// idealConstant types a number constant by its spelling, as Go does with
// an untyped constant: complex, then float (a decimal point or exponent,
// but not a hexadecimal integer or a character), then int.
func (s *state) idealConstant(n *parse.NumberNode) (reflect.Value, error) {
	text := n.Text
	hexInt := len(text) > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') && !strings.ContainsAny(text, "pP")
	char := strings.HasPrefix(text, "'")
	switch {
	case n.IsComplex:
		return reflect.ValueOf(n.Complex128), nil
	case n.IsFloat && !hexInt && !char && strings.ContainsAny(text, ".eEpP"):
		return reflect.ValueOf(n.Float64), nil
	case n.IsInt:
		i := int(n.Int64)
		if int64(i) != n.Int64 {
			return reflect.Value{}, s.errorf(n, "%s overflows int", text)
		}
		return reflect.ValueOf(i), nil
	case n.IsUint:
		return reflect.Value{}, s.errorf(n, "%s overflows int", text)
	}
	return reflect.Value{}, nil
}
