// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Command sync-controller copies secrets from the store into Kubernetes
// Secrets as SecretsStoreSync resources ask (see package syncctl). This file
// is wiring only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/deckhouse/secrets-store-integration/internal/syncctl"
)

func main() {
	cfg, err := syncctl.ParseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sync-controller:", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	// The first SIGTERM stops gracefully (the Lease is released); a second one kills.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	go func() { <-ctx.Done(); stop() }()
	if err := syncctl.Run(ctx, cfg, log); err != nil {
		log.Error("sync controller stopped", "error", err)
		os.Exit(1)
	}
}
