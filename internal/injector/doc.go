// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package injector is the entrypoint of containers mutated by the webhook: it
// resolves secret references into environment variables, then replaces itself
// with the container's original command (execve), so that the application is
// the process the runtime started, receives its signals directly and exits
// with its own status. No secret is written to disk: secrets exist only in
// the application's environment.
//
// The command line has three shapes (see envcontract):
//
//	injector --self-copy DEST      copy this executable to DEST (init container)
//	injector --probe CMD [ARG...]  resolve, then exec an exec probe's command
//	injector CMD [ARG...]          resolve, then exec the container's command
//
// # Control settings
//
// The webhook passes settings as SECRETS_STORE_* environment variables
// (envcontract), parsed by [ParseConfig] and checked by [Config.Validate]. An
// unset or empty variable takes its default; a malformed one is a start-up
// error naming the variable, never a silent default. Every SECRETS_STORE_*
// variable is removed before the command runs.
//
// # What is resolved
//
// Two sources produce variables:
//
//   - every key of each env-from-path path (PATH or PATH#VERSION) becomes a
//     variable of the same name; a key set by a later path replaces the same
//     key of an earlier one;
//   - every variable whose value holds references (from env, or from envFrom
//     ConfigMaps and Secrets: by the time the container starts they are all
//     just environment variables) gets them replaced (secretref.ParseValue
//     has the syntax): secrets-store:PATH#KEY[#VERSION] gives the value of
//     KEY; secrets-store:PATH#TEMPLATE[#VERSION] executes the template
//     (package tmpl: "${" "}" delimiters, Sprig functions, file, accessor)
//     over the secret's data; ${secrets-store:PATH#KEY} inside a longer value
//     is replaced in place; >>secrets-store:PATH#KEY[#JSON] writes the JSON
//     object (default {}) to PATH and takes KEY from the answer (PKI issue,
//     transit, any engine that answers a write);
//     VAULT_TOKEN=secrets-store:login gets the store token of the injector's
//     login (no other variable may).
//
// Any engine can be read: KV version 1 and 2 and every other path with a
// logical read, whose lease (dynamic credentials) is kept. Writes with the
// same path and the same body (compared as JSON) are sent once, so that
// CERT=>>...#certificate and KEY=>>...#private_key of one pki/issue call
// belong together. An exec probe (--probe) sends no write: the variables
// that hold one are left out of its environment, since a probe runs every
// few seconds and each run would issue a certificate nobody keeps.
//
// A variable imported by env-from-path wins over any variable of the same name
// in the container's environment, a reference or a plain value (the seed
// rule: an import beats an explicit template). A reference shadowed that way
// is not needed, so a failure to read it is not reported; a reference that
// does not parse is reported all the same, as a mistake in the manifest.
//
// An imported key becomes a variable only if it is a portable name
// ([A-Za-z_][A-Za-z0-9_]*) outside the SECRETS_STORE_ prefix, and only if its
// value holds no NUL byte (execve cannot pass one). Other keys, such as
// "tls.crt" or "db-password", are skipped with a warning naming the path and
// the key: shells cannot address such names, and an explicit reference
// (DB_PASSWORD=secrets-store:PATH#db-password) maps them to a usable name.
//
// Each distinct (path, version) is read once, however many variables refer
// to it, and distinct reads and writes run concurrently (at most
// [MaxConcurrentReads] at a time). Templates are parsed before the store is
// contacted, so a template that does not parse fails like a reference that
// does not. SECRETS_STORE_CLIENT_TIMEOUT bounds the whole resolution as
// well as each request.
//
// # Failures
//
// A reference that fails (syntax, login, permission, missing path or key,
// store unreachable) is a [*Failure] naming the variable, the reference and
// the store's reason. Without ignore-missing-secrets the container does not
// start: every failure is printed on its own line, for example
//
//	secrets-store injector: DB_PASS: secrets-store:demo-kv/data/app#DB_PASS: role "r" may not read ...
//
// and the injector exits 1. With ignore-missing-secrets each failure is a
// warning, the variable is removed from the environment (it never keeps the
// reference text), a failed env-from-path path contributes nothing, and the
// command starts. A reference that does not parse is reported before the
// store is contacted. Messages quote references and
// store errors, which never hold secret values or tokens; a value that is not
// a reference is never quoted.
//
// # Executing the command
//
// The command is looked up as container runtimes do: a name containing "/"
// is used as is, otherwise each directory of PATH (from the environment the
// command gets; containerd's default /usr/local/sbin:/usr/local/bin:
// /usr/sbin:/usr/bin:/sbin:/bin when PATH is unset) is searched for an
// executable regular file. A command that is not found exits 127, one that
// cannot be executed exits 126, as shells and runtimes report them; a wrong
// injector command line exits 2. A SIGTERM before the command starts stops
// the resolution and exits 1 without starting it.
//
// execve refuses (E2BIG) an argument or "NAME=value" string over
// MAX_ARG_STRLEN (32 pages, 128 KiB with 4 KiB pages, NUL included), and
// all strings plus their pointers over a quarter of the stack size limit
// (at least ARG_MAX, 128 KiB; at most 6 MiB). Both are checked before
// execve, as fs/exec.c counts them, and an E2BIG from execve itself is
// reported the same way: an error matching [ErrTooLarge] that names the
// variables (never their values), their sizes and the limit, and says to
// deliver large secrets as files with a CSI volume. It exits 1, since the
// command is fine and the environment is not.
//
// # Restart modes
//
// SECRETS_STORE_RESTART_ON (the restart-on-secret-change annotation) is
// none by default: resolve, then execve. In the watch modes the injector
// stays PID 1 and runs the command as its child (package supervise: signals
// forwarded, orphans reaped, the child's exit status kept):
//
//   - watch-for-data polls the reads that hold no lease every
//     SECRETS_STORE_POLL_INTERVAL, drawn once per start within ±30%
//     ([JitterFraction]); when the environment they produce differs from the
//     one the command started with (compared as an HMAC under a key drawn at
//     start, never a plain hash) it stops the command: SIGTERM, SIGKILL after
//     SECRETS_STORE_GRACE_PERIOD. A poll that fails changes nothing. Writes
//     and leased reads are never repeated: they would differ every time.
//   - watch-for-lease renews the store token and every renewable lease two
//     thirds of the way to its stop time: the end of the lease minus the
//     grace period and [LeaseMargin] (at most half the lease). A lease the
//     store refuses to renew, or renews for less than asked (its max TTL),
//     stops the command at that stop time.
//
// For watch-for-data the injector hands the watch over once the environment
// is resolved: it executes the watcher next to its own executable
// (envcontract.WatcherBinaryName, package watcher) in its place, with the
// store connection, the token, the paths with the keys the command uses and
// the answers it started with in a sealed memory file. The watcher starts
// the command and polls with a fraction of the injector's memory. Where it
// cannot take over (no watcher next to the injector, a proxy in the
// environment, a failed execve), the injector watches as described above.
//
// After stopping the command the injector exits [ExitRestart], so that
// kubelet restarts the container under restartPolicy Always and OnFailure;
// when the command ends on its own, the injector exits with its status. An
// exec probe never watches.
//
// # The store token
//
// After the resolution, failed or not, the injector revokes the token it
// logged in with (auth/token/revoke-self) before it executes the command,
// so that neither a container start nor an exec probe leaves a live token
// behind until its TTL ends. Two exceptions keep it: the application asked
// for it (VAULT_TOKEN=secrets-store:login), or a read or write returned a
// lease (the store revokes a token's leases with it, which would end
// dynamic credentials the moment the application gets them). In the watch
// modes the token lives while the command runs and is revoked when the
// injector ends (unless handed to the application). The revocation is best
// effort, bounded by SECRETS_STORE_CLIENT_TIMEOUT; a failure is a warning and
// the command starts all the same. A batch token (no accessor) is not
// revoked: the store keeps nothing for it.
//
// The application's VAULT_* variables change nothing in the injector (the
// store client reads none of them, malformed ones included) and reach the
// command unchanged.
//
// # Logging
//
// log/slog to stderr, text or JSON (SECRETS_STORE_JSON_LOG), level from
// SECRETS_STORE_LOG_LEVEL. Messages are constant; data goes into the
// attributes var, ref, path, key, version, error, duration and, on the one
// info line of a successful resolution, count (variables set from the
// store), paths (read) and failed (ignored failures). No secret value
// and no token is ever logged. In probe mode the level is at least warn,
// because a probe's output becomes the text of kubelet's probe events.
package injector
