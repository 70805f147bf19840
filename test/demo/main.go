// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Command demo brings up the local real cluster and store, prepares the store as seed 004's
// test environment does (demo-kv, myapp-ro-policy, myapp-role for myapp-sa in
// myapp-namespace), runs one pod per delivery mode, prints what each pod received, and tears
// everything down (unless -keep).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

func main() {
	dir := flag.String("dir", "/tmp/ssi-stack", "stack directory")
	keep := flag.Bool("keep", false, "leave the cluster running at the end")
	module := flag.String("module", "chart", "how the module is installed: chart (as Deckhouse does) or process (host processes, for debugging)")
	flag.Parse()
	if *module != "chart" && *module != "process" {
		fmt.Fprintf(os.Stderr, "demo: -module %q: want chart or process\n", *module)
		os.Exit(2)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, *dir, *keep, *module == "process")
	cancel()
	os.Exit(code)
}

func run(ctx context.Context, dir string, keep, processModule bool) int {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fail(err)
	}
	root, err := os.Getwd()
	if err != nil {
		return fail(err)
	}
	if _, err := os.Stat(filepath.Join(abs, "stack.json")); err == nil {
		return fail(fmt.Errorf("%s already holds a stack: run `make cluster-down` first", abs))
	}
	s := &stack.Stack{Dir: abs, RepoRoot: root, Bins: stack.CachedBinaries(), Log: os.Stdout}
	defer func() {
		if keep {
			fmt.Printf("\nThe cluster keeps running: source %s/stack.env; stop it with `make cluster-down`.\n", abs)
			return
		}
		fmt.Println("\n== tearing down")
		if err := s.Down(true); err != nil {
			fmt.Fprintln(os.Stderr, "demo: tear down:", err)
		}
	}()
	t0 := time.Now()
	fmt.Println("== starting the local real cluster and OpenBao")
	if err := s.Up(ctx); err != nil {
		return fail(err)
	}
	d := &demo{s: s, processModule: processModule}
	if err := d.prepare(ctx); err != nil {
		return fail(err)
	}
	results := d.modes(ctx)
	fmt.Println("\n== summary")
	failed := 0
	for _, r := range results {
		status := "ok"
		if r.err != nil {
			status, failed = "FAILED: "+r.err.Error(), failed+1
		}
		fmt.Printf("  %-34s %s\n", r.mode, status)
	}
	fmt.Printf("  total time %s\n", time.Since(t0).Round(time.Second))
	if failed > 0 {
		return 1
	}
	return 0
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, "demo:", err)
	return 1
}
