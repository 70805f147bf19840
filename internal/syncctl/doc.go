// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package syncctl is the controller of SecretsStoreSync
// (secretsstoresyncs.deckhouse.io): it copies secrets from the store into
// Kubernetes Secrets, the opt-in fourth delivery mode.
//
// One reconcile of a resource: validate the spec → find the Secret it names
// (one it does not own is never touched) → log in as the resource's
// ServiceAccount (a short-lived TokenRequest token, used only for the login)
// and read the paths, sharing reads between resources of the same identity →
// build the data (keys, templates, Base64, the keys the Secret's type
// requires) → create or update the Secret when it differs → restart the
// rollout targets when the data changed → write the status.
//
// The Secret is kept as it is when anything fails, so consumers go on with
// the last good data; the Synced condition says why and the resource is
// retried with backoff. Secrets written by the controller carry a label the
// controller watches, so an edit or a deletion is repaired at once, from the
// read cache when it is still fresh.
//
// Nothing here logs, records or reports a secret value: status and events
// carry key names and a keyed HMAC of the data only.
package syncctl
