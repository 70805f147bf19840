// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/deckhouse/secrets-store-integration/internal/podmutate"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultArch       = "amd64"
	DefaultTimeout    = 5 * time.Second
	DefaultConfigTTL  = time.Hour
	DefaultTagTTL     = time.Minute
	DefaultMaxEntries = 1024
	// DefaultMaxConcurrentLookups bounds the registry lookups in progress
	// in the whole process; see the package comment for the memory it
	// allows.
	DefaultMaxConcurrentLookups = 8
)

// Config tunes a Resolver. Zero fields take the defaults above.
type Config struct {
	// Trust holds the CAs, insecure registries and mirrors. Nothing is
	// insecure unless listed; the system pool is always trusted.
	Trust Trust
	// MaxConcurrentLookups bounds the registry lookups (HEAD of a tag, or
	// manifests and config of a digest) in progress at once, process-wide.
	// Callers sharing a lookup count once; a caller that would start one
	// waits for a slot as long as its context allows.
	MaxConcurrentLookups int
	// DefaultArch is the architecture looked up in an image index when the
	// pod names none.
	DefaultArch string
	// Timeout bounds one lookup's registry requests. It should stay well
	// below the webhook's timeoutSeconds so the pod is refused with this
	// package's message rather than the API server's timeout.
	Timeout time.Duration
	// ConfigTTL and TagTTL are how long an image config (per digest) and a
	// tag's digest are reused.
	ConfigTTL, TagTTL time.Duration
	// MaxEntries bounds each of the two caches.
	MaxEntries int
}

// SecretGetter reads a Secret; the Resolver uses it for the pod's
// imagePullSecrets only, by name (get, never list or watch).
type SecretGetter interface {
	GetSecret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
}

// SecretsFrom adapts a client-go Secrets client.
func SecretsFrom(c corev1client.SecretsGetter) SecretGetter { return clientSecrets{c} }

type clientSecrets struct{ c corev1client.SecretsGetter }

func (s clientSecrets) GetSecret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	return s.c.Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
}

// Cache names reported to Observer.OnCacheHit.
const (
	CacheTag    = "tag"
	CacheConfig = "config"
)

// Observer is told about every lookup and cache hit, e.g. to count them.
// Calls happen on the lookup's goroutine and must not block.
type Observer interface {
	OnLookup(result string) // ResultOK or one of the error results
	OnCacheHit(cache string)
}

type nopObserver struct{}

func (nopObserver) OnLookup(string)   {}
func (nopObserver) OnCacheHit(string) {}

// Option customizes a Resolver.
type Option func(*Resolver)

// WithObserver reports lookups and cache hits to o.
func WithObserver(o Observer) Option { return func(r *Resolver) { r.observer = o } }

// WithClock replaces time.Now for cache expiry.
func WithClock(now func() time.Time) Option { return func(r *Resolver) { r.now = now } }

// Resolver reads image configs from registries. It implements
// podmutate.ImageResolver and is safe for concurrent use.
type Resolver struct {
	cfg       Config
	secrets   SecretGetter
	transport http.RoundTripper
	insecure  map[string]bool
	observer  Observer
	now       func() time.Time
	hmacKey   []byte
	// tags maps "<repo>:<tag>|<credential ID>" to a manifest digest;
	// configs maps "<repo>@<digest>|<os/arch>|<credential ID>" to a config.
	tags    *lru[v1.Hash]
	configs *lru[podmutate.ImageConfig]
	flights *flights
	// mirrors maps a canonical registry name ("_default" included) to its
	// mirror endpoints, in order.
	mirrors map[string][]*endpoint
}

var _ podmutate.ImageResolver = (*Resolver)(nil)

// New returns a Resolver reading pull secrets with secrets.
func New(secrets SecretGetter, cfg Config, opts ...Option) (*Resolver, error) {
	cfg = withDefaults(cfg)
	if cfg.Timeout < 0 || cfg.ConfigTTL < 0 || cfg.TagTTL < 0 || cfg.MaxEntries < 0 || cfg.MaxConcurrentLookups < 0 {
		return nil, errors.New("registry timeout, ttls, cache size and concurrent lookups must not be negative")
	}
	if err := cfg.Trust.Validate(); err != nil {
		return nil, err
	}
	insecure := make(map[string]bool, len(cfg.Trust.InsecureRegistries))
	for _, h := range cfg.Trust.InsecureRegistries {
		insecure[strings.ToLower(h)] = true
	}
	pool, err := certPool(cfg.Trust.CA)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", settingCA, err)
	}
	mirrors, err := compileMirrors(cfg.Trust)
	if err != nil {
		return nil, err
	}
	r := &Resolver{
		cfg:       cfg,
		secrets:   secrets,
		transport: newHostPolicy(pool, insecure),
		insecure:  insecure,
		mirrors:   mirrors,
		flights:   newFlights(cfg.MaxConcurrentLookups, cfg.Timeout),
		observer:  nopObserver{},
		now:       time.Now,
		hmacKey:   make([]byte, 32),
	}
	for _, o := range opts {
		o(r)
	}
	_, _ = rand.Read(r.hmacKey) // never fails (crypto/rand panics instead)
	r.tags = newLRU[v1.Hash](cfg.MaxEntries, cfg.TagTTL, r.now)
	r.configs = newLRU[podmutate.ImageConfig](cfg.MaxEntries, cfg.ConfigTTL, r.now)
	return r, nil
}

func withDefaults(c Config) Config {
	if c.DefaultArch == "" {
		c.DefaultArch = DefaultArch
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.ConfigTTL == 0 {
		c.ConfigTTL = DefaultConfigTTL
	}
	if c.TagTTL == 0 {
		c.TagTTL = DefaultTagTTL
	}
	if c.MaxEntries == 0 {
		c.MaxEntries = DefaultMaxEntries
	}
	if c.MaxConcurrentLookups == 0 {
		c.MaxConcurrentLookups = DefaultMaxConcurrentLookups
	}
	return c
}

// Resolve returns the Entrypoint and Cmd of ref's image for linux/<arch>.
// Every error is an *Error.
func (r *Resolver) Resolve(ctx context.Context, ref podmutate.ImageRef) (podmutate.ImageConfig, error) {
	cfg, err := r.resolve(ctx, ref)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			r.observer.OnLookup(e.Result())
		}
		return podmutate.ImageConfig{}, err
	}
	r.observer.OnLookup(ResultOK)
	// Callers own the result; the cached slices stay untouched.
	return podmutate.ImageConfig{Entrypoint: slices.Clone(cfg.Entrypoint), Cmd: slices.Clone(cfg.Cmd)}, nil
}

func (r *Resolver) resolve(ctx context.Context, ref podmutate.ImageRef) (podmutate.ImageConfig, error) {
	arch := ref.Arch
	if arch == "" {
		arch = r.cfg.DefaultArch
	}
	e := &Error{Image: ref.Image, Platform: "linux/" + arch, Namespace: ref.Namespace, Secrets: ref.PullSecrets}
	img, err := r.parse(ref.Image)
	if err != nil {
		// The parser's text quotes only the image, which the pod names.
		e.Kind, e.Err = ErrInvalid, &safeError{text: err.Error()}
		return podmutate.ImageConfig{}, e
	}
	repo := img.Context()
	e.Registry = repo.RegistryStr()
	creds := r.podCredentials(ctx, ref.Namespace, ref.PullSecrets, repo.RegistryStr(), repo.RepositoryStr())
	l := &lookup{r: r, img: img, arch: arch, creds: creds, id: r.credentialID(creds)}
	digest, err := l.digest(ctx)
	if err == nil {
		var cfg podmutate.ImageConfig
		if cfg, err = l.config(ctx, digest); err == nil {
			return cfg, nil
		}
	}
	le := asLookupError(err)
	e.Kind, e.Err, e.Available, e.Mirror = le.kind, le.err, le.available, le.mirror
	if errors.Is(err, ErrBusy) {
		e.Kind, e.Err = ErrUnavailable, err
	}
	return podmutate.ImageConfig{}, e
}

// parse reads an image name the way the container runtime does: a missing
// registry is docker.io, a missing tag is "latest".
func (r *Resolver) parse(image string) (name.Reference, error) {
	ref, err := name.ParseReference(image)
	if err != nil {
		return nil, err
	}
	if r.insecure[strings.ToLower(ref.Context().RegistryStr())] {
		return name.ParseReference(image, name.Insecure)
	}
	return ref, nil
}
