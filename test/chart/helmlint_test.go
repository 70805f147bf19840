// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package chart_test

import (
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
)

// TestHelmLint runs Helm's own linter (the checks of `helm lint --strict`: Chart.yaml,
// templates, the dependency on the platform's library in charts/) over the chart with the
// values of every render case. A warning fails the test as an error does; informational
// messages (such as the chart having no values.yaml: a Deckhouse module's values come from
// openapi/) are logged.
func TestHelmLint(t *testing.T) {
	kube := &chartutil.KubeVersion{Version: "v1.33.4", Major: "1", Minor: "33"}
	for _, c := range renderCases {
		t.Run(c.name, func(t *testing.T) {
			values := caseValues(t, c)
			if c.monitoring {
				values = withMonitoringModules(values)
			}
			l := lint.AllWithKubeVersion(repoRoot(t), values, moduleNamespace, kube)
			for _, m := range l.Messages {
				if m.Severity >= support.WarningSev {
					t.Errorf("helm lint: %s", m.Error())
				} else {
					t.Logf("helm lint: %s", m.Error())
				}
			}
		})
	}
}
