// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package stack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// start runs a component in its own session (so it outlives the command that started the
// stack and gets no terminal signals), with output in logs/<name>.log and its PID in
// run/<name>.pid. Every process the stack starts is recorded that way and stopped by that PID.
func (s *Stack) start(name string, env []string, argv ...string) error {
	if pid, ok := s.pid(name); ok && alive(pid) {
		return fmt.Errorf("%s already runs as pid %d", name, pid)
	}
	logf, err := os.OpenFile(filepath.Join(s.Dir, "logs", name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	// The component outlives the call that starts it and is stopped by its PID (stop), so no
	// caller's context may end it.
	cmd := exec.CommandContext(context.Background(), argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	if err := os.WriteFile(s.pidFile(name), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600); err != nil {
		return err
	}
	// Reap it if it exits while this process still runs; otherwise init adopts it.
	go func() { _ = cmd.Wait() }()
	s.logf("started %s (pid %d)", name, cmd.Process.Pid)
	return nil
}

func (s *Stack) pidFile(name string) string { return filepath.Join(s.Dir, "run", name+".pid") }

// PID returns the PID of the side process started as name, if it is recorded.
func (s *Stack) PID(name string) (int, bool) { return s.pid(name) }

func (s *Stack) pid(name string) (int, bool) {
	b, err := os.ReadFile(s.pidFile(name))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid, err == nil && pid > 1
}

// stop sends SIGTERM to the recorded PID, waits up to grace, then SIGKILLs it.
func (s *Stack) stop(name string, grace time.Duration) {
	pid, ok := s.pid(name)
	if !ok {
		return
	}
	defer os.Remove(s.pidFile(name))
	if !alive(pid) {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if alive(pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	s.logf("stopped %s (pid %d)", name, pid)
}

// alive reports whether pid runs and is not a zombie.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// state is the field after the parenthesized command name
	if i := strings.LastIndexByte(string(b), ')'); i > 0 && i+2 < len(b) {
		return b[i+2] != 'Z'
	}
	return true
}

// exited returns an error naming the log file if the component is not running anymore.
func (s *Stack) exited(name string) error {
	if pid, ok := s.pid(name); ok && alive(pid) {
		return nil
	}
	return fmt.Errorf("%s exited; see %s", name, filepath.Join(s.Dir, "logs", name+".log"))
}

// waitFor polls check until it succeeds, the component dies or timeout passes.
func (s *Stack) waitFor(ctx context.Context, name string, timeout time.Duration, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t0 := time.Now()
	var last error
	for {
		if last = check(ctx); last == nil {
			s.logf("%s ready after %s", name, time.Since(t0).Round(time.Millisecond))
			return nil
		}
		if err := s.exited(name); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %w (see %s)", name, timeout, last, filepath.Join(s.Dir, "logs", name+".log"))
		case <-time.After(150 * time.Millisecond):
		}
	}
}

// freePorts returns n distinct TCP ports on 127.0.0.1 that were free a moment ago. The
// listeners are held until all ports are picked so one call never returns a port twice.
func freePorts(ctx context.Context, n int) ([]int, error) {
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close() // only probed; nothing was accepted
		}
	}()
	var lc net.ListenConfig
	for len(ports) < n {
		l, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		a, ok := l.Addr().(*net.TCPAddr)
		if !ok {
			return nil, fmt.Errorf("listener on %s is not TCP", l.Addr())
		}
		ports = append(ports, a.Port)
	}
	return ports, nil
}

// freePortPair returns a free port p such that p+1 is free too (OpenBao's dev server puts
// its cluster listener on the next port).
func freePortPair(ctx context.Context) (int, error) {
	var lc net.ListenConfig
	for range 50 {
		ps, err := freePorts(ctx, 1)
		if err != nil {
			return 0, err
		}
		l, err := lc.Listen(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(ps[0]+1)))
		if err == nil {
			_ = l.Close() // only probed
			return ps[0], nil
		}
	}
	return 0, errors.New("no free pair of adjacent ports on 127.0.0.1")
}

// StartProcess runs a program next to the stack (a webhook, a plugin) the way the stack runs
// its own components: own session, log in logs/<name>.log, PID in run/<name>.pid. Down stops it.
func (s *Stack) StartProcess(name string, env []string, argv ...string) error {
	return s.start(name, env, argv...)
}

// StopProcess stops a process started with StartProcess by its recorded PID.
func (s *Stack) StopProcess(name string) { s.stop(name, 10*time.Second) }

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago. Binding a loopback
// port does not block, so it needs no context.
func FreePort() (int, error) {
	p, err := freePorts(context.Background(), 1)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}

// KillProcess kills a process started with StartProcess with SIGKILL, as a crash would,
// and forgets its PID.
func (s *Stack) KillProcess(name string) {
	if pid, ok := s.pid(name); ok && alive(pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		for range 50 {
			if !alive(pid) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	_ = os.Remove(s.pidFile(name))
}

// SignalProcess sends sig to a process of the stack by its recorded PID: SIGSTOP freezes it
// (its sockets still accept connections, it answers nothing: a hung server), SIGCONT lets it
// go on.
func (s *Stack) SignalProcess(name string, sig syscall.Signal) error {
	pid, ok := s.pid(name)
	if !ok || !alive(pid) {
		return fmt.Errorf("%s is not running (no live PID in %s)", name, s.pidFile(name))
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("signal %s (pid %d) with %s: %w", name, pid, sig, err)
	}
	return nil
}
