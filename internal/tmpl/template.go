// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package tmpl

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"text/template/parse"
	"unicode/utf8"
)

// Delimiters of an action, and the name parse errors are reported under.
const (
	leftDelim  = "${"
	rightDelim = "}"
	treeName   = "template"
)

// Limits of one execution; doc.go explains each.
const (
	maxOutput    = 1 << 20             // bytes written by one execution
	maxValue     = 1 << 20             // approximate bytes a call's arguments, or its result, may hold
	itemCost     = 64                  // bytes charged per value inside a measured container
	maxItems     = maxValue / itemCost // elements a list-making function may be asked for
	maxQuadratic = 1 << 24             // comparisons a quadratic list function may be asked for
	maxDepth     = 100                 // nesting of a measured value; deeper is taken for a cycle
	maxSteps     = 10_000              // function calls plus range iterations
	maxBuilt     = 16 << 20            // bytes of all function results of one execution
	heavyCost    = 1_000               // steps charged for key generation, password hashing, DNS
	maxContext   = 40                  // bytes of template text an error quotes
)

var (
	// errLimit is wrapped by every error that reports an exceeded limit.
	errLimit = errors.New("limit exceeded")
	// errUnsupported is wrapped by errors about text/template features this
	// package refuses: methods, template/define/block, channels, iterators.
	errUnsupported = errors.New("not supported")
	// errBreak and errContinue carry break and continue to the enclosing range.
	errBreak    = errors.New("break outside range")
	errContinue = errors.New("continue outside range")
)

// Template is a parsed template. It is immutable: Execute may be called
// from several goroutines at once.
type Template struct {
	text string
	root *parse.ListNode
}

// Parse parses text (the part after '#', e.g. "postgresql://${.username}@h") once.
func Parse(text string) (*Template, error) {
	return parseWith(text, parseFuncs())
}

// hostFuncs read the surroundings of the process that runs the template:
// its files, its environment, the network's DNS, the store mounts its
// caller logged in to.
var hostFuncs = []string{"file", "env", "expandenv", "getHostByName", "accessor"}

// volatileFuncs give another result at every run with the same data: the
// clock, random values, salted hashes, generated keys.
var volatileFuncs = []string{
	"now", "ago", "randAlphaNum", "randAlpha", "randAscii", "randNumeric", "randInt", "randBytes", "shuffle", "uuidv4",
	"bcrypt", "htpasswd", "encryptAES", "genPrivateKey", "genCA", "genCAWithKey", "genSelfSignedCert",
	"genSelfSignedCertWithKey", "genSignedCert", "genSignedCertWithKey",
}

// ParseIsolated parses text like Parse, without the functions that read the
// files, the environment or the network of the process running it, and
// without those whose result changes from one run to the next. It is for
// templates written by one party and run again and again by another, such
// as a controller running its users' templates at every refresh: there,
// file would read the controller's own files (its ServiceAccount token among
// them), and a random or time-dependent value would change the output, and
// restart whatever consumes it, at every refresh.
func ParseIsolated(text string) (*Template, error) {
	t, err := parseWith(text, isolatedFuncs())
	if err == nil {
		return t, nil
	}
	for _, name := range hostFuncs {
		if strings.Contains(err.Error(), fmt.Sprintf("function %q not defined", name)) {
			return nil, fmt.Errorf("parse template: the function %s is %w here: the template runs in a shared controller, "+
				"not in your pod; file, env, expandenv, getHostByName and accessor are refused", name, errUnsupported)
		}
	}
	for _, name := range volatileFuncs {
		if strings.Contains(err.Error(), fmt.Sprintf("function %q not defined", name)) {
			return nil, fmt.Errorf("parse template: the function %s is %w here: its result changes at every run, so the "+
				"output would change, and be written again, at every refresh; build the value from the secret's data only", name, errUnsupported)
		}
	}
	return nil, err
}

var isolatedFuncs = sync.OnceValue(func() map[string]any {
	m := maps.Clone(parseFuncs())
	for _, name := range append(slices.Clone(hostFuncs), volatileFuncs...) {
		delete(m, name)
	}
	return m
})

func parseWith(text string, funcs map[string]any) (*Template, error) {
	trees, err := parse.Parse(treeName, text, leftDelim, rightDelim, funcs)
	if err != nil {
		return nil, parseError(err)
	}
	tree := trees[treeName]
	if len(trees) != 1 || tree == nil || tree.Root == nil {
		return nil, fmt.Errorf("parse template: define and block are %w: write the value as one template", errUnsupported)
	}
	t := &Template{text: text, root: tree.Root}
	if n := findTemplateNode(tree.Root); n != nil {
		line, _ := t.lineCol(n)
		return nil, fmt.Errorf("parse template: line %d: the template action is %w: write the value as one template", line, errUnsupported)
	}
	return t, nil
}

// parseError restates an error of text/template/parse without its
// "template: template:" prefix; the rest quotes template text only.
func parseError(err error) error {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "template: "+treeName+":"); ok {
		return fmt.Errorf("parse template: line %s: check the ${...} actions", rest)
	}
	return fmt.Errorf("parse template: %w", err)
}

// findTemplateNode returns the first {{template}} action under n, or nil.
func findTemplateNode(n parse.Node) parse.Node {
	switch n := n.(type) {
	case *parse.TemplateNode:
		return n
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if found := findTemplateNode(c); found != nil {
				return found
			}
		}
	case *parse.IfNode:
		return findInBranch(&n.BranchNode)
	case *parse.RangeNode:
		return findInBranch(&n.BranchNode)
	case *parse.WithNode:
		return findInBranch(&n.BranchNode)
	}
	return nil
}

func findInBranch(b *parse.BranchNode) parse.Node {
	if found := findTemplateNode(b.List); found != nil {
		return found
	}
	if b.ElseList == nil {
		return nil
	}
	return findTemplateNode(b.ElseList)
}

// Execute runs t over data. Errors name the function/field and the position, never a data value.
// data itself is never changed: the template works on a copy of its maps and lists.
func (t *Template) Execute(data map[string]any) (_ string, err error) {
	defer func() {
		// A panic here is a bug of this package (functions' panics are
		// recovered by safeCall); its value may hold data, so only its
		// type is reported.
		if r := recover(); r != nil {
			err = fmt.Errorf("executing the template failed unexpectedly (%T): please report it", r)
		}
	}()
	s := &state{t: t}
	// sprig's set, unset and merge change maps in place; the template gets
	// a copy, so that the caller's data, which other references to the same
	// secret may share, stays as it was.
	dot := reflect.ValueOf(copyJSON(data))
	s.vars = []variable{{name: "$", value: dot}}
	if err := s.walk(dot, t.root); err != nil {
		return "", err
	}
	return s.out.b.String(), nil
}

// copyJSON copies the maps and lists of a decoded JSON value; the other
// values it can hold are immutable.
func copyJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if x == nil {
			return x
		}
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = copyJSON(e)
		}
		return m
	case []any:
		if x == nil {
			return x
		}
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = copyJSON(e)
		}
		return l
	}
	return v
}

// IsTemplate reports whether s holds "${" followed later by "}" (the rule that makes a key part a template).
func IsTemplate(s string) bool {
	_, after, ok := strings.Cut(s, leftDelim)
	return ok && strings.Contains(after, rightDelim)
}

// evalError is an execution error: what was being done (the name of a
// function or a piece of template text, never data), where in the template
// text, and why.
type evalError struct {
	what string
	pos  string
	err  error
}

func (e *evalError) Error() string { return e.what + " at " + e.pos + ": " + e.err.Error() }

func (e *evalError) Unwrap() error { return e.err }

// errorf returns an evalError about node. The arguments must never hold
// data: only names, types and template text.
func (s *state) errorf(node parse.Node, format string, args ...any) error {
	return &evalError{what: "evaluating " + context(node), pos: s.t.pos(node), err: fmt.Errorf(format, args...)}
}

// context is node's template text, shortened for an error message.
func context(node parse.Node) string {
	text := node.String()
	if len(text) <= maxContext {
		return text
	}
	cut := maxContext
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + "..."
}

// pos is node's place in the template text as "line:column", both 1-based,
// the column counted in bytes.
func (t *Template) pos(node parse.Node) string {
	line, col := t.lineCol(node)
	return fmt.Sprintf("%d:%d", line, col)
}

func (t *Template) lineCol(node parse.Node) (line, col int) {
	p := min(max(int(node.Position()), 0), len(t.text))
	before := t.text[:p]
	return 1 + strings.Count(before, "\n"), p - strings.LastIndexByte(before, '\n')
}
