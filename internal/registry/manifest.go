// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/deckhouse/secrets-store-integration/internal/podmutate"
)

// fetchConfig reads the manifest at d and the config it names; for an index
// it picks linux/<arch> first. Fetches by digest are verified by
// go-containerregistry, which is what makes caching by digest sound.
func fetchConfig(d name.Reference, arch string, opts []remote.Option) (podmutate.ImageConfig, error) {
	desc, err := remote.Get(d, opts...)
	if err != nil {
		return podmutate.ImageConfig{}, err
	}
	var img v1.Image
	switch {
	case desc.MediaType.IsIndex():
		idx, err := desc.ImageIndex()
		if err != nil {
			return podmutate.ImageConfig{}, err
		}
		m, err := idx.IndexManifest()
		if err != nil {
			return podmutate.ImageConfig{}, err
		}
		child, err := pickPlatform(m, arch)
		if err != nil {
			return podmutate.ImageConfig{}, err
		}
		if img, err = idx.Image(child); err != nil {
			return podmutate.ImageConfig{}, err
		}
	case desc.MediaType.IsImage():
		if img, err = desc.Image(); err != nil {
			return podmutate.ImageConfig{}, err
		}
	default:
		return podmutate.ImageConfig{}, &lookupError{
			kind: ErrUnsupported,
			err:  &safeError{text: describeMediaType(string(desc.MediaType))},
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return podmutate.ImageConfig{}, err
	}
	return podmutate.ImageConfig{Entrypoint: cf.Config.Entrypoint, Cmd: cf.Config.Cmd}, nil
}

// defaultVariant is what containerd picks for an architecture when an
// index lists several variants.
var defaultVariant = map[string]string{"arm64": "v8", "arm": "v7"}

// Platforms quoted in an ErrPlatform message: the index is the registry's,
// so only a bounded number of names of the usual shape are.
var platformName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,31}(/[a-z0-9][a-z0-9._-]{0,31}){1,2}$`)

const maxPlatforms = 16

// pickPlatform returns the image of an index for linux/<arch>: an entry
// with the default variant (or none) first, else the first entry of that
// architecture. Entries without a platform are skipped.
func pickPlatform(m *v1.IndexManifest, arch string) (v1.Hash, error) {
	var (
		first     *v1.Descriptor
		available []string
	)
	for i := range m.Manifests {
		d := &m.Manifests[i]
		p := d.Platform
		if p == nil || !d.MediaType.IsImage() {
			continue
		}
		if p.OS == "unknown" {
			continue // attestation manifests
		}
		if ps := p.String(); platformName.MatchString(ps) && len(available) < maxPlatforms && !slices.Contains(available, ps) {
			available = append(available, ps)
		}
		if p.OS != "linux" || p.Architecture != arch {
			continue
		}
		if p.Variant == "" || p.Variant == defaultVariant[arch] {
			return d.Digest, nil
		}
		if first == nil {
			first = d
		}
	}
	if first != nil {
		return first.Digest, nil
	}
	return v1.Hash{}, &lookupError{kind: ErrPlatform, available: available}
}

// mediaType is the shape of a media type worth quoting.
var mediaType = regexp.MustCompile(`^[a-z0-9][a-z0-9.+-]{0,63}/[a-z0-9][a-z0-9.+-]{0,99}$`)

// describeMediaType quotes a manifest's media type when it looks like one;
// the header is the registry's, and only a bounded, checked value is shown.
func describeMediaType(mt string) string {
	if mediaType.MatchString(mt) {
		return fmt.Sprintf("manifest media type %q", mt)
	}
	return "manifest of an unknown media type"
}
