// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package podmutate

import (
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"

	corev1 "k8s.io/api/core/v1"

	"github.com/deckhouse/secrets-store-integration/internal/secretref"
)

// Token lifetimes of the projected ServiceAccount token. The API server
// rejects less than 10 minutes and 2^32 seconds or more.
const (
	DefaultTokenExpirationSeconds int64 = 600
	MinTokenExpirationSeconds     int64 = 600
	MaxTokenExpirationSeconds     int64 = math.MaxUint32
)

// Defaults is the module-wide configuration of injection, from the webhook's
// flags. Addr, AuthPath and Namespace are the module's store connection and
// may be empty when the module has none; a pod then has to name its own with
// annotations.
type Defaults struct {
	Addr      string // store URL
	AuthPath  string // Kubernetes auth mount, e.g. kubernetes_local
	Namespace string // store namespace, "" = root
	// CACert is the PEM of the store CA; empty means the system pool. It is
	// public data and travels in the SECRETS_STORE_CA_CERT variable.
	CACert string

	// Delivery is how the injector reaches a pod unless the pod's
	// injector-delivery annotation says otherwise; "" is
	// DeliveryInitContainer.
	Delivery Delivery
	// CSIDriver is the name of the module's CSI driver, which serves the
	// injector volume of DeliveryCSIVolume and the environment volume of
	// EnvDeliveryNRI.
	CSIDriver string
	// EnvDelivery is who sets the environment unless the pod's env-delivery
	// annotation says otherwise; "" is EnvDeliveryEntrypoint.
	EnvDelivery EnvDelivery

	// InjectorImage contains the injector at envcontract.InitBinaryPath.
	InjectorImage      string
	InjectorPullPolicy corev1.PullPolicy // "" = the API server's default
	InitResources      corev1.ResourceRequirements

	// TokenAudience is the audience of the projected token for the store;
	// "" means the API server's default audiences.
	TokenAudience string
	// TokenExpirationSeconds is the requested token lifetime; 0 means
	// DefaultTokenExpirationSeconds.
	TokenExpirationSeconds int64
}

// Delivery is how the injector binary reaches a mutated pod.
type Delivery string

// The ways of delivering the injector.
const (
	// DeliveryCSIVolume mounts the injector from a read-only inline volume
	// of the module's CSI driver: no init container, nothing copied per pod.
	// The pod can only start on a node where the driver runs.
	DeliveryCSIVolume Delivery = "CSIVolume"
	// DeliveryInitContainer copies the injector from its image into an
	// in-memory emptyDir with an init container.
	DeliveryInitContainer Delivery = "InitContainer"
)

// Deliveries lists the ways of delivering the injector. Read-only.
var Deliveries = []Delivery{DeliveryCSIVolume, DeliveryInitContainer}

// EnvDelivery is who sets a mutated container's environment.
type EnvDelivery string

// The ways of setting the environment.
const (
	// EnvDeliveryEntrypoint: the injector, started instead of the
	// container's command, sets it and then executes the command.
	EnvDeliveryEntrypoint EnvDelivery = "Entrypoint"
	// EnvDeliveryNRI: the CSI node plugin's NRI plugin sets it in the
	// container's runtime spec at CreateContainer; the command is left
	// alone and no image is looked up.
	EnvDeliveryNRI EnvDelivery = "NRI"
)

// EnvDeliveries lists the ways of setting the environment. Read-only.
var EnvDeliveries = []EnvDelivery{EnvDeliveryEntrypoint, EnvDeliveryNRI}

func (d Defaults) envDelivery() EnvDelivery {
	if d.EnvDelivery == "" {
		return EnvDeliveryEntrypoint
	}
	return d.EnvDelivery
}

func (d Defaults) delivery() Delivery {
	if d.Delivery == "" {
		return DeliveryInitContainer
	}
	return d.Delivery
}

// Validate reports a module configuration the webhook must not start with.
func (d Defaults) Validate() error {
	var errs []error
	if d.Addr != "" {
		if reason, shown := addrProblem(d.Addr); reason != "" {
			errs = append(errs, fmt.Errorf("store address %q %s: %s", shown, reason, hintAddr))
		}
	}
	if d.AuthPath != "" {
		if err := parseAuthPath(d.AuthPath, new(string)); err != nil {
			errs = append(errs, fmt.Errorf("store auth path %q is invalid: %w", d.AuthPath, errors.Unwrap(err)))
		}
	}
	if d.Namespace != "" {
		if err := secretref.ValidatePath(strings.TrimSuffix(d.Namespace, "/")); err != nil {
			errs = append(errs, fmt.Errorf("store namespace %q is invalid: %w", d.Namespace, err))
		}
	}
	if d.CACert != "" && !x509.NewCertPool().AppendCertsFromPEM([]byte(d.CACert)) {
		errs = append(errs, errors.New("store CA holds no PEM certificate"))
	}
	if d.InjectorImage == "" {
		errs = append(errs, errors.New("injector image is empty"))
	}
	if d.Delivery != "" && !slices.Contains(Deliveries, d.Delivery) {
		errs = append(errs, fmt.Errorf("injector delivery %q is not one of %v", d.Delivery, Deliveries))
	}
	if d.EnvDelivery != "" && !slices.Contains(EnvDeliveries, d.EnvDelivery) {
		errs = append(errs, fmt.Errorf("environment delivery %q is not one of %v", d.EnvDelivery, EnvDeliveries))
	}
	if d.CSIDriver == "" && d.envDelivery() == EnvDeliveryNRI {
		errs = append(errs, errors.New("CSI driver name is empty: environment delivery NRI needs it"))
	}
	if d.CSIDriver == "" && d.delivery() == DeliveryCSIVolume {
		errs = append(errs, errors.New("CSI driver name is empty: injector delivery CSIVolume needs it"))
	}
	switch d.InjectorPullPolicy {
	case "", corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		errs = append(errs, fmt.Errorf("injector pull policy %q is not Always, IfNotPresent or Never", d.InjectorPullPolicy))
	}
	if err := validAudience(d.TokenAudience); err != nil {
		errs = append(errs, err)
	}
	if e := d.TokenExpirationSeconds; e != 0 && (e < MinTokenExpirationSeconds || e > MaxTokenExpirationSeconds) {
		errs = append(errs, fmt.Errorf("token expiration %d s is outside %d..%d", e, MinTokenExpirationSeconds, MaxTokenExpirationSeconds))
	}
	return errors.Join(errs...)
}

// maxAudienceLength is the longest token audience the module settings allow.
const maxAudienceLength = 256

// validAudience checks the module's tokenAudience: "" (the API server's) or
// an identifier such as "secrets-store" or a URL.
func validAudience(aud string) error {
	bad := func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r > unicode.MaxASCII }
	switch {
	case len(aud) > maxAudienceLength:
		return fmt.Errorf("token audience is %d bytes long, more than %d", len(aud), maxAudienceLength)
	case strings.ContainsFunc(aud, bad):
		return fmt.Errorf("token audience %q has spaces, control or non-ASCII characters", aud)
	}
	return nil
}

func (d Defaults) tokenExpiration() int64 {
	if d.TokenExpirationSeconds == 0 {
		return DefaultTokenExpirationSeconds
	}
	return d.TokenExpirationSeconds
}
