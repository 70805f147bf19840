// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"flag"
	"log/slog"
	"strings"

	"github.com/deckhouse/secrets-store-integration/internal/podmutate"
	"github.com/deckhouse/secrets-store-integration/internal/registry"
)

// AddFlags binds c to the webhook's command-line flags, with their defaults.
func (c *Config) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Listen, "listen", ":9443", "HTTPS address of /mutate, /healthz and /metrics")
	fs.StringVar(&c.MetricsListen, "metrics-listen", ":9090", `plain-HTTP address of /metrics and /healthz ("" to disable)`)
	fs.StringVar(&c.HealthListen, "health-listen", "", `plain-HTTP address of /healthz alone, for probes when metrics-listen is local ("" for none)`)
	fs.StringVar(&c.CertFile, "tls-cert-file", "", "PEM serving certificate, reloaded when it changes")
	fs.StringVar(&c.KeyFile, "tls-key-file", "", "PEM private key of the serving certificate")
	fs.StringVar(&c.StoreAddr, "store-addr", "", "module-wide store URL, e.g. https://stronghold.example:8200")
	fs.StringVar(&c.StoreAuthPath, "store-auth-path", "kubernetes_local", "Kubernetes auth mount in the store")
	fs.StringVar(&c.StoreNamespace, "store-namespace", "", "store namespace (empty: root)")
	fs.StringVar(&c.StoreCAFile, "store-ca-file", "", "PEM file of the module-wide store CA, read at start (empty: system pool)")
	fs.StringVar(&c.InjectorImage, "injector-image", "", "image holding the injector binary")
	fs.StringVar((*string)(&c.EnvDelivery), "env-delivery", string(podmutate.EnvDeliveryEntrypoint),
		"who sets a pod's environment unless its env-delivery annotation says otherwise: Entrypoint (the injector starts the command) or NRI (the CSI driver's NRI plugin sets it in the container runtime; needs the plugin on every node)")
	fs.StringVar((*string)(&c.InjectorDelivery), "injector-delivery", string(podmutate.DeliveryCSIVolume),
		"how the injector reaches a pod unless its injector-delivery annotation says otherwise: CSIVolume (a read-only volume of the module's CSI driver) or InitContainer (an init container copies it from the injector image)")
	fs.StringVar(&c.CSIDriver, "csi-driver", "secrets-store.csi.deckhouse.io", "name of the module's CSI driver, which serves the injector volume")
	fs.StringVar(&c.TokenAudience, "token-audience", "", "audience of the ServiceAccount token for the store (empty: the API server's)")
	fs.StringVar(&c.RegistryConfigFile, "registry-config", "",
		`JSON file of registry trust: {"ca": PEM, "insecureRegistries": [host[:port]], "mirrors": [{"registry", "endpoints": [{"url", "ca", "skipTLSVerify", "overridePath", "capabilities"}]}]}`)
	fs.StringVar(&c.RegistryCAFile, "registry-ca-file", "", "PEM file of extra CAs trusted for image registries (added to registry-config's)")
	fs.IntVar(&c.RegistryMaxConcurrentLookups, "registry-max-concurrent-lookups", registry.DefaultMaxConcurrentLookups,
		"registry lookups in progress at once in the webhook; a pod waits for a slot as long as its review lasts")
	fs.IntVar(&c.RegistryMaxImagesPerPod, "registry-max-images-per-pod", podmutate.DefaultMaxImages,
		"distinct images looked up for one pod's containers without a command; a pod naming more is refused")
	fs.Func("insecure-registries", "comma-separated registry hosts (host[:port]) allowed plain http or unverified TLS (added to registry-config's)", func(s string) error {
		c.InsecureRegistries = nil
		for _, h := range strings.Split(s, ",") {
			if h = strings.TrimSpace(h); h != "" {
				c.InsecureRegistries = append(c.InsecureRegistries, h)
			}
		}
		return nil
	})
	fs.TextVar(&c.LogLevel, "log-level", slog.LevelInfo, "debug, info, warn or error")
	fs.StringVar(&c.Kubeconfig, "kubeconfig", "", "kubeconfig file (empty: in-cluster configuration)")
}
