// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package e2e holds the end-to-end suite. It runs against the local real cluster (etcd,
// kube-apiserver, controller-manager, scheduler, containerd + runc, kubelet) and a real
// OpenBao, started once per run by TestMain and stopped by PID at the end.
//
// With STACK_DIR pointing at a running stack (`make cluster-up; source $STACK_DIR/stack.env`)
// the suite reuses it and leaves it running, which makes the edit–test loop fast.
// E2E_KEEP=1 keeps a stack the suite started itself (for reading its logs after a failure).
// The module is installed from its Helm chart (see webhook_test.go); E2E_MODULE=process runs
// the webhook and the CSI plugin as host processes instead.
package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// The suite's shared state, set up once by TestMain.
var (
	stk      *stack.Stack
	kube     *kubernetes.Clientset
	repoRoot string
)

// AuthMount is where the store's kubernetes auth method is enabled, as on Stronghold.
const AuthMount = "kubernetes_local"

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	var err error
	if repoRoot, err = filepath.Abs("../.."); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if dir := os.Getenv("STACK_DIR"); dir != "" {
		if stk, err = stack.Load(dir); err != nil {
			return 0, err
		}
		stk.RepoRoot = repoRoot
	} else {
		dir, err := os.MkdirTemp("", "ssi-e2e-")
		if err != nil {
			return 0, err
		}
		stk = &stack.Stack{Dir: dir, RepoRoot: repoRoot, Bins: stack.CachedBinaries(), Log: os.Stderr}
		defer func() {
			if os.Getenv("E2E_KEEP") != "" {
				fmt.Fprintf(os.Stderr, "e2e: stack kept in %s (stop it with: stack down -dir %s -wipe)\n", dir, dir)
				return
			}
			if err := stk.Down(true); err != nil {
				fmt.Fprintln(os.Stderr, "e2e: stop stack:", err)
			}
		}()
		if err := stk.Up(ctx); err != nil {
			return 0, fmt.Errorf("start the local cluster: %w (logs in %s/logs)", err, dir)
		}
	}
	if kube, err = stk.Clientset(); err != nil {
		return 0, err
	}
	if err := stk.EnableKubernetesAuth(ctx, AuthMount); err != nil {
		return 0, fmt.Errorf("enable kubernetes auth in the store: %w", err)
	}
	code := m.Run()
	// Last, over everything the suite made the components do: no secret value and no token in
	// any component log or event.
	leakCtx, leakCancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer leakCancel()
	if err := checkNoLeaks(leakCtx); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: FAIL: leak check:", err)
		if code == 0 {
			code = 1
		}
	} else {
		fmt.Fprintf(os.Stderr, "e2e: leak check: %d secret values and token shapes absent from every component log and event\n", leakCount())
	}
	return code, nil
}
