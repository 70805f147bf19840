// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injectorbench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/test/bench/procmem"
)

// childSeconds is how long the watched command (sleep) lives: longer than a watch run,
// short enough that it ends by itself should a run leave it behind.
const childSeconds = 180

// watch runs a watch-for-data injector over vars variables that refer to paths distinct
// paths, with a command that sleeps, against the store at p; with plain, the reference
// program polling those paths instead. Both log at the injector's default level, as in a
// pod: nothing per poll. From the moment it watches, the proxy counts Polls polls (bursts of
// requests, see phaseStats.bursts), and the store requests, the process's resident memory
// and its CPU time over them are read.
func (b *bench) watch(ctx context.Context, p *proxy, paths, vars int, plain bool) (w Watch, err error) {
	w = Watch{Paths: paths, Vars: vars}
	phase, who := fmt.Sprintf("watch-%d", paths), "injector"
	if plain {
		phase, who = "plain-"+phase, "reference program"
	}
	if p == b.closing {
		phase, who = "reconnect-"+phase, who+" (the store closing idle connections)"
	}
	p.setPhase(phase)
	defer p.setPhase("")
	b.logf("%s, watch-for-data every %s, %d paths, %d variables: counting %d polls", who, PollInterval, paths, vars, Polls)
	var cmd *exec.Cmd
	if plain {
		list := make([]string, paths)
		for i := range list {
			list[i] = kvMount + "/data/" + secretName(i)
		}
		cmd = exec.CommandContext(ctx, b.plainBin, "watch") //nolint:gosec // G204: the program built for this measurement
		cmd.Env = b.environAt(p, nil, "PLAIN_PATHS="+strings.Join(list, ","), "PLAIN_INTERVAL="+PollInterval.String())
	} else {
		cmd = exec.CommandContext(ctx, b.newBin, "/bin/sleep", strconv.Itoa(childSeconds)) //nolint:gosec // G204: the injector built for this measurement
		cmd.Env = b.environAt(p, refs(paths, vars),
			"SECRETS_STORE_RESTART_ON=watch-for-data", "SECRETS_STORE_POLL_INTERVAL="+PollInterval.String(),
			"SECRETS_STORE_GRACE_PERIOD=5s")
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StderrPipe()
	if err != nil {
		return w, err
	}
	if err := cmd.Start(); err != nil {
		return w, fmt.Errorf("start the watching injector: %w", err)
	}
	lw := readLog(out)
	defer func() { err = errors.Join(err, stopWatch(cmd, lw)) }()
	pid := cmd.Process.Pid
	if err := lw.await(ctx, lw.watching, 30*time.Second, "watch"); err != nil {
		return w, err
	}
	if !plain {
		// A watch-for-data injector executes the watcher next to it; one that watches
		// itself (the watcher missing or refusing the hand-off) is not what a pod runs.
		exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if err != nil {
			return w, err
		}
		if filepath.Base(exe) != envcontract.WatcherBinaryName {
			return w, fmt.Errorf("the injector watches in its own process (%s), not in %s: run it with SECRETS_STORE_LOG_LEVEL=debug to see why",
				exe, envcontract.WatcherBinaryName)
		}
	}
	before, conns0 := p.count(phase)
	polls0, _ := p.polls(phase)
	resumed0 := p.resumed(phase)
	cpu0, err := cpuTime(pid)
	if err != nil {
		return w, err
	}
	run0, err := runTime(pid)
	if err != nil {
		return w, err
	}
	smp, t0 := procmem.Start(pid), time.Now()
	waitErr := lw.awaitPolls(ctx, p, phase, polls0, 3*Polls*PollInterval+30*time.Second)
	cpu1, cpuErr := cpuTime(pid)
	run1, runErr := runTime(pid)
	w.Span = time.Since(t0)
	after, conns1 := p.count(phase)
	polls1, _ := p.polls(phase)
	resumed1 := p.resumed(phase)
	mem, memErr := procmem.Read(pid)
	peak := smp.Stop()
	if err := errors.Join(waitErr, cpuErr, runErr, memErr); err != nil {
		return w, err
	}
	w.Polls, w.Requests, w.Conns, w.Resumed = polls1-polls0, after.sub(before), conns1-conns0, resumed1-resumed0
	w.PeakRSS, w.PeakAnon, w.HWM = peak.RSS, peak.Anon, mem.HWM
	w.CPUPerPoll, w.RunPerPoll = (cpu1-cpu0)/time.Duration(w.Polls), (run1-run0)/time.Duration(w.Polls)
	b.logf("%s, %d paths: %d polls in %s, requests %s, %.2f per poll, %d new connections (%d resumed); VmRSS peak %.1f MiB (RssAnon %.1f MiB), VmHWM %.1f MiB; CPU per poll %s (utime+stime), %s (schedstat)",
		who, paths, w.Polls, w.Span.Round(time.Millisecond), w.Requests.Format(false), w.PerPoll(), w.Conns, w.Resumed,
		mib(w.PeakRSS), mib(w.PeakAnon), mib(w.HWM), w.CPUPerPoll, w.RunPerPoll)
	return w, nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// logWatch follows a watching injector's log lines.
type logWatch struct {
	watching chan struct{} // closed at "watching secrets for changes"
	ended    chan struct{} // closed at the end of the output

	mu    sync.Mutex
	child int      // PID of the command, from "command started"
	bad   string   // the first line saying the watch does not work as measured
	tail  []string // the last lines, for an error message
}

var pidAttr = regexp.MustCompile(`\bpid=(\d+)`)

// readLog reads the injector's log lines until the end of r. The injector never logs a
// secret value or a token.
func readLog(r io.Reader) *logWatch {
	lw := &logWatch{watching: make(chan struct{}), ended: make(chan struct{})}
	go func() {
		defer close(lw.ended)
		watching := false
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			line := sc.Text()
			lw.mu.Lock()
			lw.tail = append(lw.tail[max(0, len(lw.tail)-9):], line)
			switch {
			case strings.Contains(line, `msg="command started"`):
				if m := pidAttr.FindStringSubmatch(line); m != nil {
					lw.child, _ = strconv.Atoi(m[1])
				}
			case strings.Contains(line, `msg="watching secrets for changes"`) && !watching:
				watching = true
				close(lw.watching)
			case lw.bad == "" && (strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") ||
				strings.Contains(line, "secret changed") || strings.Contains(line, "watching is off")):
				lw.bad = line
			}
			lw.mu.Unlock()
		}
		_, _ = io.Copy(io.Discard, r)
	}()
	return lw
}

// awaitPolls waits until phase has seen Polls polls more than first and the last has been
// answered, then burstGap more: the client is done with it, and the next is still at least
// 100 ms away.
func (lw *logWatch) awaitPolls(ctx context.Context, p *proxy, phase string, first int, timeout time.Duration) error {
	done, stop := make(chan struct{}), make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if n, quiet := p.polls(phase); n-first >= Polls && quiet {
				close(done)
				return
			}
		}
	}()
	return lw.await(ctx, done, timeout, fmt.Sprintf("%d polls", Polls))
}

// await waits for ch; the injector's end, a warning in its log, ctx or timeout end the
// wait with an error quoting the log's last lines.
func (lw *logWatch) await(ctx context.Context, ch <-chan struct{}, timeout time.Duration, what string) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ch:
			return lw.problem(what)
		case <-lw.ended:
			return lw.failed(what, "the injector ended")
		case <-ctx.Done():
			return lw.failed(what, ctx.Err().Error())
		case <-t.C:
			return lw.failed(what, "timed out after "+timeout.String())
		case <-tick.C:
			if err := lw.problem(what); err != nil {
				return err
			}
		}
	}
}

func (lw *logWatch) problem(what string) error {
	lw.mu.Lock()
	bad := lw.bad
	lw.mu.Unlock()
	if bad != "" {
		return lw.failed(what, "the injector logged: "+bad)
	}
	return nil
}

func (lw *logWatch) failed(what, why string) error {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return fmt.Errorf("watching injector, waiting for %s: %s; its last lines:\n%s", what, why, strings.Join(lw.tail, "\n"))
}

// stopWatch ends a watching injector as kubelet does (SIGTERM, which it forwards to its
// command), then SIGKILL after 15 s; the command is killed by its PID if it outlives the
// injector.
func stopWatch(cmd *exec.Cmd, lw *logWatch) error {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		err = errors.Join(errors.New("the watching injector did not end within 15s of SIGTERM: killed"), <-done)
	}
	lw.mu.Lock()
	child := lw.child
	lw.mu.Unlock()
	if child > 1 && isSleep(child) {
		_ = syscall.Kill(child, syscall.SIGKILL)
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return nil // the command's status after SIGTERM
	}
	return err
}

// isSleep says whether pid is still the sleep the injector ran.
func isSleep(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return err == nil && strings.TrimSpace(string(b)) == "sleep"
}
