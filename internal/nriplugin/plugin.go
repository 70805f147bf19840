// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package nriplugin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/containerd/nri/pkg/api"
	"github.com/containerd/nri/pkg/stub"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/internal/injector"
	"github.com/deckhouse/secrets-store-integration/internal/store"
)

// Name and Index register the plugin with the runtime as "50-secrets-store".
const (
	Name  = envcontract.NRIPluginName
	Index = "50"
)

// Resolution budget: the plugin answers this much before the runtime's
// request timeout, and never takes less than minBudget.
const (
	timeoutMargin = 300 * time.Millisecond
	minBudget     = 500 * time.Millisecond
)

// ErrNotConnected is returned by Connected while the plugin is not registered
// with the runtime.
var ErrNotConnected = errors.New("the NRI plugin is not connected to the container runtime")

// ReaderFactory returns the store client of a connection.
type ReaderFactory func(store.Config) (injector.Reader, error)

// Plugin is the NRI plugin. Its zero value is not usable: call New.
type Plugin struct {
	pods      *Pods
	readers   ReaderFactory
	log       *slog.Logger
	connected atomic.Bool
	// requestTimeout is the runtime's NRI request timeout, in nanoseconds.
	requestTimeout atomic.Int64
	lastErr        atomic.Pointer[string]
	// current is the stub of the connection being served.
	current atomic.Pointer[stub.Stub]

	mu      sync.Mutex
	clients map[string]injector.Reader

	// storeAddress is the module's store, the only one this plugin reads from
	// (see WithStoreAddress).
	storeAddress string
}

// WithStoreAddress sets the module's store address, the only store the
// plugin sends a pod's token to. The plugin runs in the node's network: a
// store address from a pod's settings would let the pod make the node send
// requests, with its token, to any address the node reaches. A pod whose
// settings name another address is refused (the entrypoint injection, which
// runs in the pod's own network, takes any). Without it every container is
// refused.
func (p *Plugin) WithStoreAddress(address string) *Plugin {
	p.storeAddress = address
	return p
}

// checkStore refuses a store other than the module's.
func (p *Plugin) checkStore(address string) error {
	norm := func(a string) string { return strings.TrimRight(strings.TrimSpace(a), "/") }
	switch {
	case p.storeAddress == "":
		return errors.New("env-delivery NRI needs the module's store address, and the CSI driver has none (flag --store-addr): set the module's connection")
	case norm(address) != norm(p.storeAddress):
		return fmt.Errorf("env-delivery NRI reads only the module's store (%s); this pod names %q: remove the address annotation, "+
			"or use env-delivery Entrypoint for another store", p.storeAddress, address)
	}
	return nil
}

// New returns a plugin that resolves with the tokens of pods and the store
// clients of readers (nil: store.New).
func New(pods *Pods, readers ReaderFactory, log *slog.Logger) *Plugin {
	if readers == nil {
		readers = func(c store.Config) (injector.Reader, error) { return store.New(c) }
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Plugin{pods: pods, readers: readers, log: log, clients: make(map[string]injector.Reader)}
	p.requestTimeout.Store(int64(api.DefaultPluginRequestTimeout))
	return p
}

// Connected returns nil while the plugin is registered with the runtime,
// else an error wrapping ErrNotConnected that says why.
func (p *Plugin) Connected() error {
	if p.connected.Load() {
		return nil
	}
	if why := p.lastErr.Load(); why != nil {
		return fmt.Errorf("%w: %s", ErrNotConnected, *why)
	}
	return ErrNotConnected
}

// Synchronize is the runtime's first call after registration: from then on
// the plugin receives CreateContainer.
func (p *Plugin) Synchronize(context.Context, []*api.PodSandbox, []*api.Container) ([]*api.ContainerUpdate, error) {
	if s := p.current.Load(); s != nil {
		if t := (*s).RequestTimeout(); t > 0 {
			p.requestTimeout.Store(int64(t))
		}
	}
	p.connected.Store(true)
	p.log.Info("NRI plugin connected to the container runtime")
	return nil, nil
}

// CreateContainer resolves the environment of a container of an opted-in
// pod; see the package comment.
func (p *Plugin) CreateContainer(ctx context.Context, pod *api.PodSandbox, ctr *api.Container) (*api.ContainerAdjustment, []*api.ContainerUpdate, error) {
	adj, err := p.adjust(ctx, pod, ctr)
	if err != nil {
		// The message reaches the pod's status: names and references only.
		return nil, nil, fmt.Errorf("secrets-store: environment of container %s of pod %s/%s not resolved: %w",
			ctr.GetName(), pod.GetNamespace(), pod.GetName(), err)
	}
	return adj, nil, nil
}

func (p *Plugin) adjust(ctx context.Context, pod *api.PodSandbox, ctr *api.Container) (*api.ContainerAdjustment, error) {
	// A pod opts in with the settings annotation, which stays on the pod for
	// its whole life. The token map is not the opt-in: it is in memory and
	// empty after this process restarts until kubelet republishes the pod's
	// volume, and a container of an opted-in pod created in between must be
	// refused, never started with its references unresolved.
	e, known := p.pods.get(pod.GetUid())
	raw, annotated := pod.GetAnnotations()[envcontract.NRISettingsAnnotation]
	if !annotated {
		if !known {
			return nil, nil // not opted in
		}
		return nil, fmt.Errorf("the pod has a volume with %s but no annotation %s: "+
			"let the module's webhook add both (annotation secrets-store.deckhouse.io/env-delivery: NRI)",
			envcontract.EnvVolumeAttribute, envcontract.NRISettingsAnnotation)
	}
	settings, err := ParseSettings(raw)
	if err != nil {
		return nil, fmt.Errorf("annotation %s: %w", envcontract.NRISettingsAnnotation, err)
	}
	if !settings.Resolves(ctr.GetName()) {
		return nil, nil // a container the webhook skipped (skip-mutate-containers)
	}
	if !known {
		return nil, errPodUnknown
	}
	log := p.log.With("pod", e.pod, "container", ctr.GetName())
	start := time.Now()
	environ := ctr.GetEnv()
	cfg, err := injector.ParseConfig(settings.Env)
	if err != nil {
		return nil, err
	}
	if err := errors.Join(checkConfig(cfg), p.checkStore(cfg.Store.Address)); err != nil {
		return nil, err
	}
	// Who logs in comes from kubelet, never from the container's variables.
	cfg.ServiceAccount = e.serviceAccount
	cfg.TokenFile = ""
	cfg.JWT = p.pods.jwt(pod.GetUid())
	cfg.Timeout = min(cfg.Timeout, p.budget())
	// The resolution is bounded by cfg.Timeout; the client's own bound is
	// the budget, so that a pod's client-timeout does not make a store
	// client of its own (reader keeps one per connection).
	cfg.Store.Timeout = p.budget()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r, err := p.reader(cfg.Store)
	if err != nil {
		return nil, err
	}
	env, err := injector.Resolve(ctx, cfg, r, environ, log)
	if err != nil {
		log.Warn("container refused: environment not resolved", "error", err)
		return nil, err
	}
	adj, err := Adjustment(environ, env)
	if err != nil {
		return nil, err
	}
	log.Info("container environment set", "variables", len(adj.GetEnv()), "duration", time.Since(start).Round(time.Millisecond))
	return adj, nil
}

// checkConfig refuses what this delivery cannot do (yet).
func checkConfig(cfg injector.Config) error {
	var errs []error
	if cfg.Store.CAFile != "" {
		errs = append(errs, errors.New(envcontract.CAFile+
			": a CA file inside the container cannot be read by the node plugin; use the module's CA setting"))
	}
	if cfg.RestartOn != envcontract.RestartNone {
		errs = append(errs, errors.New(envcontract.RestartOn+" "+strconv.Quote(cfg.RestartOn)+
			": watch modes need the entrypoint injection; this delivery resolves again only when a container is created"))
	}
	return errors.Join(errs...)
}

// budget is the time a resolution may take.
func (p *Plugin) budget() time.Duration {
	return max(time.Duration(p.requestTimeout.Load())-timeoutMargin, minBudget)
}

// reader returns the store client of cfg, one per distinct connection so
// that the token cache and connections are shared.
func (p *Plugin) reader(cfg store.Config) (injector.Reader, error) {
	key := strings.Join([]string{
		cfg.Address, cfg.Namespace, string(cfg.CACert),
		strconv.FormatBool(cfg.SkipTLSVerify), cfg.Timeout.String(),
	}, "\x00")
	p.mu.Lock()
	defer p.mu.Unlock()
	if r, ok := p.clients[key]; ok {
		return r, nil
	}
	r, err := p.readers(cfg)
	if err != nil {
		return nil, err
	}
	p.clients[key] = r
	return r, nil
}

// Adjustment turns the container's environment before and after
// resolution into NRI environment adjustments: a variable whose value
// changed or that is new is set, one that is gone is removed. Entries
// without "=" are ignored, as the runtime ignores them. A name given twice
// is decided by its first entry, the one getenv(3) returns. NRI reads a
// leading "-" as removal, so a name starting with "-" cannot be set: that is
// an error.
func Adjustment(before, after []string) (*api.ContainerAdjustment, error) {
	var bad []string
	adj := &api.ContainerAdjustment{}
	old := firstValues(before)
	now := firstValues(after)
	for _, kv := range before {
		name, _, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			continue
		}
		if _, seen := old.done[name]; seen {
			continue
		}
		old.done[name] = struct{}{}
		v, keep := now.vals[name]
		switch {
		case !keep:
			adj.RemoveEnv(name)
		case v != old.vals[name]:
			bad = addEnv(adj, bad, name, v)
		}
	}
	for _, kv := range after {
		name, _, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			continue
		}
		if _, was := old.vals[name]; was {
			continue
		}
		if _, seen := now.done[name]; seen {
			continue
		}
		now.done[name] = struct{}{}
		bad = addEnv(adj, bad, name, now.vals[name])
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("variables %s: a name starting with \"-\" cannot be set by the container runtime's NRI; rename them", strings.Join(bad, ", "))
	}
	return adj, nil
}

func addEnv(adj *api.ContainerAdjustment, bad []string, name, value string) []string {
	if strings.HasPrefix(name, "-") {
		return append(bad, strconv.Quote(name))
	}
	adj.AddEnv(name, value)
	return bad
}

type envIndex struct {
	vals map[string]string
	done map[string]struct{}
}

func firstValues(environ []string) envIndex {
	ix := envIndex{vals: make(map[string]string, len(environ)), done: make(map[string]struct{})}
	for _, kv := range environ {
		name, v, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			continue
		}
		if _, dup := ix.vals[name]; !dup {
			ix.vals[name] = v
		}
	}
	return ix
}
