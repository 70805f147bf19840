// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncctl

import (
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/deckhouse/secrets-store-integration/internal/secretref"
	"github.com/deckhouse/secrets-store-integration/internal/tmpl"
)

// secretTypes are the types spec.target.type may name, with the keys each
// requires: all of allOf, and at least one of anyOf.
var secretTypes = map[corev1.SecretType]struct{ allOf, anyOf []string }{
	corev1.SecretTypeOpaque:           {},
	corev1.SecretTypeTLS:              {allOf: []string{corev1.TLSCertKey, corev1.TLSPrivateKeyKey}},
	corev1.SecretTypeDockerConfigJson: {allOf: []string{corev1.DockerConfigJsonKey}},
	corev1.SecretTypeDockercfg:        {allOf: []string{corev1.DockerConfigKey}},
	corev1.SecretTypeBasicAuth:        {anyOf: []string{corev1.BasicAuthUsernameKey, corev1.BasicAuthPasswordKey}},
	corev1.SecretTypeSSHAuth:          {allOf: []string{corev1.SSHAuthPrivateKey}},
}

// restartKinds are the workload kinds spec.rolloutRestartTargets may name.
var restartKinds = map[string]bool{"Deployment": true, "StatefulSet": true, "DaemonSet": true}

func (sp *Spec) validateData() error {
	switch {
	case len(sp.Data) == 0 && len(sp.DataFrom) == 0:
		return errors.New("spec.data and spec.dataFrom are both empty: list the keys of the Secret in spec.data, or paths to copy whole in spec.dataFrom")
	case len(sp.Data) > MaxData:
		return fmt.Errorf("spec.data lists %d keys, more than %d", len(sp.Data), MaxData)
	case len(sp.DataFrom) > MaxDataFrom:
		return fmt.Errorf("spec.dataFrom lists %d paths, more than %d", len(sp.DataFrom), MaxDataFrom)
	}
	seen := make(map[string]int, len(sp.Data))
	for i, d := range sp.Data {
		where := fmt.Sprintf("spec.data[%d] (key %q)", i, d.Key)
		if err := validateSecretKey(d.Key); err != nil {
			return fmt.Errorf("spec.data[%d].key: %w", i, err)
		}
		if j, dup := seen[d.Key]; dup {
			return fmt.Errorf("spec.data[%d].key %q repeats spec.data[%d].key", i, d.Key, j)
		}
		seen[d.Key] = i
		if err := validateSource(d.Source, d.Template == ""); err != nil {
			return fmt.Errorf("%s.source: %w", where, err)
		}
		switch {
		case d.Template != "" && d.Source.Key != "":
			return fmt.Errorf("%s sets both source.key and template: set one", where)
		case d.Template != "":
			if _, err := tmpl.ParseIsolated(d.Template); err != nil {
				return fmt.Errorf("%s.template: %w", where, err)
			}
		}
	}
	for i, d := range sp.DataFrom {
		if d.Source.Key != "" {
			return fmt.Errorf("spec.dataFrom[%d].source.key is set: dataFrom copies every key of the path; list single keys in spec.data", i)
		}
		if err := validateSource(d.Source, false); err != nil {
			return fmt.Errorf("spec.dataFrom[%d].source: %w", i, err)
		}
	}
	return nil
}

func validateSource(s Source, needKey bool) error {
	if err := secretref.ValidatePath(s.Path); err != nil {
		return err
	}
	if s.Version < 0 {
		return fmt.Errorf("version %d is negative: set a KV v2 version from 1, or leave it out for the latest", s.Version)
	}
	if needKey && s.Key == "" {
		return errors.New("key is empty: name the key of the secret, or build the value with template")
	}
	if s.Key != "" {
		return secretref.ValidateKey(s.Key)
	}
	return nil
}

// validateSecretKey accepts what the API server accepts as a key of a
// Secret's data.
func validateSecretKey(k string) error {
	if errs := validation.IsConfigMapKey(k); len(errs) > 0 {
		return fmt.Errorf("%q is not a valid key of a Secret: %s", k, strings.Join(errs, "; "))
	}
	return nil
}

func validateTarget(t *Target) error {
	if t.Type != "" {
		if _, ok := secretTypes[corev1.SecretType(t.Type)]; !ok {
			return fmt.Errorf("spec.target.type %q is not supported: use Opaque, kubernetes.io/tls, kubernetes.io/dockerconfigjson, "+
				"kubernetes.io/dockercfg, kubernetes.io/basic-auth or kubernetes.io/ssh-auth", t.Type)
		}
	}
	for what, m := range map[string]map[string]string{"labels": t.Labels, "annotations": t.Annotations} {
		for k := range m {
			if strings.HasPrefix(k, reservedPrefix) {
				return fmt.Errorf("spec.target.%s has %q: keys under %s are the controller's own", what, k, reservedPrefix)
			}
		}
	}
	return nil
}

func validateRestartTargets(ts []RestartTarget) error {
	if len(ts) > MaxRestartTargets {
		return fmt.Errorf("spec.rolloutRestartTargets lists %d workloads, more than %d", len(ts), MaxRestartTargets)
	}
	for i, t := range ts {
		if !restartKinds[t.Kind] {
			return fmt.Errorf("spec.rolloutRestartTargets[%d].kind %q: use Deployment, StatefulSet or DaemonSet", i, t.Kind)
		}
		if errs := validation.IsDNS1123Subdomain(t.Name); len(errs) > 0 {
			return fmt.Errorf("spec.rolloutRestartTargets[%d].name %q is not a valid name: %s", i, t.Name, strings.Join(errs, "; "))
		}
	}
	return nil
}

// checkType reports the keys data lacks for the Secret's type, and a
// .dockerconfigjson that is not a JSON object with "auths".
func checkType(t corev1.SecretType, data map[string][]byte) error {
	req := secretTypes[t]
	var missing []string
	for _, k := range req.allOf {
		if _, ok := data[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: a Secret of type %s needs the keys %s; it lacks %s: add them to spec.data",
			errInvalidData, t, strings.Join(req.allOf, ", "), strings.Join(missing, ", "))
	}
	if len(req.anyOf) > 0 && !hasAny(data, req.anyOf) {
		return fmt.Errorf("%w: a Secret of type %s needs at least one of the keys %s: add one to spec.data",
			errInvalidData, t, strings.Join(req.anyOf, ", "))
	}
	if t == corev1.SecretTypeDockerConfigJson {
		return checkDockerConfigJSON(data[corev1.DockerConfigJsonKey])
	}
	return nil
}

func hasAny(data map[string][]byte, keys []string) bool {
	for _, k := range keys {
		if _, ok := data[k]; ok {
			return true
		}
	}
	return false
}
