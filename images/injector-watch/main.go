// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Command injector-watch is what a watching injector executes in its place
// once the environment is resolved: it runs the command and restarts the
// container when its secrets change (see package watcher). It is started
// only by the injector, with the hand-off descriptor.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/deckhouse/secrets-store-integration/internal/watcher"
)

func main() {
	os.Exit(run())
}

func run() int {
	// Signals are forwarded to the command while it runs (package supervise).
	// Catching them here too ends the watcher before the command starts, and
	// keeps a late SIGTERM from ending it before it has revoked its token.
	// Caught, not ignored: an ignored signal would be neither forwarded nor
	// seen by the command.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	h, err := watcher.Receive(os.Args[1:])
	if err != nil {
		watcher.Report(os.Stderr, err)
		return watcher.ExitFailure
	}
	return watcher.Run(ctx, h, os.Stderr)
}
