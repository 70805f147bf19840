// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncctl

import (
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/deckhouse/secrets-store-integration/internal/podmutate"
	"github.com/deckhouse/secrets-store-integration/internal/ssi"
)

// Names of the resource in the API.
const (
	Group    = "deckhouse.io"
	Version  = "v1alpha1"
	Kind     = "SecretsStoreSync"
	Resource = "secretsstoresyncs"

	// MaxData and MaxDataFrom are the CRD's maxItems of spec.data and
	// spec.dataFrom; MaxRestartTargets of spec.rolloutRestartTargets.
	MaxData           = 256
	MaxDataFrom       = 16
	MaxRestartTargets = 16
	// MinRefresh and MaxRefresh bound spec.refreshInterval.
	MinRefresh = 30 * time.Second
	MaxRefresh = 24 * time.Hour
)

// Labels and annotations the controller puts on the objects it writes.
const (
	// LabelSync marks a Secret written by the controller; its value is the
	// name of the SecretsStoreSync. The controller watches Secrets with it.
	LabelSync = "secrets-store.deckhouse.io/sync"
	// AnnotationSyncedFrom names the SecretsStoreSync, "namespace/name".
	AnnotationSyncedFrom = "secrets-store.deckhouse.io/synced-from"
	// AnnotationRestartedAt is set in the pod template of a rollout target
	// when the Secret's data changed; the webhook accepts it on pods.
	AnnotationRestartedAt = podmutate.RestartedAtAnnotation
	// reservedPrefix is refused in spec.target.labels and annotations.
	reservedPrefix = "secrets-store.deckhouse.io/"
)

// GroupVersionResource addresses the resource with the dynamic client.
var GroupVersionResource = schema.GroupVersionResource{Group: Group, Version: Version, Resource: Resource}

// errInvalidSpec marks a spec the controller cannot use (Synced=False,
// reason InvalidSpec); it is not retried until the resource changes.
var errInvalidSpec = errors.New("invalid spec")

// SecretsStoreSync says which secrets are copied into which Secret, and as
// whom the store is read.
type SecretsStoreSync struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   Spec   `json:"spec"`
	Status Status `json:"status,omitempty"`
}

// Spec is the desired Secret. Empty connection fields mean the module's.
type Spec struct {
	ServiceAccountName string `json:"serviceAccountName"`
	Role               string `json:"role"`

	Address       string `json:"address,omitempty"`
	AuthPath      string `json:"authPath,omitempty"`
	Namespace     string `json:"namespace,omitempty"`
	CACert        string `json:"caCert,omitempty"`
	Audience      string `json:"audience,omitempty"`
	SkipTLSVerify bool   `json:"skipTLSVerify,omitempty"`

	RefreshInterval       string          `json:"refreshInterval,omitempty"`
	Data                  []DataItem      `json:"data,omitempty"`
	DataFrom              []DataFromItem  `json:"dataFrom,omitempty"`
	Target                Target          `json:"target,omitempty"`
	RolloutRestartTargets []RestartTarget `json:"rolloutRestartTargets,omitempty"`
}

// DataItem is one key of the Secret.
type DataItem struct {
	Key          string `json:"key"`
	Source       Source `json:"source"`
	Template     string `json:"template,omitempty"`
	DecodeBase64 bool   `json:"decodeBase64,omitempty"`
}

// Source is a secret of the store: a path, a key in it (unless a template
// builds the value) and a KV v2 version (0: the latest).
type Source struct {
	Path    string `json:"path"`
	Key     string `json:"key,omitempty"`
	Version int    `json:"version,omitempty"`
}

// DataFromItem copies every key of a path.
type DataFromItem struct {
	Source Source `json:"source"`
}

// Target is the Secret written.
type Target struct {
	Name        string            `json:"name,omitempty"`
	Type        string            `json:"type,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// RestartTarget is a workload restarted when the Secret's data changed.
type RestartTarget struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// Status is what the controller reports.
type Status struct {
	ObservedGeneration int64              `json:"observedGeneration,omitempty"`
	SecretName         string             `json:"secretName,omitempty"`
	LastSyncTime       *metav1.Time       `json:"lastSyncTime,omitempty"`
	DataHMAC           string             `json:"dataHMAC,omitempty"`
	Conditions         []metav1.Condition `json:"conditions,omitempty"`
}

// Ref is "namespace/name", for messages.
func (s *SecretsStoreSync) Ref() string { return s.Namespace + "/" + s.Name }

// SecretName is the name of the Secret written: spec.target.name, or else
// the resource's own name.
func (s *SecretsStoreSync) SecretName() string {
	if s.Spec.Target.Name != "" {
		return s.Spec.Target.Name
	}
	return s.Name
}

// SecretType is spec.target.type, Opaque when empty.
func (s *SecretsStoreSync) SecretType() corev1.SecretType {
	if s.Spec.Target.Type != "" {
		return corev1.SecretType(s.Spec.Target.Type)
	}
	return corev1.SecretTypeOpaque
}

// Refresh is spec.refreshInterval, or def when it is not set.
func (s *SecretsStoreSync) Refresh(def time.Duration) time.Duration {
	if d, err := time.ParseDuration(s.Spec.RefreshInterval); err == nil && s.Spec.RefreshInterval != "" {
		return d
	}
	return def
}

// Validate repeats the CRD's checks the controller depends on: a resource
// may predate a schema change. The error matches errInvalidSpec and says
// which field to fix.
func (s *SecretsStoreSync) Validate() error {
	if err := s.Spec.validate(); err != nil {
		return fmt.Errorf("%w: SecretsStoreSync %s: %w: fix the resource", errInvalidSpec, s.Ref(), err)
	}
	if errs := validation.IsDNS1123Subdomain(s.SecretName()); len(errs) > 0 {
		return fmt.Errorf("%w: SecretsStoreSync %s: the Secret name %q is not valid (%s): set spec.target.name",
			errInvalidSpec, s.Ref(), s.SecretName(), strings.Join(errs, "; "))
	}
	return nil
}

func (sp *Spec) validate() error {
	if err := sp.validateIdentity(); err != nil {
		return err
	}
	if sp.RefreshInterval != "" {
		d, err := time.ParseDuration(sp.RefreshInterval)
		if err != nil || d < MinRefresh || d > MaxRefresh {
			return fmt.Errorf("spec.refreshInterval %q is not a duration from %s to %s, such as 2m", sp.RefreshInterval, MinRefresh, MaxRefresh)
		}
	}
	if err := sp.validateData(); err != nil {
		return err
	}
	if err := validateTarget(&sp.Target); err != nil {
		return err
	}
	return validateRestartTargets(sp.RolloutRestartTargets)
}

func (sp *Spec) validateIdentity() error {
	switch {
	case sp.Role == "":
		return errors.New("spec.role is empty")
	case sp.ServiceAccountName == "":
		return errors.New("spec.serviceAccountName is empty: name a ServiceAccount of this namespace")
	case len(validation.IsDNS1123Subdomain(sp.ServiceAccountName)) > 0:
		return fmt.Errorf("spec.serviceAccountName %q is not the name of a ServiceAccount of this namespace", sp.ServiceAccountName)
	case sp.SkipTLSVerify && sp.CACert != "":
		return errors.New("spec.caCert and spec.skipTLSVerify are both set: set one")
	}
	if sp.Audience != "" {
		if err := ssi.ValidateAudience(sp.Audience); err != nil {
			return fmt.Errorf("spec.audience: %w", err)
		}
	}
	return nil
}
