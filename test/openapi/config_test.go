// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package openapi_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// A real CA certificate in PEM, as a JSON string.
const pemJSON = `"-----BEGIN CERTIFICATE-----\nMIIBizCCATGgAwIBAgIUFISJv+BRAvvDk9QicFVjORSI5FgwCgYIKoZIzj0EAwIw\nGzEZMBcGA1UEAwwQZXhhbXBsZS1zdG9yZS1jYTAeFw0yNjExMjMxODM5NTZaFw0z\nNjExMjAxODM5NTZaMBsxGTAXBgNVBAMMEGV4YW1wbGUtc3RvcmUtY2EwWTATBgcq\nhkjOPQIBBggqhkjOPQMBBwNCAATWJvZ+c29H9dsNmaBaRxy3VGqEA9DDSCtcU3l2\njiufVsVP3mJq9srubnB4wgx25xOy3tL2ku+u/mtULfChp7vjo1MwUTAdBgNVHQ4E\nFgQUH4RPjA/DQhcbvzUouknLl0prM0kwHwYDVR0jBBgwFoAUH4RPjA/DQhcbvzUo\nuknLl0prM0kwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEAotib\nyqAHGp7/tW6YhHXKJu4hZOoQRRGLcL+tVX74prkCID+EXF24bqTpdIdYH8GtwOTX\nhNaN3AKP8i23/3wUUGwM\n-----END CERTIFICATE-----\n"`

// validateSettings applies the defaults to the settings and validates them
// against config-values.yaml, CEL rules included.
func validateSettings(t *testing.T, settings any) []string {
	t.Helper()
	s := configSchema(t)
	applyDefaults(settings, s)
	return validateValues(t, s, settings, "x-deckhouse-validations", "expression")
}

func TestGoodSettings(t *testing.T) {
	tests := map[string]string{
		"empty: discover by default":      `{}`,
		"discover explicitly":             `{"connectionConfiguration": "DiscoverLocalStronghold"}`,
		"discover with overrides":         `{"connection": {"authPath": "kubernetes_custom", "caCert": ` + pemJSON + `, "namespace": "team-a/prod"}}`,
		"manual with url only":            `{"connectionConfiguration": "Manual", "connection": {"url": "https://vault.example.com"}}`,
		"manual with url authPath ca":     `{"connectionConfiguration": "Manual", "connection": {"url": "https://stronghold.mycompany.tld:8200", "authPath": "main-kube", "caCert": ` + pemJSON + `}}`,
		"manual with ip and namespace":    `{"connectionConfiguration": "Manual", "connection": {"url": "https://10.0.0.5:8200/", "authPath": "clusters/prod-1", "namespace": "team-a"}}`,
		"manual with ipv6":                `{"connectionConfiguration": "Manual", "connection": {"url": "https://[fd00::5]:8200"}}`,
		"rotation interval 90s":           `{"rotationInterval": "90s"}`,
		"rotation interval 30s minimum":   `{"rotationInterval": "30s"}`,
		"rotation interval 1h30m":         `{"rotationInterval": "1h30m"}`,
		"webhook replicas 3":              `{"webhook": {"replicas": 3}}`,
		"injector from an init container": `{"webhook": {"injectorDelivery": "InitContainer"}}`,
		"csi driver placement":            `{"csiDriver": {"nodeSelector": {"node-role.kubernetes.io/worker": ""}, "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "secrets", "effect": "NoSchedule"}, {"operator": "Exists"}]}}`,
		"log level debug":                 `{"logLevel": "Debug"}`,
		"volume size 16Mi":                `{"csiDriver": {"volumeSize": "16Mi"}}`,
		"volume size 64Mi maximum":        `{"csiDriver": {"volumeSize": "64Mi"}}`,
	}
	for name, settings := range tests {
		t.Run(name, func(t *testing.T) {
			if errs := validateSettings(t, fromJSON(t, settings)); len(errs) != 0 {
				t.Errorf("rejected:\n%s", strings.Join(errs, "\n"))
			}
		})
	}
}

// Every x-examples entry of the schema, shown on the documentation site, is valid.
func TestSchemaExamples(t *testing.T) {
	examples, ok := configSchema(t).Extensions["x-examples"].([]any)
	if !ok || len(examples) == 0 {
		t.Fatal("config-values.yaml has no x-examples")
	}
	for i, ex := range examples {
		if errs := validateSettings(t, deepCopy(ex)); len(errs) != 0 {
			t.Errorf("x-examples[%d] %v rejected:\n%s", i, ex, strings.Join(errs, "\n"))
		}
	}
}

func TestBadSettings(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		want     []string // each must appear in some error
	}{
		{
			name:     "manual without connection",
			settings: `{"connectionConfiguration": "Manual"}`,
			want:     []string{"oneOf", "connectionConfiguration is Manual: set connection.url"},
		},
		{
			name:     "manual without url",
			settings: `{"connectionConfiguration": "Manual", "connection": {"authPath": "main-kube"}}`,
			want:     []string{"oneOf", "connectionConfiguration is Manual: set connection.url"},
		},
		{
			name:     "discover by default with url",
			settings: `{"connection": {"url": "https://vault.example.com"}}`,
			want:     []string{"oneOf", "connection.url is only allowed with connectionConfiguration: Manual"},
		},
		{
			name:     "discover explicitly with url",
			settings: `{"connectionConfiguration": "DiscoverLocalStronghold", "connection": {"url": "https://vault.example.com"}}`,
			want:     []string{"oneOf", "connection.url is only allowed with connectionConfiguration: Manual"},
		},
		{
			name:     "url with http",
			settings: `{"connectionConfiguration": "Manual", "connection": {"url": "http://vault.example.com"}}`,
			want:     []string{"connection.url in body should match"},
		},
		{
			name:     "url with a path",
			settings: `{"connectionConfiguration": "Manual", "connection": {"url": "https://vault.example.com/v1/secret"}}`,
			want:     []string{"connection.url in body should match"},
		},
		{
			name:     "url with credentials",
			settings: `{"connectionConfiguration": "Manual", "connection": {"url": "https://user:pass@vault.example.com"}}`,
			want:     []string{"connection.url in body should match"},
		},
		{
			name:     "ca not pem",
			settings: `{"connectionConfiguration": "Manual", "connection": {"url": "https://vault.example.com", "caCert": "MIIBizCCATGgAwIBAgIU"}}`,
			want:     []string{"connection.caCert in body should match"},
		},
		{
			name:     "ca is a private key",
			settings: `{"connection": {"caCert": "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n"}}`,
			want:     []string{"connection.caCert in body should match"},
		},
		{
			name:     "authPath with auth prefix slash",
			settings: `{"connection": {"authPath": "/auth/kubernetes"}}`,
			want:     []string{"connection.authPath in body should match"},
		},
		{
			name:     "rotation interval in words",
			settings: `{"rotationInterval": "2 minutes"}`,
			want:     []string{"rotationInterval in body should match"},
		},
		{
			name:     "rotation interval below the minimum",
			settings: `{"rotationInterval": "10s"}`,
			want:     []string{"rotationInterval must be at least 30s"},
		},
		{
			name:     "volume size above the maximum",
			settings: `{"csiDriver": {"volumeSize": "65Mi"}}`,
			want:     []string{"csiDriver.volumeSize must be a whole number of mebibytes from 1Mi to 64Mi"},
		},
		{
			name:     "volume size in gibibytes",
			settings: `{"csiDriver": {"volumeSize": "1Gi"}}`,
			want:     []string{"csiDriver.volumeSize must be a whole number of mebibytes from 1Mi to 64Mi"},
		},
		{
			name:     "volume size without a unit",
			settings: `{"csiDriver": {"volumeSize": "4194304"}}`,
			want:     []string{"csiDriver.volumeSize must be a whole number of mebibytes from 1Mi to 64Mi"},
		},
		{
			name:     "rotation interval as a number",
			settings: `{"rotationInterval": 120}`,
			want:     []string{"rotationInterval in body must be of type string"},
		},
		{
			name:     "webhook replicas 0",
			settings: `{"webhook": {"replicas": 0}}`,
			want:     []string{"webhook.replicas in body should be greater than or equal to 1"},
		},
		{
			name:     "webhook replicas 11",
			settings: `{"webhook": {"replicas": 11}}`,
			want:     []string{"webhook.replicas in body should be less than or equal to 10"},
		},
		{
			name:     "unknown injector delivery",
			settings: `{"webhook": {"injectorDelivery": "Sidecar"}}`,
			want:     []string{"webhook.injectorDelivery in body should be one of"},
		},
		{
			name:     "unknown mode",
			settings: `{"connectionConfiguration": "Auto"}`,
			want:     []string{"connectionConfiguration in body should be one of"},
		},
		{
			name:     "unknown top-level field",
			settings: `{"rotationIntervall": "2m"}`,
			want:     []string{"rotationIntervall in body is a forbidden property"},
		},
		{
			name:     "unknown connection field",
			settings: `{"connectionConfiguration": "Manual", "connection": {"url": "https://vault.example.com", "token": "s.abc"}}`,
			want:     []string{"connection.token in body is a forbidden property"},
		},
		{
			name:     "unknown webhook field",
			settings: `{"webhook": {"replica": 3}}`,
			want:     []string{"webhook.replica in body is a forbidden property"},
		},
		{
			name:     "unknown log level",
			settings: `{"logLevel": "Trace"}`,
			want:     []string{"logLevel in body should be one of"},
		},
		{
			name:     "bad toleration operator",
			settings: `{"csiDriver": {"tolerations": [{"key": "a", "operator": "In"}]}}`,
			want:     []string{"operator in body should be one of"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := validateSettings(t, fromJSON(t, tt.settings))
			if len(errs) == 0 {
				t.Fatalf("accepted %s", tt.settings)
			}
			joined := strings.Join(errs, "\n")
			for _, w := range tt.want {
				if !strings.Contains(joined, w) {
					t.Errorf("errors do not mention %q:\n%s", w, joined)
				}
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	got := fromJSON(t, `{}`)
	applyDefaults(got, configSchema(t))
	want := fromJSON(t, `{
		"connectionConfiguration": "DiscoverLocalStronghold",
		"tokenAudience": "",
		"imageRegistries": {"insecureRegistries": [], "mirrors": []},
		"additionalTokenAudiences": [],
		"rotationInterval": "2m",
		"webhook": {"replicas": 2, "injectorDelivery": "CSIVolume", "envDelivery": "Entrypoint"},
		"csiDriver": {"volumeSize": "4Mi", "nriSocket": ""},
		"synchronization": {"enabled": false, "replicas": 2},
		"logLevel": "Info"
	}`)
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("defaults:\n got %s\nwant %s", g, w)
	}

	// Defaults never add connection settings: in particular no authPath,
	// which would hide kubernetes_local in DiscoverLocalStronghold mode.
	partial := fromJSON(t, `{"connection": {"namespace": "team-a"}, "webhook": {}}`)
	applyDefaults(partial, configSchema(t))
	settings := object(t, partial, "settings")
	conn := settings["connection"]
	if !reflect.DeepEqual(conn, map[string]any{"namespace": "team-a"}) {
		t.Errorf("connection after defaults = %v, want only the namespace", conn)
	}
	if r := object(t, settings["webhook"], "webhook")["replicas"]; r != float64(2) {
		t.Errorf("webhook.replicas default inside a given webhook object = %v, want 2", r)
	}
}

// The oneOf gives the same answer whether or not defaults were applied, so a
// settings object is judged the same by tools that do not apply defaults.
func TestOneOfWithoutDefaults(t *testing.T) {
	tests := map[string]bool{
		`{}`:                                 true,
		`{"connection": {"namespace": "a"}}`: true,
		`{"connection": {"url": "https://vault.example.com"}}`:                                      false,
		`{"connectionConfiguration": "Manual", "connection": {"url": "https://vault.example.com"}}`: true,
		`{"connectionConfiguration": "Manual"}`:                                                     false,
	}
	for settings, valid := range tests {
		s := configSchema(t)
		errs := validateValues(t, s, fromJSON(t, settings), "x-deckhouse-validations", "expression")
		if (len(errs) == 0) != valid {
			t.Errorf("%s without defaults: valid = %v, want %v (%v)", settings, len(errs) == 0, valid, errs)
		}
	}
}
