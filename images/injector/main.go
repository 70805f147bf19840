// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Command injector is the entrypoint of containers mutated by the webhook: it
// puts secrets from the store into the environment and executes the original
// command in its place (see package injector).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/deckhouse/secrets-store-integration/internal/injector"
)

func main() {
	os.Exit(run())
}

func run() int {
	// SIGTERM during the resolution cancels it; execve resets the handlers,
	// so the command receives its signals with their default dispositions.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := injector.Run(ctx, os.Args[1:], os.Environ(), os.Stderr)
	if err != nil {
		injector.Report(os.Stderr, err)
	}
	return injector.ExitCode(err)
}
