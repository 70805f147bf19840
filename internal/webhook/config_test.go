// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"strings"
	"testing"
)

func validConfig() Config {
	return Config{
		Listen:         ":9443",
		MetricsListen:  ":9090",
		CertFile:       "/tls/tls.crt",
		KeyFile:        "/tls/tls.key",
		StoreAddr:      "https://stronghold.d8-stronghold.svc:8300",
		StoreAuthPath:  "kubernetes_local",
		InjectorImage:  "registry.example.com/injector:v1",
		TokenAudience:  "stronghold",
		RegistryCAFile: "/ca/registry.pem",
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want []string // parts of the error; none for a valid config
	}{
		{name: "valid", edit: func(*Config) {}},
		{name: "no store address", edit: func(c *Config) { c.StoreAddr = "" }},
		{name: "metrics on the main listener only", edit: func(c *Config) { c.MetricsListen = "" }},
		{name: "listen without port", edit: func(c *Config) { c.Listen = "9443" }, want: []string{`listen "9443": want host:port`}},
		{name: "same listeners", edit: func(c *Config) { c.MetricsListen = c.Listen }, want: []string{"must differ"}},
		{name: "health listener", edit: func(c *Config) { c.HealthListen = ":9080" }},
		{name: "health on the metrics listener", edit: func(c *Config) { c.HealthListen = c.MetricsListen }, want: []string{"health-listen must differ"}},
		{name: "no key", edit: func(c *Config) { c.KeyFile = "" }, want: []string{"tls-cert-file and tls-key-file are required"}},
		{name: "no injector image", edit: func(c *Config) { c.InjectorImage = "" }, want: []string{"injector image is empty"}},
		{name: "bad store address", edit: func(c *Config) { c.StoreAddr = "stronghold:8200" }, want: []string{"store address"}},
		{
			name: "insecure registry with a scheme", edit: func(c *Config) { c.InsecureRegistries = []string{"http://reg.local"} },
			want: []string{`insecure registry "http://reg.local"`},
		},
		{name: "negative shutdown timeout", edit: func(c *Config) { c.ShutdownTimeout = -1 }, want: []string{"must not be negative"}},
		{
			name: "negative registry limits", edit: func(c *Config) { c.RegistryMaxConcurrentLookups, c.RegistryMaxImagesPerPod = -1, -1 },
			want: []string{"registry-max-concurrent-lookups and registry-max-images-per-pod must not be negative"},
		},
		{
			name: "all problems at once", edit: func(c *Config) { c.Listen, c.CertFile, c.InjectorImage = "", "", "" },
			want: []string{"listen", "tls-cert-file", "injector image"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.edit(&c)
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Errorf("got %v, want no error", err)
				}
				return
			}
			if err == nil {
				t.Fatal("got no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
		})
	}
}
