// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package watcher is the program a watching injector (restart-on-secret-
// change: watch-for-data) becomes once the environment is resolved. The
// injector resolves references, templates and writes with everything that
// takes (the full store client, templates, the mount lookups), then
// executes the watcher in its place: execve keeps the PID, so the watcher
// is PID 1 of the container as the injector was, and the memory of the
// resolution is gone. The watcher starts the command as its child,
// forwards signals, reaps, and polls the store every interval. It holds
// only what a poll needs: the token, the request of each path, the keys
// the command depends on and a keyed digest of what they held at start.
//
// # Hand-off
//
// The injector writes a [Handoff] to a sealed memory file (memfd) and
// passes its descriptor with the flag [HandoffFlag]; the watcher reads it,
// closes it and only then starts the command, so the command never
// inherits it. The hand-off holds the store token and the command's
// environment; it is never written to a file, an argument or a log. Its
// format is versioned: a watcher of another build refuses it.
//
// # Polls
//
// A poll sends the reads of every watched path together over one HTTP/1.1
// connection kept between polls (package httpone). The store answers them
// one after another; once the first answer is in, the watcher sleeps about
// as long again per answer still due (at most httpone.MaxGather), in a
// system call the Go runtime's network poller does not see, so that the
// rest are read at one wake-up instead of one each. It then decodes each
// answer as the store client does and compares a keyed digest of the keys
// the command depends on (every key for env-from-path and for a template
// whose keys cannot be known from its text) with the digest of the answer
// the command started with. A change stops the command (SIGTERM, SIGKILL
// after the grace period) and the watcher exits with [ExitRestart], so
// that kubelet restarts the container and the injector resolves anew. A
// poll that fails, and a change that leaves a key a reference names
// missing (unless ignore-missing), keep the command running with a
// warning, as the injector's own watch does. A token near its end, or one
// the store refuses, is replaced by a login with the ServiceAccount token
// read anew.
//
// The watcher links neither net/http nor the template functions, nor
// log/slog: it writes slog's text and JSON lines itself, as the injector
// writes them with slog. Its memory is what the Go runtime, TLS and one
// connection need (docs/internal/BENCHMARKS.md).
package watcher

// HandoffFlag precedes the descriptor number of the hand-off in the
// watcher's arguments.
const HandoffFlag = "--handoff-fd"
