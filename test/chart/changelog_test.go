// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package chart_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestChangelogIsTheLatestVersion checks that changelog.yaml, which the release image ships and
// Deckhouse shows with the release, is CHANGELOG/v<the chart's version>.yml after its leading
// comment, so that the two never drift apart.
func TestChangelogIsTheLatestVersion(t *testing.T) {
	root := repoRoot(t)
	raw, err := os.ReadFile(filepath.Join(root, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var chart struct{ Version string }
	if err := yaml.Unmarshal(raw, &chart); err != nil || chart.Version == "" {
		t.Fatalf("Chart.yaml version: %q, %v", chart.Version, err)
	}
	latest, err := os.ReadFile(filepath.Join(root, "CHANGELOG", "v"+chart.Version+".yml"))
	if err != nil {
		t.Fatalf("the chart's version %s has no CHANGELOG entry: %v", chart.Version, err)
	}
	shipped, err := os.ReadFile(filepath.Join(root, "changelog.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for bytes.HasPrefix(shipped, []byte("#")) {
		_, shipped, _ = bytes.Cut(shipped, []byte("\n"))
	}
	if !bytes.Equal(shipped, latest) {
		t.Errorf("changelog.yaml (after its leading comment) differs from CHANGELOG/v%s.yml: copy the latter into it", chart.Version)
	}
}
