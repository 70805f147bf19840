// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"strings"
)

const (
	maxDetailMessages = 3
	maxDetailLen      = 200
	redacted          = "[redacted]"
)

// errMalformed replaces any decoding error: JSON errors quote bytes of the
// body they failed on, and a success body holds secret values.
var errMalformed = errors.New("the store returned a malformed response")

// classify turns the error of one request (see wire.go) into a sentinel,
// the HTTP status and a redacted detail. secrets are strings (JWT, token) that
// must not appear in the detail even if the store echoes them.
func classify(err error, secrets ...string) (kind error, status int, detail string, cause error) {
	var re *responseError
	if errors.As(err, &re) {
		status = re.StatusCode
		// A raw (non-JSON) body is some proxy's page, not the store's
		// message; only the status is kept.
		if !re.RawError {
			detail = storeDetail(re.Errors, secrets...)
		}
		switch {
		case status == 403:
			kind = ErrPermissionDenied
		case status == 404:
			kind = ErrNotFound
		case status == 412 || status == 429 || status >= 500:
			kind = ErrUnavailable
		}
		return kind, status, detail, nil
	}
	switch {
	case isTLSError(err):
		return ErrTLS, 0, "", err
	case errors.Is(err, context.Canceled):
		return nil, 0, "", context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return ErrUnavailable, 0, "timed out", context.DeadlineExceeded
	case isTransportError(err):
		// The text names the URL (address and path, never a token) and
		// what failed.
		return ErrUnavailable, 0, "", err
	}
	return nil, 0, "", errMalformed
}

func isTLSError(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		record   tls.RecordHeaderError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	return errors.As(err, &verify) || errors.As(err, &record) || errors.As(err, &unknown) ||
		errors.As(err, &hostname) || errors.As(err, &invalid)
}

func isTransportError(err error) bool {
	var (
		urlErr *url.Error
		netErr net.Error
	)
	return errors.As(err, &urlErr) || errors.As(err, &netErr)
}

// storeDetail joins the store's error strings, redacting secrets and bounding
// the size: the detail ends up in events and logs.
func storeDetail(msgs []string, secrets ...string) string {
	var out []string
	for _, m := range msgs {
		m = redact(m, secrets...)
		m = strings.TrimRight(strings.Join(strings.Fields(m), " "), ".:;")
		if m == "" {
			continue
		}
		if len(m) > maxDetailLen {
			m = strings.ToValidUTF8(m[:maxDetailLen], "") + "…"
		}
		out = append(out, m)
		if len(out) == maxDetailMessages {
			break
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "store says: " + strings.Join(out, "; ")
}

// minRedacted is the shortest secret cut out of a message; a message holding
// a shorter one (a short value of a written body) is dropped whole, since
// cutting out a letter or two would mangle it past reading.
const minRedacted = 4

func redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		switch {
		case sec == "" || !strings.Contains(s, sec):
		case len(sec) < minRedacted:
			return redacted
		default:
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	return s
}
