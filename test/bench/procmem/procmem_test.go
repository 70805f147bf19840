// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package procmem

import (
	"os"
	"testing"
)

func TestParse(t *testing.T) {
	status := "Name:\tinjector\nVmHWM:\t    9000 kB\nVmRSS:\t    8000 kB\nRssAnon:\t    3000 kB\nRssFile:\t    5000 kB\nThreads:\t5\n"
	got, err := Parse([]byte(status))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Memory{RSS: 8000 << 10, HWM: 9000 << 10, Anon: 3000 << 10, File: 5000 << 10}); got != want {
		t.Errorf("Parse = %+v, want %+v", got, want)
	}
	if _, err := Parse([]byte("Name:\tx\nVmHWM:\t9000 kB\n")); err == nil {
		t.Error("Parse without VmRSS: got no error")
	}
	if _, err := Parse([]byte("VmRSS:\tlots kB\n")); err == nil {
		t.Error("Parse with a malformed VmRSS: got no error")
	}
}

func TestReadSelf(t *testing.T) {
	m, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS <= 0 || m.HWM < m.RSS || m.Anon+m.File > m.RSS {
		t.Errorf("Read(self) = %+v: want 0 < RSS <= HWM and Anon+File <= RSS", m)
	}
	s := Start(os.Getpid())
	if peak := s.Stop(); peak.RSS <= 0 {
		t.Errorf("Sampler peak %+v: want at least one reading", peak)
	}
}
