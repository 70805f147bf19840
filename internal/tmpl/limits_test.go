// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package tmpl

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

func TestLimits(t *testing.T) {
	tests := []struct {
		name, text string
		want       string // part of the limit error
	}{
		{"output", `${range 2000}${repeat 1000 "x"}${end}`, "the output would exceed 1048576 bytes"},
		{"output from text", strings.Repeat("x", maxOutput+1), "the output would exceed"},
		{"steps in range", `${range 20000}${end}`, "more than 10000 steps"},
		{"steps in nested range", `${range 200}${range 200}${end}${end}`, "more than 10000 steps"},
		{"steps in calls", `${range 5001}${upper "a"}${end}`, "more than 10000 steps"},
		{"heavy calls", `${range 11}${$_ := genPrivateKey "unknown type, so fast"}${end}`, "more than 10000 steps"},
		{"repeat", `${repeat 2000000 "x"}`, "the result would exceed"},
		{"repeat huge", `${repeat 9223372036854775807 "xy"}`, "the result would exceed"},
		{"indent", `${indent 1000000 "a\nb"}`, "the result would exceed"},
		{"nindent", `${nindent 600000 "a\nb"}`, "the result would exceed"},
		{"replace", `${$s := repeat 2000 "a"}${replace "" $s $s}`, "the result would exceed"},
		{"wrapWith", `${$s := repeat 2000 "a"}${wrapWith 1 $s $s}`, "the result would exceed"},
		{"until", `${until 100000}`, "the list would exceed"},
		{"until negative", `${until -100000}`, "the list would exceed"},
		{"untilStep", `${untilStep 0 100000000 2}`, "the list would exceed"},
		{"seq", `${seq 1000000}`, "the list would exceed"},
		{"seq three", `${seq 1 1 1000000}`, "the list would exceed"},
		{"randAlpha", `${randAlpha 2000000}`, "the result would exceed"},
		{"randBytes", `${randBytes 2000000}`, "the result would exceed"},
		{"regexReplaceAll", `${$s := repeat 1000 "a"}${regexReplaceAll "" $s (repeat 2000 "b")}`, "the result would exceed"},
		{"regexReplaceAll dollars", `${$s := repeat 2000 "a"}${regexReplaceAll "a+" $s (repeat 1000 "$0")}`, "the result would exceed"},
		{"regexReplaceAllLiteral", `${$s := repeat 1000 "a"}${regexReplaceAllLiteral "" $s (repeat 2000 "b")}`, "the result would exceed"},
		{"printf width", `${printf (repeat 10 "%1000000d") 1 2 3 4 5 6 7 8 9 10}`, "the result would exceed"},
		{"printf star", `${printf "%*d%*d" 1000000 1 1000000 2}`, "the result would exceed"},
		{"uniq", `${uniq (until 10000)}`, "the comparisons would exceed"},
		{"without", "${without (until 14000) " + strings.Repeat("1 ", 1200) + "}", "the comparisons would exceed"},
		{"semverCompare", `${semverCompare (repeat 20000 "1 - 2 ") "1.5.0"}`, "the work would exceed"},
		{"arguments", `${$s := repeat 600000 "x"}${cat $s $s}`, "arguments: values hold more than"},
		{"many arguments", `${$s := repeat 100000 "x"}${cat $s $s $s $s $s $s $s $s $s $s $s}`, "arguments: values hold more than"},
		{"result", `${$s := repeat 800000 "x"}${b64enc $s | len}`, "result: values hold more than"},
		{"shared strings count each time", `${$s := repeat 1000 "x"}${list ` + strings.Repeat("$s ", 1000) + `}`, "arguments: values hold more than"},
		{"growing list", `${$s := repeat 1000 "x"}${$l := list}${range 2000}${$l = append $l $s}${end}`, "limit exceeded"},
		{"results built", `${range 20}${$x := repeat 1000000 "x"}${end}`, "the results of the calls add up to more than 16777216 bytes"},
		{"cycle", `${$d := dict}${$_ := set $d "self" $d}${$d}`, "nests deeper than 100 levels"},
		{"indirect cycle", `${$a := dict}${$b := dict "a" $a}${$_ := set $a "b" $b}`, "nests deeper than 100 levels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(tt.text, testData())
			if !errors.Is(err, errLimit) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run(%.80q) error = %v, want a limit error containing %q", tt.text, err, tt.want)
			}
		})
	}
}

// TestWithinLimits runs templates just inside the limits: they must work.
func TestWithinLimits(t *testing.T) {
	tests := []struct {
		name, text string
		wantLen    int
	}{
		{"output", `${range 1024}${repeat 1023 "x"}${end}` + strings.Repeat("y", 1024), maxOutput},
		{"steps", `${range 9999}${end}x`, 1},
		{"nested range", `${range 99}${range 99}${end}${end}x`, 1},
		{"repeat", `${repeat 1000000 "x"}`, 1000000},
		{"replace", `${replace "a" "bb" (repeat 1000 "a")}`, 2000},
		{"until", `${until 10000 | len}`, 5},
		{"printf", `${printf "%5d|%-5s|%.2f" 1 "a" 1.5}`, 16},
		{"uniq", `${uniq (until 3000) | len}`, 4},
		{"semverCompare", `${semverCompare (print (repeat 500 "1 - 2 || ") "1 - 2") "1.5.0"}`, 4},
		{"data passes through", `${.password | len}`, len(strconv.Itoa(len(fmt.Sprint(testData()["password"]))))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := run(tt.text, testData())
			if err != nil || len(got) != tt.wantLen {
				t.Fatalf("run(%.80q) = %d bytes, %v; want %d bytes", tt.text, len(got), err, tt.wantLen)
			}
		})
	}
}
