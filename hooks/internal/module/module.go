// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package module names the module the hooks belong to: its namespace and the
// key of its section in the values that addon-operator hands to every hook.
package module

const (
	// Name is the module name from module.yaml.
	Name = "secrets-store-integration"
	// Namespace is the namespace the module's components run in.
	Namespace = "d8-secrets-store-integration"
	// ValuesKey is the module's section in the values: the module name in
	// camelCase, as addon-operator derives it.
	ValuesKey = "secretsStoreIntegration"
)

// Path returns the dotted values path of a key inside the module's section,
// e.g. Path("internal.connection") is "secretsStoreIntegration.internal.connection".
func Path(key string) string {
	return ValuesKey + "." + key
}
