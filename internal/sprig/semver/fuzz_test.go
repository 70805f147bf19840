// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package semver

import "testing"

// FuzzNewVersion: NewVersion and Sprig's semver agree on every text, in
// error text, fields, printed forms and JSON.
func FuzzNewVersion(f *testing.F) {
	for _, s := range versionCorpus {
		f.Add(s)
	}
	for _, s := range checkVersions {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d := diffVersion(s); d != "" {
			t.Errorf("NewVersion(%q): %s", s, d)
		}
	})
}

// FuzzSatisfies: Satisfies and Sprig's semverCompare agree on every pair
// of texts, in result and error text.
func FuzzSatisfies(f *testing.F) {
	for i, c := range constraintCorpus {
		f.Add(c, checkVersions[i%len(checkVersions)])
	}
	f.Fuzz(func(t *testing.T, c, v string) {
		if d := diffSatisfies(c, v); d != "" {
			t.Errorf("Satisfies(%q, %q): %s", c, v, d)
		}
	})
}
