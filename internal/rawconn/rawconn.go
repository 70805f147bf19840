// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package rawconn wraps TCP connections so that their reads and writes skip
// the Go runtime's system-call bookkeeping: a process that is idle between
// short bursts of requests (a watching injector) otherwise pays for waking
// the runtime's monitor thread on every call. The store client and the
// injector's watcher dial through it.
package rawconn

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
)

// rawConn is a TCP connection whose reads and writes skip the Go runtime's
// system-call bookkeeping. A socket from net.Dial is non-blocking, so a read
// or write returns at once (EAGAIN when it would block) and waiting stays
// with the runtime's network poller, deadlines included. What the plain path
// adds around each call is a hand-off: the runtime wakes its monitor thread
// if it sleeps, so that a call that blocks gives its processor away. A
// watching injector is idle between polls, so every read of a poll woke that
// thread, which then checked every 20 µs until the poll ended: about a third
// of the CPU of a poll, all of it thread switches
// (docs/internal/BENCHMARKS.md).
type rawConn struct {
	net.Conn
	rc syscall.RawConn
}

// Dial dials like dial and wraps what it returns, when it is a TCP
// connection.
func Dial(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		tc, ok := c.(*net.TCPConn)
		if !ok {
			return c, nil
		}
		rc, err := tc.SyscallConn()
		if err != nil {
			return c, nil //nolint:nilerr // the connection works without the shortcut
		}
		return &rawConn{Conn: c, rc: rc}, nil
	}
}

// Is reports whether c is a connection Dial wrapped.
func Is(c net.Conn) bool {
	_, ok := c.(*rawConn)
	return ok
}

func (c *rawConn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	var (
		n     int
		errno syscall.Errno
	)
	err := c.rc.Read(func(fd uintptr) bool {
		n, errno = rawIO(fd, b, false)
		return errno != syscall.EAGAIN
	})
	switch {
	case err != nil:
		return 0, c.opError("read", err)
	case errno != 0:
		return 0, c.opError("read", errno)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

func (c *rawConn) Write(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		var (
			n     int
			errno syscall.Errno
		)
		err := c.rc.Write(func(fd uintptr) bool {
			n, errno = rawIO(fd, b[done:], true)
			return errno != syscall.EAGAIN
		})
		if err == nil && errno != 0 {
			err = errno
		}
		if err != nil {
			return done, c.opError("write", err)
		}
		done += n
	}
	return done, nil
}

// opError wraps err as net.TCPConn does, so that callers see the same
// errors (a deadline is a net.Error with Timeout, a closed connection is
// net.ErrClosed).
func (c *rawConn) opError(op string, err error) error {
	if errors.Is(err, io.EOF) {
		return err
	}
	// The waits of syscall.RawConn come wrapped as "raw-read" and
	// "raw-write"; the reader of a log knows "read" and "write".
	if oe := (*net.OpError)(nil); errors.As(err, &oe) {
		err = oe.Err
	}
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}
