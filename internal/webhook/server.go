// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// Server timeouts. Writes may take as long as the longest admission
// timeout the API server allows (30 s).
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 35 * time.Second
	idleTimeout       = 90 * time.Second
	maxHeaderBytes    = 64 << 10
)

// Server is the webhook's HTTPS server (/mutate, /healthz, and /metrics
// unless Config.MetricsListen is set) and, when Config.MetricsListen is set,
// a plain-HTTP server for /metrics and /healthz, and when Config.HealthListen
// is set, a plain-HTTP server for /healthz alone. With a metrics listener the
// metrics are served there only: the chart puts it on 127.0.0.1 behind
// kube-rbac-proxy, and the HTTPS port, which the API servers reach, must not
// hand them out without authentication.
type Server struct {
	cfg      Config
	log      *slog.Logger
	certs    *certReloader
	https    *http.Server
	plain    *http.Server // nil without MetricsListen
	health   *http.Server // nil without HealthListen
	httpsLn  net.Listener
	plainLn  net.Listener
	healthLn net.Listener
	serving  atomic.Bool
}

// NewServer loads the serving certificate and binds the listeners, so that
// an unusable certificate or a taken port fails at start. Run must be
// called once: it serves and closes the listeners.
func NewServer(ctx context.Context, cfg Config, mutate http.Handler, m *Metrics, log *slog.Logger) (*Server, error) {
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, log: log}
	certs, err := newCertReloader(cfg.CertFile, cfg.KeyFile, log, func(leaf *x509.Certificate) {
		m.setCertificateExpiry(leaf.NotAfter)
	})
	if err != nil {
		return nil, err
	}
	s.certs = certs

	mux := http.NewServeMux()
	mux.Handle("/mutate", mutate)
	mux.HandleFunc("/healthz", s.healthz)
	if cfg.MetricsListen == "" {
		mux.Handle("/metrics", m.Handler())
	}
	s.https = s.newHTTPServer(mux)
	s.https.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: certs.GetCertificate}
	s.https.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			m.onConnection()
		}
	}
	var lc net.ListenConfig
	if s.httpsLn, err = lc.Listen(ctx, "tcp", cfg.Listen); err != nil {
		return nil, fmt.Errorf("listen on %q: %w", cfg.Listen, err)
	}
	if cfg.MetricsListen != "" {
		plain := http.NewServeMux()
		plain.Handle("/metrics", m.Handler())
		plain.HandleFunc("/healthz", s.healthz)
		s.plain = s.newHTTPServer(plain)
		if s.plainLn, err = lc.Listen(ctx, "tcp", cfg.MetricsListen); err != nil {
			_ = s.httpsLn.Close()
			return nil, fmt.Errorf("listen on %q: %w", cfg.MetricsListen, err)
		}
	}
	if cfg.HealthListen != "" {
		health := http.NewServeMux()
		health.HandleFunc("/healthz", s.healthz)
		s.health = s.newHTTPServer(health)
		if s.healthLn, err = lc.Listen(ctx, "tcp", cfg.HealthListen); err != nil {
			for _, ln := range []net.Listener{s.httpsLn, s.plainLn} {
				if ln != nil {
					_ = ln.Close()
				}
			}
			return nil, fmt.Errorf("listen on %q: %w", cfg.HealthListen, err)
		}
	}
	return s, nil
}

func (s *Server) newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		// TLS handshake failures (a caller that does not trust the CA)
		// are worth seeing.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// Addr is the address of the HTTPS listener.
func (s *Server) Addr() net.Addr { return s.httpsLn.Addr() }

// MetricsAddr is the address of the plain-HTTP listener, nil without one.
func (s *Server) MetricsAddr() net.Addr {
	if s.plainLn == nil {
		return nil
	}
	return s.plainLn.Addr()
}

// HealthAddr is the address of the health listener, nil without one.
func (s *Server) HealthAddr() net.Addr {
	if s.healthLn == nil {
		return nil
	}
	return s.healthLn.Addr()
}

// Run serves until ctx ends or a server fails, then stops gracefully:
// /healthz turns 503, the listeners close, and requests in flight get up
// to Config.ShutdownTimeout to finish before their connections are cut.
// It returns nil after a clean stop on ctx.
func (s *Server) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		s.certs.watch(gctx, s.cfg.CertReloadInterval)
		return nil
	})
	g.Go(func() error { return serveErr("https", s.https.ServeTLS(s.httpsLn, "", "")) })
	if s.plain != nil {
		g.Go(func() error { return serveErr("metrics", s.plain.Serve(s.plainLn)) })
	}
	if s.health != nil {
		g.Go(func() error { return serveErr("health", s.health.Serve(s.healthLn)) })
	}
	s.serving.Store(true)
	attrs := []slog.Attr{slog.String("addr", s.Addr().String())}
	if a := s.MetricsAddr(); a != nil {
		attrs = append(attrs, slog.String("metrics_addr", a.String()))
	}
	if a := s.HealthAddr(); a != nil {
		attrs = append(attrs, slog.String("health_addr", a.String()))
	}
	attrs = append(attrs, slog.String("injector_delivery", string(s.cfg.InjectorDelivery)))
	s.log.LogAttrs(ctx, slog.LevelInfo, "webhook serving", attrs...)
	g.Go(func() error {
		<-gctx.Done()
		return s.shutdown()
	})
	return g.Wait()
}

func serveErr(name string, err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("%s server: %w", name, err)
}

// shutdown drains the servers within the shutdown timeout.
func (s *Server) shutdown() error {
	s.serving.Store(false)
	s.log.Info("webhook stopping", slog.String("drain_timeout", s.cfg.ShutdownTimeout.String()))
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	servers := []*http.Server{s.https}
	if s.plain != nil {
		servers = append(servers, s.plain)
	}
	if s.health != nil {
		servers = append(servers, s.health)
	}
	var errs []error
	for _, srv := range servers {
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
			errs = append(errs, fmt.Errorf("drain requests within %s: %w", s.cfg.ShutdownTimeout, err))
		}
	}
	// Shutdown closes the listeners only if Serve ran; close them anyway.
	for _, ln := range []net.Listener{s.httpsLn, s.plainLn, s.healthLn} {
		if ln != nil {
			_ = ln.Close()
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	s.log.Info("webhook stopped")
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !s.serving.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "shutting down\n")
		return
	}
	_, _ = io.WriteString(w, "ok\n")
}
