// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// stopGrace bounds the graceful stop: calls in flight (a publish waits at
// most for the store timeout) get this long to finish.
const stopGrace = 10 * time.Second

// Server serves the CSI Identity, Node and Controller services of a Service
// on a unix socket.
type Server struct {
	endpoint string
	svc      *Service
	log      *slog.Logger
	serving  atomic.Bool
}

// NewServer returns a server for svc on the unix socket path endpoint.
func NewServer(endpoint string, svc *Service, log *slog.Logger) *Server {
	return &Server{endpoint: endpoint, svc: svc, log: log}
}

// Serving reports whether the server accepts calls.
func (srv *Server) Serving() bool { return srv.serving.Load() }

// Run serves until ctx ends, then stops gracefully within stopGrace and
// removes the socket.
func (srv *Server) Run(ctx context.Context) error {
	lis, err := listenUnix(srv.endpoint)
	if err != nil {
		return err
	}
	g := grpc.NewServer(grpc.ChainUnaryInterceptor(srv.intercept))
	csi.RegisterIdentityServer(g, srv.svc.IdentityServer())
	csi.RegisterNodeServer(g, srv.svc)
	csi.RegisterControllerServer(g, srv.svc.ControllerServer())

	errc := make(chan error, 1)
	go func() { errc <- g.Serve(lis) }()
	srv.serving.Store(true)
	srv.log.Info("csi server listening", "endpoint", srv.endpoint)
	select {
	case err := <-errc:
		srv.serving.Store(false)
		return fmt.Errorf("serve csi on %s: %w", srv.endpoint, err)
	case <-ctx.Done():
	}
	srv.serving.Store(false)
	stopped := make(chan struct{})
	go func() { g.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(stopGrace):
		srv.log.Warn("csi server did not stop in time, closing calls in flight", "grace", stopGrace)
		g.Stop()
		<-stopped
	}
	// Serve returns nil after a stop; an error here came before the stop.
	if err := <-errc; err != nil {
		srv.log.Warn("csi server ended with an error", "endpoint", srv.endpoint, "error", err)
	}
	_ = os.Remove(srv.endpoint)
	srv.log.Info("csi server stopped")
	return nil
}

// listenUnix listens on path, replacing a socket left by a previous run.
func listenUnix(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create socket directory: %w", err)
	}
	fi, err := os.Lstat(path)
	switch {
	case err == nil && fi.Mode()&fs.ModeSocket == 0:
		return nil, fmt.Errorf("listen on %s: it exists and is not a socket", path)
	case err == nil:
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove stale socket: %w", err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	var lc net.ListenConfig
	lis, err := lc.Listen(context.Background(), "unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	return lis, nil
}

// intercept logs every call at debug level (method, code, duration; never
// the request) and turns a panic into an Internal error instead of taking
// down every volume of the node.
func (srv *Server) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			srv.log.Error("csi call panicked", "method", info.FullMethod, "panic", fmt.Sprint(p))
			resp, err = nil, status.Error(codes.Internal, "internal error in the CSI driver: see its log")
		}
		srv.log.Debug("csi call", "method", info.FullMethod, "code", status.Code(err).String(), "duration", time.Since(start))
	}()
	return h(ctx, req)
}
