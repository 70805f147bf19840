// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/deckhouse/secrets-store-integration/internal/ssi"
	"github.com/deckhouse/secrets-store-integration/internal/store"
	"github.com/deckhouse/secrets-store-integration/internal/storeconn"
)

// Defaults of the flags.
const (
	DefaultDriverName       = "secrets-store.csi.deckhouse.io"
	DefaultEndpoint         = "/csi/csi.sock"
	DefaultKubeletDir       = "/var/lib/kubelet"
	DefaultRotationInterval = 2 * time.Minute
	DefaultTmpfsSize        = 4 << 20
	DefaultHealthListen     = ":9808"
	DefaultStoreAuthPath    = "kubernetes_local"
	DefaultStatusDelay      = 2 * time.Second

	// minTmpfsSize leaves room for at least a few small files twice.
	minTmpfsSize = 64 << 10
)

// Version is the plugin version reported by GetPluginInfo; the build may set
// it with -ldflags "-X". Empty means the module version from the build info.
var Version string

// Config is the configuration of the node plugin program.
type Config struct {
	DriverName string
	Version    string
	// NodeID is the Kubernetes node name, reported by NodeGetInfo.
	NodeID string
	// Endpoint is the path of the unix socket the CSI services listen on.
	Endpoint string
	// RegistrationEndpoint is the same socket as kubelet sees it on the node.
	RegistrationEndpoint string
	// KubeletDir is kubelet's root directory. Target paths must lie under its
	// pods/ directory; empty accepts any absolute target path (tests).
	KubeletDir string
	// StateDir holds one JSON file per published volume.
	StateDir string
	// StagingDir is a directory of the plugin's own where a volume's tmpfs
	// is mounted while its first files are written and where writable
	// views of published volumes exist while they are updated. Nothing
	// under it reaches kubelet or a pod (see Tmpfs).
	StagingDir string
	// RotationInterval is how long files are used before they are read again.
	RotationInterval time.Duration
	// TmpfsSize is the size of each volume's tmpfs, in bytes.
	TmpfsSize int64
	// Store holds the module's connection settings; a SecretsStoreImport
	// overrides them field by field.
	Store StoreDefaults
	// InjectorFile is the injector binary that injector volumes show (see
	// injector.go); "" serves none.
	InjectorFile string
	// NRISocket is the container runtime's NRI socket; set, the plugin runs
	// the NRI plugin (package nriplugin) that serves environment volumes.
	NRISocket string
	// InjectorDir holds the installed injectors, one directory per digest.
	// It must be on the node (a host directory), not in the plugin's
	// container: pods' bind mounts keep using it.
	InjectorDir string
	// TokenAudience is the audience of the ServiceAccount token presented
	// to the store for a SecretsStoreImport without spec.audience (the
	// module's tokenAudience); "" is the API server's audience. The
	// CSIDriver must request a token for it.
	TokenAudience string
	// StatusDelay gathers the status changes of a SecretsStoreImport (pods
	// started and stopped, refresh results) into one write; 0 writes each
	// at once.
	StatusDelay time.Duration

	HealthListen  string
	MetricsListen string // empty: /metrics is served on HealthListen
	LogLevel      slog.Level
	Kubeconfig    string // empty: in-cluster configuration
}

// StoreDefaults are the module-wide store settings.
type StoreDefaults = storeconn.Defaults

// Validate reports a configuration the plugin cannot run with.
func (c Config) Validate() error {
	var errs []error
	check := func(bad bool, format string, args ...any) {
		if bad {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(c.DriverName == "", "driver name is empty")
	check(c.NodeID == "", "node name is empty: set --node-name (from the downward API, spec.nodeName)")
	check(c.Endpoint == "" || !filepath.IsAbs(c.Endpoint), "endpoint %q is not an absolute socket path", c.Endpoint)
	check(c.StateDir == "" || !filepath.IsAbs(c.StateDir), "state directory %q is not an absolute path", c.StateDir)
	check(c.StagingDir == "" || !filepath.IsAbs(c.StagingDir), "staging directory %q is not an absolute path", c.StagingDir)
	check(c.KubeletDir != "" && !filepath.IsAbs(c.KubeletDir), "kubelet directory %q is not an absolute path", c.KubeletDir)
	check(c.NRISocket != "" && !filepath.IsAbs(c.NRISocket), "NRI socket %q is not an absolute path", c.NRISocket)
	check(c.InjectorFile != "" && (c.InjectorDir == "" || !filepath.IsAbs(c.InjectorDir)), "injector directory %q is not an absolute path", c.InjectorDir)
	check(c.RotationInterval < time.Second, "rotation interval %s is shorter than 1s", c.RotationInterval)
	check(c.TmpfsSize < minTmpfsSize, "tmpfs size %d is smaller than %d bytes", c.TmpfsSize, minTmpfsSize)
	check(c.StatusDelay < 0, "status delay %s is negative", c.StatusDelay)
	check(c.Store.Timeout < 0, "store timeout %s is negative", c.Store.Timeout)
	if c.TokenAudience != "" {
		if err := ssi.ValidateAudience(c.TokenAudience); err != nil {
			errs = append(errs, fmt.Errorf("token audience: %w", err))
		}
	}
	if c.Store.Address != "" {
		if err := (store.Config{Address: c.Store.Address}).Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ParseFlags reads the configuration from command-line arguments. Malformed
// values are errors, never silently replaced by defaults. Usage goes to out.
func ParseFlags(args []string, out io.Writer) (Config, error) {
	var c Config
	var tmpfsSize, logLevel, storeCAFile string
	fs := flag.NewFlagSet("csi-driver", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.Endpoint, "endpoint", DefaultEndpoint, "unix socket path of the CSI services (unix:// prefix allowed)")
	fs.StringVar(&c.RegistrationEndpoint, "registration-endpoint", "", "the CSI socket path as kubelet sees it (default <kubelet-dir>/plugins/<driver-name>/csi.sock)")
	fs.StringVar(&c.KubeletDir, "kubelet-dir", DefaultKubeletDir, "kubelet root directory")
	fs.StringVar(&c.DriverName, "driver-name", DefaultDriverName, "CSI driver name")
	fs.StringVar(&c.NodeID, "node-name", "", "name of this node (required)")
	fs.DurationVar(&c.RotationInterval, "rotation-interval", DefaultRotationInterval, "how often mounted files are read from the store again")
	fs.StringVar(&tmpfsSize, "tmpfs-size", "4Mi", "size of each volume's tmpfs (a quantity such as 4Mi)")
	fs.StringVar(&c.StateDir, "state-dir", "", "directory of the per-volume state files (default <kubelet-dir>/plugins/<driver-name>/state)")
	fs.StringVar(&c.StagingDir, "staging-dir", "", "private directory where volumes are prepared and updated (default <kubelet-dir>/plugins/<driver-name>/staging)")
	fs.StringVar(&c.InjectorFile, "injector-file", "", "injector binary to serve in injector volumes (empty: such volumes fail)")
	fs.StringVar(&c.NRISocket, "nri-socket", "", "the container runtime's NRI socket, such as /var/run/nri/nri.sock (empty: no NRI plugin, environment volumes fail)")
	fs.StringVar(&c.InjectorDir, "injector-dir", "", "node directory where the injector is installed (default <kubelet-dir>/plugins/<driver-name>/injector)")
	fs.StringVar(&c.TokenAudience, "token-audience", "", "audience of the ServiceAccount token for SecretsStoreImports without spec.audience (empty: the API server's); the CSIDriver must request it")
	fs.DurationVar(&c.StatusDelay, "status-delay", DefaultStatusDelay, "how long status changes of a SecretsStoreImport are gathered before one status write")
	fs.StringVar(&c.Store.Address, "store-addr", "", "store address, such as https://stronghold.example:8200")
	fs.StringVar(&c.Store.AuthPath, "store-auth-path", DefaultStoreAuthPath, "path of the Kubernetes auth method in the store, without auth/")
	fs.StringVar(&c.Store.Namespace, "store-namespace", "", "store namespace (X-Vault-Namespace)")
	fs.StringVar(&storeCAFile, "store-ca-file", "", "PEM file with the CA of the store (default: the system CA bundle)")
	fs.DurationVar(&c.Store.Timeout, "store-timeout", store.DefaultTimeout, "timeout of each store request")
	fs.StringVar(&c.HealthListen, "health-listen", DefaultHealthListen, "address of the /healthz endpoint")
	fs.StringVar(&c.MetricsListen, "metrics-listen", "", "address of the /metrics endpoint (default: the health address)")
	fs.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&c.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: in-cluster configuration)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	c.Store.CAFile = storeCAFile
	c.Endpoint = strings.TrimPrefix(c.Endpoint, "unix://")
	q, err := resource.ParseQuantity(tmpfsSize)
	if err != nil {
		return c, fmt.Errorf("--tmpfs-size %q: %w", tmpfsSize, err)
	}
	c.TmpfsSize = q.Value()
	if err := c.LogLevel.UnmarshalText([]byte(logLevel)); err != nil {
		return c, fmt.Errorf("--log-level %q: use debug, info, warn or error", logLevel)
	}
	pluginDir := filepath.Join(c.KubeletDir, "plugins", c.DriverName)
	if c.RegistrationEndpoint == "" {
		c.RegistrationEndpoint = filepath.Join(pluginDir, "csi.sock")
	}
	if c.StateDir == "" {
		c.StateDir = filepath.Join(pluginDir, "state")
	}
	if c.StagingDir == "" {
		c.StagingDir = filepath.Join(pluginDir, "staging")
	}
	if c.InjectorDir == "" {
		c.InjectorDir = filepath.Join(pluginDir, "injector")
	}
	c.Version = pluginVersion()
	return c, c.Validate()
}

func pluginVersion() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return strings.TrimPrefix(bi.Main.Version, "v")
	}
	return "0.0.0-dev"
}
