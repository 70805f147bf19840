// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package sprig

import (
	"fmt"
	"reflect"
)

// callResult is what one call of a template function did: all that a
// template could see of it.
type callResult struct {
	values   []reflect.Value // the results but a trailing error
	failed   bool            // a non-nil error was returned
	err      string          // its text
	panicked string          // the recovered panic value, printed; "" for none
}

// invoke calls fn with in as the evaluator calls a function, recovering a
// panic: internal/tmpl turns one into an error with the panic's text.
func invoke(fn reflect.Value, in []reflect.Value) (r callResult) {
	defer func() {
		if p := recover(); p != nil {
			r.panicked = fmt.Sprint(p)
			if r.panicked == "" {
				r.panicked = "(empty panic value)"
			}
		}
	}()
	out := fn.Call(in)
	if n := len(out); n > 0 && out[n-1].Type() == reflect.TypeFor[error]() {
		if err, _ := out[n-1].Interface().(error); err != nil {
			r.failed, r.err = true, err.Error()
		}
		out = out[:n-1]
	}
	r.values = out
	return r
}
