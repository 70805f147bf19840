// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package podstart

import (
	"strings"
	"testing"
	"time"
)

// adjtimexOut is busybox 1.37's adjtimex output, with the injector's log line before it.
const adjtimexOut = `time=2026-05-07T10:00:00.123+00:00 level=INFO msg="environment resolved" count=1 paths=kv/data/app failed=0
    mode:         0
-o  offset:       0 us
-f  freq.adjust:  0 (65536 = 1ppm)
    maxerror:     16000000
    esterror:     16000000
    status:       %s (UNSYNC)
-p  timeconstant: 2
    precision:    1 us
    tolerance:    32768000
-t  tick:         10000 us
    time.tv_sec:  1778148000
    time.tv_usec: %s
    return value: 5 (clock not synchronized)
`

func adjtimex(status, frac string) string {
	return strings.NewReplacer("%s (UNSYNC)", status+" (UNSYNC)", "time.tv_usec: %s", "time.tv_usec: "+frac).Replace(adjtimexOut)
}

func TestParseAdjtimex(t *testing.T) {
	for _, tt := range []struct {
		name, log string
		want      time.Time
		wantErr   bool
	}{
		{"microseconds", adjtimex("64", "615290"), time.Unix(1778148000, 615290_000), false},
		{"STA_NANO: nanoseconds", adjtimex("8256", "615290123"), time.Unix(1778148000, 615290123), false},
		{"microseconds out of range", adjtimex("64", "1000000"), time.Time{}, true},
		{"not a number", adjtimex("64", "x"), time.Time{}, true},
		{"no clock: adjtimex did not run", "sh: adjtimex: not found\n", time.Time{}, true},
		{"printed twice", adjtimex("64", "1") + "    time.tv_sec:  1\n", time.Time{}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAdjtimex(tt.log)
			if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
				t.Fatalf("parseAdjtimex = %v, %v; want %v, error %t", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseResolved(t *testing.T) {
	at := time.Date(2026, 5, 7, 10, 0, 0, 123_000_000, time.UTC)
	for _, tt := range []struct {
		name, log string
		ok        bool
	}{
		{"text", adjtimex("64", "1"), true},
		{"json", `{"time":"2026-05-07T10:00:00.123Z","level":"INFO","msg":"environment resolved","count":1}` + "\n", true},
		{"other message", `time=2026-05-07T10:00:00.123Z level=INFO msg="watching secrets for changes"` + "\n", false},
		{"json, other message", `{"time":"2026-05-07T10:00:00.123Z","msg":"watching"}` + "\n", false},
		{"no injector", "    time.tv_sec:  1\n", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseResolved(tt.log)
			if ok != tt.ok || ok && !got.Equal(at) {
				t.Fatalf("parseResolved = %v, %t; want %v, %t", got, ok, at, tt.ok)
			}
		})
	}
}

func FuzzParseAdjtimex(f *testing.F) {
	f.Add(adjtimex("64", "615290"))
	f.Add(adjtimex("8256", "999999999"))
	f.Fuzz(func(t *testing.T, log string) {
		got, err := parseAdjtimex(log)
		if err == nil && (got.Unix() <= 0 || got.Nanosecond() < 0) {
			t.Fatalf("parseAdjtimex accepted %q as %v", log, got)
		}
		_, _ = parseResolved(log)
	})
}

func TestRowsTargets(t *testing.T) {
	d := func(ms ...int) []time.Duration {
		out := make([]time.Duration, len(ms))
		for i, v := range ms {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	var r Result
	r.Pods = 3
	r.Modes[NoSecrets].Start = d(500, 510, 520)
	r.Modes[InitReference].Start = d(1500, 1510, 1520)
	r.Modes[InjectCommand].Start = d(1600, 1610, 1620)
	r.Modes[InjectCommand].Exec = d(5, 6, 7)
	r.Modes[InjectImage].Start = d(1600, 1610, 1620)
	r.Modes[CSIVolume].Start = d(560, 610, 900)
	rows := Rows(r)
	if len(rows) != int(Modes)+2 {
		t.Fatalf("got %d rows, want %d", len(rows), Modes+2)
	}
	for _, tt := range []struct {
		m           Mode
		target, met bool
		value       string
	}{
		{NoSecrets, false, false, "510ms / 520ms"},
		{InitReference, false, false, "1.51s / 1.52s (+1s)"},
		{InjectCommand, true, false, "1.61s / 1.62s (+1.1s)"},
		{InjectImage, true, false, "1.61s / 1.62s (+1.1s)"},
		{CSIVolume, true, true, "610ms / 900ms (+100ms)"},
	} {
		row := rows[tt.m]
		if (row.Target != "") != tt.target || row.Met != tt.met || row.Value != tt.value {
			t.Errorf("%s: got value %q, target %q, met %t; want value %q, a target %t, met %t", tt.m, row.Value, row.Target, row.Met, tt.value, tt.target, tt.met)
		}
	}
	if got := rows[Modes].Value; got != "6ms" {
		t.Errorf("exec row: got %q, want 6ms", got)
	}
	if m := Method(r, false); !strings.Contains(m, "+1.1s") || !strings.Contains(Method(r, true), "+1.1s") {
		t.Errorf("the method does not give injection's extra time:\n%s", m)
	}
}
