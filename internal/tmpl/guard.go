// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package tmpl

import (
	"fmt"
	"math"
	"os"
	"reflect"
	"regexp"
	"strings"
)

// check refuses a call whose arguments are together larger than maxValue,
// or that its guard says would build a much larger result.
func (f *function) check(argv []reflect.Value) error {
	if f.measured {
		if _, err := measure(maxValue, argv...); err != nil {
			return fmt.Errorf("arguments: %w", err)
		}
	}
	if f.guard != nil {
		return f.guard(argv)
	}
	return nil
}

// measure fails when the values together hold more than limit bytes:
// string and byte-slice lengths, plus itemCost per value visited. It
// stops as soon as the limit is passed, so it costs at most
// limit/itemCost visits. Values nested deeper than maxDepth are refused
// as well: they are most likely a map that holds itself. It returns the
// bytes counted.
func measure(limit int, values ...reflect.Value) (int, error) {
	m := meter{left: limit}
	for _, v := range values {
		if !m.visit(v, 0) {
			break
		}
	}
	switch {
	case m.deep:
		return 0, fmt.Errorf("a value nests deeper than %d levels: %w", maxDepth, errLimit)
	case m.left < 0:
		return 0, fmt.Errorf("values hold more than %d bytes: %w", limit, errLimit)
	}
	return limit - m.left, nil
}

type meter struct {
	left int
	deep bool
}

// visit charges v to m and reports whether to go on.
func (m *meter) visit(v reflect.Value, depth int) bool {
	if depth > maxDepth {
		m.deep = true
		return false
	}
	m.left -= itemCost
	switch v.Kind() {
	case reflect.String:
		m.left -= v.Len()
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			m.left -= v.Len()
			break
		}
		for i := 0; i < v.Len() && m.left >= 0; i++ {
			if !m.visit(v.Index(i), depth+1) {
				return false
			}
		}
	case reflect.Map:
		for it := v.MapRange(); m.left >= 0 && it.Next(); {
			if !m.visit(it.Key(), depth+1) || !m.visit(it.Value(), depth+1) {
				return false
			}
		}
	case reflect.Struct:
		for i := 0; i < v.NumField() && m.left >= 0; i++ {
			if !m.visit(v.Field(i), depth+1) {
				return false
			}
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return m.visit(v.Elem(), depth+1)
		}
	}
	return m.left >= 0
}

// guards check the arguments of functions whose result, or work, can be
// far larger than their arguments, before the call. argv holds values of
// the parameters' types (each variadic argument separately).
var guards = map[string]func(argv []reflect.Value) error{
	"repeat":                     func(a []reflect.Value) error { return atMost("the result", times(a[0].Int(), a[1].Len()), maxValue) },
	"indent":                     guardIndent,
	"nindent":                    guardIndent,
	"replace":                    guardReplace,
	"wrapWith":                   guardWrapWith,
	"until":                      func(a []reflect.Value) error { return atMost("the list", math.Abs(float64(a[0].Int())), maxItems) },
	"untilStep":                  guardUntilStep,
	"seq":                        guardSeq,
	"randAlphaNum":               guardCount,
	"randAlpha":                  guardCount,
	"randAscii":                  guardCount,
	"randNumeric":                guardCount,
	"randBytes":                  guardCount,
	"regexReplaceAll":            guardRegexReplace,
	"mustRegexReplaceAll":        guardRegexReplace,
	"regexReplaceAllLiteral":     guardRegexReplaceLiteral,
	"mustRegexReplaceAllLiteral": guardRegexReplaceLiteral,
	"expandenv":                  guardExpandEnv,
	"printf":                     guardPrintf,
	"uniq":                       guardUniq,
	"mustUniq":                   guardUniq,
	"without":                    guardWithout,
	"mustWithout":                guardWithout,
	"semverCompare":              guardSemverCompare,
}

// atMost fails when n, the predicted size of what, exceeds limit.
func atMost(what string, n float64, limit int) error {
	if n > float64(limit) {
		return fmt.Errorf("%s would exceed %d: %w", what, limit, errLimit)
	}
	return nil
}

// times multiplies in float64, which cannot overflow here.
func times(a int64, b int) float64 { return float64(a) * float64(b) }

func guardCount(a []reflect.Value) error {
	return atMost("the result", float64(a[0].Int()), maxValue)
}

// guardIndent: indent N s puts N spaces before every line of s.
func guardIndent(a []reflect.Value) error {
	s := a[1].String()
	return atMost("the result", times(a[0].Int(), strings.Count(s, "\n")+1)+float64(len(s)), maxValue)
}

// guardReplace: replace old new s, where an empty old matches between
// every two runes.
func guardReplace(a []reflect.Value) error {
	oldS, newS, s := a[0].String(), a[1].String(), a[2].String()
	n := strings.Count(s, oldS)
	return atMost("the result", float64(len(s))+float64(n)*float64(len(newS)-len(oldS)), maxValue)
}

// guardWrapWith: wrapWith N sep s breaks s at spaces and every N bytes of
// a long word.
func guardWrapWith(a []reflect.Value) error {
	width, sep, s := max(a[0].Int(), 1), a[1].String(), a[2].String()
	breaks := float64(len(s))/float64(width) + float64(strings.Count(s, " ")) + 1
	return atMost("the result", float64(len(s))+breaks*float64(len(sep)), maxValue)
}

func guardUntilStep(a []reflect.Value) error {
	start, stop, step := float64(a[0].Int()), float64(a[1].Int()), float64(a[2].Int())
	if step == 0 || (stop-start)/step < 0 {
		return nil
	}
	return atMost("the list", (stop-start)/step, maxItems)
}

// guardSeq: seq END, seq START END or seq START STEP END.
func guardSeq(a []reflect.Value) error {
	var span, step float64 = 0, 1
	switch len(a) {
	case 1:
		span = float64(a[0].Int()) - 1
	case 2:
		span = float64(a[1].Int()) - float64(a[0].Int())
	case 3:
		span, step = float64(a[2].Int())-float64(a[0].Int()), max(math.Abs(float64(a[1].Int())), 1)
	}
	return atMost("the list", math.Abs(span)/step, maxItems)
}

// guardRegexReplace: each match is replaced by repl, where each $ can
// expand to a submatch, which is at most the match.
func guardRegexReplace(a []reflect.Value) error {
	return regexReplaceSize(a, strings.Count(a[2].String(), "$"))
}

func guardRegexReplaceLiteral(a []reflect.Value) error { return regexReplaceSize(a, 0) }

func regexReplaceSize(a []reflect.Value, dollars int) error {
	re, err := regexp.Compile(a[0].String())
	if err != nil {
		return nil // the function reports it
	}
	s, repl := a[1].String(), a[2].String()
	n := len(re.FindAllStringIndex(s, -1))
	return atMost("the result", float64(len(s))*float64(1+dollars)+float64(n)*float64(len(repl)), maxValue)
}

func guardExpandEnv(a []reflect.Value) error {
	n := len(a[0].String())
	os.Expand(a[0].String(), func(name string) string { n += len(os.Getenv(name)); return "" })
	return atMost("the result", float64(n), maxValue)
}

// guardPrintf: fmt pads each verb to its width or precision, at most 10^6
// bytes; "*" takes them from an argument.
func guardPrintf(a []reflect.Value) error {
	format := a[0].String()
	verbs, widest := 0, 0.0
	for rest := format; ; {
		_, after, ok := strings.Cut(rest, "%")
		if !ok {
			break
		}
		verbs++
		spec := after[:len(after)-len(strings.TrimLeft(after, "0123456789.+-# *[]"))]
		if strings.Contains(spec, "*") {
			widest = 1e6
		}
		for digits := range strings.FieldsFuncSeq(spec, func(r rune) bool { return r < '0' || r > '9' }) {
			widest = max(widest, parseDigits(digits))
		}
		rest = after[len(spec):]
	}
	return atMost("the result", float64(len(format))+float64(verbs)*min(widest, 1e6), maxValue)
}

// parseDigits is the value of a run of decimal digits, saturating at 10^7.
func parseDigits(s string) float64 {
	n := 0.0
	for _, c := range s {
		n = min(n*10+float64(c-'0'), 1e7)
	}
	return n
}

// guardUniq: uniq compares every element with those kept so far.
func guardUniq(a []reflect.Value) error {
	n := float64(listLen(a[0]))
	return atMost("the comparisons", n*n, maxQuadratic)
}

// guardWithout: without compares every element with every omitted value.
func guardWithout(a []reflect.Value) error {
	return atMost("the comparisons", float64(listLen(a[0]))*float64(len(a)-1), maxQuadratic)
}

func listLen(v reflect.Value) int {
	v, _ = indirect(v)
	if v.Kind() == reflect.Slice || v.Kind() == reflect.Array {
		return v.Len()
	}
	return 0
}

// guardSemverCompare: each hyphen range (A - B) of a constraint is
// rewritten by a search over the whole constraint, as in Sprig, so a
// constraint made of many ranges costs its length times their number.
func guardSemverCompare(a []reflect.Value) error {
	c := a[0].String()
	return atMost("the work", float64(strings.Count(c, "-"))*float64(len(c)), maxQuadratic)
}
