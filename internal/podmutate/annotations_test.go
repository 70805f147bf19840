// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package podmutate

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/secretref"
)

func TestParseAnnotationsDefaults(t *testing.T) {
	d := testDefaults()
	d.Namespace, d.CACert = "module-ns", testCA
	got, err := ParseAnnotations(map[string]string{RoleAnnotation: "r", "example.com/x": "y"}, d)
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{
		Addr: d.Addr, CACert: testCA, AuthPath: d.AuthPath, Namespace: "module-ns", Role: "r",
		ClientTimeout: 10 * time.Second, LogLevel: "info", RestartOn: "none", PollInterval: 120 * time.Second,
		Delivery: DeliveryInitContainer, EnvDelivery: EnvDeliveryEntrypoint,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestParseAnnotationsValid(t *testing.T) {
	for _, tc := range []struct {
		annotation, value string
		check             func(Settings) bool
	}{
		{AddrAnnotation, "http://127.0.0.1:8200", func(s Settings) bool { return s.Addr == "http://127.0.0.1:8200" }},
		{AddrAnnotation, "https://[::1]:8200/", func(s Settings) bool { return s.Addr == "https://[::1]:8200/" }},
		{TLSSecretAnnotation, "ca.v1", func(s Settings) bool { return s.TLSSecret == "ca.v1" && s.CACert == "" }},
		{TLSSkipVerifyAnnotation, "true", func(s Settings) bool { return s.TLSSkipVerify }},
		{AuthPathAnnotation, "/auth/k8s/", func(s Settings) bool { return s.AuthPath == "k8s" }},
		{AuthPathAnnotation, "clusters/a", func(s Settings) bool { return s.AuthPath == "clusters/a" }},
		{NamespaceAnnotation, "a/b/", func(s Settings) bool { return s.Namespace == "a/b/" }},
		{RoleAnnotation, "_", func(s Settings) bool { return s.Role == "_" }},
		{EnvFromPathAnnotation, "a,b,a", func(s Settings) bool {
			return reflect.DeepEqual(s.EnvFromPath, []secretref.PathVersion{{Path: "b"}, {Path: "a"}})
		}},
		{EnvFromPathAnnotation, "a#3,b", func(s Settings) bool {
			return reflect.DeepEqual(s.EnvFromPath, []secretref.PathVersion{{Path: "a", Version: 3}, {Path: "b"}})
		}},
		{IgnoreMissingSecretsAnnotation, "true", func(s Settings) bool { return s.IgnoreMissingSecrets }},
		{ClientTimeoutAnnotation, "5m", func(s Settings) bool { return s.ClientTimeout == 5*time.Minute }},
		{ClientTimeoutAnnotation, "250ms", func(s Settings) bool { return s.ClientTimeout == 250*time.Millisecond }},
		{MutateProbesAnnotation, "true", func(s Settings) bool { return s.MutateProbes }},
		{LogLevelAnnotation, "warn", func(s Settings) bool { return s.LogLevel == "warn" }},
		{EnableJSONLogAnnotation, "true", func(s Settings) bool { return s.JSONLog }},
		{SkipMutateContainersAnnotation, " a\tb\nc ", func(s Settings) bool { return reflect.DeepEqual(s.SkipMutateContainers, []string{"a", "b", "c"}) }},
		// An empty value means the default.
		{ClientTimeoutAnnotation, "", func(s Settings) bool { return s.ClientTimeout == DefaultClientTimeout }},
		{TLSSkipVerifyAnnotation, "false", func(s Settings) bool { return !s.TLSSkipVerify }},
	} {
		t.Run(tc.annotation+"="+tc.value, func(t *testing.T) {
			a := map[string]string{RoleAnnotation: "r", tc.annotation: tc.value}
			if tc.annotation == RoleAnnotation {
				a = map[string]string{RoleAnnotation: tc.value}
			}
			s, err := ParseAnnotations(a, testDefaults())
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if !tc.check(s) {
				t.Errorf("got %+v, which fails the check", s)
			}
		})
	}
}

// TestParseAnnotationsInvalid holds one line per way an annotation can be
// wrong, with the whole message a user reads.
func TestParseAnnotationsInvalid(t *testing.T) {
	const (
		pfx   = "annotation secrets-store.deckhouse.io/"
		bools = `: use "true" or "false" (also accepted: 1, t, T, TRUE, True, 0, f, F, FALSE, False)`
	)
	for _, tc := range []struct{ annotation, value, want string }{
		{AddrAnnotation, "stronghold:8200", pfx + `addr: "stronghold:8200" is not an http or https URL: ` + hintAddr},
		{AddrAnnotation, "ftp://h", pfx + `addr: "ftp://h" is not an http or https URL: ` + hintAddr},
		{AddrAnnotation, "https://", pfx + `addr: "https://" has no host: ` + hintAddr},
		{AddrAnnotation, "https://u:p@h", pfx + `addr: "https://u:xxxxx@h" contains user info, which is not allowed: ` + hintAddr},
		{AddrAnnotation, "https://h?x=1", pfx + `addr: "https://h?x=1" has a query or fragment, which is not allowed: ` + hintAddr},
		{AddrAnnotation, "https://h#f", pfx + `addr: "https://h#f" has a query or fragment, which is not allowed: ` + hintAddr},
		{AddrAnnotation, "https://h /", pfx + `addr: "https://h /" contains whitespace: ` + hintAddr},
		{AddrAnnotation, "https://h:port", pfx + `addr: "https://h:port" is not a URL: ` + hintAddr},
		{TLSSecretAnnotation, "Stronghold_CA", pfx + `tls-secret: "Stronghold_CA" is not a valid Secret name: ` + hintSecret},
		{TLSSkipVerifyAnnotation, "yes", pfx + `tls-skip-verify: "yes" is not a boolean` + bools},
		{TLSSkipVerifyAnnotation, "ture", pfx + `tls-skip-verify: "ture" is not a boolean` + bools},
		{IgnoreMissingSecretsAnnotation, "2", pfx + `ignore-missing-secrets: "2" is not a boolean` + bools},
		{MutateProbesAnnotation, "on", pfx + `mutate-probes: "on" is not a boolean` + bools},
		{ServiceAccountTokenPathAnnotation, "token", pfx + `service-account-token-path: "token" is not an absolute path: ` + hintTokenPath},
		{ServiceAccountTokenPathAnnotation, "/var/run/../token", pfx + `service-account-token-path: "/var/run/../token" is not a clean file path (no "..", ".", "//" or trailing "/"): ` + hintTokenPath},
		{ServiceAccountTokenPathAnnotation, "/", pfx + `service-account-token-path: "/" is not a clean file path (no "..", ".", "//" or trailing "/"): ` + hintTokenPath},
		{RestartOnSecretChangeAnnotation, "always", pfx + `restart-on-secret-change: "always" is not a restart mode: ` + hintRestartOn},
		{RestartOnSecretChangeAnnotation, "Watch-For-Data", pfx + `restart-on-secret-change: "Watch-For-Data" is not a restart mode: ` + hintRestartOn},
		{SecretPollIntervalAnnotation, "120", pfx + `secret-poll-interval: "120" is not a duration: ` + hintPoll},
		{SecretPollIntervalAnnotation, "1s", pfx + `secret-poll-interval: "1s" is shorter than the minimum of 5s (each poll reads every path of the container from the store): ` + hintPoll},
		{SecretPollIntervalAnnotation, "48h", pfx + `secret-poll-interval: "48h" is longer than the maximum of 24h0m0s: ` + hintPoll},
		{EnvInjectorPullPolicyAnnotation, "always", pfx + `env-injector-pull-policy: "always" is not an image pull policy: ` + hintPull},
		{InjectorDeliveryAnnotation, "csi", pfx + `injector-delivery: "csi" is not a way of delivering the injector: ` + hintDelivery},
		{InjectorDeliveryAnnotation, "initContainer", pfx + `injector-delivery: "initContainer" is not a way of delivering the injector: ` + hintDelivery},
		{EnableJSONLogAnnotation, " true", pfx + `enable-json-log: " true" is not a boolean` + bools},
		{AuthPathAnnotation, "auth/", pfx + `auth-path: "auth/" is not a valid auth path: empty path: ` + hintAuthPath},
		{AuthPathAnnotation, "k8s//x", pfx + `auth-path: "k8s//x" is not a valid auth path: path contains "//" at byte 3: ` + hintAuthPath},
		{NamespaceAnnotation, "team a", pfx + `namespace: "team a" is not a valid store namespace: path contains ' ' at byte 4 (whitespace, control characters, "#", "?", "%", "\", "," are not allowed): ` + hintNamespace},
		{RoleAnnotation, "my role", pfx + `role: "my role" is not a valid role name: ` + hintRole},
		{RoleAnnotation, "-role", pfx + `role: "-role" is not a valid role name: ` + hintRole},
		{EnvFromPathAnnotation, "a,,b", pfx + `env-from-path: "a,,b" is not a valid path list: element 2 is empty at byte 2: ` + hintPaths},
		{EnvFromPathAnnotation, "kv/data/x#k", pfx + `env-from-path: "kv/data/x#k" is not a valid path list: element 1: version must be a decimal integer from 1 to 2147483647 without sign or leading zeros at byte 10: ` + hintPaths},
		{ClientTimeoutAnnotation, "ten", pfx + `client-timeout: "ten" is not a duration: use a Go duration such as 10s or 1m`},
		{ClientTimeoutAnnotation, "10", pfx + `client-timeout: "10" is not a duration: ` + hintTimeout},
		{ClientTimeoutAnnotation, "0s", pfx + `client-timeout: "0s" is not positive: ` + hintTimeout},
		{ClientTimeoutAnnotation, "-1s", pfx + `client-timeout: "-1s" is not positive: ` + hintTimeout},
		{ClientTimeoutAnnotation, "5m1s", pfx + `client-timeout: "5m1s" is longer than the maximum of 5m0s: ` + hintTimeout},
		{LogLevelAnnotation, "warning", pfx + `log-level: "warning" is not a log level: use one of debug, info, warn, error`},
		{LogLevelAnnotation, "INFO", pfx + `log-level: "INFO" is not a log level: ` + hintLogLevel},
		{SkipMutateContainersAnnotation, "a,b", pfx + `skip-mutate-containers: "a,b" contains "a,b", which is not a container name: ` + hintSkip},
		{SkipMutateContainersAnnotation, "ok Bad", pfx + `skip-mutate-containers: "ok Bad" contains "Bad", which is not a container name: ` + hintSkip},
	} {
		t.Run(tc.annotation+"="+tc.value, func(t *testing.T) {
			a := map[string]string{RoleAnnotation: "r", tc.annotation: tc.value}
			_, err := ParseAnnotations(a, testDefaults())
			if err == nil {
				t.Fatal("got no error")
			}
			if err.Error() != tc.want {
				t.Errorf("got  %s\nwant %s", err, tc.want)
			}
			var ae *AnnotationError
			if !errors.As(err, &ae) || ae.Annotation != tc.annotation {
				t.Errorf("got %#v, want an *AnnotationError for %s", err, tc.annotation)
			}
		})
	}
}

func TestParseAnnotationsPathErrorUnwraps(t *testing.T) {
	_, err := ParseAnnotations(map[string]string{RoleAnnotation: "r", EnvFromPathAnnotation: ","}, testDefaults())
	var se *secretref.SyntaxError
	if !errors.As(err, &se) {
		t.Errorf("got %v, want it to wrap a *secretref.SyntaxError", err)
	}
}

func TestParseAnnotationsLongValueTruncated(t *testing.T) {
	v := strings.Repeat("x", 10000)
	_, err := ParseAnnotations(map[string]string{RoleAnnotation: "r", LogLevelAnnotation: v}, testDefaults())
	if err == nil || len(err.Error()) > 400 {
		t.Errorf("got a %d-byte message, want an error of at most 400 bytes", len(err.Error()))
	}
}

// TestParseAnnotationsAllErrors checks that one error names every problem,
// so a user fixes them all in one go.
func TestParseAnnotationsAllErrors(t *testing.T) {
	d := testDefaults()
	d.Addr, d.AuthPath = "", ""
	a := map[string]string{
		RoleAnnotation:                      "r",
		ClientTimeoutAnnotation:             "ten",
		LogLevelAnnotation:                  "loud",
		MutateProbesAnnotation:              "yes",
		AnnotationPrefix + "env-from-paths": "kv/data/a",
		AnnotationPrefix + "zzz":            "1",
	}
	_, err := ParseAnnotations(a, d)
	if err == nil {
		t.Fatal("got no error")
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("got %T, want a joined error", err)
	}
	var names []string
	for _, e := range joined.Unwrap() {
		var ae *AnnotationError
		if !errors.As(e, &ae) {
			t.Fatalf("got %T in the join, want *AnnotationError", e)
		}
		names = append(names, strings.TrimPrefix(ae.Annotation, AnnotationPrefix))
	}
	want := []string{"client-timeout", "mutate-probes", "log-level", "addr", "auth-path", "env-from-paths", "zzz"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("got errors for %q, want %q", names, want)
	}
}

func TestParseAnnotationsUnknown(t *testing.T) {
	_, err := ParseAnnotations(map[string]string{RoleAnnotation: "r", AnnotationPrefix + "env-from-paht": "kv/data/a"}, testDefaults())
	want := "annotation secrets-store.deckhouse.io/env-from-paht is not known (did you mean secrets-store.deckhouse.io/env-from-path?): " +
		"the known secrets-store.deckhouse.io/ annotations are addr, tls-secret, tls-skip-verify, auth-path, namespace, role, env-from-path, " +
		"ignore-missing-secrets, client-timeout, mutate-probes, log-level, enable-json-log, skip-mutate-containers, " +
		"service-account-token-path, restart-on-secret-change, secret-poll-interval, env-injector-pull-policy, injector-delivery, env-delivery"
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	_, err = ParseAnnotations(map[string]string{RoleAnnotation: "r", AnnotationPrefix + "something-else": "x"}, testDefaults())
	if err == nil || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("got %v, want an error without a suggestion", err)
	}
}

// TestParseAnnotationsRestartedAt: a rollout restart by the synchronization
// controller leaves its annotation in the pod template; the pods it creates
// are still mutated.
func TestParseAnnotationsRestartedAt(t *testing.T) {
	s, err := ParseAnnotations(map[string]string{RoleAnnotation: "r", RestartedAtAnnotation: "2026-12-06T10:00:00Z"}, testDefaults())
	if err != nil || s.Role != "r" {
		t.Errorf("got %+v, %v; want the annotation accepted", s, err)
	}
}

func TestParseAnnotationsMissing(t *testing.T) {
	d := testDefaults()
	d.Addr, d.AuthPath = "", ""
	_, err := ParseAnnotations(map[string]string{}, d)
	want := strings.Join([]string{
		"annotation secrets-store.deckhouse.io/role is not set: set it to the store role the pod's ServiceAccount logs in as, e.g. myapp-role",
		"annotation secrets-store.deckhouse.io/addr is not set and the module has no store connection configured: " +
			"set secrets-store.deckhouse.io/addr to the store URL, e.g. https://stronghold.example.com:8200, or configure the module's connection",
		"annotation secrets-store.deckhouse.io/auth-path is not set and the module has no auth path configured: " +
			"set secrets-store.deckhouse.io/auth-path to the store's Kubernetes auth mount, e.g. kubernetes_local, or configure the module's connection",
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	// An invalid addr is reported once, as invalid, not also as missing.
	_, err = ParseAnnotations(map[string]string{RoleAnnotation: "r", AddrAnnotation: "x", AuthPathAnnotation: "k"}, d)
	if err == nil || strings.Count(err.Error(), "annotation ") != 1 {
		t.Errorf("got %v, want exactly one error", err)
	}
}

func TestDefaultsValidate(t *testing.T) {
	if err := testDefaults().Validate(); err != nil {
		t.Fatalf("test defaults: %v", err)
	}
	good := testDefaults()
	good.CACert, good.Namespace, good.TokenExpirationSeconds = selfSignedPEM(t), "ns/", 3600
	if err := good.Validate(); err != nil {
		t.Errorf("got %v, want no error", err)
	}
	for name, f := range map[string]func(*Defaults){
		"addr":       func(d *Defaults) { d.Addr = "stronghold:8200" },
		"auth path":  func(d *Defaults) { d.AuthPath = "a//b" },
		"namespace":  func(d *Defaults) { d.Namespace = "a b" },
		"ca":         func(d *Defaults) { d.CACert = testCA },
		"image":      func(d *Defaults) { d.InjectorImage = "" },
		"pull":       func(d *Defaults) { d.InjectorPullPolicy = "Sometimes" },
		"expiration": func(d *Defaults) { d.TokenExpirationSeconds = 599 },
	} {
		t.Run(name, func(t *testing.T) {
			d := testDefaults()
			f(&d)
			if err := d.Validate(); err == nil {
				t.Error("got no error")
			}
		})
	}
}

func selfSignedPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
