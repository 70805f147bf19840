// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package secretref

import (
	"math"
	"strconv"
	"strings"
)

// Prefix marks an environment value as a reference to a secret.
const Prefix = "secrets-store:"

// Ref is a parsed reference: secrets-store:PATH#KEY or
// secrets-store:PATH#KEY#VERSION.
type Ref struct {
	// Path is the store API path, e.g. demo-kv/data/myapp-secret.
	Path string
	// Key is the field of the secret, e.g. DB_PASS.
	Key string
	// Version is the KV version 2 secret version; 0 means the latest.
	Version int
}

// IsRef reports whether s starts with Prefix, that is whether s is meant as
// a reference at all. It does not validate s: use Parse for that.
func IsRef(s string) bool {
	return strings.HasPrefix(s, Prefix)
}

// Parse parses a reference. For a valid s, Parse(s).String() == s.
func Parse(s string) (Ref, error) {
	rest, ok := strings.CutPrefix(s, Prefix)
	if !ok {
		// Not echoed: a value without the prefix may well be a secret.
		return Ref{}, &SyntaxError{
			What: whatRef, Part: PartReference,
			Reason: ErrNotReference.Error(), Err: ErrNotReference,
		}
	}
	path, keyVersion, ok := strings.Cut(rest, "#")
	if !ok {
		return Ref{}, syntaxError(whatRef, s, PartKey, `missing "#KEY" after the path`)
	}
	key, version, hasVersion := strings.Cut(keyVersion, "#")
	if i := strings.IndexByte(version, '#'); i >= 0 {
		offset := len(s) - len(version) + i
		return Ref{}, syntaxError(whatRef, s, PartReference, `unexpected fourth "#"-separated part`+at(offset))
	}
	r := Ref{Path: path, Key: key}
	if err := r.check(s); err != nil {
		return Ref{}, err
	}
	if hasVersion {
		v, reason := parseVersion(version)
		if reason != "" {
			return Ref{}, syntaxError(whatRef, s, PartVersion, reason+at(len(s)-len(version)))
		}
		r.Version = v
	}
	return r, nil
}

// String formats r as a reference. It does not validate r; for a valid r,
// Parse(r.String()) == r.
func (r Ref) String() string {
	s := Prefix + r.Path + "#" + r.Key
	if r.Version != 0 {
		s += "#" + strconv.Itoa(r.Version)
	}
	return s
}

// Validate reports whether r has a valid path, key and version, that is
// whether r.String() parses back to r.
func (r Ref) Validate() error {
	if err := r.check(r.String()); err != nil {
		return err
	}
	if r.Version < 0 || r.Version > math.MaxInt32 {
		return syntaxError(whatRef, r.String(), PartVersion, versionRule)
	}
	return nil
}

// check validates the path and key of r; input is what the error quotes,
// in which the path starts right after Prefix.
func (r Ref) check(input string) error {
	if reason := checkPath(r.Path, len(Prefix)); reason != "" {
		return syntaxError(whatRef, input, PartPath, reason)
	}
	if reason := checkKey(r.Key, len(Prefix)+len(r.Path)+1); reason != "" {
		return syntaxError(whatRef, input, PartKey, reason)
	}
	return nil
}

const versionRule = "version must be a decimal integer from 1 to 2147483647 without sign or leading zeros"

// parseVersion parses VERSION, returning why it is invalid if it is.
func parseVersion(s string) (int, string) {
	if s == "" {
		return 0, `empty version after the second "#"`
	}
	if s[0] == '0' || len(s) > len("2147483647") {
		return 0, versionRule
	}
	var v int64
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return 0, versionRule
		}
		v = v*10 + int64(s[i]-'0')
	}
	if v > math.MaxInt32 {
		return 0, versionRule
	}
	return int(v), ""
}
