// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package tmpl

import (
	"errors"
	"fmt"
	"reflect"
)

// The builtins below have text/template's signatures, so that arity and
// argument conversion work as there, and its results. Their errors name
// types, never values.

// and and or are evaluated by evalAndOr, which needs only their signatures.
func and(arg0 reflect.Value, _ ...reflect.Value) reflect.Value { return arg0 }

func or(arg0 reflect.Value, _ ...reflect.Value) reflect.Value { return arg0 }

func not(arg reflect.Value) bool { return !truth(arg) }

func length(item reflect.Value) (int, error) {
	item, isNil := indirect(item)
	if isNil {
		return 0, errors.New("len of nil pointer")
	}
	switch item.Kind() {
	case reflect.Array, reflect.Chan, reflect.Map, reflect.Slice, reflect.String:
		return item.Len(), nil
	case reflect.Invalid:
		return 0, errors.New("len of a missing value")
	}
	return 0, fmt.Errorf("len of type %s", item.Type())
}

// index returns item[i][j]...: elements of arrays, slices and strings, or
// map entries (the zero value for a missing key).
func index(item reflect.Value, indexes ...reflect.Value) (reflect.Value, error) {
	item = indirectIface(item)
	if !item.IsValid() {
		return reflect.Value{}, errors.New("index of untyped nil")
	}
	for _, i := range indexes {
		i = indirectIface(i)
		var isNil bool
		if item, isNil = indirect(item); isNil {
			return reflect.Value{}, errors.New("index of nil pointer")
		}
		switch item.Kind() {
		case reflect.Array, reflect.Slice, reflect.String:
			n, err := indexArg(i, item.Len())
			if err != nil {
				return reflect.Value{}, err
			}
			if n == item.Len() {
				return reflect.Value{}, errors.New("index out of range")
			}
			item = item.Index(n)
		case reflect.Map:
			key, err := prepareArg(i, item.Type().Key())
			if err != nil {
				return reflect.Value{}, err
			}
			if v := item.MapIndex(key); v.IsValid() {
				item = v
			} else {
				item = reflect.Zero(item.Type().Elem())
			}
		default:
			return reflect.Value{}, fmt.Errorf("can't index item of type %s", item.Type())
		}
	}
	return item, nil
}

// indexArg returns i as an int in [0, limit].
func indexArg(i reflect.Value, limit int) (int, error) {
	var x int64
	switch {
	case !i.IsValid():
		return 0, errors.New("cannot index slice/array with nil")
	case i.CanInt():
		x = i.Int()
	case i.CanUint():
		u := i.Uint()
		if u > uint64(limit) { //nolint:gosec // G115: limit is a length, never negative
			return 0, errors.New("index out of range")
		}
		x = int64(u) //nolint:gosec // G115: u <= limit, an int
	default:
		return 0, fmt.Errorf("cannot index slice/array with type %s", i.Type())
	}
	if x < 0 || x > int64(limit) {
		return 0, errors.New("index out of range")
	}
	return int(x), nil
}

// prepareArg makes v fit a map key or a parameter of type typ, as
// text/template's call and index do: nil for nillable types, any integer
// for an integer type.
func prepareArg(v reflect.Value, typ reflect.Type) (reflect.Value, error) {
	if !v.IsValid() {
		if !canBeNil(typ) {
			return reflect.Value{}, fmt.Errorf("value is nil; should be of type %s", typ)
		}
		return reflect.Zero(typ), nil
	}
	if v.Type().AssignableTo(typ) {
		return v, nil
	}
	if intLike(v.Kind()) && intLike(typ.Kind()) && v.Type().ConvertibleTo(typ) {
		return v.Convert(typ), nil
	}
	return reflect.Value{}, fmt.Errorf("value has type %s; should be %s", v.Type(), typ)
}

func intLike(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

// callFunc is the builtin call: fn(args...) for a function value fn.
func callFunc(fn reflect.Value, args ...reflect.Value) (reflect.Value, error) {
	fn = indirectIface(fn)
	if !fn.IsValid() {
		return reflect.Value{}, errors.New("call of nil")
	}
	typ := fn.Type()
	if typ.Kind() != reflect.Func {
		return reflect.Value{}, fmt.Errorf("call of non-function of type %s", typ)
	}
	if out := typ.NumOut(); out != 1 && (out != 2 || typ.Out(1) != errorType) {
		return reflect.Value{}, fmt.Errorf("call of a function with %d results: want 1, or 2 with an error", out)
	}
	numIn := typ.NumIn()
	if typ.IsVariadic() && len(args) < numIn-1 {
		return reflect.Value{}, fmt.Errorf("wrong number of args: got %d want at least %d", len(args), numIn-1)
	}
	if !typ.IsVariadic() && len(args) != numIn {
		return reflect.Value{}, fmt.Errorf("wrong number of args: got %d want %d", len(args), numIn)
	}
	argv := make([]reflect.Value, len(args))
	for i, arg := range args {
		var pt reflect.Type
		if typ.IsVariadic() && i >= numIn-1 {
			pt = typ.In(numIn - 1).Elem()
		} else {
			pt = typ.In(i)
		}
		var err error
		if argv[i], err = prepareArg(indirectIface(arg), pt); err != nil {
			return reflect.Value{}, fmt.Errorf("arg %d: %w", i, err)
		}
	}
	return safeCall(fn, argv)
}

var errorType = reflect.TypeFor[error]()
