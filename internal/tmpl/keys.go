// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package tmpl

import (
	"maps"
	"slices"
	"text/template/parse"
)

// Keys returns the top-level keys of the data t reads, sorted and distinct, and all=true when
// they cannot be known from the text alone: then every key of the data may affect the output.
//
// A caller that watches the data may compare only these keys' values
// between two versions: when they are equal, Execute gives the same output
// or the same error. keys is nil when all is true. Keys says nothing about
// what else the output depends on: the host's files and environment (file,
// env, ...) and the clock or randomness (now, randAlpha, ...); ParseIsolated
// refuses those functions.
//
// The analysis errs on the side of all=true: a key reported that the
// template does not really read costs the caller an extra update, a key
// missed would leave it with a stale output.
func (t *Template) Keys() (keys []string, all bool) {
	r := keyReader{keys: map[string]struct{}{}}
	r.node(t.root, true)
	if r.all {
		return nil, true
	}
	return slices.Sorted(maps.Keys(r.keys)), false
}

// keyReader collects the keys a template reads. The data can reach an
// evaluation in two ways only, and the analysis rests on that:
//   - as dot, at the top level and wherever dot is not rebound, that is in
//     if's condition and branches and in the pipeline and else branch of
//     with and range (text/template's exec.go walks an else list with the
//     dot the action was entered with); in with's and range's main list dot
//     is the pipeline's value or an element of it, which the pipeline's own
//     keys already account for;
//   - as the variable $, which the executor sets to the data.
//
// A field chain on either (.a.b, $.a.b) reads its first name. Any other
// use of the data itself (a bare . where dot is the data, a bare $) hands
// the whole map to something: a function, print, range, with, or a
// variable, from which it may flow anywhere; that sets all. No variable
// other than $ can then hold the data, and no function is given the data
// other than through its arguments, so the value of every variable,
// function result and rebound dot is derived from keys already counted.
//
// Reassigning $ ($ = .a) makes $.b read .a.b, not the key b: counting b
// then is harmless, as is setting all for a bare $ that no longer holds
// the data.
type keyReader struct {
	keys map[string]struct{}
	all  bool
}

// node analyzes a node of the tree; dotIsData says whether dot is the data there.
func (r *keyReader) node(n parse.Node, dotIsData bool) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			r.node(c, dotIsData)
		}
	case *parse.ActionNode:
		r.pipe(n.Pipe, dotIsData)
	case *parse.TextNode, *parse.CommentNode, *parse.BreakNode, *parse.ContinueNode:
	case *parse.IfNode:
		// if does not rebind dot in any part.
		r.branch(&n.BranchNode, dotIsData, dotIsData)
	case *parse.WithNode:
		// with's main list runs with dot set to the pipeline's value.
		r.branch(&n.BranchNode, dotIsData, false)
	case *parse.RangeNode:
		// range's main list runs with dot set to each element.
		r.branch(&n.BranchNode, dotIsData, false)
	default:
		// template nodes (refused by Parse), and any node type this
		// analysis does not know.
		r.all = true
	}
}

// branch analyzes an if, with or range: the pipeline and the else list
// with the enclosing dot, the main list with listDotIsData.
func (r *keyReader) branch(b *parse.BranchNode, dotIsData, listDotIsData bool) {
	r.pipe(b.Pipe, dotIsData)
	r.node(b.List, listDotIsData)
	if b.ElseList != nil {
		r.node(b.ElseList, dotIsData)
	}
}

// pipe analyzes every word of every command of p. Declared and assigned
// variables are not tracked: a variable can only hold the data if a bare
// . or $ was evaluated, which sets all by itself.
func (r *keyReader) pipe(p *parse.PipeNode, dotIsData bool) {
	if p == nil {
		return
	}
	for _, cmd := range p.Cmds {
		for _, arg := range cmd.Args {
			r.word(arg, dotIsData)
		}
	}
}

// word analyzes one word of a command: the command's name or an argument.
func (r *keyReader) word(n parse.Node, dotIsData bool) {
	switch n := n.(type) {
	case *parse.FieldNode:
		if dotIsData {
			r.add(n.Ident[0])
		}
	case *parse.VariableNode:
		switch {
		case n.Ident[0] != "$":
			// A variable's value comes from a pipeline analyzed already.
		case len(n.Ident) > 1:
			r.add(n.Ident[1])
		default:
			r.all = true
		}
	case *parse.DotNode:
		if dotIsData {
			r.all = true
		}
	case *parse.ChainNode:
		// (X).a.b: the fields apply to X's value, so only X matters.
		r.word(n.Node, dotIsData)
	case *parse.PipeNode:
		r.pipe(n, dotIsData)
	case *parse.IdentifierNode, *parse.StringNode, *parse.NumberNode, *parse.BoolNode, *parse.NilNode:
		// Function names and constants read no data.
	default:
		r.all = true
	}
}

func (r *keyReader) add(key string) { r.keys[key] = struct{}{} }
