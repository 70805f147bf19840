// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package podstart

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// staNano is the STA_NANO bit of the kernel's time status: when it is set, adjtimex(2)
// returns nanoseconds in time.tv_usec.
const staNano = 0x2000

// parseAdjtimex reads the clock busybox's adjtimex printed:
//
//	status:       64 (UNSYNC)
//	time.tv_sec:  1796549522
//	time.tv_usec: 615290
//
// Other lines (the injector's, the applet's other fields) are skipped.
func parseAdjtimex(log string) (time.Time, error) {
	vals := map[string]int64{}
	for line := range strings.Lines(log) {
		f := strings.Fields(line)
		for i := 0; i+1 < len(f); i++ {
			switch f[i] {
			case "status:", "time.tv_sec:", "time.tv_usec:":
				if _, seen := vals[f[i]]; seen {
					return time.Time{}, fmt.Errorf("adjtimex output has %s twice", f[i])
				}
				v, err := strconv.ParseInt(f[i+1], 10, 64)
				if err != nil {
					return time.Time{}, fmt.Errorf("adjtimex output: %s %w", f[i], err)
				}
				vals[f[i]] = v
			}
		}
	}
	sec, okSec := vals["time.tv_sec:"]
	frac, okFrac := vals["time.tv_usec:"]
	if !okSec || !okFrac {
		return time.Time{}, errors.New("no time.tv_sec and time.tv_usec in the application's log: did adjtimex run?")
	}
	unit := int64(time.Microsecond)
	if vals["status:"]&staNano != 0 {
		unit = 1
	}
	if sec <= 0 || frac < 0 || frac >= int64(time.Second)/unit {
		return time.Time{}, fmt.Errorf("adjtimex printed an impossible time %d s + %d", sec, frac)
	}
	return time.Unix(sec, frac*unit), nil
}

// resolvedMsg is the message the injector logs when the environment is ready, just before
// it revokes its store token and executes the application.
const resolvedMsg = "environment resolved"

// parseResolved finds the time of the injector's resolvedMsg line, in the text or the JSON
// form of log/slog (millisecond precision).
func parseResolved(log string) (time.Time, bool) {
	for line := range strings.Lines(log) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "{") {
			var rec struct {
				Time time.Time `json:"time"`
				Msg  string    `json:"msg"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == resolvedMsg {
				return rec.Time, true
			}
			continue
		}
		if !strings.Contains(line, `msg="`+resolvedMsg+`"`) {
			continue
		}
		for _, f := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(f, "time="); ok {
				t, err := time.Parse(time.RFC3339Nano, v)
				return t, err == nil
			}
		}
	}
	return time.Time{}, false
}
