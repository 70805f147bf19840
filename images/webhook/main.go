// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Command webhook is the mutating admission webhook of secrets-store-integration:
// it adds the entrypoint injector to pods annotated with secrets-store.deckhouse.io/role.
// All behavior lives in internal/webhook; this file is wiring only.
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

	"github.com/deckhouse/secrets-store-integration/internal/webhook"
)

func main() {
	var cfg webhook.Config
	fs := flag.NewFlagSet("webhook", flag.ContinueOnError)
	cfg.AddFlags(fs)
	err := fs.Parse(os.Args[1:])
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case err == nil && fs.NArg() > 0:
		err = fmt.Errorf("unexpected arguments %q", fs.Args())
	case err == nil:
		err = cfg.Validate()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "webhook:", err)
		os.Exit(2)
	}
	// The first SIGTERM cancels ctx and starts a graceful stop; stop() then
	// restores the default action, so a second signal ends the process.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	go func() { <-ctx.Done(); stop() }()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "webhook:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg webhook.Config) error {
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	return webhook.Run(ctx, cfg, log)
}
