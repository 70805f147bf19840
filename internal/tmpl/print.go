// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package tmpl

import (
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

var stringerType = reflect.TypeFor[fmt.Stringer]()

// printable returns what fmt should print for v, as text/template prints
// it: "<no value>" for a missing value, the value behind a pointer, and
// the pointer itself when only the pointer has a String or Error method.
// Functions and channels are not printable.
func printable(v reflect.Value) (any, bool) {
	if v.Kind() == reflect.Pointer {
		v, _ = indirect(v)
	}
	if !v.IsValid() {
		return "<no value>", true
	}
	t := v.Type()
	if !t.Implements(errorType) && !t.Implements(stringerType) {
		pt := reflect.PointerTo(t)
		switch {
		case v.CanAddr() && (pt.Implements(errorType) || pt.Implements(stringerType)):
			v = v.Addr()
		case v.Kind() == reflect.Chan || v.Kind() == reflect.Func:
			return nil, false
		}
	}
	return v.Interface(), true
}

// sprintArgs is fmt.Sprint of args, each printed as printable prints it;
// the text the escaping builtins escape.
func sprintArgs(args []any) string {
	if len(args) == 1 {
		if s, ok := args[0].(string); ok {
			return s
		}
	}
	for i, arg := range args {
		if p, ok := printable(reflect.ValueOf(arg)); ok {
			args[i] = p
		}
	}
	return fmt.Sprint(args...)
}

// htmlEscaper is the builtin html: the text of args with the characters
// special in HTML written as entities, and NUL as U+FFFD.
func htmlEscaper(args ...any) string {
	s := sprintArgs(args)
	if !strings.ContainsAny(s, "\x00\"'&<>") {
		return s
	}
	var b strings.Builder
	for i := range len(s) {
		switch c := s[i]; c {
		case 0:
			b.WriteString("\uFFFD")
		case '"':
			b.WriteString("&#34;")
		case '\'':
			b.WriteString("&#39;")
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// jsEscaper is the builtin js: the text of args safe inside a JavaScript
// string: quotes and backslash escaped, <, >, & and = as \uXXXX, control
// characters and non-printable runes as \uXXXX. Other runes, and bytes that
// are not UTF-8, are kept.
func jsEscaper(args ...any) string {
	s := sprintArgs(args)
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if unicode.IsPrint(r) {
				b.WriteString(s[i : i+size])
			} else {
				fmt.Fprintf(&b, `\u%04X`, r)
			}
			i += size
			continue
		}
		switch c {
		case '\\', '\'', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '<', '>', '&', '=':
			b.WriteString(`\u00`)
			b.WriteString(strings.ToUpper(strconv.FormatUint(uint64(c), 16)))
		default:
			if c < ' ' {
				fmt.Fprintf(&b, `\u%04X`, c)
			} else {
				b.WriteByte(c)
			}
		}
		i++
	}
	return b.String()
}

// urlQueryEscaper is the builtin urlquery: the text of args escaped for a
// URL query.
func urlQueryEscaper(args ...any) string { return url.QueryEscape(sprintArgs(args)) }
