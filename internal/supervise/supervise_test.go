// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package supervise

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		mode string
		env  []string
		want int
	}{
		{name: "exit 0", mode: "exit", env: []string{codeEnv + "=0"}, want: 0},
		{name: "exit 3", mode: "exit", env: []string{codeEnv + "=3"}, want: 3},
		{name: "killed by SIGKILL is 128+9", mode: "kill", want: 137},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := startHelper(t, tt.mode, nil, tt.env...)
			if got := h.waitDone(t); got != tt.want {
				t.Errorf("got exit code %d, want %d", got, tt.want)
			}
			if want := "status=" + strconv.Itoa(tt.want); !strings.Contains(h.logs.String(), want) {
				t.Errorf("log lacks %s:\n%s", want, h.logs)
			}
		})
	}
}

func TestExitCodeBeforeExit(t *testing.T) {
	h := startHelper(t, "record", nil)
	h.waitFile(t, readyFile)
	if got := h.c.ExitCode(); got != -1 {
		t.Errorf("got exit code %d while running, want -1", got)
	}
}

// testForwarded and testDropped are the documented lists, written out
// again so that a change to the package's lists fails the tests.
var (
	testForwarded = []syscall.Signal{
		syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGABRT,
		syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM, syscall.SIGTERM,
		syscall.SIGWINCH, syscall.SIGCONT, syscall.SIGTSTP,
	}
	testDropped = []syscall.Signal{syscall.SIGTTIN, syscall.SIGTTOU}
)

// TestForwardsSignals sends each forwarded signal to the test process; the
// child records the one it receives and exits 0.
func TestForwardsSignals(t *testing.T) {
	for _, sig := range testForwarded {
		t.Run(sig.String(), func(t *testing.T) {
			h := startHelper(t, "record", nil)
			h.waitFile(t, readyFile)
			if err := syscall.Kill(os.Getpid(), sig); err != nil {
				t.Fatal(err)
			}
			if got := h.waitDone(t); got != 0 {
				t.Errorf("got exit code %d, want 0", got)
			}
			if got, want := h.signals(t), []string{strconv.Itoa(int(sig))}; !slices.Equal(got, want) {
				t.Errorf("child received signals %v, want %v", got, want)
			}
		})
	}
}

// TestDropsTerminalSignals: SIGTTIN and SIGTTOU neither stop the test
// process nor reach the child, which exits on the SIGUSR1 sent after them.
func TestDropsTerminalSignals(t *testing.T) {
	h := startHelper(t, "record", nil)
	h.waitFile(t, readyFile)
	for _, sig := range testDropped {
		if err := syscall.Kill(os.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the dropped signals to be logged", func() bool {
		return h.logs.count("signal not forwarded") == len(testDropped)
	})
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	h.waitDone(t)
	if got, want := h.signals(t), []string{strconv.Itoa(int(syscall.SIGUSR1))}; !slices.Equal(got, want) {
		t.Errorf("child received signals %v, want %v", got, want)
	}
}

func TestChildProcessState(t *testing.T) {
	h := startHelper(t, "record", nil)
	ids := strings.Fields(h.waitFile(t, readyFile))
	if want := []string{strconv.Itoa(h.c.Pid()), strconv.Itoa(h.c.Pid())}; !slices.Equal(ids, want) {
		t.Errorf("child's PID and PGID are %v, want %v (Pid() and a group of its own)", ids, want)
	}
	if strconv.Itoa(syscall.Getpgrp()) == ids[1] {
		t.Errorf("child is in the test's process group %s", ids[1])
	}
	masks, err := parseSigMasks(h.waitFile(t, statusFile))
	if err != nil {
		t.Fatal(err)
	}
	// Signals whose inherited disposition a Go program keeps: an ignored
	// one would show here.
	var inherited uint64
	for _, s := range []syscall.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU} {
		inherited |= 1 << (s - 1)
	}
	if got, want := masks["SigIgn"]&inherited, baseline["SigIgn"]&inherited; got != want {
		t.Errorf("child's ignored signals %#x, want %#x as the test process started", got, want)
	}
	if got, want := masks["SigBlk"], baseline["SigBlk"]; got != want {
		t.Errorf("child's blocked signals %#x, want %#x as the test process started", got, want)
	}
}

// TestReapsOrphans: the child forks a grandchild and exits; the grandchild
// is adopted by the test process and must not stay a zombie after it exits.
func TestReapsOrphans(t *testing.T) {
	h := startHelper(t, "orphan", nil)
	if got := h.waitDone(t); got != 0 {
		t.Fatalf("got exit code %d, want 0", got)
	}
	gpid, err := strconv.Atoi(h.waitFile(t, grandFile))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := h.waitFile(t, adoptedFile), strconv.Itoa(os.Getpid()); got != want {
		t.Fatalf("the orphan was adopted by %s, want the test process %s", got, want)
	}
	// Until reaped it is our child (running, then a zombie); after that
	// the PID is gone or belongs to someone else's new process.
	eventually(t, "the orphan to be reaped", func() bool {
		_, ppid, ok := procStat(gpid)
		return !ok || ppid != os.Getpid()
	})
	if z := zombieChildren(t); len(z) != 0 {
		t.Errorf("zombie children left: %v", z)
	}
}

// TestNeverLogsArgumentsOrEnvironment runs a whole life (start, forwarded
// signal, stop) with values in argv and env and looks for them in the log.
func TestNeverLogsArgumentsOrEnvironment(t *testing.T) {
	const secret = "s3cr3t-value"
	h := startHelper(t, "record", []string{"--password=" + secret + "-argv"}, "DB_PASSWORD="+secret+"-env")
	h.waitFile(t, readyFile)
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	h.waitDone(t)
	h.stop(t, "secrets changed", time.Hour)
	logs := h.logs.String()
	for _, want := range []string{"command started", "forwarded a signal to the command", "command exited"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, secret) {
		t.Errorf("log holds a value:\n%s", logs)
	}
}

func TestStartErrors(t *testing.T) {
	const secret = "s3cr3t-value"
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		argv []string
		want error
	}{
		{name: "missing", path: filepath.Join(dir, "missing"), argv: []string{"x", secret}, want: syscall.ENOENT},
		{name: "not executable", path: plain, argv: []string{"x", secret}, want: syscall.EACCES},
		{name: "directory", path: dir, argv: []string{"x", secret}, want: syscall.EACCES},
		{name: "no argv", path: plain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Start(tt.path, tt.argv, []string{"TOKEN=" + secret}, nil)
			if err == nil {
				c.Stop("test ended", time.Millisecond)
				t.Fatal("got no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error holds a value: %v", err)
			}
		})
	}
}
