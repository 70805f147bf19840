// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package csinode is the CSI node plugin of the secrets-store.csi.deckhouse.io
// driver: it writes secrets from a Vault-compatible store as files into an
// in-memory volume of a pod, and refreshes them while the pod runs.
//
// A pod uses an inline ephemeral volume whose secretsStoreImport attribute
// names a SecretsStoreImport in the pod's namespace. kubelet calls
// NodePublishVolume with the pod's identity and ServiceAccount token in the
// volume context (the CSIDriver has podInfoOnMount and tokenRequests), and
// calls it again periodically (requiresRepublish).
//
// # Publish
//
// A first publish runs validate → fetch (log in, read, decode) → mount and
// write → record. Each step is a function of its own:
//
//   - validate checks the request: volume id, target path, a mount (not
//     block) capability, the pod's namespace, name, UID and ServiceAccount,
//     the ServiceAccount tokens and the secretsStoreImport attribute. The
//     SecretsStoreImport is looked up in the pod's namespace only.
//   - fetch logs in with the pod's ServiceAccount token for the resource's
//     audience and the resource's role (the store client caches the token
//     per identity until its TTL) and reads each distinct path of the
//     resource once.
//   - mount and write put a new tmpfs with an explicit size, mode 0750 and
//     nosuid,nodev,noexec on the target path, read-only, holding the files
//     (see Tmpfs; package atomicdir writes them, and later updates are
//     atomic: a reader never sees half of one).
//   - record keeps the volume's state (pod, resource, times, an HMAC version
//     of the content) in memory and as a JSON file in the state directory.
//
// # Token audience
//
// kubelet sends one token per audience of the CSIDriver's tokenRequests.
// A resource's spec.audience picks one of them; without it, the module's
// tokenAudience (--token-audience, "" for the API server's audience) is
// used. A missing token fails the publish with a message naming the module
// settings tokenAudience and additionalTokenAudiences, from which the chart
// renders tokenRequests. Each audience has its own store client, token cache
// and read-cache entries.
//
// A failed first publish removes what it did (unmount, remove the target
// directory) and returns an error, which kubelet shows on the pod and
// retries; the pod does not start without its files.
//
// # Rotation
//
// A republish of a published volume reads the store again once the rotation
// interval has passed since the previous attempt; otherwise it returns at once
// without any request. Unchanged content writes nothing; changed content is
// swapped atomically. When the refresh fails, the last good files stay, a
// Warning Event with reason SecretRotationFailed is recorded on the pod and on
// the SecretsStoreImport, a metric counts it, and the call returns success:
// the volume is still valid, and an error would only make kubelet log it
// without telling the user. The next attempt comes one interval later.
//
// # Store traffic
//
// Reads go through a node-wide read cache keyed by the store identity (the
// connection: address, store namespace, CA and TLS settings; the auth path,
// role and ServiceAccount) and the path. An entry is used for one rotation
// interval and concurrent misses share one read, so a thousand volumes of one
// identity and path cost one read per interval (plus a login when the token
// ends), not a thousand. Two identities never share an entry or a token.
// Failures are kept for a few seconds only, to spare a failing store
// the retries of many volumes. Each distinct connection has one store.Client,
// created on first use and kept.
//
// # Files and permissions
//
// The volume is read-only for the pod, whatever its readOnly flag, like a
// Kubernetes Secret volume: only the plugin writes, through a view of its
// own in the staging directory (see Tmpfs). The plugin advertises the
// VOLUME_MOUNT_GROUP node capability, so kubelet hands it the pod's fsGroup
// (VolumeMountGroup) and does not change the volume's ownership itself. The
// tmpfs root, the files and the payload directories then belong to that
// group: files are 0440, directories 0750, nothing for others. A pod without
// fsGroup gets root-owned files, readable by containers running as root
// only: a non-root pod sets securityContext.fsGroup. The CSIDriver should say
// fsGroupPolicy: File, so that a kubelet that does not delegate fsGroup still
// applies it.
//
// The tmpfs is small (4 MiB by default): secrets are small, and during an
// update the old and the new copy coexist. Content that would not fit twice
// is refused before anything is written, with a message naming the size.
// The kernel charges the pages to the memory cgroup of the writer, this
// plugin's container, so the files of all volumes on a node count against
// its memory limit (docs/FAQ.md has the measured figures).
//
// # Leases and writes
//
// A secret with a lease (database credentials, …) and the answer to a write
// (source.write: a PKI certificate, …) are not read again every rotation
// interval: the read cache keeps them until a margin before their lease or
// expiration ends, and a timer of the plugin (maintain.go) renews the leases
// that published volumes use, reads a source again when its lease can no
// longer be extended, and refreshes the volumes that use it at once, without
// waiting for kubelet's next republish.
//
// # Status of SecretsStoreImports
//
// Each node writes its part of the status of the SecretsStoreImports its
// volumes use (status.go): its pod count and last refresh result in an
// entry of status.nodes, the totals, the UpToDate condition recomputed from
// all entries, and the Valid condition from the first use of each
// generation. Only changes are written, gathered for --status-delay into one
// write per resource; a conflict with another node's write is retried on a
// fresh read. After a restart the node rewrites the resources its volumes
// use and those that still carry an entry of it.
//
// # State
//
// Per-volume state (never secret content, never a token) is kept as one JSON
// file per volume in the state directory, by default
// <kubelet-dir>/plugins/<driver>/state on the node's disk. After a restart
// the plugin loads it and keeps serving republishes of the volumes mounted
// before; the content versions are HMACs with a per-process key and do not
// survive the restart. A volume whose state is lost is still treated as
// published when its target holds files, so a restart never fails a running
// pod's volume.
//
// Nothing here logs a secret value, a token, a raw request or volume
// context; errors name the SecretsStoreImport, file, path and key.
package csinode
