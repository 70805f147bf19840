// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package podmutate

import (
	"errors"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/internal/secretref"
)

// AnnotationPrefix starts every annotation this package reads.
const AnnotationPrefix = "secrets-store.deckhouse.io/"

// The annotations of entrypoint injection (the seed's table).
const (
	AddrAnnotation                 = AnnotationPrefix + "addr"
	TLSSecretAnnotation            = AnnotationPrefix + "tls-secret"
	TLSSkipVerifyAnnotation        = AnnotationPrefix + "tls-skip-verify"
	AuthPathAnnotation             = AnnotationPrefix + "auth-path"
	NamespaceAnnotation            = AnnotationPrefix + "namespace"
	RoleAnnotation                 = AnnotationPrefix + "role"
	EnvFromPathAnnotation          = AnnotationPrefix + "env-from-path"
	IgnoreMissingSecretsAnnotation = AnnotationPrefix + "ignore-missing-secrets"
	ClientTimeoutAnnotation        = AnnotationPrefix + "client-timeout"
	MutateProbesAnnotation         = AnnotationPrefix + "mutate-probes"
	LogLevelAnnotation             = AnnotationPrefix + "log-level"
	EnableJSONLogAnnotation        = AnnotationPrefix + "enable-json-log"
	SkipMutateContainersAnnotation = AnnotationPrefix + "skip-mutate-containers"
	// Added by the existing Deckhouse module's 1.4 release; accepted with the
	// same meaning.
	ServiceAccountTokenPathAnnotation = AnnotationPrefix + "service-account-token-path"
	RestartOnSecretChangeAnnotation   = AnnotationPrefix + "restart-on-secret-change"
	SecretPollIntervalAnnotation      = AnnotationPrefix + "secret-poll-interval"
	EnvInjectorPullPolicyAnnotation   = AnnotationPrefix + "env-injector-pull-policy"
	// Added by this module: how the injector reaches the pod (one of
	// Deliveries), overriding the module's choice for one pod.
	InjectorDeliveryAnnotation = AnnotationPrefix + "injector-delivery"
	// Added by this module: who sets the environment (one of EnvDeliveries),
	// overriding the module's choice for one pod.
	EnvDeliveryAnnotation = AnnotationPrefix + "env-delivery"
)

// RestartedAtAnnotation is set by the module's synchronization controller in
// the pod template of a rollout target when a synchronized Secret changes
// (as kubectl rollout restart sets its own). It is the module's, so it is
// not refused as unknown, and it means nothing to injection.
const RestartedAtAnnotation = AnnotationPrefix + "restartedAt"

// Annotations lists every annotation above in the seed's order. Read-only.
var Annotations = []string{
	AddrAnnotation, TLSSecretAnnotation, TLSSkipVerifyAnnotation, AuthPathAnnotation,
	NamespaceAnnotation, RoleAnnotation, EnvFromPathAnnotation, IgnoreMissingSecretsAnnotation,
	ClientTimeoutAnnotation, MutateProbesAnnotation, LogLevelAnnotation, EnableJSONLogAnnotation,
	SkipMutateContainersAnnotation, ServiceAccountTokenPathAnnotation, RestartOnSecretChangeAnnotation,
	SecretPollIntervalAnnotation, EnvInjectorPullPolicyAnnotation, InjectorDeliveryAnnotation,
	EnvDeliveryAnnotation,
}

// Defaults of the annotations that have one of their own (the others come from
// the module, see Defaults).
const (
	DefaultClientTimeout = 10 * time.Second
	MaxClientTimeout     = 5 * time.Minute
	DefaultLogLevel      = "info"
	DefaultPollInterval  = 120 * time.Second
	MinPollInterval      = 5 * time.Second
	MaxPollInterval      = 24 * time.Hour
)

// RestartModes are the values of the restart-on-secret-change annotation.
// Read-only.
var RestartModes = []string{envcontract.RestartNone, envcontract.RestartWatchData, envcontract.RestartWatchLease}

// LogLevels are the values of the log-level annotation. Read-only.
var LogLevels = []string{"debug", "info", "warn", "error"}

// Settings is the effective injection configuration of one pod.
type Settings struct {
	Addr          string // store URL
	TLSSecret     string // Secret whose ca.crt is the store CA; "" = CACert
	CACert        string // module CA PEM, used when TLSSecret is empty; "" = system pool
	TLSSkipVerify bool
	AuthPath      string // Kubernetes auth mount without "auth/", e.g. kubernetes_local
	Namespace     string // store namespace, "" = root
	Role          string
	// EnvFromPath is the parsed env-from-path list: duplicates removed, later
	// paths win.
	EnvFromPath          []secretref.PathVersion
	IgnoreMissingSecrets bool
	ClientTimeout        time.Duration
	MutateProbes         bool
	LogLevel             string
	JSONLog              bool
	// SkipMutateContainers names containers that are left as they are.
	SkipMutateContainers []string
	// TokenPath is the file the injector reads the ServiceAccount JWT
	// from; "" means the projected token the webhook mounts.
	TokenPath string
	// RestartOn is one of RestartModes.
	RestartOn string
	// PollInterval is the period of watch-for-data.
	PollInterval time.Duration
	// PullPolicy overrides the injector init container's imagePullPolicy;
	// "" keeps the module's.
	PullPolicy corev1.PullPolicy
	// Delivery is how the injector reaches the pod, one of Deliveries.
	Delivery Delivery
	// EnvDelivery is who sets the environment, one of EnvDeliveries.
	EnvDelivery EnvDelivery
}

// ParseAnnotations returns the settings of a pod from its annotations.
//
// Precedence, lowest first: the built-in defaults (client-timeout 10s,
// log-level info, booleans false, no env-from-path, no skipped containers) <
// the module configuration in d (addr, auth-path, namespace, CA) < the pod's
// annotations. An annotation with an empty value counts as absent. d is
// expected to have passed Defaults.Validate.
//
// Every invalid value, every unknown annotation with AnnotationPrefix and a
// missing role, address or auth path is reported; the error joins one
// *AnnotationError per problem.
func ParseAnnotations(a map[string]string, d Defaults) (Settings, error) {
	s := Settings{
		Addr:          d.Addr,
		CACert:        d.CACert,
		AuthPath:      d.AuthPath,
		Namespace:     d.Namespace,
		ClientTimeout: DefaultClientTimeout,
		LogLevel:      DefaultLogLevel,
		RestartOn:     envcontract.RestartNone,
		PollInterval:  DefaultPollInterval,
		Delivery:      d.delivery(),
		EnvDelivery:   d.envDelivery(),
	}
	var errs []error
	for _, name := range Annotations {
		if v := a[name]; v != "" {
			if err := s.set(name, v); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if s.TLSSecret != "" {
		s.CACert = ""
	}
	if s.EnvDelivery == EnvDeliveryNRI && d.CSIDriver == "" {
		errs = append(errs, &AnnotationError{
			Annotation: EnvDeliveryAnnotation, Reason: "is NRI, but the webhook knows no CSI driver",
			Hint: "use Entrypoint, or set the webhook's --csi-driver",
		})
	} else if s.Delivery == DeliveryCSIVolume && d.CSIDriver == "" && s.EnvDelivery != EnvDeliveryNRI {
		errs = append(errs, &AnnotationError{
			Annotation: InjectorDeliveryAnnotation, Reason: "is CSIVolume, but the webhook knows no CSI driver",
			Hint: "use InitContainer, or set the webhook's --csi-driver",
		})
	}
	errs = append(errs, missing(s, a)...)
	errs = append(errs, unknown(a)...)
	return s, errors.Join(errs...)
}

// set parses the value v of the annotation name into s.
func (s *Settings) set(name, v string) error {
	switch name {
	case AddrAnnotation:
		return parseAddr(v, &s.Addr)
	case TLSSecretAnnotation:
		return parseSecretName(v, &s.TLSSecret)
	case TLSSkipVerifyAnnotation:
		return parseBool(name, v, &s.TLSSkipVerify)
	case AuthPathAnnotation:
		return parseAuthPath(v, &s.AuthPath)
	case NamespaceAnnotation:
		return parseNamespace(v, &s.Namespace)
	case RoleAnnotation:
		return parseRole(v, &s.Role)
	case EnvFromPathAnnotation:
		return parseEnvFromPath(v, &s.EnvFromPath)
	case IgnoreMissingSecretsAnnotation:
		return parseBool(name, v, &s.IgnoreMissingSecrets)
	case ClientTimeoutAnnotation:
		return parseTimeout(v, &s.ClientTimeout)
	case MutateProbesAnnotation:
		return parseBool(name, v, &s.MutateProbes)
	case LogLevelAnnotation:
		return parseLogLevel(v, &s.LogLevel)
	case EnableJSONLogAnnotation:
		return parseBool(name, v, &s.JSONLog)
	case SkipMutateContainersAnnotation:
		return parseSkip(v, &s.SkipMutateContainers)
	case ServiceAccountTokenPathAnnotation:
		return parseTokenPath(v, &s.TokenPath)
	case RestartOnSecretChangeAnnotation:
		return parseRestartOn(v, &s.RestartOn)
	case SecretPollIntervalAnnotation:
		return parsePollInterval(v, &s.PollInterval)
	case EnvInjectorPullPolicyAnnotation:
		return parsePullPolicy(v, &s.PullPolicy)
	case InjectorDeliveryAnnotation:
		return parseDelivery(v, &s.Delivery)
	case EnvDeliveryAnnotation:
		return parseEnvDelivery(v, &s.EnvDelivery)
	}
	// Unreachable: every entry of Annotations has a case above.
	return invalid(name, v, "has no parser", "")
}

// missing reports required settings that neither the module nor an
// annotation supplied. An annotation that is set but invalid has already been
// reported.
func missing(s Settings, a map[string]string) []error {
	var errs []error
	if s.Role == "" && a[RoleAnnotation] == "" {
		errs = append(errs, &AnnotationError{
			Annotation: RoleAnnotation, Reason: "is not set",
			Hint: "set it to the store role the pod's ServiceAccount logs in as, e.g. myapp-role",
		})
	}
	if s.Addr == "" && a[AddrAnnotation] == "" {
		errs = append(errs, &AnnotationError{
			Annotation: AddrAnnotation, Reason: "is not set and the module has no store connection configured",
			Hint: "set " + AddrAnnotation + " to the store URL, e.g. https://stronghold.example.com:8200, or configure the module's connection",
		})
	}
	if s.AuthPath == "" && a[AuthPathAnnotation] == "" {
		errs = append(errs, &AnnotationError{
			Annotation: AuthPathAnnotation, Reason: "is not set and the module has no auth path configured",
			Hint: "set " + AuthPathAnnotation + " to the store's Kubernetes auth mount, e.g. kubernetes_local, or configure the module's connection",
		})
	}
	return errs
}

// unknown reports annotations with our prefix that are not in Annotations,
// in sorted order so that the message is stable.
func unknown(a map[string]string) []error {
	var keys []string
	for k := range a {
		if strings.HasPrefix(k, AnnotationPrefix) && !slices.Contains(Annotations, k) && k != RestartedAtAnnotation {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	errs := make([]error, 0, len(keys))
	for _, k := range keys {
		reason := "is not known"
		if near := closest(k); near != "" {
			reason += " (did you mean " + near + "?)"
		}
		errs = append(errs, &AnnotationError{Annotation: truncate(k), Reason: reason, Hint: knownHint})
	}
	return errs
}

var knownHint = func() string {
	short := make([]string, len(Annotations))
	for i, k := range Annotations {
		short[i] = strings.TrimPrefix(k, AnnotationPrefix)
	}
	return "the known " + AnnotationPrefix + " annotations are " + strings.Join(short, ", ")
}()

// closest returns the known annotation within edit distance 2 of k, if any.
func closest(k string) string {
	name := strings.TrimPrefix(k, AnnotationPrefix)
	if len(name) > 64 {
		return ""
	}
	best, bestDist := "", 3
	for _, known := range Annotations {
		if d := distance(name, strings.TrimPrefix(known, AnnotationPrefix)); d < bestDist {
			best, bestDist = known, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b, counted in bytes.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
