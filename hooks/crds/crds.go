// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package crds is the hook that installs the module's CustomResourceDefinitions
// at start-up with module-sdk's ensure_crds common hook: every crds/*.yaml
// except the doc-* files (Russian descriptions for the documentation site),
// labeled heritage=deckhouse.
//
// The crds directory is found next to the hooks binary (<module>/hooks/<binary>
// and <module>/crds), not relative to the working directory, which
// addon-operator does not promise.
package crds

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	ensurecrds "github.com/deckhouse/module-sdk/common-hooks/ensure_crds"
	"github.com/deckhouse/module-sdk/pkg"
	"github.com/deckhouse/module-sdk/pkg/registry"
)

// Config is the hook's registration: on start-up, order 5 (as the common hook).
var Config = &pkg.HookConfig{
	OnStartup: &pkg.OrderedConfig{Order: 5},
}

var _ = registry.RegisterFunc(Config, Handler(executableGlob))

// Handler returns the hook handler installing the CRDs matched by the glob
// that glob returns when the hook runs.
func Handler(glob func() (string, error)) pkg.HookFunc[*pkg.HookInput] {
	return func(ctx context.Context, in *pkg.HookInput) error {
		pattern, err := glob()
		if err != nil {
			return err
		}
		// An empty match would install nothing and report success.
		files, err := filepath.Glob(pattern)
		if err != nil {
			return fmt.Errorf("find crds %q: %w", pattern, err)
		}
		if len(files) == 0 {
			return fmt.Errorf("no crd files match %q: the hooks binary must run from the module's hooks directory, next to crds", pattern)
		}
		return ensurecrds.EnsureCRDsHandler(pattern)(ctx, in)
	}
}

// Glob returns the pattern of the CRD files for a hooks binary at executable.
func Glob(executable string) string {
	return filepath.Join(filepath.Dir(executable), "..", "crds", "*.yaml")
}

func executableGlob() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("locate the hooks binary to find the crds directory: %w", err)
	}
	return Glob(exe), nil
}
