// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package secretref_test

import (
	"fmt"

	"github.com/deckhouse/secrets-store-integration/internal/secretref"
)

func ExampleParse() {
	ref, err := secretref.Parse("secrets-store:demo-kv/data/myapp-secret#DB_PASS#4")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ref.Path, ref.Key, ref.Version)

	_, err = secretref.Parse("secrets-store:demo-kv/data/myapp-secret#")
	fmt.Println(err)
	// Output:
	// demo-kv/data/myapp-secret DB_PASS 4
	// invalid secret reference "secrets-store:demo-kv/data/myapp-secret#": empty key: use secrets-store:PATH#KEY or secrets-store:PATH#KEY#VERSION
}
