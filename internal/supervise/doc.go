// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package supervise runs the container's command as a child of the entrypoint
// injector in its watch modes, where the injector stays PID 1: it forwards
// the signals the injector receives, reaps every process that ends up as its
// child, and stops the command when the injector decides the container must
// restart (its secrets changed, or a lease cannot be renewed), so that kubelet
// starts it again with fresh values. Outside the watch modes the injector
// executes the command in its place (execve) and this package is not used.
//
// The caller finds the executable (PATH lookup, the 126/127 exit statuses and
// the argument size checks are the injector's, see package injector) and
// passes the path, the arguments (argv[0] as written) and the complete
// environment to [Start]. The command gets the injector's standard input,
// output and error and its working directory. An execve failure is returned
// by Start wrapping the errno (syscall.ENOENT, syscall.EACCES,
// syscall.E2BIG ...), so that it can be classified with errors.Is as the
// execve path does.
//
// # Process group and terminal
//
// The command runs in a process group of its own (its PGID is its PID). When
// the injector's standard input is its controlling terminal and the
// injector's group is the terminal's foreground group (a container with
// tty: true), the command's group becomes the foreground group, as tini
// does. Keys typed on the terminal (^C, ^\, ^Z) and window size changes then
// reach the command's group directly and only once, never both directly and
// through the injector, and the command may read the terminal without being
// stopped by SIGTTIN.
//
// # Signals
//
// Signals sent to the injector (by the runtime, kubelet, or kill 1 in the
// container) are forwarded to the command's process only, never to its
// group: the command receives what it would receive as PID 1 after execve.
// Forwarded, with signal.Notify on an explicit list:
//
//	SIGHUP SIGINT SIGQUIT SIGABRT SIGUSR1 SIGUSR2 SIGALRM SIGTERM SIGWINCH
//	SIGCONT  the kernel continues a stopped injector anyway; forwarded so
//	         that kill -CONT 1 continues the command
//	SIGTSTP  forwarded: the command stops, the injector (PID 1) does not
//
// Caught and dropped: SIGTTIN and SIGTTOU, which the kernel sends to a
// background group touching its terminal; they concern the injector's own
// terminal use, and caught they cannot stop the injector. SIGCHLD is not
// forwarded: it drives the reaping. SIGSTOP and SIGKILL cannot be caught.
// The rest keep Go's default behavior: SIGURG and SIGPROF belong to the Go
// runtime, faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS) are the
// injector's own, and SIGPIPE, SIGXCPU, SIGXFSZ, SIGVTALRM and SIGIO report
// the injector's own I/O and limits. A signal that was ignored when the
// injector started (SIG_IGN inherited from the runtime, as nohup does for
// SIGHUP) is left ignored, so that the command inherits it ignored, as after
// execve. os/signal coalesces a burst of one signal, as the kernel does.
//
// Forwarding starts before the command is forked (a signal arriving during
// the fork is forwarded right after it) and ends when the command has
// exited; from then on the package no longer catches these signals, so a
// caller that must survive a late SIGTERM until it exits keeps its own
// signal.Notify (the injector's main does).
//
// The command starts with the signal mask the injector was started with and
// with default dispositions for every signal the injector catches (execve
// resets handlers; Go's fork never runs them). The package never ignores a
// signal, since an ignored disposition would be inherited.
//
// # Reaping
//
// As PID 1 of the container's PID namespace the injector adopts every
// orphaned process in it. One reaper per process, started by the first
// Start, calls wait4(-1, WNOHANG) until nothing is left on every SIGCHLD; it
// records the status of each started command and discards the others (logged
// at debug level). When the injector is not PID 1 (a pod with
// shareProcessNamespace, or tests) it makes itself a child subreaper
// (prctl PR_SET_CHILD_SUBREAPER) so that the command's orphans are
// reparented to it all the same instead of to the namespace's init.
//
// Because the reaper waits for any child, nothing else in the process may
// wait for children while a command runs: os/exec's Cmd.Wait would race with
// it. The reaper and the signals sent to the command share one lock, so a
// signal is never sent to a PID after it was reaped and possibly reused.
//
// # Exit status and stopping
//
// [Child.ExitCode] is the command's exit status, or 128+N if it was killed
// by signal N (what shells report: 137 for SIGKILL, 143 for SIGTERM); the
// injector exits with it. [Child.Stop] sends SIGTERM and then SIGCONT (so
// that a stopped command can handle it, as systemd does), waits up to the
// grace period ([DefaultGrace] when it is zero or negative), sends SIGKILL
// if the command is still running and returns once it has exited. Stop is
// idempotent and safe to call concurrently with the command's own exit:
// the first call's reason and grace are used.
//
// # Logging
//
// Through a Logger (a *slog.Logger, or the watcher's own writer of the same
// lines), with constant messages and the attributes pid, signal, status,
// reason, grace and error. The command's arguments and environment are never logged
// and never part of an error: they may hold secrets.
package supervise
