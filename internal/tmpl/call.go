// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package tmpl

import (
	"errors"
	"fmt"
	"reflect"
	"text/template/parse"
)

var reflectValueType = reflect.TypeFor[reflect.Value]()

// errWithheld replaces the error of a function called with an argument
// that is not a literal of the template: such an error may quote the
// argument, which may be a secret.
var errWithheld = errors.New("failed; the error text is withheld because an argument comes from the secret's data: " +
	"check the arguments' types and values")

func (s *state) evalFunction(dot reflect.Value, n *parse.IdentifierNode, args []parse.Node, prev final) (reflect.Value, error) {
	f := lookup(n.Ident)
	if f == nil {
		return reflect.Value{}, s.errorf(n, "%q is not a defined function", n.Ident)
	}
	if args != nil {
		args = args[1:] // args[0] is the function's own name
	}
	return s.evalCall(dot, n, f, args, prev)
}

// evalCall calls f with args, then prev when a pipeline gives one, each
// converted to its parameter's type as text/template does.
func (s *state) evalCall(dot reflect.Value, node *parse.IdentifierNode, f *function, args []parse.Node, prev final) (reflect.Value, error) {
	typ := f.fn.Type()
	numIn := len(args)
	if prev.ok {
		numIn++
	}
	numFixed := len(args)
	if typ.IsVariadic() {
		numFixed = typ.NumIn() - 1
		if numIn < numFixed {
			return reflect.Value{}, s.callErrorf(node, "wrong number of args: want at least %d got %d", numFixed, len(args))
		}
	} else if numIn != typ.NumIn() {
		return reflect.Value{}, s.callErrorf(node, "wrong number of args: want %d got %d", typ.NumIn(), numIn)
	}
	if err := s.step(node, f.cost); err != nil {
		return reflect.Value{}, err
	}
	if f.logic != logicNone {
		return s.evalAndOr(dot, f, args, prev)
	}
	argv, err := s.evalArgs(dot, node, typ, args, prev, numFixed)
	if err != nil {
		return reflect.Value{}, err
	}
	if err := f.check(argv); err != nil {
		return reflect.Value{}, s.callError(node, err)
	}
	v, err := safeCall(f.fn, argv)
	if err != nil {
		if !f.quotesNoArgs && !literalArgs(args, prev, f.msgArgs) {
			err = errWithheld
		}
		return reflect.Value{}, s.callError(node, err)
	}
	if v.Type() == reflectValueType {
		v, _ = v.Interface().(reflect.Value)
	}
	if f.measured {
		if err := s.chargeResult(v); err != nil {
			return reflect.Value{}, s.callError(node, err)
		}
	}
	return v, nil
}

// chargeResult checks the size of a function's result, and charges it to
// the execution's total, which bounds the work of building values that
// are dropped right away (${range ...}${$x := repeat 1000000 "x"}${end}).
func (s *state) chargeResult(v reflect.Value) error {
	n, err := measure(maxValue, v)
	if err != nil {
		return fmt.Errorf("result: %w", err)
	}
	if s.built += n; s.built > maxBuilt {
		return fmt.Errorf("the results of the calls add up to more than %d bytes: %w", maxBuilt, errLimit)
	}
	return nil
}

func (s *state) callError(node *parse.IdentifierNode, err error) error {
	return &evalError{what: "calling " + node.Ident, pos: s.t.pos(node), err: err}
}

func (s *state) callErrorf(node *parse.IdentifierNode, format string, args ...any) error {
	return s.callError(node, fmt.Errorf(format, args...))
}

// evalArgs evaluates the arguments of a call: fixed parameters, then the
// variadic ones, then the pipeline's value as the last argument.
func (s *state) evalArgs(dot reflect.Value, node parse.Node, typ reflect.Type, args []parse.Node, prev final, numFixed int) ([]reflect.Value, error) {
	argv := make([]reflect.Value, 0, len(args)+1)
	for i, arg := range args {
		var pt reflect.Type
		if i < numFixed {
			pt = typ.In(i)
		} else {
			pt = typ.In(typ.NumIn() - 1).Elem()
		}
		v, err := s.evalArg(dot, pt, arg)
		if err != nil {
			return nil, err
		}
		argv = append(argv, v)
	}
	if !prev.ok {
		return argv, nil
	}
	pt := typ.In(typ.NumIn() - 1)
	if typ.IsVariadic() {
		if len(argv) < numFixed {
			pt = typ.In(len(argv))
		} else {
			pt = pt.Elem()
		}
	}
	v, err := s.convert(node, prev.v, pt)
	if err != nil {
		return nil, err
	}
	return append(argv, v), nil
}

// evalAndOr evaluates and/or: the arguments in order until one decides the
// result (false for and, true for or), which is returned as it is.
func (s *state) evalAndOr(dot reflect.Value, f *function, args []parse.Node, prev final) (reflect.Value, error) {
	var v reflect.Value
	for _, arg := range args {
		w, err := s.evalArg(dot, reflectValueType, arg)
		if err != nil {
			return reflect.Value{}, err
		}
		v, _ = w.Interface().(reflect.Value)
		if truth(v) == (f.logic == logicOr) {
			return v, nil
		}
	}
	if prev.ok {
		return prev.v, nil
	}
	return v, nil
}

// literalArgs reports whether each of the first n arguments (all when n
// is negative) is a constant written in the template. The pipeline's
// value, passed last, never is.
func literalArgs(args []parse.Node, prev final, n int) bool {
	if n < 0 {
		n = len(args) + 1
	}
	for i, arg := range args {
		if i >= n {
			return true
		}
		switch arg.(type) {
		case *parse.StringNode, *parse.NumberNode, *parse.BoolNode, *parse.NilNode:
		default:
			return false
		}
	}
	return !prev.ok || len(args) >= n
}

// safeCall calls fn, turning a panic into an error as text/template does.
func safeCall(fn reflect.Value, argv []reflect.Value) (v reflect.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	out := fn.Call(argv)
	if len(out) == 2 && !out[1].IsNil() {
		if e, ok := out[1].Interface().(error); ok {
			return out[0], e
		}
	}
	return out[0], nil
}

// convert makes v fit a parameter of type typ (nil: any type) by text/template's
// rules: a missing value becomes the zero of a nillable type, an any is
// unwrapped, and one pointer dereference or address-of is tried.
func (s *state) convert(node parse.Node, v reflect.Value, typ reflect.Type) (reflect.Value, error) {
	if !v.IsValid() {
		if canBeNil(typ) {
			return zeroOf(typ), nil
		}
		return reflect.Value{}, s.errorf(node, "invalid value; expected %s", typ)
	}
	if typ == reflectValueType && v.Type() != typ {
		return reflect.ValueOf(v), nil
	}
	if typ == nil || v.Type().AssignableTo(typ) {
		return v, nil
	}
	if v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
		if v.Type().AssignableTo(typ) {
			return v, nil
		}
	}
	switch {
	case v.Kind() == reflect.Pointer && v.Type().Elem().AssignableTo(typ):
		if v.IsNil() {
			return reflect.Value{}, s.errorf(node, "dereference of nil pointer of type %s", typ)
		}
		return v.Elem(), nil
	case reflect.PointerTo(v.Type()).AssignableTo(typ) && v.CanAddr():
		return v.Addr(), nil
	}
	return reflect.Value{}, s.errorf(node, "wrong type for value; expected %s; got %s", typ, v.Type())
}

// canBeNil reports whether a missing value or nil may stand for typ.
func canBeNil(typ reflect.Type) bool {
	if typ == nil {
		return true
	}
	switch typ.Kind() {
	case reflect.Chan, reflect.Func, reflect.Interface, reflect.Map, reflect.Pointer, reflect.Slice:
		return true
	case reflect.Struct:
		return typ == reflectValueType
	}
	return false
}

func zeroOf(typ reflect.Type) reflect.Value {
	if typ == nil {
		return reflect.Value{}
	}
	return reflect.Zero(typ)
}
