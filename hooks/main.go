// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Command hooks is the module's hooks binary. addon-operator runs it to list
// the hooks, read their bindings and run one hook at a time (module-sdk's
// file protocol). Each hook registers itself from its package's init.
//
// The binary must be built without -trimpath: module-sdk names each hook
// after its source file path below hooks/.
package main

import (
	"github.com/deckhouse/module-sdk/pkg/app"

	_ "github.com/deckhouse/secrets-store-integration/hooks/apiserver"
	_ "github.com/deckhouse/secrets-store-integration/hooks/connection"
	_ "github.com/deckhouse/secrets-store-integration/hooks/crds"
	_ "github.com/deckhouse/secrets-store-integration/hooks/tlscert"
)

func main() {
	app.Run()
}
