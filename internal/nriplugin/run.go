// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package nriplugin

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/containerd/nri/pkg/stub"
)

// reconnectDelay is the pause before connecting again after the runtime
// closed the connection or could not be reached (containerd restarts).
const reconnectDelay = time.Second

// Run connects the plugin to the runtime's NRI socket and serves it until
// ctx ends, connecting again whenever the connection is lost. While it is
// not connected, Connected says why.
func (p *Plugin) Run(ctx context.Context, socket string) error {
	for {
		err := p.runOnce(ctx, socket)
		p.connected.Store(false)
		if ctx.Err() != nil {
			return nil
		}
		why := "connection closed"
		if err != nil {
			why = err.Error()
		}
		p.lastErr.Store(&why)
		p.log.Warn("NRI plugin not connected, retrying", "socket", socket, "error", why)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(reconnectDelay):
		}
	}
}

func (p *Plugin) runOnce(ctx context.Context, socket string) error {
	s, err := stub.New(p,
		stub.WithPluginName(Name),
		stub.WithPluginIdx(Index),
		stub.WithSocketPath(socket),
		stub.WithLogger(nriLogger{p.log}),
		stub.WithOnClose(func() { p.connected.Store(false) }),
	)
	if err != nil {
		return fmt.Errorf("NRI stub: %w", err)
	}
	p.current.Store(&s)
	defer p.current.Store(nil)
	return s.Run(ctx)
}

// nriLogger sends the NRI library's messages to the plugin's logger. The
// library logs requests and errors, never environment values.
type nriLogger struct{ log *slog.Logger }

func (l nriLogger) Debugf(ctx context.Context, format string, args ...any) {
	l.log.DebugContext(ctx, "nri", "message", fmt.Sprintf(format, args...))
}

func (l nriLogger) Infof(ctx context.Context, format string, args ...any) {
	l.log.DebugContext(ctx, "nri", "message", fmt.Sprintf(format, args...))
}

func (l nriLogger) Warnf(ctx context.Context, format string, args ...any) {
	l.log.WarnContext(ctx, "nri", "message", fmt.Sprintf(format, args...))
}

func (l nriLogger) Errorf(ctx context.Context, format string, args ...any) {
	l.log.ErrorContext(ctx, "nri", "message", fmt.Sprintf(format, args...))
}
