// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package podmutate

import (
	"errors"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/deckhouse/secrets-store-integration/internal/secretref"
)

// Hints: what to write instead of an invalid value.
const (
	hintAddr      = "use the store URL, e.g. https://stronghold.example.com:8200"
	hintSecret    = `use the name of a Secret in the pod's namespace (lowercase letters, digits, "-" and ".", starting and ending with a letter or digit, at most 253 characters), e.g. stronghold-ca`
	hintBool      = `use "true" or "false" (also accepted: 1, t, T, TRUE, True, 0, f, F, FALSE, False)`
	hintTokenPath = "use the absolute path of a token file mounted in the containers, e.g. /var/run/secrets/tokens/store-token"
	hintRestartOn = "use one of none, watch-for-data, watch-for-lease"
	hintPoll      = "use a Go duration from 5s to 24h, e.g. 120s or 5m"
	hintPull      = "use one of Always, IfNotPresent, Never"
	hintDelivery  = "use CSIVolume (the injector from a read-only volume of the module's CSI driver, which must run on the pod's node) or InitContainer (an init container copies it)"
	hintAuthPath  = "use the mount path of the store's Kubernetes auth method, e.g. kubernetes_local"
	hintNamespace = "use a store namespace such as team-a or team-a/app"
	hintRole      = `use letters, digits, "_", "-" and ".", starting and ending with a letter, digit or "_", e.g. myapp-role`
	hintPaths     = "use comma-separated store paths, each optionally with #VERSION, e.g. demo-kv/data/common,demo-kv/data/myapp#3"
	hintTimeout   = "use a Go duration such as 10s or 1m"
	hintLogLevel  = "use one of debug, info, warn, error"
	hintSkip      = `use container names separated by spaces, e.g. "sidecar istio-proxy"`
)

// parseAddr accepts an http(s) URL with a host and without user info, query
// or fragment: credentials would end up in error messages, and the store
// client builds its own query strings.
func parseAddr(v string, out *string) error {
	if reason, shown := addrProblem(v); reason != "" {
		return invalid(AddrAnnotation, shown, reason, hintAddr)
	}
	*out = v
	return nil
}

// addrProblem returns why v is not a store URL, or "", and the form of v that
// an error may quote (without a password).
func addrProblem(v string) (reason, shown string) {
	if strings.ContainsFunc(v, unicode.IsSpace) {
		return "contains whitespace", v
	}
	u, err := url.Parse(v)
	switch {
	case err != nil:
		return "is not a URL", v
	case u.User != nil:
		return "contains user info, which is not allowed", u.Redacted()
	case u.Scheme != "https" && u.Scheme != "http":
		return "is not an http or https URL", v
	case u.Host == "" || u.Hostname() == "":
		return "has no host", v
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "has a query or fragment, which is not allowed", v
	}
	return "", v
}

func parseSecretName(v string, out *string) error {
	if len(validation.IsDNS1123Subdomain(v)) > 0 {
		return invalid(TLSSecretAnnotation, v, "is not a valid Secret name", hintSecret)
	}
	*out = v
	return nil
}

// parseBool accepts what strconv.ParseBool accepts, as the existing
// Deckhouse module does (see the package comment).
func parseBool(name, v string, out *bool) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return invalid(name, v, "is not a boolean", hintBool)
	}
	*out = b
	return nil
}

// parseTokenPath accepts an absolute, clean path of a file: the injector
// reads it inside each mutated container.
func parseTokenPath(v string, out *string) error {
	switch {
	case !strings.HasPrefix(v, "/"):
		return invalid(ServiceAccountTokenPathAnnotation, v, "is not an absolute path", hintTokenPath)
	case path.Clean(v) != v || v == "/":
		return invalid(ServiceAccountTokenPathAnnotation, v, `is not a clean file path (no "..", ".", "//" or trailing "/")`, hintTokenPath)
	case strings.ContainsFunc(v, unicode.IsControl):
		return invalid(ServiceAccountTokenPathAnnotation, v, "contains a control character", hintTokenPath)
	}
	*out = v
	return nil
}

func parseRestartOn(v string, out *string) error {
	if !slices.Contains(RestartModes, v) {
		return invalid(RestartOnSecretChangeAnnotation, v, "is not a restart mode", hintRestartOn)
	}
	*out = v
	return nil
}

func parsePollInterval(v string, out *time.Duration) error {
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		return invalid(SecretPollIntervalAnnotation, v, "is not a duration", hintPoll)
	case d < MinPollInterval:
		return invalid(SecretPollIntervalAnnotation, v, "is shorter than the minimum of "+MinPollInterval.String()+" (each poll reads every path of the container from the store)", hintPoll)
	case d > MaxPollInterval:
		return invalid(SecretPollIntervalAnnotation, v, "is longer than the maximum of "+MaxPollInterval.String(), hintPoll)
	}
	*out = d
	return nil
}

func parsePullPolicy(v string, out *corev1.PullPolicy) error {
	switch p := corev1.PullPolicy(v); p {
	case corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
		*out = p
		return nil
	}
	return invalid(EnvInjectorPullPolicyAnnotation, v, "is not an image pull policy", hintPull)
}

func parseEnvDelivery(v string, out *EnvDelivery) error {
	if d := EnvDelivery(v); slices.Contains(EnvDeliveries, d) {
		*out = d
		return nil
	}
	return invalid(EnvDeliveryAnnotation, v, "is not a way of setting the environment",
		"use Entrypoint (the injector starts the command) or NRI (the node's container runtime sets the variables)")
}

func parseDelivery(v string, out *Delivery) error {
	if d := Delivery(v); slices.Contains(Deliveries, d) {
		*out = d
		return nil
	}
	return invalid(InjectorDeliveryAnnotation, v, "is not a way of delivering the injector", hintDelivery)
}

// parseAuthPath accepts what the store client accepts, normalized the same
// way: surrounding "/" and a leading "auth/" are dropped.
func parseAuthPath(v string, out *string) error {
	p := strings.Trim(v, "/")
	p = strings.Trim(strings.TrimPrefix(p+"/", "auth/"), "/")
	if err := secretref.ValidatePath(p); err != nil {
		return pathError(AuthPathAnnotation, v, "is not a valid auth path", hintAuthPath, err)
	}
	*out = p
	return nil
}

// parseNamespace accepts a store namespace path; one trailing "/" is allowed,
// as the store itself accepts it.
func parseNamespace(v string, out *string) error {
	if err := secretref.ValidatePath(strings.TrimSuffix(v, "/")); err != nil {
		return pathError(NamespaceAnnotation, v, "is not a valid store namespace", hintNamespace, err)
	}
	*out = v
	return nil
}

// parseRole accepts the role names the store's Kubernetes auth method
// accepts: \w(([\w-.]+)?\w)? with ASCII \w.
func parseRole(v string, out *string) error {
	ok := v != "" && word(v[0]) && word(v[len(v)-1])
	for i := 0; ok && i < len(v); i++ {
		ok = word(v[i]) || v[i] == '-' || v[i] == '.'
	}
	if !ok {
		return invalid(RoleAnnotation, v, "is not a valid role name", hintRole)
	}
	*out = v
	return nil
}

func word(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func parseEnvFromPath(v string, out *[]secretref.PathVersion) error {
	paths, err := secretref.ParsePathVersionList(v)
	if err != nil {
		return pathError(EnvFromPathAnnotation, v, "is not a valid path list", hintPaths, err)
	}
	*out = paths
	return nil
}

// pathError wraps a secretref error, keeping its precise reason (which byte
// is wrong) but our own hint.
func pathError(name, v, reason, hint string, err error) error {
	var se *secretref.SyntaxError
	if errors.As(err, &se) {
		reason += ": " + se.Reason
	}
	e := invalid(name, v, reason, hint)
	e.Err = err
	return e
}

func parseTimeout(v string, out *time.Duration) error {
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		return invalid(ClientTimeoutAnnotation, v, "is not a duration", hintTimeout)
	case d <= 0:
		return invalid(ClientTimeoutAnnotation, v, "is not positive", hintTimeout)
	case d > MaxClientTimeout:
		return invalid(ClientTimeoutAnnotation, v, "is longer than the maximum of "+MaxClientTimeout.String(), hintTimeout)
	}
	*out = d
	return nil
}

func parseLogLevel(v string, out *string) error {
	if !slices.Contains(LogLevels, v) {
		return invalid(LogLevelAnnotation, v, "is not a log level", hintLogLevel)
	}
	*out = v
	return nil
}

// parseSkip splits on any whitespace; every element must be a valid container
// name (a DNS-1123 label), which catches commas and other separators.
func parseSkip(v string, out *[]string) error {
	names := strings.Fields(v)
	for _, n := range names {
		if len(validation.IsDNS1123Label(n)) > 0 {
			return invalid(SkipMutateContainersAnnotation, v, "contains "+strconv.Quote(truncate(n))+", which is not a container name", hintSkip)
		}
	}
	*out = names
	return nil
}
