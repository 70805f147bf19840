// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package supervise

import (
	"os"
	"os/signal"
	"slices"
	"syscall"
)

// forwarded are the signals passed on to the command (see the package
// documentation for the reasons behind the list).
var forwarded = []syscall.Signal{
	syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGABRT,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM, syscall.SIGTERM,
	syscall.SIGWINCH, syscall.SIGCONT, syscall.SIGTSTP,
}

// dropped are caught only so that they cannot stop the injector.
var dropped = []syscall.Signal{syscall.SIGTTIN, syscall.SIGTTOU}

// caught lists the signals to Notify for: forwarded and dropped, except
// those ignored since the process started, which stay ignored so that the
// command inherits them ignored.
func caught() []os.Signal {
	var sigs []os.Signal
	for _, list := range [][]syscall.Signal{forwarded, dropped} {
		for _, s := range list {
			if !signal.Ignored(s) {
				sigs = append(sigs, s)
			}
		}
	}
	return sigs
}

// forward passes the signals arriving on sigs to the child until it has
// exited, then unsubscribes.
func (c *Child) forward(sigs chan os.Signal) {
	defer signal.Stop(sigs)
	for {
		select {
		case <-c.done:
			return
		case s := <-sigs:
			sig, ok := s.(syscall.Signal)
			if !ok || !slices.Contains(forwarded, sig) {
				c.log.Debug("signal not forwarded", "signal", s.String())
				continue
			}
			if err := c.signal(sig); err != nil {
				c.log.Debug("signal not forwarded", "signal", sig.String(), "pid", c.pid, "error", err)
				continue
			}
			c.log.Info("forwarded a signal to the command", "signal", sig.String(), "pid", c.pid)
		}
	}
}
