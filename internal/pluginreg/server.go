// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package pluginreg serves the kubelet's plugin registration API for the CSI
// node plugin, the job the node-driver-registrar sidecar does elsewhere. The
// kubelet watches <kubelet-dir>/plugins_registry/; when a socket appears there
// it calls GetInfo to learn the driver's name and CSI endpoint, registers the
// driver and reports the outcome with NotifyRegistrationStatus. Removing the
// socket makes the kubelet deregister the driver, so Run removes it on exit,
// as the sidecar does on SIGTERM.
package pluginreg

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	registerapi "k8s.io/kubelet/pkg/apis/pluginregistration/v1"
)

// stopTimeout bounds the graceful stop of the gRPC server; calls still
// running after it are cut.
const stopTimeout = 5 * time.Second

// Config says what to tell the kubelet and where to listen.
type Config struct {
	// DriverName is the CSI driver name, e.g. secrets-store.csi.deckhouse.io.
	DriverName string
	// Endpoint is the CSI socket path as the kubelet sees it on the node,
	// e.g. /var/lib/kubelet/plugins/secrets-store.csi.deckhouse.io/csi.sock.
	Endpoint string
	// SocketPath is where this server listens, as this process sees it:
	// <kubelet-dir>/plugins_registry/<driver>-reg.sock.
	SocketPath string
	// Versions are the supported CSI versions; empty means ["1.0.0"].
	Versions []string
}

// Validate reports the first problem with c.
func (c Config) Validate() error {
	switch {
	case c.DriverName == "":
		return errors.New("driver name is empty: set the CSI driver name, e.g. secrets-store.csi.deckhouse.io")
	case !filepath.IsAbs(c.Endpoint):
		return fmt.Errorf("CSI endpoint %q: use the absolute socket path as the kubelet sees it, without a unix:// scheme", c.Endpoint)
	case !filepath.IsAbs(c.SocketPath):
		return fmt.Errorf("registration socket %q: use an absolute path in the kubelet's plugins_registry directory", c.SocketPath)
	}
	for _, v := range c.Versions {
		if v == "" || strings.TrimSpace(v) != v {
			return fmt.Errorf("CSI version %q: use a version such as 1.0.0", v)
		}
	}
	return nil
}

// Server answers the kubelet's registration calls. It is safe for
// concurrent use; Run is called once.
type Server struct {
	cfg Config
	log *slog.Logger

	registered atomic.Bool
	// socket identifies the socket file Run created, to tell it from one a
	// later instance put at the same path. nil while not listening.
	socket atomic.Pointer[fs.FileInfo]
}

// New returns a Server for cfg; Run checks cfg. A nil log discards.
func New(cfg Config, log *slog.Logger) *Server {
	cfg.Versions = slices.Clone(cfg.Versions)
	if len(cfg.Versions) == 0 {
		cfg.Versions = []string{"1.0.0"}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg, log: log.With("driver", cfg.DriverName)}
}

// Registered reports whether the kubelet's last report said the driver is
// registered and the socket Run created is still in place (a removed socket
// means the kubelet has deregistered the driver). It backs /healthz.
func (s *Server) Registered() bool {
	own := s.socket.Load()
	if !s.registered.Load() || own == nil {
		return false
	}
	fi, err := os.Lstat(s.cfg.SocketPath)
	return err == nil && os.SameFile(fi, *own)
}

// Run listens on cfg.SocketPath, replacing a stale socket, and serves until
// ctx ends; then it stops within a bounded time and removes the socket. It
// returns nil after ctx ends, or the error that stopped it earlier.
func (s *Server) Run(ctx context.Context) error {
	if err := s.cfg.Validate(); err != nil {
		return fmt.Errorf("plugin registration: %w", err)
	}
	lis, err := s.listen(ctx)
	if err != nil {
		return err
	}
	srv := grpc.NewServer()
	registerapi.RegisterRegistrationServer(srv, &registration{s: s})

	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	s.log.Info("plugin registration socket ready", "socket", s.cfg.SocketPath, "endpoint", s.cfg.Endpoint)

	var serveErr error
	select {
	case serveErr = <-served:
	case <-ctx.Done():
		stop(srv)
		serveErr = <-served
	}
	s.socket.Store(nil)
	s.registered.Store(false)
	rmErr := removeSocket(s.cfg.SocketPath)
	if ctx.Err() != nil {
		serveErr = nil // Serve reports the stop Run asked for
	}
	if err := errors.Join(serveErr, rmErr); err != nil {
		return fmt.Errorf("serve plugin registration on %s: %w", s.cfg.SocketPath, err)
	}
	return nil
}

// listen removes a socket left by an earlier run, listens on SocketPath and
// makes the socket accessible to its owner (root, as the kubelet) only.
func (s *Server) listen(ctx context.Context) (net.Listener, error) {
	path := s.cfg.SocketPath
	if err := removeSocket(path); err != nil {
		return nil, fmt.Errorf("replace stale registration socket: %w", err)
	}
	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on registration socket: %w: check that the kubelet's plugins_registry directory is mounted", err)
	}
	fi, err := os.Lstat(path)
	if err == nil {
		err = os.Chmod(path, 0o600)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("prepare registration socket: %w", err), lis.Close())
	}
	s.socket.Store(&fi)
	return lis, nil
}

// stop lets calls in flight finish, for at most stopTimeout.
func stop(srv *grpc.Server) {
	done := make(chan struct{})
	go func() {
		srv.GracefulStop()
		close(done)
	}()
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		srv.Stop()
		<-done
	}
}

// removeSocket removes the socket at path. A missing file is fine; anything
// but a socket is left alone and reported, since it is not ours to delete.
func removeSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s exists and is not a socket (%v): remove it", path, fi.Mode().Type())
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// registration implements the kubelet's Registration service.
type registration struct {
	registerapi.UnimplementedRegistrationServer
	s *Server
}

func (r *registration) GetInfo(context.Context, *registerapi.InfoRequest) (*registerapi.PluginInfo, error) {
	r.s.log.Debug("kubelet requested plugin info")
	return &registerapi.PluginInfo{
		Type:              registerapi.CSIPlugin,
		Name:              r.s.cfg.DriverName,
		Endpoint:          r.s.cfg.Endpoint,
		SupportedVersions: r.s.cfg.Versions,
	}, nil
}

func (r *registration) NotifyRegistrationStatus(_ context.Context, st *registerapi.RegistrationStatus) (*registerapi.RegistrationStatusResponse, error) {
	r.s.registered.Store(st.GetPluginRegistered())
	if st.GetPluginRegistered() {
		r.s.log.Info("registered with kubelet")
	} else {
		r.s.log.Error("kubelet rejected plugin registration: check the kubelet log and the driver name and endpoint",
			"error", st.GetError(), "endpoint", r.s.cfg.Endpoint)
	}
	return &registerapi.RegistrationStatusResponse{}, nil
}
