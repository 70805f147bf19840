// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package supervise

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// patience bounds every wait; it is a deadline against hangs, never a
// measurement.
const patience = 30 * time.Second

// logBuf collects log lines written from several goroutines.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// count is how many lines have message msg.
func (l *logBuf) count(msg string) int {
	return strings.Count(l.String(), "msg="+strconv.Quote(msg))
}

// helperRun is one command started from this test binary.
type helperRun struct {
	c    *Child
	dir  string
	logs *logBuf
}

// startHelper starts this binary in mode with env added; the child is
// stopped when the test ends.
func startHelper(t *testing.T, mode string, argv []string, env ...string) helperRun {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	h := helperRun{dir: t.TempDir(), logs: &logBuf{}}
	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// GORACE: a race-enabled helper would otherwise wait a second at exit.
	env = append([]string{modeEnv + "=" + mode, dirEnv + "=" + h.dir, "GORACE=atexit_sleep_ms=0"}, env...)
	h.c, err = Start(self, append([]string{"supervise-helper"}, argv...), env, log)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(h.kill)
	return h
}

// kill ends the child, unlike Stop even while another Stop waits, and waits
// for it (for a bounded time: cleanups cannot fail the test any more).
func (h helperRun) kill() {
	_ = h.c.signal(syscall.SIGKILL)
	select {
	case <-h.c.Done():
	case <-time.After(patience):
	}
}

// waitFile returns the content of the helper's file name once it exists.
func (h helperRun) waitFile(t *testing.T, name string) string {
	t.Helper()
	var data []byte
	eventually(t, "file "+name, func() bool {
		var err error
		data, err = os.ReadFile(filepath.Join(h.dir, name))
		return err == nil
	})
	return string(data)
}

// signals lists the signal numbers the helper recorded.
func (h helperRun) signals(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(h.dir, signalsFile))
	if err != nil {
		t.Fatalf("no signal recorded: %v", err)
	}
	return strings.Fields(string(data))
}

// waitDone waits for the child to exit and returns its exit code.
func (h helperRun) waitDone(t *testing.T) int {
	t.Helper()
	select {
	case <-h.c.Done():
		return h.c.ExitCode()
	case <-time.After(patience):
		t.Fatalf("the child did not exit within %v", patience)
		return 0
	}
}

// stop calls Stop and fails the test if it does not return.
func (h helperRun) stop(t *testing.T, reason string, grace time.Duration) {
	t.Helper()
	returned := make(chan struct{})
	go func() {
		h.c.Stop(reason, grace)
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(patience):
		t.Fatalf("Stop did not return within %v", patience)
	}
}

// eventually polls cond until it holds, failing the test after patience.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(patience); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", patience, what)
		}
	}
}

// procStat is the state and parent PID of a process, from /proc/PID/stat;
// ok is false when there is no such process.
func procStat(pid int) (state byte, ppid int, ok bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	// The command name is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 2 {
		return 0, 0, false
	}
	ppid, err = strconv.Atoi(f[1])
	return f[0][0], ppid, err == nil
}

// zombieChildren lists the zombie children of this process.
func zombieChildren(t *testing.T) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var zombies []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if state, ppid, ok := procStat(pid); ok && state == 'Z' && ppid == os.Getpid() {
			zombies = append(zombies, pid)
		}
	}
	return zombies
}
