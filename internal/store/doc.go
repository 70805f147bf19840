// Package store reads secrets from a Vault-compatible store (Deckhouse
// Stronghold, OpenBao, HashiCorp Vault) on behalf of a Kubernetes
// ServiceAccount.
//
// A [Client] is one store connection (address, namespace, CA); it is safe for
// concurrent use and is meant to be shared by every reader of that store in a
// process. Each [Client.Read] names who reads ([Login]) and what (path,
// optional version).
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
// Tokens are not renewed: a new login costs the same as a renewal and also
// picks up changes to the role. Concurrent callers of one identity share one
// login, and concurrent reads of the same (identity, path, version) share one
// request; the shared work runs detached from any single caller's
// cancellation, bounded by the per-request timeout. Failures are never cached:
// the next call tries again. A process that is done with the store (the
// injector, before it executes the command) revokes its token with
// [Client.RevokeSelf] rather than leave it valid until its TTL ends.
//
// A 403 on a read with a cached token makes the client log in once more and
// retry once, since a token can lose access before its TTL ends (revoked, or
// the role's policies changed). A 403 with a token obtained during the same
// call is a policy decision and is returned at once.
//
// # Paths and KV versions
//
// Paths are written the way users write them in annotations and
// SecretsStoreImports. The KV version of a mount is learned from
// sys/internal/ui/mounts/<path> (what the vault CLI does) and cached per mount
// for ten minutes. On a KV v2 mount both "demo-kv/data/app" and "demo-kv/app"
// read the secret "app": a path whose first segment after the mount is not
// "data" gets "data/" inserted after the mount, like "vault kv get". So on a
// v2 mount "demo-kv/data/x" always means the secret "x"; a secret literally
// named "data/x" must be written "demo-kv/data/data/x". When the mount lookup
// is refused, the path is read as written and the response shape tells v1
// from v2. A version pin reads ?version=N and needs a KV v2 mount. Values that
// are not JSON strings are returned JSON-encoded (numbers, booleans, null,
// objects, arrays).
//
// # Errors
//
// Every error returned is an [*Error] naming the operation, path, key, version
// and role involved, and it matches one of the sentinels (ErrPermissionDenied,
// ErrNotFound, …) with [errors.Is]. Messages say what to check next. They
// never contain a token, a JWT or a secret value: from an error response only
// the store's own "errors" strings are kept (with any token or JWT text
// redacted), never a raw body, and a malformed success body is reported
// without its content.
//
// # Environment
//
// The vault/api library reads VAULT_* variables. The client does not let them
// change its behavior: the TLS transport, timeouts and retries are built
// here, and the token, namespace, extra headers and response wrapping that
// vault/api takes from the environment are reset after the library's client
// is created. One effect cannot be undone: vault/api refuses to create a
// client when a VAULT_* variable is malformed (for example
// VAULT_SKIP_VERIFY=maybe or VAULT_CACERT naming a missing file); [New] then
// returns an error naming the cause, and a program running in a foreign
// environment should unset VAULT_* in its own process first. Standard proxy
// variables (HTTPS_PROXY, NO_PROXY) are honored, as in every Go HTTP client.
//
// The package does not log. Callers log, and may count store requests with an
// [Observer].
package store
