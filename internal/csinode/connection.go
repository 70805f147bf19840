// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"github.com/deckhouse/secrets-store-integration/internal/ssi"
	"github.com/deckhouse/secrets-store-integration/internal/storeconn"
)

// errConnection marks connection settings that cannot work, such as no
// address at all or a malformed CA (codes.FailedPrecondition).
var errConnection = storeconn.ErrSettings

// connectionOf merges the settings of a SecretsStoreImport into the module's
// (see storeconn.Of).
func connectionOf(d StoreDefaults, spec *ssi.Spec) (storeconn.Connection, error) {
	return storeconn.Of(d, storeconn.Overrides{
		Address: spec.Address, AuthPath: spec.AuthPath, Namespace: spec.Namespace,
		CACert: spec.CACert, SkipTLSVerify: spec.SkipTLSVerify, Kind: ssi.Kind,
	})
}
