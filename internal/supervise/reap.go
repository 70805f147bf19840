// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package supervise

import (
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// procs is the process-wide reaper: wait4(-1) collects every child of the
// process, so there is one, whatever the number of commands started.
var procs = reaper{children: map[int]*Child{}}

// reaperOnce starts the reaper on the first Start.
var reaperOnce sync.Once

// reaper reaps the children of the process. mu is held across each wait4
// and the recording of its result, across each fork and the registration of
// its PID, and across each signal sent to a command: a command is never
// reaped before it is registered, and never signaled after it was reaped.
type reaper struct {
	mu       sync.Mutex
	children map[int]*Child // started commands not yet reaped, by PID
	log      Logger         // the latest Start's, for orphans
}

// collected is one process reaped by a wait4 pass.
type collected struct {
	pid   int
	ws    syscall.WaitStatus
	child *Child // nil for an orphan
}

// startReaper makes the process a child subreaper unless it is PID 1 (which
// adopts orphans anyway), subscribes to SIGCHLD and starts the reaping
// goroutine, which runs as long as the process.
func startReaper(log Logger) {
	reaperOnce.Do(func() {
		if os.Getpid() != 1 {
			if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
				log.Warn("cannot adopt orphaned processes; they will be reaped by the namespace's init", "error", err)
			}
		}
		// One buffered slot is enough: a SIGCHLD dropped while one is
		// pending is covered by the full pass the pending one triggers.
		sigchld := make(chan os.Signal, 1)
		signal.Notify(sigchld, syscall.SIGCHLD)
		go func() {
			for range sigchld {
				procs.reap()
			}
		}()
	})
}

// reap collects every exited child of the process, records the status of
// each started command and logs the rest.
func (r *reaper) reap() {
	r.mu.Lock()
	var out []collected
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || pid <= 0 { // ECHILD: no children; 0: none has exited
			break
		}
		c := r.children[pid]
		if c != nil {
			delete(r.children, pid)
			c.exited(ws)
		}
		out = append(out, collected{pid: pid, ws: ws, child: c})
	}
	log := r.log
	r.mu.Unlock()

	for _, p := range out {
		if p.child != nil {
			p.child.logExit(p.ws)
			close(p.child.done)
			continue
		}
		log.Debug("reaped an orphaned process", "pid", p.pid, "status", exitCode(p.ws))
	}
}

// logExit reports how the command ended.
func (c *Child) logExit(ws syscall.WaitStatus) {
	if ws.Signaled() {
		c.log.Info("command exited", "pid", c.pid, "status", exitCode(ws), "signal", ws.Signal().String())
		return
	}
	c.log.Info("command exited", "pid", c.pid, "status", exitCode(ws))
}
