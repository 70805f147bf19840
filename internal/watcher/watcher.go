// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package watcher

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/supervise"
)

// ExitRestart is the watcher's status after it stopped the command for a
// restart, as the injector's: non-zero, so that kubelet restarts the
// container under restartPolicy Always and OnFailure alike.
const ExitRestart = 1

// Exit statuses for a command that cannot start, as a shell's.
const (
	ExitNotExecutable = 126
	ExitNotFound      = 127
	// ExitFailure is the status of any other failure of the watcher.
	ExitFailure = 1
)

// child is the running command; *supervise.Child implements it.
type child interface {
	Done() <-chan struct{}
	ExitCode() int
	Stop(reason string, grace time.Duration)
}

// Run starts the command of h as the watcher's child, polls the sources of
// h every h.Interval and stops the command, so that the container restarts,
// when the data it depends on changed. It returns the exit status: the
// command's own when it ended by itself. Problems go to stderr as log lines,
// never with a value or a token.
func Run(ctx context.Context, h *Handoff, stderr io.Writer) int {
	log := newLineLogger(stderr, h.LogLevel, h.JSONLog)
	c, err := newStoreClient(&h.Store)
	if err != nil {
		log.Error("the watcher cannot reach the store: the command does not start", "error", err.Error())
		return ExitFailure
	}
	defer c.close()
	w := &watch{h: h, log: log, store: c, after: time.After}
	if err := w.baseline(); err != nil {
		log.Error("the watcher cannot read the answers it started with: the command does not start", "error", err.Error())
		w.revoke(ctx) // nobody holds the token
		return ExitFailure
	}
	if ctx.Err() != nil { // SIGTERM since the injector's execve
		log.Info("stopped before the command started")
		w.revoke(ctx)
		return ExitFailure
	}
	ch, err := supervise.Start(h.Path, h.Argv, h.Env, log)
	if err != nil {
		log.Error("the command does not start", "path", h.Path, "error", err.Error())
		w.revoke(ctx)
		switch {
		case errors.Is(err, syscall.ENOENT):
			return ExitNotFound
		case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.ENOEXEC):
			return ExitNotExecutable
		}
		return ExitFailure
	}
	h.Env = nil // the command has it; nothing needs it here any longer
	if ctx.Err() != nil {
		// A SIGTERM between the check above and the start of forwarding.
		ch.Stop("the container is stopping", h.Grace)
	}
	settle()
	w.child = ch
	code := w.loop(ctx)
	if !h.KeepToken {
		w.revoke(ctx)
	}
	return code
}

// revoke gives the store token up, bounded by the client timeout; a failure
// is a warning.
func (w *watch) revoke(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.h.Store.Timeout)
	defer cancel()
	if err := w.store.revoke(ctx); err != nil {
		w.log.Warn("store token not revoked: it stays valid until its TTL ends", "error", err.Error())
	}
}

// settle makes the watcher, which lives as long as its container, small:
// one processor is plenty for a poll every few seconds, and a lower GC
// target keeps the heap near what is live.
func settle() {
	runtime.GOMAXPROCS(1)
	debug.SetGCPercent(25)
	debug.FreeOSMemory()
}

// watch is one run of the watcher.
type watch struct {
	h     *Handoff
	log   *lineLogger
	store *storeClient
	child child
	after func(time.Duration) <-chan time.Time
	key   digestKey
	first [][]byte // per source, the digest of the data the command started with
}

// Check reports what would keep Run from starting the command: a store CA
// that is not PEM, an answer the watcher cannot read. The injector checks
// before it hands over, and watches itself instead.
func (h *Handoff) Check() error {
	if _, err := newStoreClient(&h.Store); err != nil {
		return err
	}
	for i := range h.Sources {
		if _, err := secretData(h.Sources[i].Body, h.Sources[i].V2); err != nil {
			return fmt.Errorf("the answer of %q: %w", h.Sources[i].Path, err)
		}
	}
	return nil
}

// baseline digests the answers the command started with.
func (w *watch) baseline() error {
	w.key = make(digestKey, 32)
	if _, err := rand.Read(w.key); err != nil {
		return fmt.Errorf("draw a digest key: %w", err)
	}
	w.first = make([][]byte, len(w.h.Sources))
	for i := range w.h.Sources {
		src := &w.h.Sources[i]
		data, err := secretData(src.Body, src.V2)
		if err != nil {
			return fmt.Errorf("the start's answer of %q: %w", src.Path, err)
		}
		src.Keys = keySet(src.Keys) // sorted once, not at every poll
		w.first[i] = w.key.sum(src, data)
		src.Body = nil // the digest is all that is kept
	}
	return nil
}

// loop polls until the command ends or must restart, and returns the exit
// status.
func (w *watch) loop(ctx context.Context) int {
	if len(w.h.Sources) == 0 {
		w.log.Info("watch-for-data has nothing to poll: watching is off", "reason", "no read without a lease")
		<-w.child.Done()
		return w.child.ExitCode()
	}
	w.log.Info("watching secrets for changes", "paths", w.paths(), "interval", w.h.Interval, "watcher", "separate process")
	for {
		select {
		case <-w.child.Done():
			return w.child.ExitCode()
		case <-w.after(w.h.Interval):
		}
		if changed := w.poll(ctx); len(changed) > 0 {
			w.log.Info("secret changed: restarting the container", "paths", changed)
			w.child.Stop("secret changed", w.h.Grace)
			return ExitRestart
		}
	}
}

// poll reads every source once and returns the paths whose data the command
// depends on changed. A poll that fails, or a change that leaves a key the
// command needs missing (unless IgnoreMissing), keeps the command running
// with a warning.
func (w *watch) poll(ctx context.Context) []string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.h.Store.Timeout)
	defer cancel()
	resps, err := w.store.read(ctx, w.h.Sources)
	if err != nil {
		w.log.Warn("poll failed: keeping the application running", "error", err.Error())
		return nil
	}
	var changed []string
	for i := range w.h.Sources {
		src := &w.h.Sources[i]
		if resps[i].Status != 200 {
			w.log.Warn("poll failed: keeping the application running", "path", src.Path, "version", src.Version,
				"error", "the store answered "+strconv.Itoa(resps[i].Status))
			return nil
		}
		data, err := secretData(resps[i].Body, src.V2)
		if err != nil {
			w.log.Warn("poll failed: keeping the application running", "path", src.Path, "version", src.Version, "error", err.Error())
			return nil
		}
		if hmac.Equal(w.key.sum(src, data), w.first[i]) {
			continue
		}
		if key := missing(src, data); key != "" && !w.h.IgnoreMissing {
			w.log.Warn("poll: a reference no longer resolves: keeping the application running", "path", src.Path, "key", key)
			return nil
		}
		changed = append(changed, src.Path)
	}
	if len(changed) == 0 {
		w.log.Debug("poll: no change")
	}
	return changed
}

// paths lists the polled paths for the log.
func (w *watch) paths() []string {
	out := make([]string, len(w.h.Sources))
	for i, s := range w.h.Sources {
		out[i] = s.Path
		if s.Version > 0 {
			out[i] += "#" + strconv.Itoa(s.Version)
		}
	}
	return out
}
