// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package openapi tests the module's schemas the way Deckhouse uses them:
// openapi/config-values.yaml validates a ModuleConfig's settings after the
// schema defaults are applied (with addon-operator's transformations and the
// x-deckhouse-validations CEL rules), openapi/values.yaml extends it with the
// internal values the hooks write, crds/ holds valid v1 CRDs, and each doc-ru-*
// file mirrors its English original with Russian descriptions only.
package openapi
