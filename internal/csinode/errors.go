// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/deckhouse/secrets-store-integration/internal/ssi"
	"github.com/deckhouse/secrets-store-integration/internal/store"
)

// Sentinels of local failures.
var (
	// errMount: mounting or unmounting the tmpfs failed (codes.Internal).
	errMount = errors.New("mount")
	// errWrite: writing the files failed (codes.Internal).
	errWrite = errors.New("write")
	// errAPI: the SecretsStoreImport could not be read from the API server
	// (codes.Unavailable).
	errAPI = errors.New("kubernetes api")
)

// statusOf turns an error of this package into the gRPC status kubelet
// receives. Only here are codes chosen. kubelet retries every failure; the
// code tells an operator what kind of failure it was.
func statusOf(err error) *status.Status {
	return status.New(codeOf(err), err.Error())
}

func codeOf(err error) codes.Code {
	type rule struct {
		sentinels []error
		code      codes.Code
	}
	// Order matters: store errors also wrap context errors.
	rules := []rule{
		{[]error{errInvalidArgument}, codes.InvalidArgument},
		{[]error{ssi.ErrNotFound}, codes.NotFound},
		{[]error{ssi.ErrInvalid, errNoInjector, errNoEnv, errConnection, errNoToken, errDecode, store.ErrTLS, store.ErrInvalid, store.ErrVersionUnsupported}, codes.FailedPrecondition},
		{[]error{errTooLarge}, codes.ResourceExhausted},
		{[]error{store.ErrUnavailable, errAPI}, codes.Unavailable},
		{[]error{store.ErrPermissionDenied, store.ErrLogin}, codes.PermissionDenied},
		{[]error{store.ErrNotFound, store.ErrKeyNotFound, store.ErrVersionDeleted, store.ErrVersionDestroyed}, codes.NotFound},
		{[]error{context.Canceled}, codes.Canceled},
		{[]error{context.DeadlineExceeded}, codes.DeadlineExceeded},
	}
	for _, r := range rules {
		for _, s := range r.sentinels {
			if errors.Is(err, s) {
				return r.code
			}
		}
	}
	return codes.Internal
}
