// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package supervise

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultGrace is how long Stop waits after SIGTERM before SIGKILL when it is
// given no positive grace period; it is kubelet's default
// terminationGracePeriodSeconds.
const DefaultGrace = 30 * time.Second

// errExited: the command has exited, so no signal is sent.
var errExited = errors.New("the command has exited")

// Logger receives the package's log lines, as key-value pairs after the
// message. *slog.Logger satisfies it, and so does the watcher's own writer of
// lines, which does without log/slog to stay small.
type Logger interface {
	Debug(msg string, args ...any)
	Info(msg string, args ...any)
	Warn(msg string, args ...any)
}

// discard is the Logger of a nil one.
type discard struct{}

func (discard) Debug(string, ...any) {}
func (discard) Info(string, ...any)  {}
func (discard) Warn(string, ...any)  {}

// Child is a running command started by Start.
type Child struct {
	pid  int
	log  Logger
	done chan struct{} // closed by the reaper once the exit is logged
	code int           // written before done is closed

	reaped bool // guarded by procs.mu: the PID is free, never signal it

	stopOnce sync.Once
}

// Start starts the executable at path with argv (argv[0] is passed as
// written) and the complete environment env as a child of this process, in a
// process group of its own that becomes the terminal's foreground group when
// this process holds it (see the package documentation). Before it forks it
// starts forwarding the injector's signals to the child and starts the
// process-wide reaper. log receives the package's log lines; nil discards
// them.
//
// An error means the command did not start; it wraps the errno of execve
// (syscall.ENOENT, syscall.EACCES, syscall.E2BIG ...) and names path, never
// an argument or a variable.
func Start(path string, argv, env []string, log Logger) (*Child, error) {
	attr := &syscall.ProcAttr{
		Env:   env,
		Files: []uintptr{0, 1, 2},
		Sys:   childSys(),
	}
	return start(path, argv, attr, log)
}

// childSys puts the child in a new process group, made the foreground group
// when fd 0 is this process's controlling terminal and this process's group
// is in the foreground (TIOCGPGRP fails with ENOTTY on a terminal that is not
// the controlling one).
func childSys() *syscall.SysProcAttr {
	sys := &syscall.SysProcAttr{Setpgid: true}
	if fg, err := unix.IoctlGetInt(0, unix.TIOCGPGRP); err == nil && fg == syscall.Getpgrp() {
		sys.Foreground = true
		sys.Ctty = 0 // a descriptor of this process, as Foreground requires
	}
	return sys
}

// start is Start with the process attributes given; tests start a session
// leader on a pseudo-terminal with it.
func start(path string, argv []string, attr *syscall.ProcAttr, log Logger) (*Child, error) {
	if log == nil {
		log = discard{}
	}
	if len(argv) == 0 {
		return nil, fmt.Errorf("start %q: empty argument list: pass the command name as argv[0]", path)
	}
	startReaper(log)

	// Notify before the fork, so that a signal arriving meanwhile is
	// queued and forwarded once the child exists rather than handled the
	// default way.
	sigs := make(chan os.Signal, 16)
	if list := caught(); len(list) > 0 { // Notify with no signal would relay them all
		signal.Notify(sigs, list...)
	}

	c := &Child{log: log, done: make(chan struct{})}
	// The reaper must not wait for the child before it is registered, or
	// its status would be discarded as an orphan's.
	procs.mu.Lock()
	pid, err := syscall.ForkExec(path, argv, attr) //nolint:gosec // G204: the command is the pod's own
	if err == nil {
		c.pid = pid
		procs.children[pid] = c
		procs.log = log
	}
	procs.mu.Unlock()
	if err != nil {
		signal.Stop(sigs)
		return nil, fmt.Errorf("start %q: %w", path, err)
	}
	log.Info("command started", "pid", pid)
	go c.forward(sigs)
	return c, nil
}

// Pid is the child's process ID.
func (c *Child) Pid() int { return c.pid }

// Done is closed once the child has exited, been reaped and its exit logged.
func (c *Child) Done() <-chan struct{} { return c.done }

// ExitCode is the child's exit status, or 128+N if signal N killed it; -1
// until Done is closed.
func (c *Child) ExitCode() int {
	select {
	case <-c.done:
		return c.code
	default:
		return -1
	}
}

// Stop makes the child exit: SIGTERM and SIGCONT, then SIGKILL if it is still
// running after grace (DefaultGrace if grace <= 0). It logs reason, which
// must be constant text saying why (never a value), and returns once the
// child has exited. Stop is idempotent: a later or concurrent call waits for
// the same exit, and the first call's reason and grace are used; after the
// child exited on its own Stop sends nothing and returns at once.
func (c *Child) Stop(reason string, grace time.Duration) {
	c.stopOnce.Do(func() { c.stop(reason, grace) })
	<-c.done
}

func (c *Child) stop(reason string, grace time.Duration) {
	if grace <= 0 {
		grace = DefaultGrace
	}
	select {
	case <-c.done:
		return
	default:
	}
	c.log.Info("stopping the command", "pid", c.pid, "reason", reason, "grace", grace)
	if err := c.signal(syscall.SIGTERM); err != nil {
		return // it exited meanwhile
	}
	// A stopped process keeps SIGTERM pending until it is continued.
	_ = c.signal(syscall.SIGCONT)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-c.done:
		return
	case <-timer.C:
	}
	c.log.Warn("the command did not exit within the grace period, killing it", "pid", c.pid, "grace", grace)
	_ = c.signal(syscall.SIGKILL)
}

// signal sends sig to the child unless it has been reaped. It holds the
// reaper's lock, so the PID cannot have been freed and reused in between.
func (c *Child) signal(sig syscall.Signal) error {
	procs.mu.Lock()
	defer procs.mu.Unlock()
	if c.reaped {
		return errExited
	}
	if err := syscall.Kill(c.pid, sig); err != nil {
		return fmt.Errorf("send %v to process %d: %w", sig, c.pid, err)
	}
	return nil
}

// exited records the wait status; called by the reaper with procs.mu held.
func (c *Child) exited(ws syscall.WaitStatus) {
	c.reaped = true
	c.code = exitCode(ws)
}

// exitCode is what a shell reports for ws: the exit status, or 128+N if
// signal N killed the process.
func exitCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
