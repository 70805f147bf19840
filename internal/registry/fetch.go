// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/deckhouse/secrets-store-integration/internal/podmutate"
)

const userAgent = "secrets-store-webhook"

// retryBackoff replaces go-containerregistry's default (three tries over
// 13 s), which does not fit in an admission request: one quick retry only.
var retryBackoff = remote.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 2}

// lookupError carries a classified failure out of a lookup.
type lookupError struct {
	kind      error
	err       error
	available []string
	mirror    string // the mirror endpoint that answered; "" for the registry
}

func (e *lookupError) Error() string {
	if e.err == nil {
		return e.kind.Error()
	}
	return fmt.Sprintf("%v: %v", e.kind, e.err)
}
func (e *lookupError) Unwrap() error { return e.err }

// definitive reports failures that no other source would change: the
// content of a digest is the same everywhere.
func (e *lookupError) definitive() bool {
	return errors.Is(e.kind, ErrPlatform) || errors.Is(e.kind, ErrUnsupported)
}

// answered reports failures that are a registry's answer rather than a
// failure to reach it.
func (e *lookupError) answered() bool {
	return errors.Is(e.kind, ErrDenied) || errors.Is(e.kind, ErrNotFound)
}

// lookup is one Resolve call's network side: the image, the platform and
// the credentials to try, in kubelet's order, then anonymous.
type lookup struct {
	r     *Resolver
	img   name.Reference
	arch  string
	creds []keyEntry
	id    string // credentialID(creds), part of every cache key
}

// digest returns the manifest digest img points at: the digest itself, a
// cached tag, or one HEAD request shared by concurrent identical lookups.
func (l *lookup) digest(ctx context.Context) (name.Digest, error) {
	if d, ok := l.img.(name.Digest); ok {
		return d, nil
	}
	repo := l.img.Context()
	key := l.img.Name() + "|" + l.id
	cached := func() (v1.Hash, bool) {
		h, ok := l.r.tags.get(key)
		if ok {
			l.r.observer.OnCacheHit(CacheTag)
		}
		return h, ok
	}
	h, err := shared(ctx, l.r, "tag|"+key, cached, func(ctx context.Context) (v1.Hash, error) {
		var h v1.Hash
		err := l.each(ctx, CapabilityResolve, l.img, func(ref name.Reference, opts []remote.Option) error {
			d, err := remote.Head(ref, opts...)
			if err == nil {
				h = d.Digest
			}
			return err
		})
		if err != nil {
			return v1.Hash{}, err
		}
		l.r.tags.add(key, h)
		return h, nil
	})
	if err != nil {
		return name.Digest{}, err
	}
	return repo.Digest(h.String()), nil
}

// config returns the image config of the manifest at d, for linux/<arch>
// when d is an index.
func (l *lookup) config(ctx context.Context, d name.Digest) (podmutate.ImageConfig, error) {
	key := d.Name() + "|linux/" + l.arch + "|" + l.id
	cached := func() (podmutate.ImageConfig, bool) {
		cfg, ok := l.r.configs.get(key)
		if ok {
			l.r.observer.OnCacheHit(CacheConfig)
		}
		return cfg, ok
	}
	return shared(ctx, l.r, "config|"+key, cached, func(ctx context.Context) (podmutate.ImageConfig, error) {
		var cfg podmutate.ImageConfig
		err := l.each(ctx, CapabilityPull, d, func(ref name.Reference, opts []remote.Option) error {
			var err error
			cfg, err = fetchConfig(ref, l.arch, opts)
			return err
		})
		if err != nil {
			return podmutate.ImageConfig{}, err
		}
		l.r.configs.add(key, cfg)
		return cfg, nil
	})
}

// each runs op on target at every source with the capability, mirrors
// first, until one succeeds. It stops early on a definitive failure or when ctx
// ends. Of several failures it reports the first that is a registry's
// answer (denied, not found), else the first: with an unreachable upstream
// behind a mirror, the mirror's answer is the one that explains.
func (l *lookup) each(ctx context.Context, capability string, target name.Reference,
	op func(name.Reference, []remote.Option) error,
) error {
	var first, answered *lookupError
	for _, src := range l.r.sources(target.Context().RegistryStr(), capability) {
		ref, err := src.reg(target)
		if err == nil {
			err = l.try(ctx, src.transport, ref, op)
		}
		if err == nil {
			return nil
		}
		le := asLookupError(err)
		le.mirror = src.mirror
		if le.definitive() || ctx.Err() != nil {
			return le
		}
		if first == nil {
			first = le
		}
		if answered == nil && le.answered() {
			answered = le
		}
	}
	if answered != nil {
		return answered
	}
	return first
}

func asLookupError(err error) *lookupError {
	var le *lookupError
	if errors.As(err, &le) {
		return le
	}
	return &lookupError{kind: classify(err), err: err}
}

// try runs op with each credential, then anonymously, until one is not
// refused. A 401/403 or 404 moves on to the next credential (registries
// answer 404 for private repositories too); any other failure stops at
// once. Of several refusals, "not found" is reported over "denied": a
// credential got in and found nothing.
//
// Mirrors get the same credentials as the registry, as containerd sends
// them: kubelet matches pull secrets against the image's registry, and
// containerd passes what it gets to every host configured for it.
func (l *lookup) try(ctx context.Context, rt http.RoundTripper, ref name.Reference,
	op func(name.Reference, []remote.Option) error,
) error {
	auths := make([]authn.Authenticator, 0, len(l.creds)+1)
	for _, e := range l.creds {
		auths = append(auths, authn.FromConfig(authn.AuthConfig{
			Username:      e.cred.Username,
			Password:      e.cred.Password,
			IdentityToken: e.cred.IdentityToken,
			RegistryToken: e.cred.RegistryToken,
		}))
	}
	auths = append(auths, authn.Anonymous)
	var refused *lookupError
	for _, a := range auths {
		err := op(ref, []remote.Option{
			remote.WithContext(ctx),
			remote.WithAuth(a),
			remote.WithTransport(rt),
			remote.WithUserAgent(userAgent),
			remote.WithRetryBackoff(retryBackoff),
		})
		if err == nil {
			return nil
		}
		var le *lookupError
		if errors.As(err, &le) {
			return err
		}
		if cerr := ctx.Err(); cerr != nil {
			// The lookup ran out of time or was canceled: that is the
			// cause, whatever the request in flight then failed with (an
			// answer cut short can surface as a malformed body).
			return &lookupError{kind: ErrUnavailable, err: fmt.Errorf("%w: %w", cerr, err)}
		}
		kind := classify(err)
		if !errors.Is(kind, ErrDenied) && !errors.Is(kind, ErrNotFound) {
			return &lookupError{kind: kind, err: err}
		}
		if refused == nil || errors.Is(kind, ErrNotFound) {
			refused = &lookupError{kind: kind, err: err}
		}
	}
	return refused
}
