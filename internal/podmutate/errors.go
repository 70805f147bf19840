// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package podmutate

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrNoCommand is matched (with errors.Is) by the error Mutate returns for a
// container without a command whose image defines neither Entrypoint nor Cmd.
var ErrNoCommand = errors.New("image defines neither entrypoint nor cmd")

// maxEcho bounds how many bytes of an annotation value an error quotes.
// Annotations are not secret, but a message must stay readable and bounded.
const maxEcho = 128

// AnnotationError reports one invalid or unknown annotation. All its fields are
// safe to log: annotations are not secret.
type AnnotationError struct {
	// Annotation is the full annotation key, e.g.
	// secrets-store.deckhouse.io/client-timeout.
	Annotation string
	// Value is the value, truncated to its first 128 bytes (an ellipsis marks
	// the cut). It is not quoted when Quote is false.
	Value string
	// Quote is set when Value is part of the message.
	Quote bool
	// Reason says what is wrong, e.g. "is not a duration".
	Reason string
	// Hint says what to write instead.
	Hint string
	// Err is the underlying error, if any (e.g. a *secretref.SyntaxError).
	Err error
}

func (e *AnnotationError) Error() string {
	var b strings.Builder
	b.WriteString("annotation ")
	b.WriteString(e.Annotation)
	if e.Quote {
		b.WriteString(": ")
		b.WriteString(strconv.Quote(e.Value))
	}
	b.WriteByte(' ')
	b.WriteString(e.Reason)
	if e.Hint != "" {
		b.WriteString(": ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Unwrap returns the underlying error, if any.
func (e *AnnotationError) Unwrap() error { return e.Err }

func invalid(name, value, reason, hint string) *AnnotationError {
	return &AnnotationError{Annotation: name, Value: truncate(value), Quote: true, Reason: reason, Hint: hint}
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
