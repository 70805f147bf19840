// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package watcher

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestWatcherLinksNoHeavyPackage: the watcher's memory budget rests on what
// it does not link. net/http alone would take most of it; the templates and
// the full store client belong to the injector; log/slog and encoding/json
// would add about 0.3 MB that stays mapped (logline.go writes slog's lines).
func TestWatcherLinksNoHeavyPackage(t *testing.T) {
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool: " + err.Error())
	}
	out, err := exec.CommandContext(t.Context(), gotool, "list", "-deps",
		"github.com/deckhouse/secrets-store-integration/images/injector-watch").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, heavy := range []string{
		"net/http", "text/template", "github.com/Masterminds/sprig/v3", "log/slog", "encoding/json",
		"github.com/deckhouse/secrets-store-integration/internal/store",
		"github.com/deckhouse/secrets-store-integration/internal/tmpl",
		"github.com/deckhouse/secrets-store-integration/internal/injector",
	} {
		if slices.Contains(deps, heavy) {
			t.Errorf("the watcher links %s", heavy)
		}
	}
}
