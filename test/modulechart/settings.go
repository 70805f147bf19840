// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package modulechart

import (
	"context"
	"time"
)

// Settings are the module settings a test changes on an installed module, as an
// administrator edits the ModuleConfig. The schema forbids listing tokenAudience in
// additionalTokenAudiences (the API server refuses a CSIDriver requesting one audience twice).
type Settings struct {
	TokenAudience            string   // tokenAudience; "" is the API server's audience
	AdditionalTokenAudiences []string // additionalTokenAudiences
	// ImageRegistries is the imageRegistries section as a ModuleConfig holds it; nil keeps
	// the install's.
	ImageRegistries map[string]any
}

// Configure renders the chart again with the install's values and st, applies it as Deckhouse
// would after a change of the ModuleConfig, and waits until the webhook and the CSI plugin
// run with the new render. The listeners keep their ports. Volumes mounted before stay
// mounted: the CSI plugin is replaced as a DaemonSet rollout replaces it. Restore undoes it.
func (m *Module) Configure(ctx context.Context, st Settings) error {
	additional := make([]any, 0, len(st.AdditionalTokenAudiences))
	for _, a := range st.AdditionalTokenAudiences {
		additional = append(additional, a)
	}
	settings := map[string]any{"tokenAudience": st.TokenAudience, "additionalTokenAudiences": additional}
	if st.ImageRegistries != nil {
		settings["imageRegistries"] = st.ImageRegistries
	}
	values := Merge(m.values, map[string]any{"secretsStoreIntegration": settings})
	if err := m.apply(ctx, values); err != nil {
		return err
	}
	m.logf("module settings applied: tokenAudience %q, additionalTokenAudiences %q, imageRegistries set %t",
		st.TokenAudience, st.AdditionalTokenAudiences, st.ImageRegistries != nil)
	return nil
}

// Restore applies the install's own settings again.
func (m *Module) Restore(ctx context.Context) error {
	if err := m.apply(ctx, m.values); err != nil {
		return err
	}
	m.logf("module settings of the install restored")
	return nil
}

// apply renders the chart with values, applies it (the webhook configuration last) and waits
// for the webhook and the CSI plugin.
func (m *Module) apply(ctx context.Context, values map[string]any) error {
	objs, err := Render(m.s.RepoRoot, values)
	if err != nil {
		return err
	}
	a, err := newApplier(m.s)
	if err != nil {
		return err
	}
	early, late := splitWebhookConfiguration(objs)
	if err := a.applyAll(ctx, early); err != nil {
		return err
	}
	if err := m.waitWebhook(ctx, 3*time.Minute); err != nil {
		return err
	}
	if err := a.applyAll(ctx, late); err != nil {
		return err
	}
	return m.waitCSIPlugin(ctx, 3*time.Minute)
}
