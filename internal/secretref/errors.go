// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package secretref

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Parts of an input a SyntaxError can be about.
const (
	PartReference = "reference"
	PartPath      = "path"
	PartKey       = "key"
	PartVersion   = "version"
	PartList      = "list"
	PartFileName  = "file name"
	PartTemplate  = "template"
	PartBody      = "body"
)

// Kinds of input a SyntaxError can be about; each has its own hint.
const (
	whatRef      = "secret reference"
	whatPath     = "secret path"
	whatKey      = "secret key"
	whatList     = "secret path list"
	whatFileName = "file name"
	whatTemplate = "secret template"
	whatWrite    = "secret write reference"
	whatInline   = "inline secret reference"
)

// maxEcho is how many bytes of a malformed input an error may quote. The
// input may be a secret pasted by mistake; the first bytes are enough to
// find the mistake and too few to leak a typical secret in full.
const maxEcho = 128

// ErrNotReference is matched (with errors.Is) by the error Parse returns
// for a value that does not start with Prefix.
var ErrNotReference = errors.New("value does not start with " + strconv.Quote(Prefix))

var hints = map[string]string{
	whatRef:      "use secrets-store:PATH#KEY or secrets-store:PATH#KEY#VERSION",
	whatPath:     `use segments separated by single "/", e.g. demo-kv/data/myapp-secret`,
	whatKey:      `use printable characters other than "#" and spaces, e.g. DB_PASS`,
	whatFileName: `use a plain name of at most 255 bytes without "/" or a leading ".", e.g. db-password`,
	whatTemplate: "use secrets-store:PATH#TEMPLATE or secrets-store:PATH#TEMPLATE#VERSION, e.g. secrets-store:demo-kv/data/db#postgresql://${.username}@db/app",
	whatWrite:    `use >>secrets-store:PATH#KEY or >>secrets-store:PATH#KEY#{"name":"value"}`,
	whatInline:   "use ${secrets-store:PATH#KEY}, ${secrets-store:PATH#KEY#VERSION} or ${>>secrets-store:PATH#KEY#JSON} inside a value",
	whatList:     "use comma-separated secret paths, each optionally followed by #VERSION, e.g. demo-kv/data/common,demo-kv/data/myapp#3",
}

// SyntaxError reports a malformed reference, path, key, path list or file
// name. All its fields are safe to log.
type SyntaxError struct {
	// What names the kind of input, e.g. "secret reference".
	What string
	// Input is the malformed input truncated to its first 128 bytes (an
	// ellipsis marks the cut). It is empty when the input is not echoed.
	Input string
	// Part is the offending component: one of the Part constants.
	Part string
	// Reason says what is wrong; it never quotes more than one character
	// of the input.
	Reason string
	// Err is a sentinel such as ErrNotReference, or nil.
	Err error
}

func (e *SyntaxError) Error() string {
	var b strings.Builder
	b.WriteString("invalid ")
	b.WriteString(e.What)
	if e.Input != "" {
		b.WriteByte(' ')
		b.WriteString(strconv.Quote(e.Input))
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	if h := hints[e.What]; h != "" {
		b.WriteString(": ")
		b.WriteString(h)
	}
	return b.String()
}

// Unwrap returns the sentinel, if any.
func (e *SyntaxError) Unwrap() error { return e.Err }

func syntaxError(what, input, part, reason string) *SyntaxError {
	return &SyntaxError{What: what, Input: truncate(input), Part: part, Reason: reason}
}

// truncate cuts s to at most maxEcho bytes on a UTF-8 boundary.
func truncate(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	n := maxEcho
	for n > maxEcho-utf8.UTFMax && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// at formats a byte offset for a reason.
func at(offset int) string {
	return " at byte " + strconv.Itoa(offset)
}
