// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package ssi

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// MaxAudienceLength is the longest token audience accepted (the CRD's
// maxLength of spec.audience and the module settings' limit).
const MaxAudienceLength = 256

// ValidateAudience reports an audience that cannot name a ServiceAccount
// token's audience: empty, longer than MaxAudienceLength, or with spaces or
// control characters (audiences are identifiers such as "secrets-store" or
// a URL). The empty string, the API server's audience, is checked by the
// caller where it is allowed.
func ValidateAudience(aud string) error {
	switch {
	case aud == "":
		return errors.New("audience is empty")
	case len(aud) > MaxAudienceLength:
		return fmt.Errorf("audience is %d bytes long, more than %d", len(aud), MaxAudienceLength)
	case strings.ContainsFunc(aud, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r > unicode.MaxASCII }):
		return fmt.Errorf("audience %q has spaces, control or non-ASCII characters", aud)
	}
	return nil
}
