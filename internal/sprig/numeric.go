// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package sprig

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"time"
)

// numericFuncs are the Sprig functions that read their numbers with
// spf13/cast v1.7.0: slim-sprig converts with rules of its own (no base
// prefixes, no json.Number, one pointer level, named types by kind), so
// every function whose result depends on a conversion is replaced here,
// together with the decimal float arithmetic slim-sprig lacks.
//
// Sprig functions that take numbers as int or float64 parameters (until,
// seq, substr, randInt, ...) get them converted by the template evaluator,
// and the date functions use a type switch of their own; their code is the
// same in slim-sprig, so they are not here.
func numericFuncs() map[string]any {
	return map[string]any{
		"int64":   toInt64,
		"int":     toInt,
		"float64": toFloat64,

		"add1": func(i any) int64 { return toInt64(i) + 1 },
		"add":  addInts,
		"sub":  func(a, b any) int64 { return toInt64(a) - toInt64(b) },
		// A divisor converting to 0 panics with Go's integer division
		// error, as in Sprig.
		"div": func(a, b any) int64 { return toInt64(a) / toInt64(b) },
		"mod": func(a, b any) int64 { return toInt64(a) % toInt64(b) },
		"mul": mulInts,

		"max":     maxInt,
		"biggest": maxInt,
		"min":     minInt,
		"maxf":    maxFloat,
		"minf":    minFloat,
		"ceil":    func(a any) float64 { return math.Ceil(toFloat64(a)) },
		"floor":   func(a any) float64 { return math.Floor(toFloat64(a)) },
		"round":   round,

		"slice":     slice,
		"mustSlice": mustSlice,

		"add1f": func(i any) float64 { return decimalFold(i, []any{1}, decimalAdd) },
		"addf":  func(i ...any) float64 { return decimalFold(float64(0), i, decimalAdd) },
		"subf":  func(a any, v ...any) float64 { return decimalFold(a, v, decimalSub) },
		"mulf":  func(a any, v ...any) float64 { return decimalFold(a, v, decimalMul) },
		"divf":  func(a any, v ...any) float64 { return decimalFold(a, v, decimalDiv) },
	}
}

func addInts(i ...any) int64 {
	var sum int64
	for _, v := range i {
		sum += toInt64(v)
	}
	return sum
}

func mulInts(a any, v ...any) int64 {
	product := toInt64(a)
	for _, b := range v {
		product *= toInt64(b)
	}
	return product
}

func maxInt(a any, i ...any) int64 {
	m := toInt64(a)
	for _, b := range i {
		m = max(m, toInt64(b))
	}
	return m
}

func minInt(a any, i ...any) int64 {
	m := toInt64(a)
	for _, b := range i {
		m = min(m, toInt64(b))
	}
	return m
}

// maxFloat and minFloat fold with math.Max and math.Min as Sprig does: a
// NaN anywhere makes the result NaN, and +0 is above -0.
func maxFloat(a any, i ...any) float64 {
	m := toFloat64(a)
	for _, b := range i {
		m = math.Max(m, toFloat64(b))
	}
	return m
}

func minFloat(a any, i ...any) float64 {
	m := toFloat64(a)
	for _, b := range i {
		m = math.Min(m, toFloat64(b))
	}
	return m
}

// round rounds a to p decimal places; the fraction at which it rounds away
// from minus infinity is rOpt[0], 0.5 by default. The float operations are
// Sprig's, one by one, so that the rounding errors are the same too.
func round(a any, p int, rOpt ...float64) float64 {
	threshold := 0.5
	if len(rOpt) > 0 {
		threshold = rOpt[0]
	}
	scale := math.Pow(10, float64(p))
	scaled := scale * toFloat64(a)
	var whole float64
	if _, frac := math.Modf(scaled); frac >= threshold {
		whole = math.Ceil(scaled)
	} else {
		whole = math.Floor(scaled)
	}
	return whole / scale
}

// slice panics where mustSlice fails, with mustSlice's error.
func slice(list any, indices ...any) any {
	l, err := mustSlice(list, indices...)
	if err != nil {
		panic(err)
	}
	return l
}

// mustSlice returns list[start:end] for a slice or array. As in Sprig, an
// empty list gives nil whatever the indices, a nil list panics (it has no
// type), and bad indices or an array that is not addressable panic with
// reflect's message.
func mustSlice(list any, indices ...any) (any, error) {
	kind := reflect.TypeOf(list).Kind()
	if kind != reflect.Slice && kind != reflect.Array {
		return nil, fmt.Errorf("list should be type of slice or array but %s", kind)
	}
	lv := reflect.ValueOf(list)
	n := lv.Len()
	if n == 0 {
		return nil, nil
	}
	start, end := 0, n
	if len(indices) > 0 {
		start = toInt(indices[0])
	}
	if len(indices) > 1 {
		end = toInt(indices[1])
	}
	return lv.Slice(start, end).Interface(), nil
}

// The conversions below give exactly what spf13/cast v1.7.0's ToInt64,
// ToInt and ToFloat64 give, including what their type switches leave out.
// cast itself is not used because it links html/template. What cast does:
//   - pointers are followed to the first non-pointer or nil pointer;
//   - only the exact predeclared types count, plus time.Weekday and
//     time.Month: a named type such as time.Duration or a string type
//     converts to 0;
//   - strings are read by strconv.ParseInt with base 0 ("0x10", "0o17",
//     "0b11", "010" octal, "1_000") after a fraction of zeros is dropped
//     ("1.00" is 1), or by strconv.ParseFloat; a string that does not
//     parse, or is out of range, is 0;
//   - json.Number is read as its string for integers, by its Float64
//     method (as any value with a Float64 method) for floats;
//   - floats convert to integers by Go conversion, truncating, and
//     unsigned integers wrap;
//   - true is 1; nil, false and everything else are 0.

func toInt64(v any) int64 { return castInteger[int64](v) }

func toInt(v any) int { return castInteger[int](v) }

func castInteger[T int | int64](v any) T {
	switch x := castIndirect(v).(type) {
	case int:
		return T(x)
	case time.Weekday:
		return T(x)
	case time.Month:
		return T(x)
	case int64:
		return T(x)
	case int32:
		return T(x)
	case int16:
		return T(x)
	case int8:
		return T(x)
	case uint:
		return T(x)
	case uint64:
		return T(x)
	case uint32:
		return T(x)
	case uint16:
		return T(x)
	case uint8:
		return T(x)
	case float64:
		return T(x)
	case float32:
		return T(x)
	case string:
		return T(castParseInt(x))
	case json.Number:
		return T(castParseInt(string(x)))
	case bool:
		if x {
			return 1
		}
	}
	return 0
}

// castParseInt reads s with the platform's int size, as cast does for both
// its int64 and int conversions.
func castParseInt(s string) int64 {
	n, err := strconv.ParseInt(trimZeroFraction(s), 0, 0)
	if err != nil {
		return 0
	}
	return n
}

// trimZeroFraction drops a trailing dot-and-zeros fraction, so that "1.00"
// reads as 1. It walks back over zeros and dots and cuts at the first dot
// with a zero after it; any other byte leaves s as it is. Its odd cases are
// cast's: "1." and "1.05" stay, "1.0." becomes "1", ".0" becomes "".
func trimZeroFraction(s string) string {
	sawZero := false
	for i := len(s) - 1; i >= 0; i-- {
		switch s[i] {
		case '0':
			sawZero = true
		case '.':
			if sawZero {
				return s[:i]
			}
		default:
			return s
		}
	}
	return s
}

func toFloat64(v any) float64 {
	switch x := castIndirect(v).(type) {
	case int:
		return float64(x)
	case time.Weekday:
		return float64(x)
	case time.Month:
		return float64(x)
	case float64:
		return x
	case float32:
		return float64(x)
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case int16:
		return float64(x)
	case int8:
		return float64(x)
	case uint:
		return float64(x)
	case uint64:
		return float64(x)
	case uint32:
		return float64(x)
	case uint16:
		return float64(x)
	case uint8:
		return float64(x)
	case string:
		f, err := strconv.ParseFloat(x, 64)
		if err != nil {
			return 0
		}
		return f
	// Method calls through a nil pointer panic, as in cast: a nil
	// *json.Number is left as it is by castIndirect and has the method.
	case interface{ Float64() (float64, error) }:
		f, err := x.Float64()
		if err != nil {
			return 0
		}
		return f
	case interface{ Float64() float64 }:
		return x.Float64()
	case bool:
		if x {
			return 1
		}
	}
	return 0
}

// castIndirect follows pointers down to a value that is not a pointer, or
// to a nil pointer, which it returns typed.
func castIndirect(v any) any {
	if v == nil || reflect.TypeOf(v).Kind() != reflect.Pointer {
		return v
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	return rv.Interface()
}

// Sprig's addf, add1f, subf, mulf and divf convert every argument to
// float64 (with cast), then to the shortest decimal that reads back as
// that float, compute in exact decimal arithmetic (division rounds to 16
// decimal places, half away from zero), and return the float64 nearest to
// the decimal result. shopspring/decimal, which Sprig uses for this, is not
// linked: its package initializer builds tables at every start. The panics
// are decimal's: for a NaN or infinite argument, for division by zero, and
// for exponents beyond int32.

// decimal is coef × 10^exp, the same representation (and exponents) that
// shopspring/decimal would hold for the same operations.
type decimal struct {
	coef *big.Int
	exp  int32
}

// divisionPlaces is shopspring/decimal's DivisionPrecision default.
const divisionPlaces = 16

func decimalFold(a any, rest []any, op func(x, y decimal) decimal) float64 {
	acc := decimalFromFloat(toFloat64(a))
	for _, v := range rest {
		acc = op(acc, decimalFromFloat(toFloat64(v)))
	}
	return acc.float64()
}

func decimalFromFloat(f float64) decimal {
	if f == 0 {
		return decimal{coef: new(big.Int)}
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		panic(fmt.Sprintf("Cannot create a Decimal from %v", f))
	}
	// strconv's shortest form in 'e' layout, [-]d[.ddd]e±dd: the digits
	// (at most 17, so they fit an int64) scaled by the exponent less the
	// number of digits after the point.
	b := strconv.AppendFloat(make([]byte, 0, 32), f, 'e', -1, 64)
	var coef int64
	digits, i := 0, 0
	if b[0] == '-' {
		i++
	}
	for ; b[i] != 'e'; i++ {
		if b[i] != '.' {
			coef = coef*10 + int64(b[i]-'0')
			digits++
		}
	}
	e, err := strconv.Atoi(string(b[i+1:]))
	if err != nil {
		panic("decimal: unexpected float format " + string(b))
	}
	if b[0] == '-' {
		coef = -coef
	}
	return decimal{coef: big.NewInt(coef), exp: int32(e - digits + 1)} //nolint:gosec // G115: a float64's decimal exponent is within ±400
}

func pow10(n int64) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(n), nil)
}

// withExp returns d's coefficient for the exponent exp <= d.exp.
func (d decimal) withExp(exp int32) *big.Int {
	if exp == d.exp {
		return new(big.Int).Set(d.coef)
	}
	return new(big.Int).Mul(d.coef, pow10(int64(d.exp)-int64(exp)))
}

// decimalAdd and decimalSub are exact, at the smaller of the exponents.
func decimalAdd(x, y decimal) decimal {
	exp := min(x.exp, y.exp)
	return decimal{coef: new(big.Int).Add(x.withExp(exp), y.withExp(exp)), exp: exp}
}

func decimalSub(x, y decimal) decimal {
	exp := min(x.exp, y.exp)
	return decimal{coef: new(big.Int).Sub(x.withExp(exp), y.withExp(exp)), exp: exp}
}

func decimalMul(x, y decimal) decimal {
	exp := int64(x.exp) + int64(y.exp)
	if exp > math.MaxInt32 || exp < math.MinInt32 {
		panic(fmt.Sprintf("exponent %v overflows an int32!", exp))
	}
	return decimal{coef: new(big.Int).Mul(x.coef, y.coef), exp: int32(exp)}
}

// decimalDiv is x/y as a multiple of 10^-16: the truncated quotient, moved
// one unit away from zero when the remainder is at least half the divisor.
func decimalDiv(x, y decimal) decimal {
	if y.coef.Sign() == 0 {
		panic("decimal division by 0")
	}
	// x/y × 10^16 = (x.coef × 10^shift) / y.coef, or x.coef / (y.coef ×
	// 10^-shift) for a negative shift.
	shift := int64(x.exp) - int64(y.exp) + divisionPlaces
	if shift > math.MaxInt32 || shift < math.MinInt32 {
		panic("overflow in decimal QuoRem")
	}
	num, den := new(big.Int).Set(x.coef), new(big.Int).Set(y.coef)
	if shift < 0 {
		den.Mul(den, pow10(-shift))
	} else {
		num.Mul(num, pow10(shift))
	}
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	r.Abs(r).Lsh(r, 1)
	if r.CmpAbs(den) >= 0 {
		if x.coef.Sign()*y.coef.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return decimal{coef: q, exp: -divisionPlaces}
}

// float64 is the float64 nearest to d, ties to even. A magnitude below
// 10^-400 or from 10^400 up gives a signed zero or an infinity directly,
// which is what exact rounding gives too, without computing 10^|exp|.
func (d decimal) float64() float64 {
	sign := d.coef.Sign()
	if sign == 0 {
		return 0
	}
	magnitude := int64(len(new(big.Int).Abs(d.coef).Text(10))) + int64(d.exp)
	switch {
	case magnitude < -400:
		return math.Copysign(0, float64(sign))
	case magnitude > 400:
		return math.Inf(sign)
	}
	var r big.Rat
	if d.exp <= 0 {
		r.SetFrac(d.coef, pow10(-int64(d.exp)))
	} else {
		r.SetInt(new(big.Int).Mul(d.coef, pow10(int64(d.exp))))
	}
	f, _ := r.Float64()
	return f
}
