// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import "errors"

// Failure is a reference that could not be resolved. Its text never holds a
// secret value: it quotes the reference and the store's error.
type Failure struct {
	// Var is the variable that held the reference; empty for an
	// env-from-path path.
	Var string
	// Ref is the reference (secrets-store:PATH#KEY[#VERSION]) or the
	// env-from-path path; empty when the variable's value does not parse,
	// in which case Err quotes the value's first bytes.
	Ref string
	// Err is the reason: a *secretref.SyntaxError or a *store.Error.
	Err error
}

func (f *Failure) Error() string {
	switch {
	case f.Var == "":
		return "env-from-path " + f.Ref + ": " + f.Err.Error()
	case f.Ref == "":
		return f.Var + ": " + f.Err.Error()
	}
	return f.Var + ": " + f.Ref + ": " + f.Err.Error()
}

func (f *Failure) Unwrap() error { return f.Err }

func joinFailures(fs []*Failure) error {
	errs := make([]error, len(fs))
	for i, f := range fs {
		errs[i] = f
	}
	return errors.Join(errs...)
}
