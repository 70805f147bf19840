// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/deckhouse/secrets-store-integration/internal/podmutate"
)

// Defaults of the settings that are not flags.
const (
	DefaultCertReloadInterval = 5 * time.Second
	DefaultShutdownTimeout    = 10 * time.Second
)

// Config is the webhook program's configuration, from its flags. The
// store settings are the module-wide defaults of injection; a pod's
// annotations override them (see podmutate).
type Config struct {
	Listen        string // HTTPS address, e.g. ":9443"
	MetricsListen string // plain-HTTP address for /metrics and /healthz; "" serves them on Listen only
	HealthListen  string // plain-HTTP address for /healthz alone (kubelet's probes); "" for none
	CertFile      string // PEM serving certificate (chain), reloaded when it changes
	KeyFile       string // PEM private key of CertFile

	StoreAddr      string // store URL; "" when the module has none (pods must set the addr annotation)
	StoreAuthPath  string // Kubernetes auth mount
	StoreNamespace string // store namespace, "" = root
	StoreCAFile    string // PEM of the module-wide store CA, read at start; "" = system pool
	InjectorImage  string // image holding the injector binary
	// InjectorDelivery is how the injector reaches a pod by default.
	InjectorDelivery podmutate.Delivery
	// EnvDelivery is who sets a pod's environment by default.
	EnvDelivery   podmutate.EnvDelivery
	CSIDriver     string // name of the module's CSI driver
	TokenAudience string // audience of the projected token for the store; "" = the API server's default

	// RegistryConfigFile is the registry trust document (registry.Trust as
	// JSON: CAs, insecure registries, mirrors), rendered from the module
	// settings registry.*; read at start. RegistryCAFile and
	// InsecureRegistries are added to what it says.
	RegistryConfigFile string
	RegistryCAFile     string   // PEM of extra CAs trusted for image registries
	InsecureRegistries []string // registry hosts allowed plain http / unverified TLS
	// RegistryMaxConcurrentLookups bounds the registry lookups in progress
	// in the process (0 = registry.DefaultMaxConcurrentLookups).
	RegistryMaxConcurrentLookups int
	// RegistryMaxImagesPerPod bounds the distinct images looked up for one
	// pod (0 = podmutate.DefaultMaxImages).
	RegistryMaxImagesPerPod int

	LogLevel   slog.Level
	Kubeconfig string // "" = in-cluster configuration

	CertReloadInterval time.Duration // 0 = DefaultCertReloadInterval
	ShutdownTimeout    time.Duration // 0 = DefaultShutdownTimeout
}

func (c Config) withDefaults() Config {
	if c.CertReloadInterval == 0 {
		c.CertReloadInterval = DefaultCertReloadInterval
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	return c
}

// Validate reports every setting the webhook cannot start with. It does no
// I/O: files are read by Run.
func (c Config) Validate() error {
	var errs []error
	if err := checkAddr("listen", c.Listen); err != nil {
		errs = append(errs, err)
	}
	if c.MetricsListen != "" {
		if err := checkAddr("metrics-listen", c.MetricsListen); err != nil {
			errs = append(errs, err)
		} else if c.MetricsListen == c.Listen && !strings.HasSuffix(c.Listen, ":0") {
			errs = append(errs, errors.New("metrics-listen must differ from listen"))
		}
	}
	if c.HealthListen != "" {
		if err := checkAddr("health-listen", c.HealthListen); err != nil {
			errs = append(errs, err)
		} else if (c.HealthListen == c.Listen || c.HealthListen == c.MetricsListen) && !strings.HasSuffix(c.HealthListen, ":0") {
			errs = append(errs, errors.New("health-listen must differ from listen and metrics-listen"))
		}
	}
	if c.CertFile == "" || c.KeyFile == "" {
		errs = append(errs, errors.New("tls-cert-file and tls-key-file are required"))
	}
	for _, h := range c.InsecureRegistries {
		if h == "" || strings.ContainsAny(h, "/ ") {
			errs = append(errs, fmt.Errorf("insecure registry %q: want host or host:port", h))
		}
	}
	if c.CertReloadInterval < 0 || c.ShutdownTimeout < 0 {
		errs = append(errs, errors.New("certificate reload interval and shutdown timeout must not be negative"))
	}
	if c.RegistryMaxConcurrentLookups < 0 || c.RegistryMaxImagesPerPod < 0 {
		errs = append(errs, errors.New("registry-max-concurrent-lookups and registry-max-images-per-pod must not be negative"))
	}
	if err := c.defaults(nil).Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func checkAddr(flag, addr string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("%s %q: want host:port: %w", flag, addr, err)
	}
	return nil
}

// defaults are the injection defaults with the store CA given.
func (c Config) defaults(storeCA []byte) podmutate.Defaults {
	return podmutate.Defaults{
		Addr:               c.StoreAddr,
		AuthPath:           c.StoreAuthPath,
		Namespace:          c.StoreNamespace,
		CACert:             string(storeCA),
		Delivery:           c.InjectorDelivery,
		EnvDelivery:        c.EnvDelivery,
		CSIDriver:          c.CSIDriver,
		InjectorImage:      c.InjectorImage,
		InjectorPullPolicy: corev1.PullIfNotPresent,
		// The init container only copies one static binary into a
		// memory-backed emptyDir; the copy is charged to its memory.
		InitResources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("10m"),
				corev1.ResourceMemory: resource.MustParse("16Mi"),
			},
			Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
		},
		TokenAudience: c.TokenAudience,
	}
}

// readPEM reads an optional PEM file; "" yields nil.
func readPEM(what, path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path) //nolint:gosec // G304: the path is the operator's own flag
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	return b, nil
}
