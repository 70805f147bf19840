// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package tmpl

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
)

// basic is the class of a value for the comparison builtins: integers of
// any size compare with each other, and so on. Signed and unsigned
// integers compare by value.
type basic int

const (
	notBasic basic = iota
	boolBasic
	complexBasic
	intBasic
	floatBasic
	stringBasic
	uintBasic
)

func basicOf(v reflect.Value) basic {
	switch {
	case !v.IsValid():
		return notBasic
	case v.Kind() == reflect.Bool:
		return boolBasic
	case v.CanInt():
		return intBasic
	case v.CanUint():
		return uintBasic
	case v.CanFloat():
		return floatBasic
	case v.CanComplex():
		return complexBasic
	case v.Kind() == reflect.String:
		return stringBasic
	}
	return notBasic
}

var (
	errNoComparison   = errors.New("missing argument for comparison")
	errBadComparison  = errors.New("invalid type for comparison")
	errNotComparable  = errors.New("values of these types cannot be compared")
	errIncompatibleEq = errors.New("incompatible types for comparison")
)

// eq reports whether a equals any of bs.
func eq(a reflect.Value, bs ...reflect.Value) (bool, error) {
	a = indirectIface(a)
	if len(bs) == 0 {
		return false, errNoComparison
	}
	for _, b := range bs {
		same, err := equal(a, indirectIface(b))
		if err != nil || same {
			return same, err
		}
	}
	return false, nil
}

func equal(a, b reflect.Value) (bool, error) {
	ka, kb := basicOf(a), basicOf(b)
	if ka != kb {
		switch {
		case ka == intBasic && kb == uintBasic:
			return compareIntUint(a.Int(), b.Uint()) == 0, nil
		case ka == uintBasic && kb == intBasic:
			return compareIntUint(b.Int(), a.Uint()) == 0, nil
		case a.IsValid() && b.IsValid():
			return false, fmt.Errorf("%w: %s and %s", errIncompatibleEq, a.Type(), b.Type())
		}
		return false, nil
	}
	switch ka {
	case boolBasic:
		return a.Bool() == b.Bool(), nil
	case complexBasic:
		return a.Complex() == b.Complex(), nil
	case floatBasic:
		return a.Float() == b.Float(), nil
	case intBasic:
		return a.Int() == b.Int(), nil
	case stringBasic:
		return a.String() == b.String(), nil
	case uintBasic:
		return a.Uint() == b.Uint(), nil
	}
	if a.Kind() != b.Kind() && a.IsValid() && b.IsValid() {
		return false, fmt.Errorf("%w: %s and %s", errNotComparable, a.Type(), b.Type())
	}
	if isNil(a) || isNil(b) {
		return isNil(a) == isNil(b), nil
	}
	if !b.Type().Comparable() {
		return false, fmt.Errorf("%w: %s", errNotComparable, b.Type())
	}
	return a.Interface() == b.Interface(), nil
}

// isNil reports whether v is missing or a nil of a nillable kind.
func isNil(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Invalid:
		return true
	case reflect.Chan, reflect.Func, reflect.Interface, reflect.Map, reflect.Pointer, reflect.Slice:
		return v.IsNil()
	}
	return false
}

func ne(a, b reflect.Value) (bool, error) {
	same, err := eq(a, b)
	return !same, err
}

// lt orders two numbers, or two strings.
func lt(a, b reflect.Value) (bool, error) {
	a, b = indirectIface(a), indirectIface(b)
	ka, kb := basicOf(a), basicOf(b)
	if ka == notBasic || kb == notBasic {
		return false, errBadComparison
	}
	if ka != kb {
		switch {
		case ka == intBasic && kb == uintBasic:
			return compareIntUint(a.Int(), b.Uint()) < 0, nil
		case ka == uintBasic && kb == intBasic:
			return compareIntUint(b.Int(), a.Uint()) > 0, nil
		}
		return false, fmt.Errorf("%w: %s and %s", errIncompatibleEq, a.Type(), b.Type())
	}
	switch ka {
	case floatBasic:
		return a.Float() < b.Float(), nil
	case intBasic:
		return a.Int() < b.Int(), nil
	case stringBasic:
		return a.String() < b.String(), nil
	case uintBasic:
		return a.Uint() < b.Uint(), nil
	}
	return false, errBadComparison
}

// compareIntUint compares a signed and an unsigned integer by value.
func compareIntUint(i int64, u uint64) int {
	if i < 0 {
		return -1
	}
	return cmp.Compare(uint64(i), u)
}

func le(a, b reflect.Value) (bool, error) {
	less, err := lt(a, b)
	if less || err != nil {
		return less, err
	}
	return eq(a, b)
}

func gt(a, b reflect.Value) (bool, error) {
	lessOrEqual, err := le(a, b)
	return !lessOrEqual && err == nil, err
}

func ge(a, b reflect.Value) (bool, error) {
	less, err := lt(a, b)
	return !less && err == nil, err
}

// indirect follows pointers and interfaces to the value at the end; isNil
// reports a nil on the way (then v is that pointer or interface).
func indirect(v reflect.Value) (_ reflect.Value, isNil bool) {
	for ; v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface; v = v.Elem() {
		if v.IsNil() {
			return v, true
		}
	}
	return v, false
}

// indirectIface returns what an interface value holds (invalid for nil);
// other values unchanged.
func indirectIface(v reflect.Value) reflect.Value {
	if v.Kind() != reflect.Interface {
		return v
	}
	if v.IsNil() {
		return reflect.Value{}
	}
	return v.Elem()
}

// isTrue is the truth of if, with, and, or and not: not the zero value of
// its type, and not empty. ok is false for kinds that have no truth.
func isTrue(v reflect.Value) (truth, ok bool) {
	switch v.Kind() {
	case reflect.Invalid:
		return false, true
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() > 0, true
	case reflect.Bool:
		return v.Bool(), true
	case reflect.Complex64, reflect.Complex128:
		return v.Complex() != 0, true
	case reflect.Chan, reflect.Func, reflect.Pointer, reflect.UnsafePointer, reflect.Interface:
		return !v.IsNil(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() != 0, true
	case reflect.Float32, reflect.Float64:
		return v.Float() != 0, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() != 0, true
	case reflect.Struct:
		return true, true
	}
	return false, false
}

func truth(v reflect.Value) bool {
	t, _ := isTrue(indirectIface(v))
	return t
}
