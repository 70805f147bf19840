package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Sentinels matched with errors.Is on any error returned by Resolve.
var (
	// ErrInvalid means the image reference cannot be parsed.
	ErrInvalid = errors.New("invalid image reference")
	// ErrDenied means the registry refused every credential tried (401/403),
	// anonymous access included.
	ErrDenied = errors.New("registry denied access")
	// ErrNotFound means the registry has no such repository, tag or digest.
	ErrNotFound = errors.New("image not found")
	// ErrPlatform means the image index has no image for the requested
	// platform.
	ErrPlatform = errors.New("platform not in image index")
	// ErrUnsupported means the registry answered with a manifest this
	// package does not read (for example Docker schema 1).
	ErrUnsupported = errors.New("unsupported manifest")
	// ErrTLS means the registry certificate could not be verified, or plain
	// http was refused for a registry not configured as insecure.
	ErrTLS = errors.New("registry tls verification failed")
	// ErrUnavailable means a network failure, a timeout or a 5xx/429 answer;
	// retrying later may succeed.
	ErrUnavailable = errors.New("registry unavailable")
)

// Lookup results reported to an Observer: ResultOK, or the name of the
// error kind.
const (
	ResultOK          = "ok"
	ResultInvalid     = "invalid"
	ResultDenied      = "denied"
	ResultNotFound    = "not_found"
	ResultPlatform    = "platform"
	ResultUnsupported = "unsupported"
	ResultTLS         = "tls"
	ResultUnavailable = "unavailable"
)

// Error is the only error type Resolve returns. Its text names the image and
// says what to check; it never contains credentials.
type Error struct {
	Image    string // image as written in the pod
	Registry string // registry host
	Platform string // os/arch looked up in an index
	// Secrets are the pod's imagePullSecrets.
	Secrets []string
	// SecretProblems explain pull secrets that could not be used (missing,
	// wrong type, malformed); they are the likely cause of ErrDenied.
	SecretProblems []string
	// Available lists the platforms of an index (ErrPlatform).
	Available []string
	Kind      error // one of the Err* sentinels
	Err       error // underlying cause, if any
}

// Unwrap exposes both the sentinel and the cause.
func (e *Error) Unwrap() []error {
	errs := []error{e.Kind}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// Error reads "image <img>: <problem>[: <cause>]: <what to check>".
func (e *Error) Error() string {
	problem, hint := e.describe()
	parts := []string{fmt.Sprintf("image %q: %s", e.Image, problem)}
	if len(e.SecretProblems) > 0 {
		parts = append(parts, strings.Join(e.SecretProblems, "; "))
	}
	if e.Err != nil {
		parts = append(parts, e.Err.Error())
	}
	if hint != "" {
		parts = append(parts, hint)
	}
	return strings.Join(parts, ": ")
}

func (e *Error) describe() (problem, hint string) {
	switch {
	case errors.Is(e.Kind, ErrInvalid):
		return "invalid image reference", "check the image name"
	case errors.Is(e.Kind, ErrDenied):
		if len(e.Secrets) == 0 {
			return fmt.Sprintf("registry %q denied anonymous access", e.Registry),
				"add an imagePullSecret with credentials for the registry to the pod or its service account"
		}
		return fmt.Sprintf("registry %q denied access", e.Registry), fmt.Sprintf(
			"check that the pod's imagePullSecrets (%s) hold valid credentials for %q",
			strings.Join(e.Secrets, ", "), e.Registry)
	case errors.Is(e.Kind, ErrNotFound):
		return fmt.Sprintf("not found in registry %q", e.Registry),
			"check the image name and tag, and that the pull secret may read the repository"
	case errors.Is(e.Kind, ErrPlatform):
		return fmt.Sprintf("no image for platform %s in the image index (has %s)",
				e.Platform, strings.Join(e.Available, ", ")),
			"use an image built for the node's architecture, or set the kubernetes.io/arch node selector to one the image supports"
	case errors.Is(e.Kind, ErrUnsupported):
		return "unsupported manifest", "push the image as an OCI or Docker v2 schema 2 image, or set command in the pod spec"
	case errors.Is(e.Kind, ErrTLS):
		return fmt.Sprintf("tls connection to registry %q failed", e.Registry),
			"check that the registry certificate is signed by a trusted CA (--registry-ca-file) or list the registry in --insecure-registries"
	case errors.Is(e.Kind, ErrUnavailable):
		return fmt.Sprintf("registry %q unavailable", e.Registry),
			"check that the registry is reachable from the webhook and retry, or set command in the pod spec"
	}
	return "lookup failed", ""
}

// Result names e's kind for an Observer.
func (e *Error) Result() string {
	for _, k := range []struct {
		kind   error
		result string
	}{
		{ErrInvalid, ResultInvalid},
		{ErrDenied, ResultDenied},
		{ErrNotFound, ResultNotFound},
		{ErrPlatform, ResultPlatform},
		{ErrUnsupported, ResultUnsupported},
		{ErrTLS, ResultTLS},
	} {
		if errors.Is(e.Kind, k.kind) {
			return k.result
		}
	}
	return ResultUnavailable
}

// classify maps a go-containerregistry or transport error to a sentinel.
// Certificate problems are checked before network ones and those before a
// refused plain-http fallback, because go-containerregistry races https
// with plain http for loopback and private addresses and reports both
// failures together: "connection refused" on https plus the refused
// fallback is an unreachable registry, not a TLS problem.
func classify(err error) error {
	var (
		terr *transport.Error
		verr *tls.CertificateVerificationError
		uerr x509.UnknownAuthorityError
		herr x509.HostnameError
		cerr x509.CertificateInvalidError
		rerr tls.RecordHeaderError
		oerr *net.OpError
		derr *net.DNSError
		nerr net.Error
	)
	switch {
	case errors.As(err, &terr):
		return classifyStatus(terr)
	case errors.As(err, &verr), errors.As(err, &uerr), errors.As(err, &herr),
		errors.As(err, &cerr), errors.As(err, &rerr):
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
