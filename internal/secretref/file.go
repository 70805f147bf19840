// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package secretref

import (
	"encoding/base64"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxFileNameLen is the longest file name, in bytes, that ValidateFileName
// accepts: the NAME_MAX of common Linux file systems.
const MaxFileNameLen = 255

// Source is where a SecretsStoreImport file entry takes its content from.
type Source struct {
	Path string
	Key  string
}

// Validate reports whether s has a valid PATH and KEY.
func (s Source) Validate() error {
	if err := ValidatePath(s.Path); err != nil {
		return err
	}
	return ValidateKey(s.Key)
}

// ValidateFileName reports whether name can be written as a file directly
// inside a pod's secrets directory: a single path element that cannot
// escape the directory or collide with its bookkeeping entries.
func ValidateFileName(name string) error {
	reason := checkFileName(name)
	if reason != "" {
		return syntaxError(whatFileName, name, PartFileName, reason)
	}
	return nil
}

func checkFileName(name string) string {
	switch {
	case name == "":
		return "empty file name"
	case len(name) > MaxFileNameLen:
		return "file name is " + strconv.Itoa(len(name)) + " bytes long, more than " +
			strconv.Itoa(MaxFileNameLen)
	case name == "." || name == "..":
		return "file name is " + strconv.Quote(name)
	case strings.HasPrefix(name, "."):
		return `file name starts with "." (reserved for the directory's own entries)`
	}
	for i, r := range name {
		switch {
		case r == utf8.RuneError && invalidAt(name, i):
			return "file name is not valid UTF-8" + at(i)
		case r == '/':
			return `file name contains "/"` + at(i)
		case unicode.IsControl(r):
			return "file name contains " + strconv.QuoteRune(r) + at(i)
		}
	}
	return ""
}

// DecodeBase64 decodes a value marked decodeBase64: standard Base64, padded
// or not. The error never quotes the value.
func DecodeBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err == nil {
		return b, nil
	}
	if b, rawErr := base64.RawStdEncoding.DecodeString(s); rawErr == nil {
		return b, nil
	}
	return nil, err
}
