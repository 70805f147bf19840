// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injectorbench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of utime and stime in /proc/PID/stat (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// memory is a process's resident memory from /proc/PID/status (bytes).
type memory struct{ rss, anon, hwm int64 }

// readMemory reads VmRSS, RssAnon and VmHWM of pid.
func readMemory(pid int) (memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, err
	}
	return parseStatus(b)
}

func parseStatus(b []byte) (memory, error) {
	var m memory
	fields := map[string]*int64{"VmRSS:": &m.rss, "RssAnon:": &m.anon, "VmHWM:": &m.hwm}
	found := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		dst, ok := fields[firstOr(f)]
		if !ok || len(f) != 3 || f[2] != "kB" {
			continue
		}
		kb, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return m, fmt.Errorf("parse %s in /proc/PID/status: %w", f[0], err)
		}
		*dst = kb << 10
		found++
	}
	if found != len(fields) {
		return m, fmt.Errorf("/proc/PID/status lacks one of VmRSS, RssAnon, VmHWM")
	}
	return m, nil
}

func firstOr(f []string) string {
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// cpuTime is utime+stime of pid (every thread; not its children).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStat(b)
}

// parseStat reads fields 14 (utime) and 15 (stime) of /proc/PID/stat. The command name
// (field 2) is in parentheses and may hold spaces, so fields are counted after the last ')'.
func parseStat(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc/PID/stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/PID/stat has %d fields after the command name, want at least 13", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] { // fields 14 and 15: f[0] is field 3
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse utime or stime in /proc/PID/stat: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}

// runTime is the time pid's threads spent on a CPU, in nanoseconds: the sum of the first
// field of /proc/PID/task/*/schedstat. It is exact where utime+stime counts ticks.
func runTime(pid int) (time.Duration, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		return 0, fmt.Errorf("no /proc/%d/task/*/schedstat: %w", pid, err)
	}
	var sum time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(t) //nolint:gosec // G304: a file under /proc of a process started here
		if err != nil {
			continue // the thread ended meanwhile
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			continue
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse %s: %w", t, err)
		}
		sum += time.Duration(ns)
	}
	return sum, nil
}

// sampler reads a process's resident memory every 20 ms and keeps the largest.
type sampler struct {
	done chan struct{}
	peak chan memory
}

func startSampler(pid int) *sampler {
	s := &sampler{done: make(chan struct{}), peak: make(chan memory, 1)}
	go func() {
		var peak memory
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if m, err := readMemory(pid); err == nil {
				peak.rss, peak.anon = max(peak.rss, m.rss), max(peak.anon, m.anon)
			}
			select {
			case <-s.done:
				s.peak <- peak
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// stop ends the sampling and returns the largest VmRSS and RssAnon read.
func (s *sampler) stop() memory {
	close(s.done)
	return <-s.peak
}
