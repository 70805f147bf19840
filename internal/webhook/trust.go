// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"fmt"
	"os"

	"github.com/deckhouse/secrets-store-integration/internal/registry"
)

// loadTrust reads the registry trust document and adds the CA file and the
// insecure registries of the flags to it: both are kept for clusters that
// set them directly, and what they add is merged, never replaced.
func loadTrust(c Config) (registry.Trust, error) {
	var t registry.Trust
	if c.RegistryConfigFile != "" {
		b, err := os.ReadFile(c.RegistryConfigFile)
		if err != nil {
			return registry.Trust{}, fmt.Errorf("read registry-config: %w", err)
		}
		if t, err = registry.ParseTrust(b); err != nil {
			return registry.Trust{}, fmt.Errorf("registry-config %s: %w", c.RegistryConfigFile, err)
		}
	}
	ca, err := readPEM("registry-ca-file", c.RegistryCAFile)
	if err != nil {
		return registry.Trust{}, err
	}
	if len(ca) > 0 {
		if err := registry.ValidateCA(string(ca)); err != nil {
			return registry.Trust{}, fmt.Errorf("registry-ca-file %s: %w", c.RegistryCAFile, err)
		}
		if t.CA != "" {
			t.CA += "\n"
		}
		t.CA += string(ca)
	}
	t.InsecureRegistries = append(t.InsecureRegistries, c.InsecureRegistries...)
	return t, nil
}
