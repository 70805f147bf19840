// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package watcher

// The watcher writes its log lines itself, in the formats of log/slog's
// TextHandler and JSONHandler, which the injector uses for its own lines
// before the hand-off. log/slog links encoding/json and its reflection-based
// encoder: about 0.4 MB of executable that every watching container would
// keep mapped for its whole life. For the value types the watcher logs
// (string, int, bool, time.Duration, []string, error) a line is byte for byte
// what slog writes; FuzzLogLine compares the two.

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Levels as log/slog numbers them; Handoff.LogLevel holds one of them.
const (
	levelDebug = -4
	levelInfo  = 0
	levelWarn  = 4
	levelError = 8
)

// lineLogger writes one line per call to w. It satisfies supervise.Logger.
type lineLogger struct {
	w     io.Writer
	json  bool
	level int              // lines below it are dropped
	now   func() time.Time // time.Now; tests fix it

	mu  sync.Mutex // guards buf and the writes
	buf []byte
}

func newLineLogger(w io.Writer, level int, json bool) *lineLogger {
	return &lineLogger{w: w, json: json, level: level, now: time.Now}
}

// Debug, Info, Warn and Error write msg and the key-value pairs of args, as
// the methods of slog.Logger do.
func (l *lineLogger) Debug(msg string, args ...any) { l.log(levelDebug, msg, args) }
func (l *lineLogger) Info(msg string, args ...any)  { l.log(levelInfo, msg, args) }
func (l *lineLogger) Warn(msg string, args ...any)  { l.log(levelWarn, msg, args) }
func (l *lineLogger) Error(msg string, args ...any) { l.log(levelError, msg, args) }

func (l *lineLogger) log(level int, msg string, args []any) {
	if level < l.level {
		return
	}
	t := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buf[:0]
	if l.json {
		b = append(b, `{"time":"`...)
		b = t.AppendFormat(b, time.RFC3339Nano)
		b = append(b, `","level":"`...)
		b = append(b, levelName(level)...)
		b = append(b, `","msg":`...)
	} else {
		b = append(b, "time="...)
		b = appendMillis(b, t)
		b = append(b, " level="...)
		b = append(b, levelName(level)...)
		b = append(b, " msg="...)
	}
	b = l.appendString(b, msg)
	for len(args) > 0 {
		// A string and what follows it are a pair; anything else, a lone
		// string at the end included, is a value without a key.
		key, value := "!BADKEY", args[0]
		args = args[1:]
		if k, ok := value.(string); ok && len(args) > 0 {
			key, value, args = k, args[0], args[1:]
		}
		if l.json {
			b = append(b, ',')
			b = l.appendString(b, key)
			b = append(b, ':')
		} else {
			b = append(b, ' ')
			b = l.appendString(b, key)
			b = append(b, '=')
		}
		b = l.appendValue(b, value)
	}
	if l.json {
		b = append(b, '}')
	}
	b = append(b, '\n')
	_, _ = l.w.Write(b) // nowhere to report a log line that cannot be written
	if cap(b) <= 4096 {
		l.buf = b[:0]
	}
}

// levelName is slog's name of the four levels the watcher logs at.
func levelName(level int) string {
	switch {
	case level < levelInfo:
		return "DEBUG"
	case level < levelWarn:
		return "INFO"
	case level < levelError:
		return "WARN"
	}
	return "ERROR"
}

// appendMillis appends t in RFC 3339 with exactly three digits of
// milliseconds, truncated, as slog's TextHandler writes times.
func appendMillis(b []byte, t time.Time) []byte {
	return t.Truncate(time.Millisecond).AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
}

func (l *lineLogger) appendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case string:
		return l.appendString(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case bool:
		return strconv.AppendBool(b, v)
	case time.Duration:
		if l.json {
			return strconv.AppendInt(b, int64(v), 10) // nanoseconds, as encoding/json writes it
		}
		return append(b, v.String()...)
	case []string:
		if l.json {
			return appendJSONList(b, v)
		}
		return l.appendString(b, "["+strings.Join(v, " ")+"]")
	case error:
		return l.appendString(b, v.Error())
	}
	// No other type is logged; this keeps a mistake readable (slog would
	// marshal it in JSON).
	return l.appendString(b, fmt.Sprintf("%+v", v))
}

// appendString appends s as slog does: in JSON always quoted; in text as it
// is, unless it is empty or holds a space, '=', '"', a control character or
// a rune that is not printable, and then quoted the Go way.
func (l *lineLogger) appendString(b []byte, s string) []byte {
	if l.json {
		b = append(b, '"')
		b = appendJSONChars(b, s, false)
		return append(b, '"')
	}
	if textNeedsQuotes(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

func textNeedsQuotes(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == ' ' || c == '=' || c == '"' {
				return true
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
		i += n
	}
	return false
}

const hexDigits = "0123456789abcdef"

// appendJSONChars appends the characters of a JSON string for s: '"', '\'
// and control characters escaped, invalid UTF-8 as U+FFFD, U+2028 and
// U+2029 escaped, nothing escaped for HTML. short also writes \b and \f as
// such, as encoding/json does inside a list; slog's own strings write them
// as \u0008 and \u000c.
func appendJSONChars(b []byte, s string, short bool) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case short && c == '\b':
				b = append(b, '\\', 'b')
			case short && c == '\f':
				b = append(b, '\\', 'f')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return b
}

// appendJSONList appends v as encoding/json marshals a []string.
func appendJSONList(b []byte, v []string) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, e := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = appendJSONChars(b, e, true)
		b = append(b, '"')
	}
	return append(b, ']')
}
