package registry

import (
	"context"
	"errors"
	"fmt"
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
}

func (e *lookupError) Error() string {
	if e.err == nil {
		return e.kind.Error()
	}
	return fmt.Sprintf("%v: %v", e.kind, e.err)
}
func (e *lookupError) Unwrap() error { return e.err }

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
	if h, ok := l.r.tags.get(key); ok {
		l.r.observer.OnCacheHit(CacheTag)
		return repo.Digest(h.String()), nil
	}
	h, err := shared(ctx, l.r, "tag|"+key, func(ctx context.Context) (v1.Hash, error) {
		var h v1.Hash
		err := l.try(ctx, func(opts []remote.Option) error {
			d, err := remote.Head(l.img, opts...)
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
	if cfg, ok := l.r.configs.get(key); ok {
		l.r.observer.OnCacheHit(CacheConfig)
		return cfg, nil
	}
	return shared(ctx, l.r, "config|"+key, func(ctx context.Context) (podmutate.ImageConfig, error) {
		var cfg podmutate.ImageConfig
		err := l.try(ctx, func(opts []remote.Option) error {
			var err error
			cfg, err = fetchConfig(d, l.arch, opts)
			return err
		})
		if err != nil {
			return podmutate.ImageConfig{}, err
		}
		l.r.configs.add(key, cfg)
		return cfg, nil
	})
}

// try runs op with each credential, then anonymously, until one is not
// refused. A 401/403 or 404 moves on to the next credential (registries
// answer 404 for private repositories too); any other failure stops at
// once. Of several refusals, "not found" is reported over "denied": a
// credential got in and found nothing.
func (l *lookup) try(ctx context.Context, op func([]remote.Option) error) error {
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
		err := op([]remote.Option{
			remote.WithContext(ctx),
			remote.WithAuth(a),
			remote.WithTransport(l.r.transport),
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

// fetchConfig reads the manifest at d and the config it names; for an index
// it picks linux/<arch> first. Fetches by digest are verified by
// go-containerregistry, which is what makes caching by digest sound.
func fetchConfig(d name.Digest, arch string, opts []remote.Option) (podmutate.ImageConfig, error) {
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
			err:  fmt.Errorf("manifest media type %q", desc.MediaType),
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
		available = append(available, p.String())
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

// shared runs fn once for concurrent callers of the same key. The run is
// detached from any single caller's cancellation (one pod's timeout must
// not fail the others) and bounded by Config.Timeout; each caller still
// returns as soon as its own context ends.
func shared[T any](ctx context.Context, r *Resolver, key string, fn func(context.Context) (T, error)) (T, error) {
	ch := r.flight.DoChan(key, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Timeout)
		defer cancel()
		return fn(fctx)
	})
	var zero T
	select {
	case res := <-ch:
		if res.Err != nil {
			return zero, res.Err
		}
		// Every flight of a key runs an fn of the same T.
		v, ok := res.Val.(T)
		if !ok {
			return zero, fmt.Errorf("shared lookup %q: unexpected result %T", key, res.Val)
		}
		return v, nil
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}
