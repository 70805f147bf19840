// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinels matched with errors.Is on any error returned by this package.
var (
	// ErrPermissionDenied means the store refused a request (403), also
	// after a fresh login.
	ErrPermissionDenied = errors.New("permission denied")
	// ErrNotFound means there is no secret (or no such version) at the path,
	// or a write was answered with no data.
	ErrNotFound = errors.New("secret not found")
	// ErrKeyNotFound means the secret exists but has no such key.
	ErrKeyNotFound = errors.New("key not found")
	// ErrVersionDeleted means the requested (or latest) KV v2 version is
	// deleted and may be undeleted.
	ErrVersionDeleted = errors.New("secret version deleted")
	// ErrVersionDestroyed means the requested (or latest) KV v2 version is
	// destroyed for good.
	ErrVersionDestroyed = errors.New("secret version destroyed")
	// ErrVersionUnsupported means a version was requested from a mount that
	// is not KV v2.
	ErrVersionUnsupported = errors.New("versions need a kv v2 mount")
	// ErrLogin means the store refused the login (unknown role,
	// ServiceAccount not bound to the role, auth path not enabled) or no JWT
	// was available.
	ErrLogin = errors.New("login refused")
	// ErrUnavailable means a network failure, a timeout, a 5xx, or a sealed
	// or rate-limiting store; retrying later may succeed.
	ErrUnavailable = errors.New("store unavailable")
	// ErrTLS means the store certificate could not be verified, or the
	// server does not speak TLS.
	ErrTLS = errors.New("tls verification failed")
	// ErrInvalid means the request itself is malformed (bad path, empty
	// role, …).
	ErrInvalid = errors.New("invalid request")
)

// Operations recorded in Error.Op.
const (
	OpLogin  = "login"
	OpRead   = "read"
	OpRevoke = "revoke" // Client.RevokeSelf
	OpWrite  = "write"  // Client.Write
	OpRenew  = "renew"  // Client.RenewToken and Client.RenewLease (StorePath tells which)
)

// Error is the only error type the package returns. Its text never contains a
// token, a JWT or a secret value.
type Error struct {
	Op string // OpLogin, OpRead, OpWrite, OpRenew or OpRevoke
	// Path is the path as the caller wrote it; for a lease renewal, the path
	// the lease was issued for (the lease ID without its last segment).
	Path      string
	StorePath string // API path requested, when it differs from Path
	Key       string // key within the secret (ErrKeyNotFound)
	Version   int    // requested or affected version; 0 for latest
	Role      string
	AuthPath  string
	// ServiceAccount is the Login's "namespace/name"; set on login errors.
	ServiceAccount string
	Status         int   // HTTP status from the store; 0 when there was no answer
	Kind           error // one of the Err* sentinels; nil when unclassified
	// Detail is the store's own error strings (redacted) or a local
	// explanation.
	Detail string
	// Err is the underlying cause (transport, context, file), if any.
	Err error
}

// Unwrap exposes both the sentinel and the cause, so errors.Is works for
// ErrTLS as well as for context.DeadlineExceeded.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// Error reads "<problem>[: <detail>][: <cause>]: <what to check>".
func (e *Error) Error() string {
	problem, hint := e.describe()
	parts := []string{problem}
	if e.Detail != "" {
		parts = append(parts, e.Detail)
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
	if problem, hint, ok := e.describeAction(); ok {
		return problem, hint
	}
	switch k := e.Kind; {
	case errors.Is(k, ErrLogin):
		if e.Status == 0 {
			// No answer from the store: the JWT could not be had.
			return e.subject() + " failed",
				"check the service account token source (projected token file or kubelet token request)"
		}
		return e.subject() + " refused", fmt.Sprintf(
			"check that the auth path is enabled and the role exists, is bound to service account %q and, if it sets an audience, expects the token's (module setting tokenAudience)", e.ServiceAccount)
	case errors.Is(k, ErrPermissionDenied):
		return fmt.Sprintf("role %q may not read %s", e.Role, e.secret()),
			fmt.Sprintf("check that the policy bound to the role allows read on %q", e.policyPath())
	case errors.Is(k, ErrNotFound):
		if e.Version > 0 {
			return fmt.Sprintf("version %d of %s not found", e.Version, e.secret()),
				"check that the version exists"
		}
		return e.secret() + " not found",
			"check the path and mount name (kv v2 paths read <mount>/data/<name>)"
	case errors.Is(k, ErrKeyNotFound):
		return fmt.Sprintf("key %q not found in %s", e.Key, e.secret()),
			"check the key name (keys are case-sensitive)"
	case errors.Is(k, ErrVersionDeleted):
		return fmt.Sprintf("%s of %s is deleted", e.versionName(), e.secret()),
			"undelete it in the store or pin another version"
	case errors.Is(k, ErrVersionDestroyed):
		return fmt.Sprintf("%s of %s is destroyed", e.versionName(), e.secret()),
			"it cannot be restored: pin another version or write a new one"
	case errors.Is(k, ErrVersionUnsupported):
		return fmt.Sprintf("version %d of %s requested from a mount that is not kv v2", e.Version, e.secret()),
			"versions need a kv v2 mount: drop the version or move the secret to a kv v2 mount"
	case errors.Is(k, ErrUnavailable):
		problem = e.subject() + ": store unavailable"
		if e.Status != 0 {
			problem += fmt.Sprintf(" (HTTP %d)", e.Status)
		}
		return problem,
			"check the store address, that the store is reachable and unsealed, and retry"
	case errors.Is(k, ErrTLS):
		return e.subject() + ": tls verification of the store failed",
			"check that caCert / tls-secret holds the CA that signed the store certificate and that the address scheme is right"
	case errors.Is(k, ErrInvalid):
		return e.subject() + ": invalid request", ""
	}
	switch {
	case errors.Is(e.Err, errMalformed):
		return e.subject(), "check that the address points at the store itself, not at a proxy or another service"
	case e.Status != 0:
		return fmt.Sprintf("%s: store answered HTTP %d", e.subject(), e.Status), ""
	}
	return e.subject(), ""
}

// describeAction words what differs for writes and renewals; ok is false
// where the wording of reads fits.
func (e *Error) describeAction() (problem, hint string, ok bool) {
	k := e.Kind
	switch {
	case e.Op == OpWrite && errors.Is(k, ErrPermissionDenied):
		return fmt.Sprintf("role %q may not write %q", e.Role, e.Path),
			fmt.Sprintf("check that the policy bound to the role allows create and update on %q", e.Path), true
	case e.Op == OpWrite && errors.Is(k, ErrNotFound) && e.Status == 0:
		return e.subject() + ": the path answered the write with no data",
			"the store accepted the write; to get values write a path that returns them (for example pki/issue/<role>) or read the path afterwards", true
	case e.Op == OpWrite && errors.Is(k, ErrNotFound):
		return e.subject() + ": no such path", "check the path and mount name", true
	case e.Op == OpRenew && e.StorePath == tokenRenewPath && errors.Is(k, ErrPermissionDenied):
		return e.subject() + " refused", "the token was revoked or has expired: log in again", true
	case e.Op == OpRenew && e.StorePath == leaseRenewPath && (errors.Is(k, ErrPermissionDenied) || k == nil && e.Status == http.StatusBadRequest):
		problem = e.subject() + " refused"
		if e.Status != http.StatusForbidden {
			problem = fmt.Sprintf("%s (HTTP %d)", problem, e.Status)
		}
		return problem, fmt.Sprintf("the lease may have ended or not be renewable, or the policy bound to role %q may not allow update on sys/leases/renew: read %q again for a new lease", e.Role, e.Path), true
	}
	return "", "", false
}

// subject names the operation and its object.
func (e *Error) subject() string {
	switch e.Op {
	case OpLogin:
		return fmt.Sprintf("login as role %q at %q", e.Role, "auth/"+e.AuthPath)
	case OpRevoke:
		return fmt.Sprintf("revoke the token of role %q from %q", e.Role, "auth/"+e.AuthPath)
	case OpWrite:
		return fmt.Sprintf("write %q as role %q", e.Path, e.Role)
	case OpRenew:
		switch {
		case e.StorePath == leaseRenewPath && e.Path == "":
			return fmt.Sprintf("renew a lease as role %q", e.Role)
		case e.StorePath == leaseRenewPath:
			return fmt.Sprintf("renew a lease of %q as role %q", e.Path, e.Role)
		}
		return fmt.Sprintf("renew the token of role %q from %q", e.Role, "auth/"+e.AuthPath)
	}
	s := "read " + e.secret()
	if e.Version > 0 {
		s += fmt.Sprintf(" version %d", e.Version)
	}
	return s
}

func (e *Error) secret() string {
	s := fmt.Sprintf("secret %q", e.Path)
	if e.StorePath != "" && e.StorePath != e.Path {
		s += fmt.Sprintf(" (read as %q)", e.StorePath)
	}
	return s
}

func (e *Error) versionName() string {
	if e.Version > 0 {
		return fmt.Sprintf("version %d", e.Version)
	}
	return "the latest version"
}

func (e *Error) policyPath() string {
	if e.StorePath != "" {
		return e.StorePath
	}
	return e.Path
}
