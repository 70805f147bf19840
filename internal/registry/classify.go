// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"syscall"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// classify maps a go-containerregistry or transport error to a sentinel.
// Certificate problems are checked before network ones and those before a
// refused plain-http fallback, because go-containerregistry races https
// with plain http for loopback and private addresses and reports both
// failures together: "connection refused" on https plus the refused
// fallback is an unreachable registry, not a TLS problem.
func classify(err error) error {
	var (
		terr *transport.Error
		oerr *net.OpError
		derr *net.DNSError
		nerr net.Error
	)
	switch {
	case errors.As(err, &terr):
		return classifyStatus(terr)
	case isTLSError(err):
		return ErrTLS
	case errors.As(err, &oerr), errors.As(err, &derr), errors.As(err, &nerr) && nerr.Timeout(),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return ErrUnavailable
	case errors.Is(err, errPlainHTTP):
		return ErrTLS
	case errors.Is(err, errBodyTooLarge):
		return ErrUnsupported
	}
	return ErrUnavailable
}

func isTLSError(err error) bool {
	var rerr tls.RecordHeaderError
	return isCertError(err) || errors.As(err, &rerr)
}

// isCertError reports a certificate that could not be verified, as opposed
// to a server that does not speak TLS at all.
func isCertError(err error) bool {
	var (
		verr *tls.CertificateVerificationError
		uerr x509.UnknownAuthorityError
		herr x509.HostnameError
		cerr x509.CertificateInvalidError
	)
	return errors.As(err, &verr) || errors.As(err, &uerr) || errors.As(err, &herr) || errors.As(err, &cerr)
}

func classifyStatus(terr *transport.Error) error {
	switch terr.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return ErrDenied
	case http.StatusNotFound:
		return ErrNotFound
	}
	for _, d := range terr.Errors {
		switch d.Code {
		case transport.UnauthorizedErrorCode, transport.DeniedErrorCode:
			return ErrDenied
		case transport.NameUnknownErrorCode, transport.ManifestUnknownErrorCode:
			return ErrNotFound
		}
	}
	return ErrUnavailable
}

// describeCause is the part of a cause a user may read. It quotes nothing a
// registry, a mirror or a token realm wrote (a realm can be any URL, so its
// answer may be an internal service's page): an HTTP answer is its status
// code and the registry's short error codes, every other failure a fixed
// phrase. Unknown causes are left out.
func describeCause(err error) string {
	var (
		safe  *safeError
		busy  *busyError
		large *tooLargeError
		terr  *transport.Error
		derr  *net.DNSError
		oerr  *net.OpError
		nerr  net.Error
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &safe):
		return safe.text
	case errors.As(err, &busy):
		return busy.Error()
	case errors.As(err, &large):
		return large.Error()
	case errors.As(err, &terr):
		return statusDetail(terr)
	case errors.Is(err, errForbiddenAddress):
		return errForbiddenAddress.Error()
	case isTLSError(err):
		return tlsDetail(err)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &nerr) && nerr.Timeout():
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &derr):
		return "host name not found"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &oerr):
		return "network error"
	case errors.Is(err, errPlainHTTP):
		return "plain http refused"
	}
	return ""
}

func tlsDetail(err error) string {
	var (
		uerr x509.UnknownAuthorityError
		herr x509.HostnameError
		cerr x509.CertificateInvalidError
		rerr tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &uerr):
		return "certificate signed by an unknown authority"
	case errors.As(err, &herr):
		return "certificate not valid for the host name"
	case errors.As(err, &cerr):
		return "certificate invalid or expired"
	case errors.As(err, &rerr):
		return "the server does not speak TLS"
	}
	return "certificate verification failed"
}

// errorCode is the shape of the distribution spec's error codes.
var errorCode = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,39}$`)

const maxErrorCodes = 4

// statusDetail is "HTTP 404 Not Found (MANIFEST_UNKNOWN)": the status and
// the codes that look like the spec's, never the messages or the body.
func statusDetail(terr *transport.Error) string {
	s := fmt.Sprintf("HTTP %d", terr.StatusCode)
	if t := http.StatusText(terr.StatusCode); t != "" {
		s += " " + t
	}
	var codes []string
	for _, d := range terr.Errors {
		c := string(d.Code)
		if errorCode.MatchString(c) && !slices.Contains(codes, c) {
			codes = append(codes, c)
			if len(codes) == maxErrorCodes {
				break
			}
		}
	}
	if len(codes) > 0 {
		s += " (" + strings.Join(codes, ", ") + ")"
	}
	return s
}
