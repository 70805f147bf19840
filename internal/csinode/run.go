// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/deckhouse/secrets-store-integration/internal/kubeconfig"
	"github.com/deckhouse/secrets-store-integration/internal/nriplugin"
	"github.com/deckhouse/secrets-store-integration/internal/ssi"
)

// SupportedVersions are the CSI versions announced to kubelet's plugin
// registration.
var SupportedVersions = []string{"1.0.0"}

// nodesResource addresses Nodes with the dynamic client.
var nodesResource = schema.GroupVersionResource{Version: "v1", Resource: "nodes"}

// httpStopGrace bounds the shutdown of the health and metrics servers.
const httpStopGrace = 5 * time.Second

// Registrar is kubelet's plugin registration server.
type Registrar interface {
	Run(ctx context.Context) error
	Registered() bool
}

// RegistrationSocket is the path of the plugin registration socket kubelet
// watches.
func (c Config) RegistrationSocket() string {
	return filepath.Join(c.KubeletDir, "plugins_registry", c.DriverName+"-reg.sock")
}

// NewLogger returns the JSON logger of the program.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// Run runs the node plugin until ctx ends: the CSI server, the plugin
// registration, the SecretsStoreImport informer, and the health and metrics
// endpoints. The first component to fail stops the others.
func Run(ctx context.Context, cfg Config, log *slog.Logger, reg Registrar) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	rc, err := kubeConfig(cfg.Kubeconfig)
	if err != nil {
		return err
	}
	rc.UserAgent = "secrets-store-csi-driver/" + cfg.Version
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}
	// No typed client: client-go's, even the core group's alone, registers
	// every built-in API group at start. Events go through a REST client of
	// the core group, the node check through the dynamic client.
	sink, err := newRESTEventSink(rc)
	if err != nil {
		return err
	}
	ssis := ssi.NewCache(dyn, 0)
	events := NewKubeEvents(sink, "secrets-store-csi-driver", cfg.NodeID)
	defer events.Shutdown()
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	nodeExists := func(ctx context.Context, name string) (bool, error) {
		_, err := dyn.Resource(nodesResource).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	}
	deps := Deps{
		SSI: ssis, Status: ssis, NodeExists: nodeExists, Events: events, Mounter: NewTmpfs(cfg.StagingDir),
		Registry: registry, Logger: log,
	}
	var nri *nriplugin.Plugin
	if cfg.NRISocket != "" {
		nri = nriplugin.New(nriplugin.NewPods(), nil, log.With("component", "nri")).WithStoreAddress(cfg.Store.Address)
		deps.Env = nri
	}
	svc, err := NewService(cfg, deps)
	if err != nil {
		return err
	}
	srv := NewServer(cfg.Endpoint, svc, log)

	g, ctx := errgroup.WithContext(ctx)
	if nri != nil {
		g.Go(func() error { return nri.Run(ctx, cfg.NRISocket) })
	}
	g.Go(func() error { return ssis.Run(ctx) })
	g.Go(func() error { return svc.RunStatus(ctx, ssis.Synced, ssis.Each) })
	g.Go(func() error { return svc.RunMaintenance(ctx) })
	g.Go(func() error { return srv.Run(ctx) })
	g.Go(func() error { return reg.Run(ctx) })
	health := healthHandler(func() error {
		switch {
		case !srv.Serving():
			return errors.New("the csi server is not serving")
		case !reg.Registered():
			return errors.New("kubelet has not registered the plugin yet")
		}
		return nil
	})
	metricsHandler := promhttp.HandlerFor(registry, promhttp.HandlerOpts{})
	mux := http.NewServeMux()
	mux.Handle("/healthz", health)
	if cfg.MetricsListen == "" || cfg.MetricsListen == cfg.HealthListen {
		mux.Handle("/metrics", metricsHandler)
	} else {
		mm := http.NewServeMux()
		mm.Handle("/metrics", metricsHandler)
		g.Go(func() error { return serveHTTP(ctx, cfg.MetricsListen, mm, log) })
	}
	g.Go(func() error { return serveHTTP(ctx, cfg.HealthListen, mux, log) })
	return g.Wait()
}

func kubeConfig(path string) (*rest.Config, error) {
	return kubeconfig.Load(path, "secrets-store-csi-driver")
}

// healthHandler answers 200 when check passes and 503 with the reason
// otherwise.
func healthHandler(check func() error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := check(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, err.Error()+"\n")
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})
}

// serveHTTP serves h on addr until ctx ends.
func serveHTTP(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(lis) }()
	log.Info("http server listening", "address", lis.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("serve http on %s: %w", addr, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), httpStopGrace)
	defer cancel()
	err = srv.Shutdown(sctx)
	// Serve returns ErrServerClosed once Shutdown starts; anything else is
	// worth a line but does not change the outcome of the stop.
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) {
		log.Warn("http server ended with an error", "address", addr, "error", serveErr)
	}
	if err != nil {
		return fmt.Errorf("stop http server on %s: %w", addr, err)
	}
	return nil
}
