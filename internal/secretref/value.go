// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package secretref

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Markers of the value forms besides Prefix.
const (
	// WritePrefix starts a write-then-read reference.
	WritePrefix = ">>" + Prefix
	// Login is the whole value that stands for the injector's own store
	// token.
	Login = Prefix + "login"
	// inlineOpen and inlineClose enclose an inline reference.
	inlineOpen  = "${"
	inlineClose = '}'
)

// MaxTemplateLen is the longest template, in bytes, that ParseValue
// accepts: enough for any connection string or small configuration file,
// and a bound on the work of executing it.
const MaxTemplateLen = 16 << 10

// Kind says how the injector resolves an Expr.
type Kind int

// Kinds of Expr. The zero Kind is not valid.
const (
	// KindKey reads KEY of the secret at PATH:
	// secrets-store:PATH#KEY or secrets-store:PATH#KEY#VERSION.
	KindKey Kind = iota + 1
	// KindTemplate executes a template over the secret at PATH:
	// secrets-store:PATH#TEMPLATE or secrets-store:PATH#TEMPLATE#VERSION.
	KindTemplate
	// KindWrite writes a JSON object to PATH and takes KEY from the
	// response: >>secrets-store:PATH#KEY or >>secrets-store:PATH#KEY#JSON.
	KindWrite
	// KindLogin is the store token of the injector's own login:
	// secrets-store:login. ParseValue accepts it as a whole value of any
	// variable; the caller must refuse it for every variable other than
	// VAULT_TOKEN, so that a token is only handed out where it is asked for
	// by name.
	KindLogin
)

// String returns the lowercase name of k, for logs.
func (k Kind) String() string {
	switch k {
	case KindKey:
		return "key"
	case KindTemplate:
		return "template"
	case KindWrite:
		return "write"
	case KindLogin:
		return "login"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Expr is one reference inside an environment value.
type Expr struct {
	Kind Kind
	// Path is the store path; empty for KindLogin.
	Path string
	// Key is the field taken from the secret (KindKey) or from the write's
	// response (KindWrite).
	Key string
	// Template is the text after the first "#" without "#VERSION", for
	// KindTemplate, e.g. "postgresql://${.username}@db/app". It is not
	// parsed here.
	Template string
	// Version is the KV version 2 secret version for KindKey and
	// KindTemplate; 0 means the latest.
	Version int
	// Body is the JSON object a KindWrite sends, exactly as written; "{}"
	// when the reference has none.
	Body string
	// Raw is the reference exactly as written in the value, without the
	// enclosing "${" and "}" of an inline reference. It includes a write's
	// Body; log String() instead.
	Raw string
}

// String formats e as a reference, for logs and errors. For KindWrite it
// leaves out the body (>>secrets-store:PATH#KEY): a body holds request
// parameters such as common_name rather than secrets, but it is the
// caller's data and not needed to identify the reference. Except for that
// body, ParseValue(e.String()) gives e back as a whole value. String does
// not validate e; it returns "" for an invalid Kind.
func (e Expr) String() string {
	switch e.Kind {
	case KindKey:
		return Ref{Path: e.Path, Key: e.Key, Version: e.Version}.String()
	case KindTemplate:
		s := Prefix + e.Path + "#" + e.Template
		if e.Version != 0 {
			s += "#" + strconv.Itoa(e.Version)
		}
		return s
	case KindWrite:
		return WritePrefix + e.Path + "#" + e.Key
	case KindLogin:
		return Login
	}
	return ""
}

// Part is literal text or a reference: exactly one of Literal and Expr is
// set.
type Part struct {
	Literal string
	Expr    *Expr
}

// Value is a parsed environment value.
type Value struct {
	// Parts in order. Literal parts are never empty and never adjacent.
	Parts []Part
	// Whole is set when the entire value is one reference (any form but an
	// inline one); Parts then holds exactly that reference.
	Whole bool
}

// ParseValue parses an environment value. A value that starts with Prefix
// or WritePrefix is one whole reference; otherwise every ${secrets-store:…}
// and ${>>secrets-store:…} in it is an inline reference and the text
// around them is literal. ok is false, and err nil, when the value holds no
// reference at all: it is passed to the program unchanged. ok is true
// whenever err is not nil.
//
// Errors are *SyntaxError. They quote at most the first 128 bytes of a
// whole reference, never a write's body and nothing of a value with inline
// references, whose literal text may be a secret; offsets count bytes from
// the start of the value.
func ParseValue(s string) (v Value, ok bool, err error) {
	var e *Expr
	switch {
	case s == Login:
		e = &Expr{Kind: KindLogin, Raw: s}
	case IsRef(s):
		e, err = parseWholeRead(s)
	case strings.HasPrefix(s, WritePrefix):
		e, err = parseWholeWrite(s)
	case !hasInline(s):
		return Value{}, false, nil
	default:
		v.Parts, err = parseInline(s)
		if err != nil {
			return Value{}, true, err
		}
		return v, true, nil
	}
	if err != nil {
		return Value{}, true, err
	}
	return Value{Parts: []Part{{Expr: e}}, Whole: true}, true, nil
}

// parseWholeRead parses a value that starts with Prefix: a key reference,
// parsed by Parse, or a template.
func parseWholeRead(s string) (*Expr, error) {
	path, text, found := strings.Cut(s[len(Prefix):], "#")
	if found && isTemplate(text) {
		return parseTemplate(s, path, text)
	}
	r, err := Parse(s)
	if err != nil {
		return nil, err
	}
	return &Expr{Kind: KindKey, Path: r.Path, Key: r.Key, Version: r.Version, Raw: s}, nil
}

// isTemplate reports whether the text after the first "#" is a template:
// it holds "${" and, after it, "}".
func isTemplate(text string) bool {
	i := strings.Index(text, inlineOpen)
	return i >= 0 && strings.IndexByte(text[i+len(inlineOpen):], inlineClose) >= 0
}

// parseTemplate parses secrets-store:PATH#TEMPLATE[#VERSION], where text
// is everything after the first "#".
func parseTemplate(s, path, text string) (*Expr, error) {
	fail := func(part, reason string) (*Expr, error) {
		return nil, syntaxError(whatTemplate, s, part, reason)
	}
	if reason := checkPath(path, len(Prefix)); reason != "" {
		return fail(PartPath, reason)
	}
	base := len(Prefix) + len(path) + 1
	tmpl, version, hasVersion := splitTemplateVersion(text)
	if reason := checkTemplate(tmpl, base); reason != "" {
		return fail(PartTemplate, reason)
	}
	e := &Expr{Kind: KindTemplate, Path: path, Template: tmpl, Raw: s}
	if hasVersion {
		offset := base + len(tmpl) + 1
		if version == "" {
			return fail(PartVersion, `empty version after the final "#"`+at(offset-1))
		}
		v, reason := parseVersion(version)
		if reason != "" {
			return fail(PartVersion, reason+at(offset))
		}
		e.Version = v
	}
	return e, nil
}

// splitTemplateVersion splits "#VERSION" off a template. VERSION is a
// final "#" followed by nothing but digits after the template's last "}";
// any other "#" belongs to the template text. A final "#" with no digits
// is an empty VERSION, reported by the caller, as in Parse.
func splitTemplateVersion(text string) (tmpl, version string, ok bool) {
	last := strings.LastIndexByte(text, inlineClose)
	h := strings.LastIndexByte(text[last+1:], '#')
	if h < 0 {
		return text, "", false
	}
	h += last + 1
	for i := h + 1; i < len(text); i++ {
		if text[i] < '0' || text[i] > '9' {
			return text, "", false
		}
	}
	return text[:h], text[h+1:], true
}

// checkTemplate returns why t is not an acceptable template, or "". The
// template language is checked where the template is executed; here only
// its size and encoding are.
func checkTemplate(t string, base int) string {
	if t == "" {
		return "empty template"
	}
	if len(t) > MaxTemplateLen {
		return "template is " + strconv.Itoa(len(t)) + " bytes long, more than " + strconv.Itoa(MaxTemplateLen)
	}
	for i, r := range t {
		switch {
		case r == utf8.RuneError && invalidAt(t, i):
			return "template is not valid UTF-8" + at(base+i)
		case r == 0:
			return `template contains '\x00'` + at(base+i)
		}
	}
	return ""
}
