// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package sprig

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	sprigv3 "github.com/Masterminds/sprig/v3"
)

// TestSameFunctionsAsSprig: a template that works with Sprig finds every
// function here, under the same name and with the same Go signature (the
// evaluator converts arguments by parameter type), and finds nothing more.
func TestSameFunctionsAsSprig(t *testing.T) {
	want, got := sprigv3.TxtFuncMap(), TxtFuncMap()
	for name, fn := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: missing", name)
			continue
		}
		if gt, wt := reflect.TypeOf(g).String(), reflect.TypeOf(fn).String(); gt != wt {
			t.Errorf("%s: got signature %s, want %s", name, gt, wt)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: not a Sprig function", name)
		}
	}
}

// TxtFuncMap hands out a new map: a caller that changes its copy changes
// nobody else's.
func TestTxtFuncMapIsNew(t *testing.T) {
	a := TxtFuncMap()
	delete(a, "upper")
	if _, ok := TxtFuncMap()["upper"]; !ok {
		t.Fatal("deleting from one map removed upper from the next")
	}
}

// notCompared are functions whose results depend on chance, the clock of
// the call, the network or key generation; their own tests check them.
var notCompared = map[string]string{
	"randAlpha": "random", "randAlphaNum": "random", "randAscii": "random", "randNumeric": "random",
	"randInt": "random", "randBytes": "random", "shuffle": "random", "uuidv4": "random",
	"genPrivateKey": "random", "genCA": "random", "genCAWithKey": "random", "genSelfSignedCert": "random",
	"genSelfSignedCertWithKey": "random", "genSignedCert": "random", "genSignedCertWithKey": "random",
	"bcrypt": "random salt", "htpasswd": "random salt", "encryptAES": "random IV",
	"getHostByName": "network", "now": "clock",
}

// clockBound functions read the clock when an argument is not a time; a
// mismatch is retried, since the two calls may fall in different seconds.
var clockBound = map[string]bool{
	"ago": true, "date": true, "dateInZone": true, "date_in_zone": true, "htmlDate": true,
	"htmlDateInZone": true, "dateModify": true, "date_modify": true, "mustDateModify": true,
	"unixEpoch": true, "durationRound": true, "toDate": true, "mustToDate": true, "duration": true,
}

// mapOrder functions list a map's keys or values in Go's map order, which
// is random in Sprig too; their results are compared as multisets.
var mapOrder = map[string]bool{"keys": true, "values": true}

// TestBehavesAsSprig calls every deterministic function with arguments
// drawn for its parameter types, the same arguments once for Sprig and once
// for this package, and wants the same result, error or panic.
func TestBehavesAsSprig(t *testing.T) {
	want, got := sprigv3.TxtFuncMap(), TxtFuncMap()
	names := slices.Sorted(func(yield func(string) bool) {
		for name := range want {
			if !yield(name) {
				return
			}
		}
	})
	calls := 400
	if testing.Short() {
		calls = 60
	}
	for _, name := range names {
		if why, skip := notCompared[name]; skip {
			t.Logf("%s: not compared (%s)", name, why)
			continue
		}
		g, ok := got[name]
		if !ok {
			continue // TestSameFunctionsAsSprig reports it
		}
		t.Run(name, func(t *testing.T) {
			n := calls
			if name == "derivePassword" {
				n = 8 // scrypt: tens of milliseconds a call
			}
			wv, gv := reflect.ValueOf(want[name]), reflect.ValueOf(g)
			if wv.Type().String() != gv.Type().String() {
				t.Skip("signatures differ; TestSameFunctionsAsSprig reports it")
			}
			diffs := 0
			for i := range n {
				seed := uint64(i)*7919 + uint64(len(name))
				var w, o outcome
				for try := 0; try < 3; try++ {
					wargs, ok := drawArgs(rand.New(rand.NewPCG(seed, 1)), wv.Type())
					if !ok {
						t.Skipf("no generator for a parameter of %s", wv.Type())
					}
					gargs, _ := drawArgs(rand.New(rand.NewPCG(seed, 1)), gv.Type())
					w, o = call(wv, wargs, mapOrder[name]), call(gv, gargs, mapOrder[name])
					if w.same(o) || !clockBound[name] {
						break
					}
				}
				if !w.same(o) {
					diffs++
					if diffs <= 5 {
						args, _ := drawArgs(rand.New(rand.NewPCG(seed, 1)), wv.Type())
						t.Errorf("%s(%s): got %s, want %s", name, showArgs(args), o, w)
					}
				}
			}
			if diffs > 5 {
				t.Errorf("%s: %d of %d calls differ", name, diffs, n)
			}
		})
	}
}

// outcome is what one call did.
type outcome struct {
	result   string // the results but a trailing error, printed
	err      string // the error's text, or "" for none
	panicked string // the panic value, printed, or "" for none
}

// addrRE matches the addresses %#v prints for pointers inside results.
var addrRE = regexp.MustCompile(`0x[0-9a-f]{6,}`)

func (o outcome) same(p outcome) bool {
	if (o.panicked != "") != (p.panicked != "") {
		return false
	}
	if o.panicked != "" {
		return true // both panic; the texts of runtime panics are alike enough
	}
	return o.result == p.result && o.err == p.err
}

func (o outcome) String() string {
	switch {
	case o.panicked != "":
		return "panic " + o.panicked
	case o.err != "":
		return fmt.Sprintf("%s, error %q", o.result, o.err)
	}
	return o.result
}

// call calls fn; unordered prints a list result with its elements sorted.
func call(fn reflect.Value, args []reflect.Value, unordered bool) outcome {
	r := invoke(fn, args)
	o := outcome{err: r.err, panicked: r.panicked}
	if r.failed && o.err == "" {
		o.err = "(empty error text)"
	}
	parts := make([]string, 0, len(r.values))
	for _, v := range r.values {
		if unordered && v.Kind() == reflect.Slice {
			elems := make([]string, v.Len())
			for i := range elems {
				elems[i] = show(v.Index(i))
			}
			slices.Sort(elems)
			parts = append(parts, "unordered "+strings.Join(elems, "; "))
			continue
		}
		parts = append(parts, show(v))
	}
	o.result = strings.Join(parts, ", ")
	return o
}

// show prints a result so that equal results print alike: type and Go
// syntax, addresses dropped, NaN written once.
func show(v reflect.Value) string {
	if !v.IsValid() {
		return "<invalid>"
	}
	var x any
	if v.CanInterface() {
		x = v.Interface()
	}
	if f, ok := x.(float64); ok && math.IsNaN(f) {
		return "float64(NaN)"
	}
	s := fmt.Sprintf("%T %#v", x, x)
	if b, err := json.Marshal(x); err == nil {
		s += " json " + string(b)
	}
	return addrRE.ReplaceAllString(s, "0xADDR")
}

func showArgs(args []reflect.Value) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		parts = append(parts, fmt.Sprintf("%#v", a.Interface()))
	}
	return strings.Join(parts, ", ")
}

// Values arguments are drawn from: what templates pass, data as the store
// returns it (strings, json.Number, bool, nil, lists, maps) and constants
// of every Go kind.
var (
	drawStrings = []string{
		"", "a", "abc", "Hello World", "hello-world_FOO bar", "0x10", "010", "0b11", "0o17", "1_000", "1.0", "-3",
		"+4", "3.7", "1e3", "  7 ", "true", "False", "héllo wörld ñ ǅ", "ǅemo İstanbul ß", "  spaced  out  ",
		"a,b,c", "a b c", `{"a":1,"b":[2]}`, "[1,2]", "2024-05-06", "2024-05-06T07:08:09Z", "06 May 24 07:08 UTC",
		"1h30m", "-2m3s", "v1.2.3", "1.2.3-beta.1+meta", ">=1.0", "^1.2", "~1.2.3 || 2.x", "[a-z]+", "(", "a.*b",
		"foo/bar/baz.txt", "/abs/path/", "C:\\dir\\f", "https://user:pw@example.com:8080/p?q=1#f", "YWJj",
		"MFRGG===", "\t\n", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "The quick brown fox jumps over",
		"$HOME and ${PATH}", "%d %s", "a\nb\nc", "UPPER lower", "CamelCaseString", "snake_case_string",
		"9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551615", "NaN", "Inf",
		"sha256", "rsa", "ecdsa", "0", "1", "2", "10", "-1",
	}
	drawTimes = []time.Time{
		time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC), time.Date(1999, 12, 31, 23, 59, 59, 999, time.FixedZone("X", 3600)),
		{},
		time.Unix(1700000000, 0),
	}
	drawInts     = []int{-5, -1, 0, 1, 2, 3, 4, 7, 10, 16}
	drawFloats   = []float64{0, 1, 1.5, -2.25, 3, 1e10, math.Copysign(0, -1)}
	drawAnyExtra = []any{
		int(3), int(-7), int(0), int8(-2), int16(300), int32(1 << 20), int64(1 << 40), uint(7), uint8(255), uint16(9),
		uint32(1 << 31), uint64(1 << 63), uint64(math.MaxUint64), float32(2.5), float64(-3.75), 0.0, 1e300,
		math.Inf(1), json.Number("12"), json.Number("1.5"), json.Number("0x10"), json.Number("-4"),
		json.Number("1e3"), json.Number(""), true, false, nil, time.Duration(90 * time.Second),
		time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC), []byte("bytes"),
	}
)

func drawAny(r *rand.Rand, depth int) any {
	switch k := r.IntN(10); {
	case k < 4:
		return drawStrings[r.IntN(len(drawStrings))]
	case k < 8 || depth > 1:
		return drawAnyExtra[r.IntN(len(drawAnyExtra))]
	case k == 8:
		l := make([]any, r.IntN(4))
		for i := range l {
			l[i] = drawAny(r, depth+1)
		}
		switch r.IntN(4) {
		case 0:
			return []string{"x", "b", "a"}[:r.IntN(4)]
		case 1:
			return []int{3, 1, 2}[:r.IntN(4)]
		}
		return l
	default:
		m := map[string]any{}
		for range r.IntN(4) {
			m[drawStrings[r.IntN(8)]] = drawAny(r, depth+1)
		}
		if r.IntN(4) == 0 {
			return map[string]string{"k": "v", "a": "1"}
		}
		return m
	}
}

// drawArgs draws arguments for a function of type ft; false if a
// parameter type has no generator.
func drawArgs(r *rand.Rand, ft reflect.Type) ([]reflect.Value, bool) {
	n := ft.NumIn()
	var args []reflect.Value
	for i := range n {
		pt := ft.In(i)
		if ft.IsVariadic() && i == n-1 {
			for range r.IntN(4) {
				v, ok := draw(r, pt.Elem())
				if !ok {
					return nil, false
				}
				args = append(args, v)
			}
			continue
		}
		v, ok := draw(r, pt)
		if !ok {
			return nil, false
		}
		args = append(args, v)
	}
	return args, true
}

func draw(r *rand.Rand, t reflect.Type) (reflect.Value, bool) {
	if t == reflect.TypeFor[time.Time]() {
		return reflect.ValueOf(drawTimes[r.IntN(len(drawTimes))]), true
	}
	var x any
	switch t.Kind() {
	case reflect.String:
		x = drawStrings[r.IntN(len(drawStrings))]
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Int8, reflect.Int16:
		x = drawInts[r.IntN(len(drawInts))]
	case reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Uint8, reflect.Uint16:
		x = uint(r.IntN(12))
	case reflect.Float64, reflect.Float32:
		x = drawFloats[r.IntN(len(drawFloats))]
	case reflect.Bool:
		x = r.IntN(2) == 0
	case reflect.Interface:
		if t.NumMethod() != 0 {
			return reflect.Value{}, false
		}
		v := drawAny(r, 0)
		if v == nil {
			return reflect.Zero(t), true
		}
		return reflect.ValueOf(v), true
	case reflect.Slice:
		l := reflect.MakeSlice(t, 0, 3)
		for range r.IntN(4) {
			e, ok := draw(r, t.Elem())
			if !ok {
				return reflect.Value{}, false
			}
			l = reflect.Append(l, e)
		}
		return l, true
	case reflect.Map:
		m := reflect.MakeMap(t)
		for range r.IntN(4) {
			k, ok := draw(r, t.Key())
			if !ok {
				return reflect.Value{}, false
			}
			e, ok := draw(r, t.Elem())
			if !ok {
				return reflect.Value{}, false
			}
			m.SetMapIndex(k, e)
		}
		return m, true
	default:
		return reflect.Value{}, false
	}
	v := reflect.ValueOf(x)
	if !v.Type().ConvertibleTo(t) {
		return reflect.Value{}, false
	}
	return v.Convert(t), true
}

// The comparison itself must be able to fail: a function that differs
// from Sprig's is caught.
func TestOutcomeCatchesADifference(t *testing.T) {
	upper := reflect.ValueOf(strings.ToUpper)
	lower := reflect.ValueOf(strings.ToLower)
	args := []reflect.Value{reflect.ValueOf("MiXed")}
	if call(upper, args, false).same(call(lower, args, false)) {
		t.Error("ToUpper and ToLower compared as the same")
	}
	failing := reflect.ValueOf(func(s string) (string, error) { return s, errors.New("no") })
	passing := reflect.ValueOf(func(s string) (string, error) { return s, nil })
	if call(failing, args, false).same(call(passing, args, false)) {
		t.Error("an error and none compared as the same")
	}
	panicking := reflect.ValueOf(func(s string) string { panic(s) })
	if call(panicking, args, false).same(call(upper, args, false)) {
		t.Error("a panic and a result compared as the same")
	}
}
