// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// credential is one entry of a docker config: what to send to a registry.
type credential struct {
	Username      string
	Password      string
	IdentityToken string
	RegistryToken string
}

// configEntry is an entry of .dockerconfigjson "auths" or of a legacy
// .dockercfg, as written by "kubectl create secret docker-registry" and
// "docker login". Email is ignored, as kubelet ignores it.
type configEntry struct {
	Username      string `json:"username,omitempty"`
	Password      string `json:"password,omitempty"`
	Auth          string `json:"auth,omitempty"`
	IdentityToken string `json:"identitytoken,omitempty"`
	RegistryToken string `json:"registrytoken,omitempty"`
}

// maxDockerConfig bounds a pull secret's config; a Secret is at most 1 MiB.
const maxDockerConfig = 1 << 20

var errNoDockerConfig = errors.New("secret has no docker config")

// secretConfig returns the docker config of a pull secret: the keys (registry
// locations as written) and their credentials.
func secretConfig(s *corev1.Secret) (map[string]credential, error) {
	switch s.Type {
	case corev1.SecretTypeDockerConfigJson:
		data, ok := s.Data[corev1.DockerConfigJsonKey]
		if !ok {
			return nil, fmt.Errorf("%w: key %q missing", errNoDockerConfig, corev1.DockerConfigJsonKey)
		}
		return parseDockerConfig(data, false)
	case corev1.SecretTypeDockercfg:
		data, ok := s.Data[corev1.DockerConfigKey]
		if !ok {
			return nil, fmt.Errorf("%w: key %q missing", errNoDockerConfig, corev1.DockerConfigKey)
		}
		return parseDockerConfig(data, true)
	}
	return nil, fmt.Errorf("%w: type is %q, want %q or %q", errNoDockerConfig,
		s.Type, corev1.SecretTypeDockerConfigJson, corev1.SecretTypeDockercfg)
}

// parseDockerConfig parses a .dockerconfigjson document
// ({"auths": {location: entry}}) or, when legacy is set, a .dockercfg
// document ({location: entry}). Like kubelet, an "auth" field
// (base64 of "username:password") takes precedence over username and
// password. An entry with a malformed "auth" fails the whole document, so
// that a broken secret is reported rather than silently skipped.
func parseDockerConfig(data []byte, legacy bool) (map[string]credential, error) {
	if len(data) > maxDockerConfig {
		return nil, fmt.Errorf("docker config is %d bytes, larger than %d", len(data), maxDockerConfig)
	}
	var entries map[string]configEntry
	if legacy {
		if err := json.Unmarshal(data, &entries); err != nil {
			return nil, fmt.Errorf("parse .dockercfg: %w", jsonError(err))
		}
	} else {
		var doc struct {
			Auths map[string]configEntry `json:"auths"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			return nil, fmt.Errorf("parse .dockerconfigjson: %w", jsonError(err))
		}
		entries = doc.Auths
	}
	out := make(map[string]credential, len(entries))
	for loc, e := range entries {
		c := credential{
			Username:      e.Username,
			Password:      e.Password,
			IdentityToken: e.IdentityToken,
			RegistryToken: e.RegistryToken,
		}
		if e.Auth != "" {
			user, pass, err := decodeAuth(e.Auth)
			if err != nil {
				return nil, fmt.Errorf("entry %q: %w", loc, err)
			}
			c.Username, c.Password = user, pass
		}
		out[loc] = c
	}
	return out, nil
}

// decodeAuth decodes base64("username:password"). The error never contains
// the field's content.
func decodeAuth(field string) (user, pass string, err error) {
	raw, err := base64.StdEncoding.DecodeString(field)
	if err != nil {
		// Some tools write unpadded base64.
		raw, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(field, "="))
		if err != nil {
			return "", "", errors.New("auth field is not base64")
		}
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", errors.New("auth field must be base64 of username:password")
	}
	return user, pass, nil
}

// jsonError describes a decoding error without quoting the document: a
// syntax error's text would contain a character of a credential.
func jsonError(err error) error {
	var (
		serr *json.SyntaxError
		terr *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &serr):
		return fmt.Errorf("invalid json at offset %d", serr.Offset)
	case errors.As(err, &terr):
		return fmt.Errorf("field %q must be %s, not %s", terr.Field, terr.Type, terr.Value)
	}
	return errors.New("invalid json")
}
