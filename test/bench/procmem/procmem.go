// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package procmem reads a process's memory from /proc/PID/status for the
// benchmarks, once or sampled every 20 ms.
package procmem

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Memory is a process's resident memory, in bytes.
type Memory struct {
	RSS, HWM   int64 // VmRSS, VmHWM (the peak of VmRSS since the start)
	Anon, File int64 // RssAnon, RssFile: the parts of VmRSS
}

// MiB converts bytes to MiB.
func MiB(b int64) float64 { return float64(b) / (1 << 20) }

// Read reads the memory of pid.
func Read(pid int) (Memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, err
	}
	m, err := Parse(b)
	if err != nil {
		return m, fmt.Errorf("/proc/%d/status: %w", pid, err)
	}
	return m, nil
}

// Parse reads the contents of /proc/PID/status; VmRSS must be there, the
// other fields are 0 when absent.
func Parse(status []byte) (Memory, error) {
	var m Memory
	fields := map[string]*int64{"VmRSS": &m.RSS, "VmHWM": &m.HWM, "RssAnon": &m.Anon, "RssFile": &m.File}
	seenRSS := false
	for line := range strings.Lines(string(status)) {
		key, val, _ := strings.Cut(line, ":")
		f := strings.Fields(val)
		dst, ok := fields[key]
		if !ok || len(f) != 2 || f[1] != "kB" {
			continue
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return m, fmt.Errorf("parse %s: %w", key, err)
		}
		*dst = kb << 10
		seenRSS = seenRSS || key == "VmRSS"
	}
	if !seenRSS {
		return m, fmt.Errorf("no VmRSS")
	}
	return m, nil
}

// Sampler reads a process's memory every 20 ms and keeps the largest
// value of each field.
type Sampler struct {
	done chan struct{}
	peak chan Memory
}

// Start starts sampling pid.
func Start(pid int) *Sampler {
	s := &Sampler{done: make(chan struct{}), peak: make(chan Memory, 1)}
	go func() {
		var peak Memory
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if m, err := Read(pid); err == nil {
				peak = Memory{
					RSS: max(peak.RSS, m.RSS), HWM: max(peak.HWM, m.HWM),
					Anon: max(peak.Anon, m.Anon), File: max(peak.File, m.File),
				}
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

// Stop ends the sampling and returns the largest value of each field.
func (s *Sampler) Stop() Memory {
	close(s.done)
	return <-s.peak
}
