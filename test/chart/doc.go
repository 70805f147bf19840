// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package chart tests the module's Helm chart (Chart.yaml, templates/ and
// monitoring/) the way Deckhouse renders it: loaded from the repository root
// with .helmignore applied and rendered with Helm's engine for each connection
// mode and for the local cluster (local_values.yaml: settings only; the harness in
// test/modulechart applies the rest to the rendered objects). The output is
// compared with golden files (testdata/*.golden.yaml, refreshed with
// go test ./test/chart -update), decoded into typed Kubernetes objects, and
// checked for the module's invariants: labels, the webhook's blast radius, least
// privilege RBAC and container security. The SecretsStoreSync admission policies
// are evaluated with CEL against a stand-in of the API server's authorizer. The alert rules and dashboards in
// monitoring/ are checked against the metrics the programs really export.
package chart
