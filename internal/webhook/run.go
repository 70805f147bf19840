// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"context"
	"fmt"
	"log/slog"

	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/deckhouse/secrets-store-integration/internal/admission"
	"github.com/deckhouse/secrets-store-integration/internal/kubeconfig"
	"github.com/deckhouse/secrets-store-integration/internal/podmutate"
	"github.com/deckhouse/secrets-store-integration/internal/registry"
)

// API client limits. The webhook reads one Secret per pull secret of a pod
// without a command; client-go's defaults (5 QPS) would queue a burst.
const (
	apiQPS   = 50
	apiBurst = 100
)

// Run assembles the webhook from cfg and serves until ctx ends.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	storeCA, err := readPEM("store-ca-file", cfg.StoreCAFile)
	if err != nil {
		return err
	}
	defaults := cfg.defaults(storeCA)
	if err := defaults.Validate(); err != nil {
		return err
	}
	trust, err := loadTrust(cfg)
	if err != nil {
		return err
	}
	secrets, err := secretsClient(cfg.Kubeconfig)
	if err != nil {
		return err
	}
	m := NewMetrics()
	images, err := registry.New(registry.SecretsFrom(secrets), registry.Config{
		Trust:                trust,
		MaxConcurrentLookups: cfg.RegistryMaxConcurrentLookups,
	}, registry.WithObserver(m))
	if err != nil {
		return err
	}
	mutator := &podmutate.Mutator{Defaults: defaults, Images: images, MaxImages: cfg.RegistryMaxImagesPerPod}
	srv, err := NewServer(ctx, cfg, admission.NewHandler(mutator, log, admission.WithObserver(m)), m, log)
	if err != nil {
		return err
	}
	return srv.Run(ctx)
}

// secretsClient reads Secrets with the in-cluster configuration, or with
// kubeconfig when given.
func secretsClient(path string) (corev1client.SecretsGetter, error) {
	rc, err := kubeconfig.Load(path, "secrets-store-webhook")
	if err != nil {
		return nil, err
	}
	rc.QPS, rc.Burst = apiQPS, apiBurst
	c, err := corev1client.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return c, nil
}
