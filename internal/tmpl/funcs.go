// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package tmpl

import (
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"sync"

	"github.com/deckhouse/secrets-store-integration/internal/sprig"
)

// function is a template function with what the evaluator must know about it.
type function struct {
	fn    reflect.Value
	logic int // logicAnd or logicOr: arguments are evaluated lazily
	cost  int // steps charged per call
	// quotesNoArgs is set for the builtins of this package, whose errors
	// never quote an argument; other errors are withheld unless the
	// arguments are template literals.
	quotesNoArgs bool
	// msgArgs is how many leading arguments can appear in the function's
	// error text; -1 means any of them.
	msgArgs int
	// measured functions get their arguments and result size-checked.
	measured bool
	// guard, if set, refuses arguments that would make the result or the
	// work far larger than the arguments.
	guard func(argv []reflect.Value) error
}

const (
	logicNone = iota
	logicAnd
	logicOr
)

// builtins are text/template's own functions, implemented here. A function
// of the same name from sprig or this package replaces one of these, as a
// function added with Funcs replaces a builtin in text/template; that is
// why "slice" is sprig's.
var builtins = map[string]any{
	"and": and, "or": or, "not": not, "len": length, "index": index, "call": callFunc,
	"eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge,
	"print": fmt.Sprint, "printf": fmt.Sprintf, "println": fmt.Sprintln,
	"html": htmlEscaper, "js": jsEscaper, "urlquery": urlQueryEscaper,
}

// builtinsMeasured are the builtins that build a new string from their
// arguments; the others return an argument, a part of one, or a bool.
var builtinsMeasured = map[string]bool{
	"print": true, "printf": true, "println": true, "html": true, "js": true, "urlquery": true,
}

// heavy functions cost heavyCost steps: key generation, password hashing
// and key derivation take milliseconds to seconds, a DNS lookup may wait
// for the network.
var heavy = map[string]bool{
	"genPrivateKey": true, "genCA": true, "genCAWithKey": true, "genSelfSignedCert": true,
	"genSelfSignedCertWithKey": true, "genSignedCert": true, "genSignedCertWithKey": true,
	"buildCustomCert": true, "bcrypt": true, "htpasswd": true, "derivePassword": true,
	"getHostByName": true,
}

// messageArgs lists functions whose error text is made of their leading
// arguments only: fail's error is its one argument.
var messageArgs = map[string]int{"fail": 1}

// functions is the table the evaluator calls: builtins, replaced by sprig's
// text functions of the same name, then file and accessor.
var functions = sync.OnceValue(func() map[string]*function {
	m := make(map[string]*function, len(builtins)+256)
	for name, fn := range builtins {
		f := &function{
			fn: reflect.ValueOf(fn), cost: 1, msgArgs: -1, measured: builtinsMeasured[name], guard: guards[name],
			// call's error is the called function's, which may quote anything.
			quotesNoArgs: name != "call",
		}
		switch name {
		case "and":
			f.logic = logicAnd
		case "or":
			f.logic = logicOr
		}
		m[name] = f
	}
	add := func(name string, fn any) {
		msgArgs, ok := messageArgs[name]
		if !ok {
			msgArgs = -1
		}
		cost := 1
		if heavy[name] {
			cost = heavyCost
		}
		m[name] = &function{fn: reflect.ValueOf(fn), cost: cost, msgArgs: msgArgs, measured: true, guard: guards[name]}
	}
	for name, fn := range sprig.TxtFuncMap() {
		add(name, fn)
	}
	add("file", readFile)
	add("accessor", accessor)
	return m
})

// parseFuncs is the name set text/template/parse checks function names against.
var parseFuncs = sync.OnceValue(func() map[string]any {
	m := make(map[string]any, len(functions()))
	for name, f := range functions() {
		m[name] = f.fn.Interface()
	}
	return m
})

func lookup(name string) *function { return functions()[name] }

// readFile is the template function file: the contents of the regular file
// at path, at most maxValue bytes, with each newline written as the two
// characters \n so the value stays on one line.
func readFile(path string) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", err // *fs.PathError names the path
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", path)
	}
	f, err := os.Open(path) //nolint:gosec // G304: reading the file the template names is the function's purpose
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxValue+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxValue {
		return "", fmt.Errorf("%s is larger than %d bytes: %w", path, maxValue, errLimit)
	}
	return strings.ReplaceAll(string(b), "\n", `\n`), nil
}

// accessor is the template function accessor: a placeholder naming an auth
// mount, replaced later by whoever knows the mount's accessor.
func accessor(path string) string { return "__accessor__" + path }
