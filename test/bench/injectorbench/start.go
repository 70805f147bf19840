// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injectorbench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/test/bench/stats"
	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// build makes the two binaries measured: the injector of this tree and the one of
// BaselineCommit, from its files as git archives them (the working tree is untouched).
// Both are built as the image builds them: static, stripped.
func (b *bench) build(ctx context.Context, repoRoot string) error {
	b.newBin, b.oldBin = filepath.Join(b.work, "injector"), filepath.Join(b.work, "injector-"+BaselineCommit)
	b.logf("building the injector and the injector of commit %s", BaselineCommit)
	if err := stack.BuildStatic(ctx, repoRoot, "./images/injector", b.newBin); err != nil {
		return err
	}
	// Next to the injector, as in the module's volume: a watching injector executes it.
	watcherBin := filepath.Join(b.work, envcontract.WatcherBinaryName)
	if err := stack.BuildStatic(ctx, repoRoot, "./images/"+envcontract.WatcherBinaryName, watcherBin); err != nil {
		return err
	}
	b.plainBin = filepath.Join(b.work, "plainclient")
	if err := stack.BuildStatic(ctx, repoRoot, "./test/bench/injectorbench/plainclient", b.plainBin); err != nil {
		return err
	}
	src, archive := filepath.Join(b.work, "src-"+BaselineCommit), filepath.Join(b.work, BaselineCommit+".tar")
	defer os.RemoveAll(src)
	defer os.Remove(archive)
	if err := os.Mkdir(src, 0o700); err != nil {
		return err
	}
	steps := [][]string{
		{"git", "-C", repoRoot, "archive", "--format=tar", "-o", archive, BaselineCommit},
		{"tar", "-x", "-f", archive, "-C", src},
	}
	for _, argv := range steps {
		if out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput(); err != nil { //nolint:gosec // G204: git and tar with fixed arguments
			return fmt.Errorf("extract commit %s to build its injector (the repository needs that commit: git fetch --unshallow): %s: %w: %s",
				BaselineCommit, argv[0], err, bytes.TrimSpace(out))
		}
	}
	if err := stack.BuildStatic(ctx, src, "./images/injector", b.oldBin); err != nil {
		return fmt.Errorf("build the injector of commit %s: %w", BaselineCommit, err)
	}
	return nil
}

// startCase is one kind of start being timed: a binary, with or without references.
type startCase struct {
	phase, bin string
	vars       []string
	wall, cpu  []time.Duration
	faults     []int64
	per        []Requests
}

// starts times StartRuns starts of each binary with StartPaths variables, one KV v2 path
// each, and as many without a reference (the start of the process alone), and as many
// starts of the reference program that ends at once, after WarmupRuns untimed rounds. The
// five take turns and the one that goes first changes every round, so that all see the
// same noise of a shared machine. The reference's median wall and CPU time go to plain, the
// bootstrap interval of the ratio of the two injectors' medians with references to lo and hi.
// The reference's median minor page faults go to plainFaults.
func (b *bench) starts(ctx context.Context, plain *[2]time.Duration, plainFaults *int64, lo, hi *float64) (newStart, oldStart Start, err error) {
	b.logf("timing %d starts of each injector, %d paths, and as many without a reference", StartRuns, StartPaths)
	vars := refs(StartPaths, StartPaths)
	cases := []*startCase{
		{phase: "start-new", bin: b.newBin, vars: vars},
		{phase: "start-old", bin: b.oldBin, vars: vars},
		{phase: "bare-new", bin: b.newBin},
		{phase: "bare-old", bin: b.oldBin},
		{phase: "bare-plain", bin: b.plainBin}, // plainclient /bin/true: it ends at once
	}
	for i := range WarmupRuns + StartRuns {
		for j := range cases {
			c := cases[(i+j)%len(cases)]
			phase := c.phase
			if i < WarmupRuns {
				phase = "warmup"
			}
			b.proxy.setPhase(phase)
			before, _ := b.proxy.count(phase)
			w, cpu, faults, err := b.startOnce(ctx, c.bin, c.vars)
			if err != nil {
				return newStart, oldStart, err
			}
			if i >= WarmupRuns {
				after, _ := b.proxy.count(phase)
				c.wall, c.cpu, c.per = append(c.wall, w), append(c.cpu, cpu), append(c.per, after.sub(before))
				c.faults = append(c.faults, faults)
			}
		}
	}
	b.proxy.setPhase("")
	ref := cases[4]
	plain[0], plain[1] = stats.Percentile(ref.wall, 50), stats.Percentile(ref.cpu, 50)
	*plainFaults = stats.Percentile(ref.faults, 50)
	b.logf("the reference program ending at once: median %s, CPU %s, %d minor page faults", plain[0], plain[1], *plainFaults)
	*lo, *hi = stats.RatioInterval(cases[0].wall, cases[1].wall, RatioLevel, RatioResamples)
	var out [2]Start
	for k := range out {
		c, bare := cases[k], cases[k+2]
		_, conns := b.proxy.count(c.phase)
		out[k] = summarize(c.wall, c.cpu, c.per, conns, b.proxy.spent(c.phase))
		out[k].Bare, out[k].BareCPU = stats.Percentile(bare.wall, 50), stats.Percentile(bare.cpu, 50)
		out[k].Faults, out[k].BareFaults = stats.Percentile(c.faults, 50), stats.Percentile(bare.faults, 50)
		bareReqs, _ := b.proxy.count(bare.phase)
		b.logf("%s: median %s, p90 %s, CPU %s, %d minor page faults, requests per start %s (same on every start: %t), %.1f connections; without a reference: median %s, CPU %s, %d minor page faults, requests in all %s",
			c.phase, out[k].Median, out[k].P90, out[k].CPU, out[k].Faults, out[k].PerStart.Format(false), out[k].Uniform, out[k].Conns,
			out[k].Bare, out[k].BareCPU, out[k].BareFaults, bareReqs.Format(false))
	}
	return out[0], out[1], nil
}

// startOnce runs bin /bin/true with vars and returns its wall time from exec to exit, its
// CPU time and its minor page faults (the injector's and those of /bin/true, which it
// becomes).
func (b *bench) startOnce(ctx context.Context, bin string, vars []string) (wall, cpu time.Duration, faults int64, err error) {
	cmd := exec.CommandContext(ctx, bin, "/bin/true")
	cmd.Env = b.environ(vars)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, 0, fmt.Errorf("injector %s /bin/true: %w: %s", filepath.Base(bin), err, lastLines(stderr.String(), 5))
	}
	wall = time.Since(t0)
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		faults = ru.Minflt
	}
	return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), faults, nil
}

// summarize makes the Start of one binary from its runs.
func summarize(wall, cpu []time.Duration, per []Requests, conns int, spent Spent) Start {
	s := Start{
		Median: stats.Percentile(wall, 50), P90: stats.Percentile(wall, 90), CPU: stats.Percentile(cpu, 50),
		Spent: spent, Uniform: true,
	}
	if len(per) == 0 {
		return s
	}
	s.PerStart = per[0]
	for _, r := range per[1:] {
		if r != per[0] {
			s.Uniform = false
		}
	}
	s.Conns = float64(conns) / float64(len(per))
	return s
}
