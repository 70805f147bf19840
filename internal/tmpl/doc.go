// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package tmpl evaluates the template form of a secret reference's key
// part, as in
//
//	secrets-store:demo-kv/data/db#postgresql://${.username}:${.password}@${.host}/app
//
// where the part after '#' holds "${" followed later by "}" ([IsTemplate]).
// That part is a Go text/template with the delimiters "${" and "}",
// executed over the secret's data: a map[string]any of strings, or of
// JSON-decoded values (maps, []any, json.Number, bool, nil).
//
// # Why not text/template
//
// The package is linked into the static injector binary, whose size is
// budgeted. text/template's executor looks methods up by a name known only
// at run time (reflect.Value.MethodByName), and a binary that can do that
// must keep every exported method of every type it links: executing a
// text/template adds about 2.25 MB. So the text is parsed with
// text/template/parse and executed by this package's own evaluator, which
// calls functions with reflect.Value.Call and never looks a method up. With
// the Sprig functions it adds about 1.05 MB. Check with
//
//	go build -ldflags=-dumpdep ./images/injector 2>&1 | grep '<ReflectMethod>'
//
// which must print nothing.
//
// # Syntax
//
// Everything text/template's parser accepts, with text/template's
// behavior, except what is listed under "Refused": text and actions,
// ${- and -} trimming, pipelines (the previous command's value is the next
// one's last argument), parenthesized pipelines, variables ($x := ...,
// $x = ..., and $ for the data), .key and .a.b chains and $x.key, the
// constants of Go (strings, numbers, characters, true, false, nil), if /
// else if / else, with / else with / else, range over lists, maps (in key
// order) and integers with one or two variables and with else, break and
// continue. A missing key prints "<no value>", and so does a JSON null;
// both are nil when passed to a function (print .missing gives "<nil>"),
// as in text/template with its default missingkey option.
//
// # Functions
//
// text/template's builtins (and, or, not, len, index, print, printf,
// println, eq, ne, lt, le, gt, ge, html, js, urlquery, call), every
// function of Sprig's TxtFuncMap (github.com/Masterminds/sprig/v3 v3.3.0,
// provided by internal/sprig with the same names, signatures and behavior
// but without Sprig's start-up cost), which replaces a builtin of the same
// name as text/template's Funcs would (so slice is Sprig's), and two more:
//
//	file PATH      the contents of the regular file PATH (at most 1 MiB),
//	               each newline written as the two characters \n
//	accessor PATH  the placeholder "__accessor__" + PATH
//
// Arguments are converted as text/template converts them: constants take
// the parameter's type, a value of type any is unwrapped, one pointer
// dereference or address-of is tried, variadic functions take their extra
// arguments one by one, and a function returning a non-nil error, or
// panicking, stops the execution.
//
// # Errors
//
// An execution error names what failed (a function, or the template text
// of a field or action) and its place as line:column in the template
// text, and never a value from the data. Errors of text/template's
// builtins only name types. The error of any other function may quote its
// arguments (time.Parse, regexp and strconv errors do, and file's names
// its path), so its text is
// kept only when every argument that can reach it is a constant written
// in the template; otherwise the error says the text was withheld. So
// ${fail "set the token"} reports its message, and ${fail .token} does not.
//
// # Limits
//
// A template comes with a pod, and its author may get it wrong; one
// execution stays within these bounds, and fails when it would not:
//   - the output is at most 1 MiB;
//   - at most 10,000 steps: each function call and each range iteration is
//     one step; key generation, password hashing and DNS lookups
//     (genPrivateKey, genCA, bcrypt, derivePassword, getHostByName, ...)
//     are 1,000 each;
//   - the arguments of a sprig, file, accessor, print or escaping call, and
//     its result, each hold at most about 1 MiB (string bytes plus 64 per
//     value inside lists and maps) and nest at most 100 levels, which also
//     stops a map that holds itself (set $d "k" $d) before anything
//     prints it;
//   - the results of those calls add up to at most 16 MiB, which bounds
//     the work of values built and dropped in a loop;
//   - functions whose result or work can be far larger than their
//     arguments are checked before the call: repeat, indent, nindent,
//     replace, wrapWith, until, untilStep, seq, the rand* functions,
//     regexReplaceAll and its variants, expandenv, printf (widths), uniq,
//     without and semverCompare (hyphen ranges).
//
// # Refused
//
//   - define, template and block, refused by Parse: a value is one
//     template, and named templates invite recursion;
//   - methods: .Name on a value whose type has methods (json.Number,
//     time.Time, a semver version) is refused unless it is a map key or a
//     struct field, because calling a method found by name is what makes
//     the linker keep all methods;
//   - ranging over channels and iterator functions, which no data or
//     function here produces.
package tmpl
