// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package store reads and writes secrets in a Vault-compatible store
// (Deckhouse Stronghold, OpenBao, HashiCorp Vault) on behalf of a Kubernetes
// ServiceAccount, on any secrets engine.
//
// A [Client] is one store connection (address, namespace, CA); it is safe for
// concurrent use and is meant to be shared by every reader of that store in a
// process. Each call names who acts ([Login]) and on what: [Client.Read]
// (path, optional KV v2 version), [Client.Write] (path, body),
// [Client.RenewLease] (a lease of an earlier answer).
//
// # Login and the token cache
//
// The client logs in with Kubernetes auth (POST auth/<AuthPath>/login with
// {role, jwt}) and caches the token per store identity: the Client's address
// and namespace plus the Login's auth path, role and ServiceAccount. The
// ServiceAccount is a cache key supplied by the caller from a trusted source;
// it is never parsed from the JWT, so two identities can never share a token.
// A token is reused until a safety margin before the end of its TTL
// (min(10% of TTL, 30s)); a token without a TTL is reused for five minutes.
// The client never renews a token by itself: a new login costs the same as
// a renewal and also picks up changes to the role. A caller that must keep
// one token alive (a process that watches leases) renews it with
// [Client.RenewToken] and schedules that from [Client.TokenInfo], which
// tells the TTL, renewability and time of the login or last renewal without
// a request. Concurrent callers of one identity share one login, and
// concurrent reads of the same (identity, path, version) share one request;
// the shared work runs detached from any single caller's cancellation,
// bounded by the per-request timeout. Failures are never cached: the next
// call tries again. A process that is done with the store (the injector,
// before it executes the command) revokes its token with [Client.RevokeSelf]
// rather than leave it valid until its TTL ends. [Client.Token] is the only
// exported way to a token, for an application that asked to receive one.
//
// A 403 with a cached token makes the client log in once more and retry
// once, since a token can lose access before its TTL ends (revoked, or the
// role's policies changed). A 403 with a token obtained during the same call
// is a policy decision and is returned at once.
//
// # Requests, paths and mounts
//
// Paths are written the way users write them in annotations and
// SecretsStoreImports. A read of a path whose mount the client has not
// learned sends one request: the path as written. On a KV v2 mount written
// with data/ ("demo-kv/data/app"), on KV v1 and on any other engine
// ("database/creds/app", "pki/cert/ca") that answer is the secret, so a first
// read of n such paths costs one login and n reads. Only when the path as
// written does not answer what was asked is the mount looked up
// (sys/internal/ui/mounts/<path>, as the vault CLI does): a 403 or 404 (a
// KV v2 mount answers a path without data/ with 404 and a warning, and a
// policy written for <mount>/data/* refuses it), a 405, or the answer of a
// KV v2 endpoint that is not a secret (metadata/<name>, config, subkeys, a
// listing). On a KV v2 mount the path is then read again at the mount's
// data path; on any other mount the first answer stands. Learned mounts are
// cached for ten minutes and shared by all identities; while a mount is
// known its paths are read at once at the right API path, with no request
// as written first. Concurrent lookups by one identity of paths that share
// their first segment send one request (per identity, because the store
// answers a lookup only to a token with access to the mount); a path the
// answer does not cover (a neighbor mount such as team/a/ and team/b/) is
// looked up on its own. When the lookup is refused, the answer as written
// stands.
//
// On a KV v2 mount both "demo-kv/data/app" and "demo-kv/app" read the secret
// "app": a path whose first segment after the mount is not "data" gets
// "data/" inserted after the mount, like "vault kv get". So on a v2 mount
// "demo-kv/data/x" always means the secret "x"; a secret literally named
// "data/x" must be written "demo-kv/data/data/x". An answer is taken for a
// KV v2 one by the mount when it is known, else by its shape (exactly "data"
// and "metadata" with a numeric version) at a path with a "data" segment,
// where a KV v2 mount gives it. A version pin reads ?version=N and needs a
// KV v2 answer: any other answer to a versioned read is
// ErrVersionUnsupported, never unversioned data (KV v1 ignores the
// parameter). Values that are not JSON strings are returned JSON-encoded
// (numbers, booleans, null, objects, arrays) in [Secret.Data], and as
// decoded in [Secret.Raw].
//
// Writes ([Client.Write]) send a PUT to the path as written (once more after
// a new login when a cached token is refused, like reads), never shared with
// other calls, with no lookup and no data/ insertion.
//
// # Leases
//
// A [Secret] keeps its answer's lease (LeaseID, LeaseDuration, Renewable).
// Nothing read is cached, so reads that do not overlap in time get leases of
// their own; concurrent identical reads in one process share one request and
// so one lease, which suits callers that want the same values at the same
// moment. [Client.RenewLease] extends a lease (sys/leases/renew with the
// identity's token); when it fails or the lease runs short, the caller reads
// the path again.
//
// An [Observer] sees every request by kind: login, mount, read, write,
// renew, revoke. A first read of a KV v2 path written without data/ shows
// as a failed read (the path as written, refused or absent) followed by a
// lookup and a successful read; it recurs when the learned mount expires (ten minutes).
//
// # Errors
//
// Every error returned is an [*Error] naming the operation, path, key, version
// and role involved, and it matches one of the sentinels (ErrPermissionDenied,
// ErrNotFound, …) with [errors.Is]. Messages say what to check next. They
// never contain a token, a JWT, a lease ID, a written value or a secret
// value: from an error response only the store's own "errors" strings are
// kept (with any of these cut out, and a message holding a value too short
// to cut out dropped whole), never a raw body, and a malformed success body
// is reported without its content.
//
// # Environment
//
// The client reads nothing from the environment: VAULT_* variables (the
// address, token, namespace, TLS settings, headers, response wrapping that
// the stores' own client libraries take from it) change nothing, malformed
// ones included, so a program in an application's environment behaves as
// configured. The store's HTTP API is spoken directly (wire.go). Standard proxy
// variables (HTTPS_PROXY, NO_PROXY) are honored, as in every Go HTTP client.
//
// The package does not log. Callers log, and may count store requests with an
// [Observer].
package store
