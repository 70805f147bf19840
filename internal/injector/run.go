// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/internal/store"
	"github.com/deckhouse/secrets-store-integration/internal/supervise"
	"github.com/deckhouse/secrets-store-integration/internal/watcher"
)

// reportPrefix starts every line Report writes.
const reportPrefix = watcher.ReportPrefix

// Run is the injector program. args are the command-line arguments after the
// program name and environ is the process environment (os.Environ()). On
// success Run does not return: the command runs in its place. It returns nil
// only after --self-copy. A returned error is meant for Report and ExitCode.
// Canceling ctx (SIGTERM) stops the resolution and the command never starts.
func Run(ctx context.Context, args, environ []string, stderr io.Writer) error {
	return run(ctx, args, environ, stderr, system{
		newReader: newStoreReader,
		exec:      Command.Exec,
		start:     startChild,
		settle:    settle,
		handOff:   handOff,
		selfCopy:  SelfCopy,
		now:       time.Now,
		after:     time.After,
	})
}

// Report writes err for a person reading the container's log: one line per
// problem, each starting with "secrets-store injector: ".
func Report(w io.Writer, err error) {
	if ce := (*ChildExit)(nil); errors.As(err, &ce) {
		return // the command's own end; the injector logged why it stopped it
	}
	watcher.Report(w, err)
}

// system is what run does to the world; tests replace it.
type system struct {
	newReader func(store.Config) (Reader, error)
	exec      func(Command) error // returns only on failure
	start     func(Command, *slog.Logger) (child, error)
	settle    func() // shrinks a watching injector; nil in tests
	// handOff executes the watcher in the injector's place (watch-for-data);
	// it returns only when it cannot. nil in tests.
	handOff  func(context.Context, Config, Reader, *resolution, Command, *slog.Logger) error
	selfCopy func(dst string) error
	now      func() time.Time
	after    func(time.Duration) <-chan time.Time
}

func run(ctx context.Context, args, environ []string, stderr io.Writer, sys system) error {
	inv, err := parseArgs(args)
	if err != nil {
		return err
	}
	if inv.selfCopy != "" {
		return sys.selfCopy(inv.selfCopy)
	}
	cfg, err := ParseConfig(environ)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		return err
	}
	r, err := sys.newReader(cfg.Store)
	if err != nil {
		return err
	}
	log := cfg.Logger(stderr, inv.probe)
	// An exec probe never watches: it runs to completion.
	watching := cfg.RestartOn != envcontract.RestartNone && !inv.probe
	cfg.Probe = inv.probe
	res, err := resolve(ctx, cfg, r, environ, log)
	if !watching || err != nil || ctx.Err() != nil {
		// A watch that does not start keeps no token either.
		revokeUnlessKept(ctx, cfg, r, res, log)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted before the command started: %w", ctx.Err())
	}
	if err != nil {
		return err
	}
	cmd := Command{Args: inv.argv, Env: res.env}
	if !watching {
		return sys.exec(cmd)
	}
	if cfg.RestartOn == envcontract.RestartWatchData && sys.handOff != nil {
		// Returns only when the watcher cannot take over.
		err := sys.handOff(ctx, cfg, r, res, cmd, log)
		log.Info("watching in the injector: the watcher cannot take over", "reason", err.Error())
	}
	c, err := sys.start(cmd, log)
	if err != nil {
		revoke(ctx, cfg, r, log)
		return err
	}
	if sys.settle != nil {
		sys.settle()
	}
	w := &watch{cfg: cfg, r: r, res: res, child: c, log: log, now: sys.now, after: sys.after}
	var end *ChildExit
	if cfg.RestartOn == envcontract.RestartWatchLease {
		end = w.watchLease(ctx)
	} else {
		end = w.watchData(ctx)
	}
	if !res.plan.login {
		revoke(ctx, cfg, r, log)
	}
	return end
}

// revokeUnlessKept revokes the store token of a resolution that ends with
// execve, unless something still needs it: the application asked for it
// (VAULT_TOKEN=secrets-store:login), or a secret with a lease was read or
// written (the store revokes a token's leases with the token, which would
// end dynamic credentials the moment the application gets them).
func revokeUnlessKept(ctx context.Context, cfg Config, r Reader, res *resolution, log *slog.Logger) {
	switch {
	case res != nil && res.plan.login:
		log.Debug("store token kept: handed to the application in " + LoginVar)
	case res != nil && res.hasLease():
		log.Debug("store token kept: leases of the secrets depend on it")
	default:
		revoke(ctx, cfg, r, log)
	}
}

// startChild starts the command as the injector's child (watch modes), with
// the same lookup and size checks as Exec.
func startChild(c Command, log *slog.Logger) (child, error) {
	if len(c.Args) == 0 {
		return nil, fmt.Errorf("no command: %w", ErrUsage)
	}
	path, err := lookPath(c.Args[0], c.Env)
	if err != nil {
		return nil, err
	}
	if err := checkArgSize(path, c.Args, c.Env, currentLimits()); err != nil {
		return nil, err
	}
	ch, err := supervise.Start(path, c.Args, c.Env, log)
	if err != nil {
		// supervise names the path too: keep only the errno.
		if cause := errors.Unwrap(err); cause != nil {
			err = cause
		}
		return nil, execError(path, c.Env, err)
	}
	return ch, nil
}

// revoker is a Reader that can give up its store token; *store.Client is
// one.
type revoker interface {
	RevokeSelf(ctx context.Context, l store.Login) error
}

var _ revoker = (*store.Client)(nil)

// revoke gives up the store token of the resolution, if r holds one: the
// command never uses it, and every start (every exec probe too) would
// otherwise leave a live token until its TTL ends. Best effort: it also
// runs after a failed or interrupted resolution, bounded by the client
// timeout; a failure is logged (never with the token) and changes nothing.
func revoke(ctx context.Context, cfg Config, r Reader, log *slog.Logger) {
	rv, ok := r.(revoker)
	if !ok {
		return
	}
	if err := rv.RevokeSelf(context.WithoutCancel(ctx), cfg.Login()); err != nil {
		log.Warn("store token not revoked: it stays valid until its TTL ends", "error", err.Error())
		return
	}
	log.Debug("store token released")
}

// invocation is a parsed command line.
type invocation struct {
	selfCopy string   // destination of --self-copy
	probe    bool     // --probe
	argv     []string // the command to run
}

func parseArgs(args []string) (invocation, error) {
	var inv invocation
	switch {
	case len(args) == 0:
		return inv, fmt.Errorf("no command: %w", ErrUsage)
	case args[0] == envcontract.SelfCopyFlag:
		if len(args) != 2 || args[1] == "" {
			return inv, fmt.Errorf("%s takes one destination path: %w", envcontract.SelfCopyFlag, ErrUsage)
		}
		inv.selfCopy = args[1]
		return inv, nil
	case args[0] == envcontract.ProbeFlag:
		inv.probe = true
		args = args[1:]
	}
	if len(args) == 0 || args[0] == "" {
		return inv, fmt.Errorf("no command: %w", ErrUsage)
	}
	inv.argv = args
	return inv, nil
}

// newStoreReader builds the store client. The application's VAULT_*
// variables stay in the environment: the client reads none of them.
func newStoreReader(cfg store.Config) (Reader, error) {
	c, err := store.New(cfg)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// settle makes a watching injector, which lives as long as its container,
// small: one processor is plenty for a poll every few seconds and spares
// the scheduler's idle work on every wake-up; a lower GC target keeps the
// heap near what is live (a poll leaves little garbage, so collections
// stay rare and cheap), and the heap of the resolution goes back to the
// system.
func settle() {
	runtime.GOMAXPROCS(1)
	debug.SetGCPercent(settleGCPercent)
	debug.FreeOSMemory()
}

// settleGCPercent is the GC target of a watching injector (the default is
// 100).
const settleGCPercent = 25
