// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package watcher

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// slogLine is what log/slog's handler writes for one record.
func slogLine(t testing.TB, json bool, floor, level int, at time.Time, msg string, args ...any) string {
	t.Helper()
	var buf bytes.Buffer
	opts := &slog.HandlerOptions{Level: slog.Level(floor)}
	var h slog.Handler = slog.NewTextHandler(&buf, opts)
	if json {
		h = slog.NewJSONHandler(&buf, opts)
	}
	if !h.Enabled(t.Context(), slog.Level(level)) {
		return ""
	}
	r := slog.NewRecord(at, slog.Level(level), msg, 0)
	r.Add(args...)
	if err := h.Handle(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// ourLine is what lineLogger writes for the same record.
func ourLine(json bool, floor, level int, at time.Time, msg string, args ...any) string {
	var buf bytes.Buffer
	l := newLineLogger(&buf, floor, json)
	l.now = func() time.Time { return at }
	map[int]func(string, ...any){levelDebug: l.Debug, levelInfo: l.Info, levelWarn: l.Warn, levelError: l.Error}[level](msg, args...)
	return buf.String()
}

func TestLogLineAsSlog(t *testing.T) {
	utc := time.Date(2026, 12, 7, 13, 35, 30, 999_999_999, time.UTC)
	east := time.Date(2026, 1, 2, 3, 4, 5, 60_000_000, time.FixedZone("X", 5*3600+1800))
	for _, tc := range []struct {
		name  string
		level int
		at    time.Time
		msg   string
		args  []any
	}{
		{"plain", levelInfo, utc, "command started", []any{"pid", 18}},
		{"debug", levelDebug, east, "poll: no change", nil},
		{
			"warn with an error", levelWarn, utc, "poll failed: keeping the application running",
			[]any{"path", "kv/data/app", "version", 3, "error", errors.New(`dial tcp: "x" = y`)},
		},
		{"error", levelError, east, "the command does not start", []any{"path", "/bin/app", "error", "no such file"}},
		{"durations", levelInfo, utc, "stopping the command", []any{"grace", 30 * time.Second, "interval", 3911935959 * time.Nanosecond, "zero", time.Duration(0)}},
		{"lists", levelInfo, utc, "watching", []any{"paths", []string{"a/data/b", "c d", `q"`}, "none", []string{}, "nil", []string(nil)}},
		{"list characters", levelInfo, utc, "x", []any{"paths", []string{"\b\f\n\r\t\x01\x7f", "\xff", "\u2028\u2029", "<&>", "é\U0001F600"}}},
		{"quoting", levelInfo, utc, "", []any{
			"empty", "", "eq", "a=b", "space", "a b", "quote", `a"b`, "backslash", `a\b`,
			"tab", "a\tb", "del", "a\x7fb", "nbsp", "a\u00a0b", "bad", "a\xffb", "sep", "\u2028", "ok", "é-ü_/:.,;",
		}},
		{"negative", levelWarn, utc, "x", []any{"n", -42}},
		{"bad keys", levelInfo, utc, "x", []any{7, "a", "b", "lone"}},
		{"bool", levelInfo, utc, "x", []any{"t", true, "f", false}},
	} {
		for _, json := range []bool{false, true} {
			want := slogLine(t, json, levelDebug, tc.level, tc.at, tc.msg, tc.args...)
			got := ourLine(json, levelDebug, tc.level, tc.at, tc.msg, tc.args...)
			if got != want {
				t.Errorf("%s (json %v):\n got %s\nwant %s", tc.name, json, got, want)
			}
		}
	}
}

// TestLogLineOtherType: a type the watcher does not log is written as its
// %+v, quoted in JSON (where slog would marshal it).
func TestLogLineOtherType(t *testing.T) {
	at := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	v := struct{ A int }{1}
	if got, want := ourLine(false, levelInfo, levelInfo, at, "m", "v", v), "time=2026-12-07T00:00:00.000Z level=INFO msg=m v={A:1}\n"; got != want {
		t.Errorf("text: got %q, want %q", got, want)
	}
	if got, want := ourLine(true, levelInfo, levelInfo, at, "m", "v", v), `{"time":"2026-12-07T00:00:00Z","level":"INFO","msg":"m","v":"{A:1}"}`+"\n"; got != want {
		t.Errorf("json: got %q, want %q", got, want)
	}
}

func TestLogLineLevel(t *testing.T) {
	at := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	for _, floor := range []int{levelDebug, levelInfo, levelWarn, levelError} {
		for _, level := range []int{levelDebug, levelInfo, levelWarn, levelError} {
			got := ourLine(false, floor, level, at, "m")
			if want := slogLine(t, false, floor, level, at, "m"); got != want {
				t.Errorf("level %d at %d: got %q, want %q", level, floor, got, want)
			}
			if (got != "") != (level >= floor) {
				t.Errorf("level %d at %d: got %q", level, floor, got)
			}
		}
	}
}

// TestLogLineConcurrent: lines written at once never mix (the reaper and
// the poll loop log from two goroutines).
func TestLogLineConcurrent(t *testing.T) {
	var buf bytes.Buffer
	l := newLineLogger(&buf, levelInfo, false)
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 200 {
				l.Info("line", "g", g, "i", i, "pad", strings.Repeat("x", 100))
			}
		}()
	}
	for range 4 {
		<-done
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 800 {
		t.Fatalf("%d lines, want 800", len(lines))
	}
	for _, line := range lines {
		if !strings.HasPrefix(line, "time=") || !strings.HasSuffix(line, strings.Repeat("x", 100)) {
			t.Fatalf("a mixed line: %q", line)
		}
	}
}

// FuzzLogLine: for any strings, numbers and times of the kinds the watcher
// logs, a line is what log/slog writes, in text and in JSON.
func FuzzLogLine(f *testing.F) {
	f.Add("command exited", "path", "kv/data/a b", int64(7), int64(time.Second), "x\ny", "é", int64(1733580000123456789), int64(3600), false)
	f.Add("", "", "", int64(-1), int64(-5), "\xff", "\u2028", int64(0), int64(-7200), true)
	f.Fuzz(func(t *testing.T, msg, key, s string, n, d int64, a, b string, unixNano, zone int64, json bool) {
		at := time.Unix(0, unixNano).In(time.FixedZone("Z", int(zone%(14*3600))))
		if y := at.Year(); y < 0 || y >= 10000 {
			return // slog reports such a time as an error
		}
		args := []any{key, s, "n", int(n), "d", time.Duration(d), "list", []string{a, b}, "error", errors.New(a)}
		for _, level := range []int{levelDebug, levelInfo, levelWarn, levelError} {
			want := slogLine(t, json, levelDebug, level, at, msg, args...)
			if got := ourLine(json, levelDebug, level, at, msg, args...); got != want {
				t.Fatalf("json %v:\n got %s\nwant %s", json, got, want)
			}
		}
	})
}
