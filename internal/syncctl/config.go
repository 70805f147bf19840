// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncctl

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/ssi"
	"github.com/deckhouse/secrets-store-integration/internal/store"
	"github.com/deckhouse/secrets-store-integration/internal/storeconn"
)

// Defaults of the flags.
const (
	DefaultMetricsListen   = ":9091"
	DefaultRefreshInterval = 2 * time.Minute
	DefaultLeaseName       = "secrets-store-integration-sync-controller"
	DefaultHMACKeySecret   = "secrets-store-integration-sync-hmac"
	DefaultWorkers         = 16
	// tokenLifetime is the lifetime asked for the ServiceAccount tokens used
	// for logins: the API server's minimum.
	tokenLifetime = 10 * time.Minute
)

// Config is the controller's configuration.
type Config struct {
	MetricsListen string // /metrics, /healthz and /readyz
	HealthListen  string // /healthz and /readyz alone; "" for none
	LogLevel      slog.Level
	Kubeconfig    string // empty: in-cluster configuration

	// Store holds the module's connection settings; a SecretsStoreSync
	// overrides them field by field.
	Store storeconn.Defaults
	// TokenAudience is the audience of the ServiceAccount tokens for a
	// resource without spec.audience; "" is the API server's.
	TokenAudience string
	// AdditionalTokenAudiences are the other audiences spec.audience may ask for.
	AdditionalTokenAudiences []string
	// RefreshInterval is how often a resource without spec.refreshInterval
	// is read again (the module's rotationInterval).
	RefreshInterval time.Duration

	// Namespace is the controller's own namespace: its Lease and the Secret
	// of its HMAC key live there.
	Namespace     string
	LeaseName     string
	HMACKeySecret string
	// Identity names this replica in the Lease (the pod name).
	Identity string
	Workers  int
}

// ParseFlags reads the command line.
func ParseFlags(args []string, out io.Writer) (Config, error) {
	var c Config
	var logLevel, audiences string
	fs := flag.NewFlagSet("sync-controller", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.MetricsListen, "metrics-listen", DefaultMetricsListen, "address of /metrics, /healthz and /readyz")
	fs.StringVar(&c.HealthListen, "health-listen", "", `address of /healthz and /readyz alone, for probes when metrics-listen is local ("" for none)`)
	fs.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&c.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: in-cluster configuration)")
	fs.StringVar(&c.Store.Address, "store-addr", "", "store address, such as https://stronghold.example:8200")
	fs.StringVar(&c.Store.AuthPath, "store-auth-path", "kubernetes_local", "path of the Kubernetes auth method in the store, without auth/")
	fs.StringVar(&c.Store.Namespace, "store-namespace", "", "store namespace (X-Vault-Namespace)")
	fs.StringVar(&c.Store.CAFile, "store-ca-file", "", "PEM file with the CA of the store (default: the system CA bundle)")
	fs.DurationVar(&c.Store.Timeout, "store-timeout", store.DefaultTimeout, "timeout of each store request")
	fs.StringVar(&c.TokenAudience, "token-audience", "", "audience of the ServiceAccount tokens for resources without spec.audience (empty: the API server's)")
	fs.StringVar(&audiences, "additional-token-audiences", "", "comma-separated further audiences spec.audience may ask for")
	fs.DurationVar(&c.RefreshInterval, "refresh-interval", DefaultRefreshInterval, "how often a resource without spec.refreshInterval is read again")
	fs.StringVar(&c.Namespace, "leader-election-namespace", "d8-secrets-store-integration", "namespace of the Lease and of the HMAC key Secret")
	fs.StringVar(&c.LeaseName, "leader-election-id", DefaultLeaseName, "name of the Lease")
	fs.StringVar(&c.HMACKeySecret, "hmac-key-secret", DefaultHMACKeySecret, "name of the Secret holding the key of status.dataHMAC")
	fs.StringVar(&c.Identity, "identity", "", "name of this replica in the Lease (default: the host name)")
	fs.IntVar(&c.Workers, "workers", DefaultWorkers, "resources reconciled at once")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := c.LogLevel.UnmarshalText([]byte(logLevel)); err != nil {
		return c, fmt.Errorf("--log-level %q: use debug, info, warn or error", logLevel)
	}
	for _, a := range strings.Split(audiences, ",") {
		if a = strings.TrimSpace(a); a != "" && !slices.Contains(c.AdditionalTokenAudiences, a) {
			c.AdditionalTokenAudiences = append(c.AdditionalTokenAudiences, a)
		}
	}
	return c, c.Validate()
}

// Validate reports a configuration the controller cannot run with.
func (c Config) Validate() error {
	var errs []error
	check := func(bad bool, format string, args ...any) {
		if bad {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	// The module's schema keeps rotationInterval at 30s or more; shorter
	// ones are for tests.
	check(c.RefreshInterval < time.Second || c.RefreshInterval > MaxRefresh,
		"--refresh-interval %s: use a duration from 1s to %s", c.RefreshInterval, MaxRefresh)
	check(c.Namespace == "", "--leader-election-namespace is empty")
	check(c.LeaseName == "", "--leader-election-id is empty")
	check(c.HMACKeySecret == "", "--hmac-key-secret is empty")
	check(c.Workers < 1 || c.Workers > 64, "--workers %d: use 1 to 64", c.Workers)
	check(c.Store.Timeout <= 0, "--store-timeout %s: use a positive duration", c.Store.Timeout)
	for _, a := range append([]string{c.TokenAudience}, c.AdditionalTokenAudiences...) {
		if a != "" {
			if err := ssi.ValidateAudience(a); err != nil {
				errs = append(errs, fmt.Errorf("token audience %q: %w", a, err))
			}
		}
	}
	return errors.Join(errs...)
}

// audienceAllowed reports whether spec.audience may be used: the module's
// tokenAudience or one of additionalTokenAudiences.
func (c Config) audienceAllowed(aud string) bool {
	return aud == c.TokenAudience || slices.Contains(c.AdditionalTokenAudiences, aud)
}
