// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package benchstack runs a measurement of `make bench` on a local real cluster with the
// module's webhook and CSI plugin as host processes: a temporary stack, the store's
// kubernetes auth, the module, a client that is not the bottleneck and the ServiceAccount
// the measured pods use. The stack is torn down when the measurement ends, also on error.
package benchstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// AuthMount is where the store's kubernetes auth method is enabled, as on Stronghold.
const AuthMount = "kubernetes_local"

// Options describe one measurement.
type Options struct {
	Name      string        // prefix of log lines and of the stack directory
	Timeout   time.Duration // bound of the whole run
	QPS       int           // client QPS and burst: as many requests as the measurement sends at once
	Namespace string        // namespace of the measured pods
	Account   string        // their ServiceAccount, created in Namespace
}

// Env is what a measurement works with.
type Env struct {
	Stack *stack.Stack
	Kube  kubernetes.Interface
	Logf  func(format string, a ...any)
}

// Run sets the stack up as Options say and calls measure.
func Run(ctx context.Context, repoRoot string, log io.Writer, o Options, measure func(context.Context, Env) error) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("the %s measurement needs root: it runs the local cluster", o.Name)
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	logf := func(format string, a ...any) { fmt.Fprintf(log, o.Name+": "+format+"\n", a...) }
	return stack.RunTemporary(ctx, repoRoot, o.Name+"-", log, func(s *stack.Stack) error {
		if err := s.EnableKubernetesAuth(ctx, AuthMount); err != nil {
			return err
		}
		if err := s.InstallModule(ctx, stack.ModuleOptions{AuthMount: AuthMount, RotationInterval: 2 * time.Minute}); err != nil {
			return fmt.Errorf("install the module: %w", err)
		}
		cfg, err := stack.RESTConfig(s.Env.Kubeconfig)
		if err != nil {
			return err
		}
		if o.QPS <= 0 {
			return errors.New("benchstack: QPS must be positive")
		}
		cfg.QPS, cfg.Burst = float32(o.QPS), o.QPS
		kube, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return err
		}
		if err := stack.EnsureServiceAccount(ctx, kube, o.Namespace, o.Account); err != nil {
			return err
		}
		return measure(ctx, Env{Stack: s, Kube: kube, Logf: logf})
	})
}
