// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"errors"
	"fmt"
	"strings"
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
	// package does not read (for example Docker schema 1) or one larger
	// than MaxManifestBytes / MaxConfigBytes.
	ErrUnsupported = errors.New("unsupported manifest")
	// ErrTLS means the registry certificate could not be verified, or plain
	// http was refused for a registry not configured as insecure.
	ErrTLS = errors.New("registry tls verification failed")
	// ErrUnavailable means a network failure, a timeout or a 5xx/429 answer;
	// retrying later may succeed.
	ErrUnavailable = errors.New("registry unavailable")
	// ErrBusy means Config.MaxConcurrentLookups lookups were in progress
	// for as long as the caller could wait. It comes with ErrUnavailable.
	ErrBusy = errors.New("too many registry lookups in progress")
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
	ResultBusy        = "busy"
)

// Error is the only error type Resolve returns. Its text names the image and
// says what to check. It never contains credentials, never says whether a
// pull secret exists or what type it has, and quotes nothing a registry or
// token realm wrote: of an HTTP answer only the status code and the
// registry's short error codes (such as MANIFEST_UNKNOWN).
type Error struct {
	Image    string // image as written in the pod
	Registry string // registry host
	// Mirror is the mirror endpoint (host[:port]) whose answer is reported,
	// "" when it is the registry's own.
	Mirror    string
	Platform  string // os/arch looked up in an index
	Namespace string // the pod's namespace, where its pull secrets live
	// Secrets are the pod's imagePullSecrets.
	Secrets []string
	// Available lists the platforms of an index (ErrPlatform).
	Available []string
	Kind      error // one of the Err* sentinels
	// Err is the underlying cause, for errors.Is and errors.As only: its own
	// text may quote a registry's answer and is not part of Error().
	Err error
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
	if d := describeCause(e.Err); d != "" {
		parts = append(parts, d)
	}
	if hint != "" {
		parts = append(parts, hint)
	}
	return strings.Join(parts, ": ")
}

// where names the registry and, when it answered, the mirror.
func (e *Error) where() string {
	if e.Mirror != "" {
		return fmt.Sprintf("registry %q (mirror %q)", e.Registry, e.Mirror)
	}
	return fmt.Sprintf("registry %q", e.Registry)
}

// secretsHint is the same whether each secret exists, has another type or
// holds the wrong credentials: the webhook reads Secrets the pod's author
// may not, and its answer must not tell them apart.
func (e *Error) secretsHint() string {
	return fmt.Sprintf("check that each of the pod's imagePullSecrets (%s) exists in namespace %q, "+
		"is of type kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg and holds credentials for registry %q",
		strings.Join(e.Secrets, ", "), e.Namespace, e.Registry)
}

func (e *Error) describe() (problem, hint string) {
	switch {
	case errors.Is(e.Kind, ErrInvalid):
		return "invalid image reference", "check the image name"
	case errors.Is(e.Kind, ErrDenied):
		if len(e.Secrets) == 0 {
			return e.where() + " denied anonymous access",
				"add an imagePullSecret with credentials for the registry to the pod or its service account"
		}
		return e.where() + " denied access", e.secretsHint()
	case errors.Is(e.Kind, ErrNotFound):
		if len(e.Secrets) == 0 {
			return "not found in " + e.where(),
				"check the image name and tag; a private repository needs an imagePullSecret with credentials for the registry"
		}
		return "not found in " + e.where(), "check the image name and tag, and " + e.secretsHint()
	case errors.Is(e.Kind, ErrPlatform):
		return fmt.Sprintf("no image for platform %s in the image index (has %s)",
				e.Platform, strings.Join(e.Available, ", ")),
			"use an image built for the node's architecture, or set the kubernetes.io/arch node selector to one the image supports"
	case errors.Is(e.Kind, ErrUnsupported):
		var large *tooLargeError
		if errors.As(e.Err, &large) {
			return large.what + " too large", ""
		}
		return "unsupported manifest", "push the image as an OCI or Docker v2 schema 2 image"
	case errors.Is(e.Kind, ErrTLS):
		return e.describeTLS()
	case errors.Is(e.Kind, ErrUnavailable):
		if errors.Is(e.Err, ErrBusy) {
			return fmt.Sprintf("registry %q not looked up", e.Registry),
				"retry later"
		}
		if e.Mirror != "" {
			return e.where() + " unavailable", fmt.Sprintf(
				"check that the mirrors (%s of %s) or the registry are reachable from the webhook and retry",
				settingMirrors, moduleConfig)
		}
		return e.where() + " unavailable",
			"check that the registry is reachable from the webhook and retry"
	}
	return "lookup failed", ""
}

func (e *Error) describeTLS() (problem, hint string) {
	problem = fmt.Sprintf("tls connection to %s failed", e.where())
	switch {
	case e.Mirror != "":
		hint = fmt.Sprintf("check that the mirror's certificate is signed by a CA of the system pool, of %s or of the endpoint's ca in %s, "+
			"or set the endpoint's skipTLSVerify (%s)", settingCA, settingMirrors, moduleConfig)
	case !isCertError(e.Err) && errors.Is(e.Err, errPlainHTTP):
		hint = fmt.Sprintf("the registry speaks plain http: list it in %s (%s) or serve it over https",
			settingInsecure, moduleConfig)
	default:
		hint = fmt.Sprintf("check that the registry certificate is signed by a CA of the system pool or of %s, "+
			"or list the registry in %s (%s)", settingCA, settingInsecure, moduleConfig)
	}
	return problem, hint
}

// Result names e's kind for an Observer.
func (e *Error) Result() string {
	if errors.Is(e.Err, ErrBusy) {
		return ResultBusy
	}
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

// busyError is the cause of an ErrBusy refusal: it names the limit.
type busyError struct {
	limit int
	err   error // the caller's context error
}

func (e *busyError) Error() string {
	return fmt.Sprintf("%d registry lookups already in progress in the webhook", e.limit)
}

func (e *busyError) Is(target error) bool { return target == ErrBusy }
func (e *busyError) Unwrap() error        { return e.err }

// safeError is a cause whose text this package wrote and may show: it
// quotes only the pod's own image name or bounded, checked values.
type safeError struct{ text string }

func (e *safeError) Error() string { return e.text }
