// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package sprig is Sprig's text function set (github.com/Masterminds/sprig/v3
// v3.3.0, its TxtFuncMap) with Sprig's behavior, built without Sprig.
//
// # Why not Sprig itself
//
// The template functions are linked into the static injector, which runs
// once at every start of a wrapped container, before the application. Sprig
// brings about a dozen modules whose package initializers run at every
// start whether a template is used or not: Masterminds/semver compiles its
// constraint regexps (about 1.4 ms and 200 KB on a small node), goutils
// seeds a math/rand source, google/uuid and shopspring/decimal set up their
// state. Together with the page faults of the memory they touch, that is
// more than a millisecond of every container start, and 0.6 MB of binary.
//
// # How it is built
//
// github.com/go-task/slim-sprig/v3, a fork of Sprig that needs only the
// standard library, provides most functions. This package replaces:
//   - the 45 functions slim-sprig does not have (semver and semverCompare
//     with the semver subpackage, the certificate, key, password and AES
//     functions, the goutils and xstrings string functions, merge and
//     deepCopy, the decimal float arithmetic, uuidv4, randBytes, sha512sum);
//   - the functions whose numbers slim-sprig converts differently: Sprig
//     converts with spf13/cast, which reads "0x10" as 16 and "1.0" as 1,
//     slim-sprig with its own rules. This package has cast-compatible
//     conversions (cast itself would link html/template).
//
// Every function keeps Sprig's exact Go signature, because the template
// evaluator converts arguments by parameter type. The tests compare every
// function with Sprig itself, which is a test-only dependency: the name set
// and signatures must be equal, and deterministic functions must give the
// same result, error or panic for the same arguments.
package sprig

import (
	"maps"

	slim "github.com/go-task/slim-sprig/v3"

	"github.com/deckhouse/secrets-store-integration/internal/sprig/semver"
)

// TxtFuncMap returns a new map of Sprig's text functions: callers may add
// to it or replace entries.
func TxtFuncMap() map[string]any {
	m := slim.TxtFuncMap()
	for _, part := range []map[string]any{numericFuncs(), stringFuncs(), dictFuncs(), cryptoFuncs(), semverFuncs()} {
		maps.Copy(m, part)
	}
	return m
}

// semverFuncs are Sprig's semver and semverCompare.
func semverFuncs() map[string]any {
	return map[string]any{
		"semver":        semver.NewVersion,
		"semverCompare": semver.Satisfies,
	}
}
