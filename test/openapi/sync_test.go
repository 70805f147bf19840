// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package openapi_test

import (
	"reflect"
	"strings"
	"testing"
)

func TestSynchronizationSettings(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		want     []string // each must appear in some error; none means valid
	}{
		{name: "defaults", settings: `{}`},
		{name: "enabled", settings: `{"synchronization": {"enabled": true}}`},
		{name: "enabled with replicas", settings: `{"synchronization": {"enabled": true, "replicas": 3}}`},
		{name: "disabled explicitly", settings: `{"synchronization": {"enabled": false}}`},
		{name: "one replica", settings: `{"synchronization": {"enabled": true, "replicas": 1}}`},
		{name: "five replicas", settings: `{"synchronization": {"enabled": true, "replicas": 5}}`},
		{
			name:     "no replica",
			settings: `{"synchronization": {"enabled": true, "replicas": 0}}`,
			want:     []string{"synchronization.replicas in body should be greater than or equal to 1"},
		},
		{
			name:     "six replicas",
			settings: `{"synchronization": {"enabled": true, "replicas": 6}}`,
			want:     []string{"synchronization.replicas in body should be less than or equal to 5"},
		},
		{
			name:     "enabled as a string",
			settings: `{"synchronization": {"enabled": "true"}}`,
			want:     []string{"synchronization.enabled in body must be of type boolean"},
		},
		{
			name:     "unknown field",
			settings: `{"synchronization": {"enabled": true, "interval": "1m"}}`,
			want:     []string{"synchronization.interval in body is a forbidden property"},
		},
		{name: "long rotation interval while off", settings: `{"rotationInterval": "48h"}`},
		{name: "rotation interval of a day while on", settings: `{"rotationInterval": "24h", "synchronization": {"enabled": true}}`},
		{
			name:     "rotation interval above a day while on",
			settings: `{"rotationInterval": "24h1s", "synchronization": {"enabled": true}}`,
			want:     []string{"synchronization.enabled: rotationInterval is also how often SecretsStoreSync resources are refreshed, at most 24h"},
		},
		{
			name:     "a boolean instead of the section",
			settings: `{"synchronization": true}`,
			want:     []string{"synchronization in body must be of type object"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := validateSettings(t, fromJSON(t, tt.settings))
			if len(tt.want) == 0 {
				if len(errs) != 0 {
					t.Errorf("rejected:\n%s", strings.Join(errs, "\n"))
				}
				return
			}
			if len(errs) == 0 {
				t.Fatalf("accepted %s", tt.settings)
			}
			all := strings.Join(errs, "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("errors lack %q:\n%s", w, all)
				}
			}
		})
	}
}

// The mode is off unless an administrator turns it on, also when only the
// number of replicas is given.
func TestSynchronizationOffByDefault(t *testing.T) {
	for _, settings := range []string{`{}`, `{"synchronization": {}}`, `{"synchronization": {"replicas": 3}}`} {
		got := fromJSON(t, settings)
		applyDefaults(got, configSchema(t))
		sync := object(t, object(t, got, "settings")["synchronization"], "synchronization")
		want := map[string]any{"enabled": false, "replicas": float64(2)}
		if r, ok := object(t, fromJSON(t, settings), "settings")["synchronization"].(map[string]any); ok && r["replicas"] != nil {
			want["replicas"] = r["replicas"]
		}
		if !reflect.DeepEqual(sync, want) {
			t.Errorf("%s: synchronization after defaults = %v, want %v", settings, sync, want)
		}
	}
}

// The descriptions carry the warning the documentation site shows next to the setting.
func TestSynchronizationWarning(t *testing.T) {
	s := configSchema(t)
	section := s.Properties["synchronization"]
	enabled := section.Properties["enabled"]
	for where, text := range map[string]string{"synchronization": section.Description, "synchronization.enabled": enabled.Description} {
		for _, want := range []string{"etcd", "backups", "read Secrets in the namespace"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: description lacks %q:\n%s", where, want, text)
			}
		}
	}
	for _, want := range []string{"no longer updated", "is refused", "can still be edited and deleted"} {
		if !strings.Contains(enabled.Description, want) {
			t.Errorf("synchronization.enabled: description does not say what turning it off does (%q):\n%s", want, enabled.Description)
		}
	}
}
