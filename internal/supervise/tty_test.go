// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package supervise

import (
	"log/slog"
	"os"
	"strconv"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY returns the descriptors of a new pseudo-terminal pair.
func openPTY(t *testing.T) (ptmx, pts int) {
	t.Helper()
	ptmx, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { _ = unix.Close(ptmx) })
	if err := unix.IoctlSetPointerInt(ptmx, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(ptmx, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err = unix.Open("/dev/pts/"+strconv.Itoa(int(n)), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Close(pts) })
	return ptmx, pts
}

// TestTerminalForeground runs an injector-like process as a session leader
// on a pseudo-terminal (a container with tty: true); the command it starts
// must lead the terminal's foreground group, not share the injector's.
func TestTerminalForeground(t *testing.T) {
	_, pts := openPTY(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuf{}
	attr := &syscall.ProcAttr{
		Env:   []string{modeEnv + "=tty-init", dirEnv + "=" + t.TempDir()},
		Files: []uintptr{uintptr(pts), uintptr(pts), uintptr(pts)},
		Sys:   &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0},
	}
	c, err := start(self, []string{"supervise-tty-init"}, attr, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	h := helperRun{c: c, logs: logs}
	t.Cleanup(h.kill)
	// 11: no controlling terminal; 12: not a group leader; 13: not in the
	// foreground; 14: in its parent's group; 2x: Start failed.
	if got := h.waitDone(t); got != 0 {
		t.Errorf("got exit code %d, want 0 (the command leads the foreground group)", got)
	}
}
