// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package sprig

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	sprigv3 "github.com/Masterminds/sprig/v3"
	slim "github.com/go-task/slim-sprig/v3"
	"github.com/spf13/cast"
)

// The helpers named diff* call one of this package's functions and Sprig's
// function of the same name with the same arguments, and compare all that
// a template could see: the results, the error text and the panic text.

var diffSprig = sync.OnceValue(sprigv3.TxtFuncMap)

// diffResult is what one call did.
type diffResult struct {
	values   []any  // the results but a trailing error
	err      string // the error's text; "" for none
	panicked string // the panic value, printed; "" for none
}

func (r diffResult) String() string {
	switch {
	case r.panicked != "":
		return "panic: " + r.panicked
	case r.err != "":
		return fmt.Sprintf("%#v, error %q", r.values, r.err)
	}
	return fmt.Sprintf("%#v", r.values)
}

func (r diffResult) same(o diffResult) bool {
	if r.panicked != o.panicked || r.err != o.err || len(r.values) != len(o.values) {
		return false
	}
	for i := range r.values {
		if !diffSameValue(r.values[i], o.values[i]) {
			return false
		}
	}
	return true
}

// diffSameValue is reflect.DeepEqual, but floats are equal when their bits
// are (a template prints -0 as "-0") or both are NaN.
func diffSameValue(a, b any) bool {
	fa, aok := a.(float64)
	fb, bok := b.(float64)
	if aok && bok {
		return math.Float64bits(fa) == math.Float64bits(fb) || math.IsNaN(fa) && math.IsNaN(fb)
	}
	return reflect.DeepEqual(a, b)
}

// diffInvoke calls fn as the template evaluator would after converting the
// arguments: a nil argument is the zero value of its parameter type.
func diffInvoke(fn any, args ...any) (r diffResult) {
	fv := reflect.ValueOf(fn)
	ft := fv.Type()
	in := make([]reflect.Value, len(args))
	for i, a := range args {
		pt := ft.In(min(i, ft.NumIn()-1))
		if ft.IsVariadic() && i >= ft.NumIn()-1 {
			pt = pt.Elem()
		}
		if a == nil {
			in[i] = reflect.Zero(pt)
		} else {
			in[i] = reflect.ValueOf(a)
		}
	}
	c := invoke(fv, in)
	r.err, r.panicked = c.err, c.panicked
	for _, v := range c.values {
		r.values = append(r.values, v.Interface())
	}
	return r
}

// diffCompare calls the function name of funcs and Sprig's with args and
// reports a difference; it returns false when they differ.
func diffCompare(t testing.TB, funcs map[string]any, name string, args ...any) bool {
	t.Helper()
	ours, ok := funcs[name]
	if !ok {
		t.Fatalf("%s: not provided", name)
	}
	got, want := diffInvoke(ours, args...), diffInvoke(diffSprig()[name], args...)
	if !got.same(want) {
		t.Errorf("%s(%s): got %s, want %s", name, diffShowArgs(args), got, want)
		return false
	}
	return true
}

func diffShowArgs(args []any) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = fmt.Sprintf("%T(%#v)", a, a)
	}
	return strings.Join(parts, ", ")
}

// diffSignatures checks that every function of funcs has the Go type of
// Sprig's function of the same name: the evaluator converts arguments by
// parameter type.
func diffSignatures(t *testing.T, funcs map[string]any) {
	t.Helper()
	for name, fn := range funcs {
		want, ok := diffSprig()[name]
		if !ok {
			t.Errorf("%s: not a Sprig function", name)
			continue
		}
		if got, want := reflect.TypeOf(fn), reflect.TypeOf(want); got != want {
			t.Errorf("%s: got signature %s, want %s", name, got, want)
		}
	}
}

func diffPointer[T any](v T) *T { return &v }

type (
	namedInt    int
	namedString string
	namedFloat  float64
	// floatMethod and floatErrMethod have the Float64 methods cast asks
	// for with interfaces.
	floatMethod    string
	floatErrMethod string
)

func (f floatMethod) Float64() float64 { return float64(len(f)) + 0.5 }

func (f floatErrMethod) Float64() (float64, error) {
	if f == "" {
		return 0, errors.New("empty")
	}
	return float64(len(f)) + 0.25, nil
}

// numericInputs are values of every kind cast handles or refuses, as
// template data holds them (json.Number, string, float64, bool, nil) and
// as Go callers might pass them.
var numericInputs = []any{
	nil, true, false,
	0, 1, -1, 7, 100, math.MaxInt, math.MinInt,
	int8(-8), int16(300), int32(-70000), int64(1 << 40), int64(math.MinInt64), int64(math.MaxInt64),
	uint(7), uint8(255), uint16(65535), uint32(math.MaxUint32), uint64(1 << 63), uint64(math.MaxUint64), uintptr(5),
	float32(2.5), float32(-1e30), float32(0.1), 0.0, math.Copysign(0, -1), 0.1, 1.5, -2.5, 2.675, 0.5, -0.5, 3.999,
	1e300, -1e300, 1e19, -9.3e18, 5e-324, 1e-300, math.MaxFloat64, math.Inf(1), math.Inf(-1), math.NaN(),
	"", "0", "12", "-12", "+12", " 12", "12 ", "0x10", "0X1f", "-0x10", "0o17", "0b101", "010", "08", "0.5",
	"1_000", "_1", "0x_1f", "1.0", "1.00", "1.", "1.05", "1.0.", ".0", ".", "0.0", "-1.0", "00", "3.7", "-3.7",
	"1e3", "1E-2", "0x1p-2", "inf", "-Inf", "+Inf", "NaN", "infinity", "9223372036854775807", "9223372036854775808",
	"-9223372036854775808", "-9223372036854775809", "18446744073709551615", "1e400", "-1e400", "abc", "٣", "true",
	json.Number("12"), json.Number("1.5"), json.Number("0x10"), json.Number("1.0"), json.Number("-4"),
	json.Number("1e3"), json.Number(""), json.Number("NaN"), json.Number("9223372036854775808"), json.Number("0"),
	time.Duration(90 * time.Second), time.Monday, time.December, namedInt(5), namedString("5"), namedFloat(2.5),
	floatMethod("abc"), floatErrMethod("ab"), floatErrMethod(""),
	new(int), diffPointer(7), diffPointer(diffPointer(-7)), diffPointer("0x10"), diffPointer(json.Number("8")),
	diffPointer(2.5), diffPointer(true), diffPointer(time.July), diffPointer(floatMethod("x")),
	(*int)(nil), (*json.Number)(nil), (*floatMethod)(nil), (*floatErrMethod)(nil), diffPointer((*int)(nil)),
	diffPointer((*json.Number)(nil)),
	[]byte("12"),
	[]any{1},
	[]int{1, 2},
	map[string]any{"a": 1},
	struct{}{},
	complex(1, 2), errors.New("7"),
}

// TestConversionsAsCast compares toInt64, toInt and toFloat64 with cast
// v1.7.0 itself, results and panics.
func TestConversionsAsCast(t *testing.T) {
	for _, v := range numericInputs {
		t.Run(fmt.Sprintf("%T(%v)", v, v), func(t *testing.T) {
			compareConversions(t, v)
		})
	}
}

func compareConversions(t *testing.T, v any) {
	t.Helper()
	checks := []struct {
		name       string
		ours, cast any
	}{
		{"toInt64", toInt64, cast.ToInt64},
		{"toInt", toInt, cast.ToInt},
		{"toFloat64", toFloat64, cast.ToFloat64},
	}
	for _, c := range checks {
		got, want := diffInvoke(c.ours, v), diffInvoke(c.cast, v)
		if !got.same(want) {
			t.Errorf("%s(%s): got %s, want %s", c.name, diffShowArgs([]any{v}), got, want)
		}
	}
}

// TestConversionValues pins what cast gives for the inputs that slim-sprig
// reads differently, so that the expectations do not rest on cast alone.
func TestConversionValues(t *testing.T) {
	cases := []struct {
		in      any
		i64     int64
		f64     float64
		panics  bool
		comment string
	}{
		{in: "0x10", i64: 16, f64: 0, comment: "base prefix for integers only"},
		{in: "010", i64: 8, f64: 10, comment: "a leading zero is octal"},
		{in: "0b11", i64: 3},
		{in: "1_000", i64: 1000, f64: 1000, comment: "underscores as in Go literals"},
		{in: "1__0", i64: 0, f64: 0, comment: "but only one at a time"},
		{in: "0x_10", i64: 16, f64: 0},
		{in: "1.0", i64: 1, f64: 1},
		{in: "1.00", i64: 1, f64: 1},
		{in: "1.5", i64: 0, f64: 1.5},
		{in: "1.0.", i64: 1, f64: 0},
		{in: "-7", i64: -7, f64: -7},
		{in: "+7", i64: 7, f64: 7},
		{in: " 7", i64: 0, f64: 0},
		{in: "9223372036854775808", i64: 0, f64: 9223372036854775808},
		{in: "1e400", i64: 0, f64: 0, comment: "out of range is 0"},
		{in: json.Number("12"), i64: 12, f64: 12},
		{in: json.Number("0x10"), i64: 16, f64: 0},
		{in: json.Number("2.5"), i64: 0, f64: 2.5},
		{in: 3.99, i64: 3, f64: 3.99},
		{in: -3.99, i64: -3, f64: -3.99},
		{in: uint64(math.MaxUint64), i64: -1, f64: math.MaxUint64},
		{in: true, i64: 1, f64: 1},
		{in: nil, i64: 0, f64: 0},
		{in: time.March, i64: 3, f64: 3},
		{in: time.Second, i64: 0, f64: 0, comment: "named int64 type"},
		{in: namedInt(4), i64: 0, f64: 0},
		{in: diffPointer(diffPointer(json.Number("5"))), i64: 5, f64: 5},
		{in: floatMethod("ab"), i64: 0, f64: 2.5},
		{in: (*json.Number)(nil), i64: 0, panics: true, comment: "cast calls Float64 through the nil pointer"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%T(%v)", c.in, c.in), func(t *testing.T) {
			if got := toInt64(c.in); got != c.i64 {
				t.Errorf("toInt64: got %d, want %d (%s)", got, c.i64, c.comment)
			}
			if got := toInt(c.in); int64(got) != c.i64 {
				t.Errorf("toInt: got %d, want %d (%s)", got, c.i64, c.comment)
			}
			r := diffInvoke(toFloat64, c.in)
			if (r.panicked != "") != c.panics {
				t.Fatalf("toFloat64: got %s, want panic %v", r, c.panics)
			}
			if !c.panics && r.values[0] != c.f64 {
				t.Errorf("toFloat64: got %v, want %v (%s)", r.values[0], c.f64, c.comment)
			}
		})
	}
}

// diffBuild makes a value of one of the kinds cast tells apart from fuzz
// input.
func diffBuild(kind uint8, s string, i int64, f float64) any {
	switch kind % 32 {
	case 0:
		return s
	case 1:
		return json.Number(s)
	case 2:
		return diffPointer(s)
	case 3:
		return diffPointer(json.Number(s))
	case 4:
		return int(i)
	case 5:
		return int8(i)
	case 6:
		return int16(i)
	case 7:
		return int32(i)
	case 8:
		return i
	case 9:
		return uint(i)
	case 10:
		return uint8(i)
	case 11:
		return uint16(i)
	case 12:
		return uint32(i)
	case 13:
		return uint64(i)
	case 14:
		return f
	case 15:
		return float32(f)
	case 16:
		return i%2 == 0
	case 17:
		return nil
	case 18:
		return time.Weekday(i)
	case 19:
		return time.Month(i)
	case 20:
		return time.Duration(i)
	case 21:
		return namedInt(i)
	case 22:
		return namedString(s)
	case 23:
		return diffPointer(diffPointer(i))
	case 24:
		return diffPointer(f)
	case 25:
		return floatMethod(s)
	case 26:
		return floatErrMethod(s)
	case 27:
		return []byte(s)
	case 28:
		return (*json.Number)(nil)
	case 29:
		return diffPointer(diffPointer(s))
	case 30:
		return diffPointer((*string)(nil))
	default:
		return namedFloat(f)
	}
}

func diffFuzzSeeds(f *testing.F) {
	strs := []string{
		"", "0", "12", "-12", "+0x1F", "0o17", "0b101", "010", "08", "1_000", "0x_1f", "1.0", "1.00", "1.", "1.0.",
		".0", "1e3", "0x1p-2", "NaN", "-Inf", "9223372036854775808", "-9223372036854775809", "1e400", " 1", "٣",
	}
	for i, s := range strs {
		f.Add(uint8(i%2), s, int64(i)-3, float64(i)*1.25-7)
	}
	for k := range uint8(32) {
		f.Add(k, "0x10", int64(-1)<<40, 2.675)
		f.Add(k, "1.0", int64(math.MaxInt64), math.Inf(-1))
	}
}

// FuzzConversions compares toInt64, toInt and toFloat64 with cast v1.7.0.
func FuzzConversions(f *testing.F) {
	diffFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, kind uint8, s string, i int64, fl float64) {
		compareConversions(t, diffBuild(kind, s, i, fl))
	})
}

// numericArity says how each function of numericFuncs is called in the
// tables: with one argument, two, or a variable number.
var numericArity = map[string]int{
	"int64": 1, "int": 1, "float64": 1, "add1": 1, "ceil": 1, "floor": 1, "add1f": 1,
	"sub": 2, "div": 2, "mod": 2,
	"add": -1, "mul": -1, "max": -1, "biggest": -1, "min": -1, "maxf": -1, "minf": -1,
	"addf": -1, "subf": -1, "mulf": -1, "divf": -1,
	"round": 0, "slice": 0, "mustSlice": 0, // tables of their own
}

func TestNumericSignatures(t *testing.T) {
	funcs := numericFuncs()
	diffSignatures(t, funcs)
	for name := range funcs {
		if _, ok := numericArity[name]; !ok {
			t.Errorf("%s: not in the tables of this test", name)
		}
	}
}

// TestSlimSprigNumbers: every function numericFuncs replaces gives in
// slim-sprig something else than in Sprig for some input (else replacing
// it would be pointless), and the Sprig functions left to slim-sprig that
// take numbers as interface{} values (they read them with type switches of
// their own, not with cast) give the same as in Sprig.
func TestSlimSprigNumbers(t *testing.T) {
	slimFuncs := slim.TxtFuncMap()
	for name, arity := range numericArity {
		slimFn, ok := slimFuncs[name]
		if !ok {
			continue // the float arithmetic: not in slim-sprig
		}
		differs := false
		for _, a := range numericInputs {
			args := []any{a}
			switch {
			case name == "round":
				args = append(args, 1)
			case name == "slice" || name == "mustSlice":
				args = []any{[]any{1, 2, 3}, a}
			case arity == 2:
				args = append(args, 7)
			}
			if !diffInvoke(slimFn, args...).same(diffInvoke(diffSprig()[name], args...)) {
				differs = true
				break
			}
		}
		if !differs {
			t.Errorf("%s: slim-sprig's gives what Sprig's gives for every input", name)
		}
	}
	// date, dateInZone, htmlDate, htmlDateInZone and ago read the clock
	// for most inputs; their code is the same in both.
	for _, name := range []string{"duration", "durationRound", "toDecimal"} {
		for _, a := range numericInputs {
			got, want := diffInvoke(slimFuncs[name], a), diffInvoke(diffSprig()[name], a)
			if !got.same(want) {
				t.Errorf("slim-sprig %s(%s): got %s, want %s", name, diffShowArgs([]any{a}), got, want)
			}
		}
	}
}

// TestNumericAsSprig calls every function of numericFuncs with every input
// and every pair of inputs (and some longer lists), as Sprig's.
func TestNumericAsSprig(t *testing.T) {
	funcs := numericFuncs()
	// A few values for argument lists longer than two.
	few := []any{nil, 3, -2, 2.5, "0x10", "1.0", json.Number("7"), json.Number("0.1"), uint64(math.MaxUint64), "NaN", 0}
	for name, arity := range numericArity {
		if arity == 0 {
			continue
		}
		t.Run(name, func(t *testing.T) {
			fails := 0
			check := func(args ...any) {
				if !diffCompare(t, funcs, name, args...) {
					fails++
					if fails > 20 {
						t.FailNow()
					}
				}
			}
			if arity == -1 && reflect.TypeOf(funcs[name]).NumIn() == 1 {
				check() // add and addf take no argument at all
			}
			for _, a := range numericInputs {
				check(a)
				if arity == 1 {
					continue
				}
				for _, b := range numericInputs {
					check(a, b)
				}
			}
			if arity == -1 {
				for _, a := range few {
					for _, b := range few {
						for _, c := range few {
							check(a, b, c)
							check(a, b, c, a, b)
						}
					}
				}
			}
		})
	}
}

// TestArithmeticValues pins results that slim-sprig or a float shortcut
// would get wrong, with panics where Sprig panics.
func TestArithmeticValues(t *testing.T) {
	funcs := numericFuncs()
	cases := []struct {
		name      string
		args      []any
		want      any
		wantPanic string
	}{
		{"add", []any{"0x10", json.Number("1.0"), 2.9}, int64(19), ""},
		{"add", nil, int64(0), ""},
		{"add1", []any{json.Number("41")}, int64(42), ""},
		{"sub", []any{"010", 1}, int64(7), ""},
		{"mul", []any{"0b11", json.Number("5")}, int64(15), ""},
		{"mul", []any{int64(math.MaxInt64), 2}, int64(-2), ""},
		{"div", []any{7, "0x2"}, int64(3), ""},
		{"div", []any{-7, 2}, int64(-3), ""},
		{"div", []any{int64(math.MinInt64), -1}, int64(math.MinInt64), ""},
		{"div", []any{1, "x"}, nil, "runtime error: integer divide by zero"},
		{"mod", []any{-7, 3}, int64(-1), ""},
		{"mod", []any{1, json.Number("0.0")}, nil, "runtime error: integer divide by zero"},
		{"max", []any{"0x10", 3, json.Number("12")}, int64(16), ""},
		{"min", []any{"0x10", -3.5}, int64(-3), ""},
		{"maxf", []any{"NaN", 3}, math.NaN(), ""},
		{"minf", []any{0.0, math.Copysign(0, -1)}, math.Copysign(0, -1), ""},
		{"ceil", []any{json.Number("-0.5")}, math.Copysign(0, -1), ""},
		{"floor", []any{"1.5"}, 1.0, ""},
		{"float64", []any{json.Number("1e3")}, 1000.0, ""},
		{"int", []any{"0x10"}, 16, ""},
		{"int64", []any{json.Number("1.00")}, int64(1), ""},
		{"addf", []any{0.1, 0.2}, 0.3, ""},
		{"addf", []any{1e16, 1, 1}, 1.0000000000000002e16, ""},
		{"subf", []any{0.3, 0.1}, 0.2, ""},
		{"mulf", []any{0.1, 3}, 0.3, ""},
		{"mulf", []any{1e300, 1e300}, math.Inf(1), ""},
		{"mulf", []any{-1e-300, 1e-300}, math.Copysign(0, -1), ""},
		{"divf", []any{1, 3}, 0.3333333333333333, ""},
		{"divf", []any{2, 3}, 0.6666666666666667, ""},
		{"divf", []any{-2, 3}, -0.6666666666666667, ""},
		{"divf", []any{1, 3e17}, 0.0, ""},
		{"divf", []any{1, 2e16}, 1e-16, ""},
		{"divf", []any{-1, 2e16}, -1e-16, ""},
		{"divf", []any{1, "0"}, nil, "decimal division by 0"},
		{"add1f", []any{"0x1p-2"}, 1.25, ""},
		{"addf", []any{1, "NaN"}, nil, "Cannot create a Decimal from NaN"},
		{"subf", []any{"-inf"}, nil, "Cannot create a Decimal from -Inf"},
		{"float64", []any{(*json.Number)(nil)}, nil, "value method encoding/json.Number.Float64 called using nil *Number pointer"},
		{"round", []any{2.675, 2}, 2.68, ""},
		{"round", []any{"0x10", 0}, 0.0, ""},
		{"round", []any{json.Number("1.25"), 1, 0.6}, 1.2, ""},
	}
	for _, c := range cases {
		t.Run(c.name+"/"+diffShowArgs(c.args), func(t *testing.T) {
			r := diffInvoke(funcs[c.name], c.args...)
			if r.panicked != c.wantPanic {
				t.Fatalf("got %s, want panic %q", r, c.wantPanic)
			}
			if c.wantPanic == "" && !diffSameValue(r.values[0], c.want) {
				t.Errorf("got %#v, want %#v", r.values[0], c.want)
			}
			diffCompare(t, funcs, c.name, c.args...)
		})
	}
}

func TestRoundAsSprig(t *testing.T) {
	funcs := numericFuncs()
	places := []int{math.MinInt, -400, -3, -1, 0, 1, 2, 3, 5, 15, 300, 400, math.MaxInt}
	opts := [][]float64{nil, {0}, {0.3}, {0.5}, {1}, {-1}, {math.NaN()}, {0.5, 0.9}}
	for _, a := range numericInputs {
		for _, p := range places {
			for _, o := range opts {
				args := []any{a, p}
				for _, x := range o {
					args = append(args, x)
				}
				diffCompare(t, funcs, "round", args...)
			}
		}
	}
}

// TestSliceAsSprig covers lists of every kind, their indices through the
// conversions, and the panics of nil, arrays and bad bounds.
func TestSliceAsSprig(t *testing.T) {
	funcs := numericFuncs()
	arr := [3]int{1, 2, 3}
	lists := []any{
		nil,
		[]any{},
		[]any{"a", 1, nil, 2.5, map[string]any{}},
		[]int{1, 2, 3},
		[]string{"x"},
		[]byte("abc"),
		arr, &arr,
		[0]int{},
		"abc", 5,
		map[string]any{"a": 1},
		json.Number("12"), ([]any)(nil),
	}
	indices := []any{nil, 0, 1, 2, 3, 5, -1, "1", "0x2", json.Number("2"), 1.9, "x", true, uint8(2), diffPointer(1)}
	for _, name := range []string{"slice", "mustSlice"} {
		for _, l := range lists {
			diffCompare(t, funcs, name, l)
			for _, i := range indices {
				diffCompare(t, funcs, name, l, i)
				for _, j := range indices {
					diffCompare(t, funcs, name, l, i, j)
				}
			}
			diffCompare(t, funcs, name, l, 0, 1, 2)
		}
	}
}

// TestDiffCatchesADifference: the comparison can fail.
func TestDiffCatchesADifference(t *testing.T) {
	cases := []struct {
		name string
		a, b any
		args []any
	}{
		{"result", func(a any) int64 { return toInt64(a) }, func(any) int64 { return 0 }, []any{"0x10"}},
		{"negative zero", func(float64) float64 { return 0 }, func(float64) float64 { return math.Copysign(0, -1) }, []any{1.0}},
		{"panic text", func(string) int { panic("a") }, func(string) int { panic("b") }, []any{""}},
		{"panic or not", func(string) int { panic("a") }, func(string) int { return 0 }, []any{""}},
		{"error", func(string) (int, error) { return 0, errors.New("e") }, func(string) (int, error) { return 0, nil }, []any{""}},
		{"NaN or not", func(float64) float64 { return math.NaN() }, func(f float64) float64 { return f }, []any{1.0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if diffInvoke(c.a, c.args...).same(diffInvoke(c.b, c.args...)) {
				t.Error("got the same, want a difference")
			}
		})
	}
	if !diffInvoke(toFloat64, "NaN").same(diffInvoke(cast.ToFloat64, "NaN")) {
		t.Error("NaN and NaN: got a difference, want the same")
	}
}

// FuzzNumericAsSprig calls every function of numericFuncs with two values
// built from fuzz input, as Sprig's.
func FuzzNumericAsSprig(f *testing.F) {
	diffFuzzSeeds(f)
	funcs := numericFuncs()
	f.Fuzz(func(t *testing.T, kind uint8, s string, i int64, fl float64) {
		a := diffBuild(kind, s, i, fl)
		b := diffBuild(kind/32+kind*7, s, -i, fl*3.5)
		for name, arity := range numericArity {
			switch arity {
			case 1:
				diffCompare(t, funcs, name, a)
			case 2, -1:
				diffCompare(t, funcs, name, a, b)
			}
		}
		diffCompare(t, funcs, "round", a, int(i%40), fl)
		diffCompare(t, funcs, "mustSlice", []any{1, 2, 3}, a, b)
	})
}
