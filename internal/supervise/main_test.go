// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package supervise

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The tests start this test binary as the command: with modeEnv set it acts
// as a small program instead of running tests. It reports through files in
// the directory named by dirEnv, since it shares the test's standard output.
const (
	modeEnv   = "SUPERVISE_TEST_MODE"
	dirEnv    = "SUPERVISE_TEST_DIR"
	codeEnv   = "SUPERVISE_TEST_CODE"   // mode exit: the status
	untilEnv  = "SUPERVISE_TEST_UNTIL"  // mode record: exit on this signal number, or never
	parentEnv = "SUPERVISE_TEST_PARENT" // mode grandchild: the PID it was forked by
)

// Files the helper writes in its directory.
const (
	readyFile   = "ready"   // "PID PGID", once the signal handlers are in place
	statusFile  = "status"  // SigIgn and SigBlk of /proc/self/status, before any Notify
	signalsFile = "signals" // one line per signal received, its number
	grandFile   = "grandchild"
	adoptedFile = "adopted" // the grandchild's parent once its own parent exited
)

// baseline is the test process's SigIgn and SigBlk when it started, which a
// command must inherit unchanged.
var baseline map[string]uint64

func TestMain(m *testing.M) {
	if mode := os.Getenv(modeEnv); mode != "" {
		os.Exit(helper(mode, os.Getenv(dirEnv)))
	}
	var err error
	if baseline, err = sigMasks("/proc/self/status"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func helper(mode, dir string) int {
	switch mode {
	case "exit":
		code, _ := strconv.Atoi(os.Getenv(codeEnv))
		return code
	case "kill":
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	case "record":
		return record(dir, os.Getenv(untilEnv))
	case "orphan":
		return orphan(dir)
	case "grandchild":
		return grandchild(dir)
	case "fg":
		return foreground()
	case "tty-init":
		return ttyInit(dir)
	}
	return 100
}

// record writes its signal state, catches every signal the package handles
// and records each one it receives; it exits 0 on the signal numbered until,
// on the first one if until is empty, never if it is "never".
func record(dir, until string) int {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 101
	}
	writeFile(dir, statusFile, string(status))
	ch := make(chan os.Signal, 16)
	for _, s := range append(testForwarded, testDropped...) {
		signal.Notify(ch, s)
	}
	writeFile(dir, readyFile, fmt.Sprintf("%d %d", os.Getpid(), syscall.Getpgrp()))
	for s := range ch {
		f, err := os.OpenFile(filepath.Join(dir, signalsFile), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return 102
		}
		sig, _ := s.(syscall.Signal)
		_, _ = fmt.Fprintf(f, "%d\n", sig)
		_ = f.Close()
		if until == "" || until == strconv.Itoa(int(sig)) {
			return 0
		}
	}
	return 103
}

// orphan forks a grandchild and exits without waiting for it.
func orphan(dir string) int {
	self, err := os.Executable()
	if err != nil {
		return 104
	}
	env := []string{modeEnv + "=grandchild", dirEnv + "=" + dir, parentEnv + "=" + strconv.Itoa(os.Getpid())}
	pid, err := syscall.ForkExec(self, []string{self}, &syscall.ProcAttr{Env: env, Files: []uintptr{0, 1, 2}})
	if err != nil {
		return 105
	}
	writeFile(dir, grandFile, strconv.Itoa(pid))
	return 0
}

// grandchild waits until its parent has exited, reports who adopted it and
// exits, leaving a zombie unless the adopter reaps it.
func grandchild(dir string) int {
	parent, _ := strconv.Atoi(os.Getenv(parentEnv))
	for deadline := time.Now().Add(time.Minute); os.Getppid() == parent; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			return 106
		}
	}
	writeFile(dir, adoptedFile, strconv.Itoa(os.Getppid()))
	return 0
}

// foreground exits 0 if it leads a process group of its own, other than its
// parent's, which is the foreground group of its terminal.
func foreground() int {
	pgrp := syscall.Getpgrp()
	fg, err := unix.IoctlGetInt(0, unix.TIOCGPGRP)
	switch {
	case err != nil:
		return 11
	case pgrp != os.Getpid():
		return 12
	case fg != pgrp:
		return 13
	}
	if ppgrp, err := syscall.Getpgid(os.Getppid()); err != nil || ppgrp == pgrp {
		return 14
	}
	return 0
}

// ttyInit runs mode fg with Start and exits with its status.
func ttyInit(dir string) int {
	self, err := os.Executable()
	if err != nil {
		return 21
	}
	c, err := Start(self, []string{self}, []string{modeEnv + "=fg", dirEnv + "=" + dir}, nil)
	if err != nil {
		return 22
	}
	<-c.Done()
	return c.ExitCode()
}

// writeFile writes a report whole: a reader never sees part of it.
func writeFile(dir, name, data string) {
	tmp := filepath.Join(dir, "."+name)
	if os.WriteFile(tmp, []byte(data), 0o600) == nil {
		_ = os.Rename(tmp, filepath.Join(dir, name))
	}
}

// sigMasks reads the SigIgn and SigBlk masks of a /proc/PID/status file.
func sigMasks(path string) (map[string]uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseSigMasks(string(b))
}

func parseSigMasks(status string) (map[string]uint64, error) {
	masks := map[string]uint64{}
	for line := range strings.Lines(status) {
		name, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || (name != "SigIgn" && name != "SigBlk") {
			continue
		}
		v, err := strconv.ParseUint(strings.TrimSpace(value), 16, 64)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		masks[name] = v
	}
	if len(masks) != 2 {
		return nil, fmt.Errorf("no SigIgn and SigBlk in %q", status)
	}
	return masks, nil
}
