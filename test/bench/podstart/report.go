// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package podstart

import (
	"fmt"
	"strings"
	"time"

	"github.com/deckhouse/secrets-store-integration/test/bench/i18n"
	"github.com/deckhouse/secrets-store-integration/test/bench/stats"
)

// Budget is the most a way of delivering secrets may add to the median pod start of a pod
// without secrets.
const Budget = 100 * time.Millisecond

// Row is one line of the benchmarks page in both languages; Target is empty for a figure
// without a target.
type Row struct {
	What, WhatRU, Value, ValueRU, Target string
	Met                                  bool
}

// modeRU is Mode.String on the Russian page.
var modeRU = [Modes]string{
	i18n.RU("podstart.report.01"), i18n.RU("podstart.report.02"), i18n.RU("podstart.report.03"),
	i18n.RU("podstart.report.04"), i18n.RU("podstart.report.09"), i18n.RU("podstart.report.05"),
	i18n.RU("podstart.report.10"),
}

// Median is the median pod start of mode m.
func (r Result) Median(m Mode) time.Duration { return stats.Percentile(r.Modes[m].Start, 50) }

// Over is how much the median pod start of mode m exceeds that of a pod without secrets.
func (r Result) Over(m Mode) time.Duration { return r.Median(m) - r.Median(NoSecrets) }

// Rows are the figures of the page: the pod start of every mode, the part of injection
// after the environment is resolved, and the Create calls.
func Rows(r Result) []Row {
	var rows []Row
	for m := range Modes {
		s := r.Modes[m].Start
		value := ms(stats.Percentile(s, 50)) + " / " + ms(stats.Percentile(s, 90))
		row := Row{
			What:   fmt.Sprintf("pod start, %s: median / p90 over %d pods (Create returned → the application's first instruction)", m, len(s)),
			WhatRU: fmt.Sprintf(i18n.RU("podstart.report.06"), modeRU[m], len(s)),
		}
		if m != NoSecrets {
			value += " (" + signed(r.Over(m)) + ")"
		}
		row.Value = value
		if m != NoSecrets && m != InitReference {
			row.Target, row.Met = "≤ +"+ms(Budget), len(s) > 0 && r.Over(m) <= Budget
		}
		rows = append(rows, row)
	}
	exec := r.Modes[InjectCommand].Exec
	rows = append(rows, Row{
		What:   "of entrypoint injection with the command in the spec: the injector's \"environment resolved\" → the application's first instruction (token revocation, execve), median",
		WhatRU: i18n.RU("podstart.report.07"),
		Value:  ms(stats.Percentile(exec, 50)),
	})
	creates := make([]string, 0, Modes)
	for m := range Modes {
		creates = append(creates, ms(stats.Percentile(r.Modes[m].Create, 50)))
	}
	rows = append(rows, Row{
		What:   "the Create call itself, median, in the order of the rows above (not part of pod start)",
		WhatRU: i18n.RU("podstart.report.08"),
		Value:  strings.Join(creates, " / "),
	})
	return rows
}

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }

func signed(d time.Duration) string {
	if d < 0 {
		return "−" + ms(-d)
	}
	return "+" + ms(d)
}
