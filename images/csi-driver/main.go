// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Command csi-driver is the CSI node plugin of secrets-store.csi.deckhouse.io:
// it writes secrets from the store into pods' in-memory volumes (see package
// csinode).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/deckhouse/secrets-store-integration/internal/csinode"
	"github.com/deckhouse/secrets-store-integration/internal/pluginreg"
)

func main() {
	os.Exit(run())
}

func run() int {
	cfg, err := csinode.ParseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "csi-driver:", err)
		return 2
	}
	log := csinode.NewLogger(os.Stderr, cfg.LogLevel)
	// The first SIGTERM stops gracefully; once it has, a second one kills.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); stop() }()

	reg := pluginreg.New(pluginreg.Config{
		DriverName: cfg.DriverName,
		Endpoint:   cfg.RegistrationEndpoint,
		SocketPath: cfg.RegistrationSocket(),
		Versions:   csinode.SupportedVersions,
	}, log)
	if err := csinode.Run(ctx, cfg, log, reg); err != nil {
		log.Error("csi driver stopped", "error", err)
		return 1
	}
	return 0
}
