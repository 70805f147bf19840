// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package modulechart

import (
	"context"
	"slices"
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
	// Synchronization is synchronization.enabled; nil keeps the install's. Turned on, the sync
	// controller's image is built if the install did not build it; turned off, the controller's
	// objects are deleted and SecretsStoreSync objects are refused when Configure returns.
	Synchronization *bool
}

// Configure renders the chart again with the install's values and st, applies it as Deckhouse
// would after a change of the ModuleConfig, and waits until the webhook and the CSI plugin
// run with the new render, and the sync controller and the SecretsStoreSync admission follow
// st.Synchronization. The listeners keep their ports. Volumes mounted before stay mounted: the
// CSI plugin is replaced as a DaemonSet rollout replaces it. Restore undoes it.
func (m *Module) Configure(ctx context.Context, st Settings) error {
	additional := make([]any, 0, len(st.AdditionalTokenAudiences))
	for _, a := range st.AdditionalTokenAudiences {
		additional = append(additional, a)
	}
	settings := map[string]any{"tokenAudience": st.TokenAudience, "additionalTokenAudiences": additional}
	if st.ImageRegistries != nil {
		settings["imageRegistries"] = st.ImageRegistries
	}
	if st.Synchronization != nil {
		settings["synchronization"] = map[string]any{"enabled": *st.Synchronization}
	}
	values := Merge(m.values, map[string]any{"secretsStoreIntegration": settings})
	if err := m.apply(ctx, values); err != nil {
		return err
	}
	m.logf("module settings applied: tokenAudience %q, additionalTokenAudiences %q, imageRegistries set %t, synchronization %t",
		st.TokenAudience, st.AdditionalTokenAudiences, st.ImageRegistries != nil, m.sync)
	return nil
}

// SetSynchronization turns synchronization.enabled on or off and keeps every other setting of
// the install, as an administrator who edits only that field of the ModuleConfig. When it
// returns, the sync controller is available and SecretsStoreSync objects are admitted (on), or
// the controller's objects are deleted and creation is refused (off). Restore undoes it.
func (m *Module) SetSynchronization(ctx context.Context, on bool) error {
	values := Merge(m.values, map[string]any{"secretsStoreIntegration": map[string]any{
		"synchronization": map[string]any{"enabled": on},
	}})
	if err := m.apply(ctx, values); err != nil {
		return err
	}
	m.logf("module settings applied: synchronization %t", on)
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

// apply renders the chart with values, applies it (the webhook configuration last), waits for
// the webhook and the CSI plugin, and settles the sync controller: built, applied and available
// when synchronization is on, deleted when it has just been turned off.
func (m *Module) apply(ctx context.Context, values map[string]any) error {
	objs, err := Render(m.s.RepoRoot, values)
	if err != nil {
		return err
	}
	a, err := newApplier(m.s)
	if err != nil {
		return err
	}
	on := syncEnabled(values)
	fresh, err := m.buildSyncImage(ctx, values, on)
	if err != nil {
		return err
	}
	early, late := splitWebhookConfiguration(objs)
	if err := a.applyAll(ctx, early); err != nil {
		return err
	}
	if err := m.replaceStalePods(ctx, fresh); err != nil {
		return err
	}
	if err := m.waitWebhook(ctx, 3*time.Minute); err != nil {
		return err
	}
	if err := a.applyAll(ctx, late); err != nil {
		return err
	}
	if err := m.waitCSIPlugin(ctx, 3*time.Minute); err != nil {
		return err
	}
	changed := on != m.sync
	m.sync = on
	return m.settleSync(ctx, a, values, objs, changed)
}

// buildSyncImage builds the sync controller's image when synchronization is on and the
// install has not built it, and returns it (nothing otherwise).
func (m *Module) buildSyncImage(ctx context.Context, values map[string]any, on bool) ([]builtImage, error) {
	var name string
	if local, _ := values[LocalKey].(*Local); local != nil {
		name = local.Images[syncImage]
	}
	if !on || slices.ContainsFunc(m.images, func(b builtImage) bool { return b.name == name }) {
		return nil, nil
	}
	fresh, err := buildImages(ctx, m.s, values, []string{syncImage})
	if err != nil {
		return nil, err
	}
	m.images = append(m.images, fresh...)
	return fresh, nil
}
