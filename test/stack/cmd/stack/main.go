// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Command stack builds, starts and stops the local real cluster (see package stack).
//
//	stack build                  build missing binaries into the cache
//	stack up   [-dir D]          start a stack in D (default $STACK_DIR or /tmp/ssi-stack)
//	stack down [-dir D] [-wipe]  stop it by PID; -wipe removes D
//	stack env  [-dir D]          print the shell exports of a running stack
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "stack:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: stack build|up|down|env [-dir DIR] [-wipe]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	def := os.Getenv("STACK_DIR")
	if def == "" {
		def = "/tmp/ssi-stack"
	}
	dir := fs.String("dir", def, "stack directory")
	wipe := fs.Bool("wipe", false, "remove the stack directory after stopping (down)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "build":
		return stack.Build(ctx, root, os.Stderr)
	case "up":
		if err := stack.Build(ctx, root, os.Stderr); err != nil {
			return err
		}
		if _, err := os.Stat(filepath.Join(abs, "stack.json")); err == nil {
			return fmt.Errorf("%s already holds a stack: run `stack down -dir %s -wipe` first", abs, abs)
		}
		s := &stack.Stack{Dir: abs, RepoRoot: root, Bins: stack.CachedBinaries(), Log: os.Stderr}
		if err := s.Up(ctx); err != nil {
			return err
		}
		fmt.Printf("source %s\n", filepath.Join(abs, "stack.env"))
		return nil
	case "down":
		s, err := stack.Load(abs)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		s.Log = os.Stderr
		return s.Down(*wipe)
	case "env":
		b, err := os.ReadFile(filepath.Join(abs, "stack.env"))
		if err != nil {
			return err
		}
		_, err = os.Stdout.Write(b)
		return err
	}
	return fmt.Errorf("unknown command %q", args[0])
}
