// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package nriplugin

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
)

// maxSettings bounds the settings annotation (the API server caps all of a
// pod's annotations at 256 KiB).
const maxSettings = 64 << 10

// Settings is the content of envcontract.NRISettingsAnnotation.
type Settings struct {
	// Env are the control variables, "SECRETS_STORE_…=value".
	Env []string `json:"env"`
	// Containers are the containers (and init containers) to resolve.
	Containers []string `json:"containers"`
}

// ParseSettings reads the settings annotation. Errors quote nothing of
// the value beyond names: it holds no secret, but it can be large.
func ParseSettings(s string) (Settings, error) {
	var st Settings
	if len(s) > maxSettings {
		return st, fmt.Errorf("%d bytes, more than %d", len(s), maxSettings)
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return Settings{}, errors.New("not the JSON the module's webhook writes: " + err.Error())
	}
	if dec.More() {
		return Settings{}, errors.New("trailing data after the JSON object")
	}
	var errs []error
	for _, kv := range st.Env {
		name, _, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, envcontract.Prefix) {
			errs = append(errs, fmt.Errorf("env entry %s is not %sNAME=value", strconv.Quote(trim(name)), envcontract.Prefix))
		}
	}
	for _, c := range st.Containers {
		if msgs := validation.IsDNS1123Label(c); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("container name %s: %s", strconv.Quote(trim(c)), strings.Join(msgs, "; ")))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Settings{}, err
	}
	return st, nil
}

// Resolves reports whether container name is to be resolved.
func (s Settings) Resolves(name string) bool { return slices.Contains(s.Containers, name) }

func trim(s string) string {
	const n = 64
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
