// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package supervise

import (
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStop: the children exit 0 on SIGTERM unless told otherwise; Stop
// sends SIGCONT too, in either order of arrival.
func TestStop(t *testing.T) {
	term := strconv.Itoa(int(syscall.SIGTERM))
	untilTerm := untilEnv + "=" + term
	t.Run("child exits on SIGTERM", func(t *testing.T) {
		h := startHelper(t, "record", nil, untilTerm)
		h.waitFile(t, readyFile)
		h.stop(t, "secrets changed", time.Hour)
		if got := h.c.ExitCode(); got != 0 {
			t.Errorf("got exit code %d, want 0", got)
		}
		if got := h.signals(t); !slices.Contains(got, term) {
			t.Errorf("child received %v, want SIGTERM (%s) among them", got, term)
		}
		if !strings.Contains(h.logs.String(), `reason="secrets changed"`) {
			t.Errorf("log lacks the reason:\n%s", h.logs)
		}
		if n := h.logs.count("the command did not exit within the grace period, killing it"); n != 0 {
			t.Errorf("the child was killed")
		}
	})
	t.Run("child ignoring SIGTERM is killed after grace", func(t *testing.T) {
		h := startHelper(t, "record", nil, untilEnv+"=never")
		h.waitFile(t, readyFile)
		h.stop(t, "lease expired", 50*time.Millisecond)
		if got := h.c.ExitCode(); got != 137 {
			t.Errorf("got exit code %d, want 137 (SIGKILL)", got)
		}
		if got := h.signals(t); !slices.Contains(got, term) {
			t.Errorf("child received %v, want SIGTERM (%s) among them", got, term)
		}
	})
	t.Run("stopped child is continued to handle SIGTERM", func(t *testing.T) {
		h := startHelper(t, "record", nil, untilTerm)
		h.waitFile(t, readyFile)
		if err := syscall.Kill(h.c.Pid(), syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the child to stop", func() bool {
			state, _, _ := procStat(h.c.Pid())
			return state == 'T'
		})
		h.stop(t, "secrets changed", time.Hour)
		if got := h.c.ExitCode(); got != 0 {
			t.Errorf("got exit code %d, want 0", got)
		}
	})
	t.Run("zero grace means the default", func(t *testing.T) {
		h := startHelper(t, "record", nil, untilTerm)
		h.waitFile(t, readyFile)
		h.stop(t, "secrets changed", 0)
		if got := h.c.ExitCode(); got != 0 {
			t.Errorf("got exit code %d, want 0", got)
		}
		if want := "grace=" + DefaultGrace.String(); !strings.Contains(h.logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, h.logs)
		}
	})
	t.Run("after the child exited on its own", func(t *testing.T) {
		h := startHelper(t, "exit", nil, codeEnv+"=4")
		h.waitDone(t)
		h.stop(t, "secrets changed", time.Hour)
		if got := h.c.ExitCode(); got != 4 {
			t.Errorf("got exit code %d, want 4", got)
		}
		if n := h.logs.count("stopping the command"); n != 0 {
			t.Errorf("Stop acted on an exited child: %d stopping lines", n)
		}
	})
}

func TestStopIdempotent(t *testing.T) {
	term := strconv.Itoa(int(syscall.SIGTERM))
	h := startHelper(t, "record", nil, untilEnv+"="+term)
	h.waitFile(t, readyFile)
	calls := make(chan struct{})
	for range 5 {
		go func() {
			h.c.Stop("secrets changed", time.Hour)
			calls <- struct{}{}
		}()
	}
	for range 5 {
		select {
		case <-calls:
		case <-time.After(patience):
			t.Fatal("a concurrent Stop did not return")
		}
	}
	h.stop(t, "secrets changed", time.Hour)
	if got := h.c.ExitCode(); got != 0 {
		t.Errorf("got exit code %d, want 0", got)
	}
	if n := h.logs.count("stopping the command"); n != 1 {
		t.Errorf("got %d stopping lines, want 1", n)
	}
	if got := h.signals(t); !slices.Contains(got, term) {
		t.Errorf("child received %v, want SIGTERM (%s) among them", got, term)
	}
}

// TestStopRacesExit stops children that exit on their own at the same
// time; whichever wins, Stop returns and the status is one of the two.
func TestStopRacesExit(t *testing.T) {
	for i := range 20 {
		h := startHelper(t, "exit", nil, codeEnv+"=5")
		if i%2 == 1 {
			go h.c.Stop("secrets changed", time.Minute)
		}
		h.stop(t, "secrets changed", time.Minute)
		if got := h.c.ExitCode(); got != 5 && got != 128+int(syscall.SIGTERM) {
			t.Errorf("run %d: got exit code %d, want 5 or %d", i, got, 128+int(syscall.SIGTERM))
		}
		if n := h.logs.count("stopping the command"); n > 1 {
			t.Errorf("run %d: got %d stopping lines, want at most 1", i, n)
		}
	}
}
