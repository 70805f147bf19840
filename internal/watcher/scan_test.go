// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package watcher

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
)

// The scanner stands in for encoding/json: every test here also checks it
// against encoding/json (sameAsJSON), and the expectations written out are
// encoding/json's own.

const (
	kvV1Answer = `{"request_id":"0b1a7c52-5f0e-4d47-9c1e-6f1f3a2d9e10","lease_id":"","renewable":false,` +
		`"lease_duration":2764800,"data":{"password":"s3cr\u00e9t","port":5432,"tags":["a","b"]},` +
		`"wrap_info":null,"warnings":null,"auth":null,"mount_type":"kv"}`
	kvV2Answer = `{"request_id":"3f2c9a1e-8d4b-4e6f-a1c2-7b9d0e5f4a31","lease_id":"","renewable":false,` +
		`"lease_duration":0,"data":{"data":{"k":"v"},"metadata":{"created_time":"2026-01-01T00:00:00Z",` +
		`"custom_metadata":null,"deletion_time":"","destroyed":false,"version":1}},"wrap_info":null,` +
		`"warnings":null,"auth":null,"mount_type":"kv"}`
	kvV2Pretty = "{\n  \"request_id\": \"r\",\n  \"data\": {\n    \"data\": {\n      \"k\": \"v\",\n" +
		"      \"n\": [ 1 , 2.5e3 ]\n    },\n    \"metadata\": { \"version\": 2 }\n  },\n" +
		"  \"warnings\": [\"w\"]\n}\n"
)

// nested returns an object whose member "a" opens depth-1 arrays, so that
// the input nests depth levels in all.
func nested(depth int) string {
	return `{"a":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + "}"
}

// validObjects maps inputs to what the watcher reads from them: each
// member's string value for a string, its compact text otherwise.
var validObjects = []struct {
	in   string
	want map[string]string
}{
	{`{}`, map[string]string{}},
	{" \t\r\n{ \t\r\n} \t\r\n", map[string]string{}},
	{`{"a":"b"}`, map[string]string{"a": "b"}},
	{`{"a":{"b":{"c":[1,{"d":[]},{}]}}}`, map[string]string{"a": `{"b":{"c":[1,{"d":[]},{}]}}`}},
	{`{"a":[],"b":[null,true,false],"c":{}}`, map[string]string{"a": `[]`, "b": `[null,true,false]`, "c": `{}`}},
	{
		`{"a":0,"b":-0,"c":1e5,"d":1.5E-3,"e":-12.50,"f":2E+10,"g":0.0e0,"h":123456789012345678901234567890}`,
		map[string]string{
			"a": "0", "b": "-0", "c": "1e5", "d": "1.5E-3", "e": "-12.50", "f": "2E+10", "g": "0.0e0",
			"h": "123456789012345678901234567890",
		},
	},
	{`{"e":"\"\\\/\b\f\n\r\t"}`, map[string]string{"e": "\"\\/\b\f\n\r\t"}},
	{`{"u":"\u00e9\u00C9\u0000\u001f"}`, map[string]string{"u": "éÉ\x00\x1f"}},
	{`{"p":"\ud83d\ude00","P":"\uD83D\uDE00"}`, map[string]string{"p": "😀", "P": "😀"}},
	{
		`{"lone high":"\ud800","lone low":"x\udc00y","high then BMP":"\ud800\u0041",
	  "high high low":"\ud800\ud800\udc00","low high":"\udc00\ud800","high then escape":"\ud800\n",
	  "high then backslash":"\ud800\\udc00"}`,
		map[string]string{
			"lone high": "\uFFFD", "lone low": "x\uFFFDy", "high then BMP": "\uFFFDA",
			"high high low": "\uFFFD\U00010000", "low high": "\uFFFD\uFFFD", "high then escape": "\uFFFD\n",
			"high then backslash": "\uFFFD\\udc00",
		},
	},
	{
		"{\"raw\":\"a\xffb\",\"cut\":\"\xe2\x82\",\"surrogate\":\"\xed\xa0\x80\",\"ok\":\"\xe2\x82\xac\"}",
		map[string]string{"raw": "a\uFFFDb", "cut": "\uFFFD\uFFFD", "surrogate": "\uFFFD\uFFFD\uFFFD", "ok": "€"},
	},
	{"{\"n\xff\":1,\"\\u00e9\":2}", map[string]string{"n\uFFFD": "1", "é": "2"}},
	{
		"{ \"a\" :\t[ 1 ,\n{ \"b\" : \" x y \" } ] ,\r\"c\" : \"\\\" \" }",
		map[string]string{"a": `[1,{"b":" x y "}]`, "c": `" `},
	},
	{`{"a":1,"b":2,"a":3}`, map[string]string{"a": "3", "b": "2"}},
	{`{"data":1,"d\u0061ta":2,"data ":3}`, map[string]string{"data": "2", "data ": "3"}},
	{`{"\u00e9":1,"é":2}`, map[string]string{"é": "2"}},
	{`{"":"","\u0000":"\/"}`, map[string]string{"": "", "\x00": "/"}},
	{"{\"del\":\"\x7f\"}", map[string]string{"del": "\x7f"}},
	{nested(maxScanDepth), map[string]string{"a": strings.Repeat("[", maxScanDepth-1) + strings.Repeat("]", maxScanDepth-1)}},
	{kvV1Answer, map[string]string{
		"request_id": "0b1a7c52-5f0e-4d47-9c1e-6f1f3a2d9e10", "lease_id": "",
		"renewable": "false", "lease_duration": "2764800", "data": `{"password":"s3cr\u00e9t","port":5432,"tags":["a","b"]}`,
		"wrap_info": "null", "warnings": "null", "auth": "null", "mount_type": "kv",
	}},
	{kvV2Pretty, map[string]string{
		"request_id": "r", "data": `{"data":{"k":"v","n":[1,2.5e3]},"metadata":{"version":2}}`,
		"warnings": `["w"]`,
	}},
}

var invalidObjects = []string{
	``, ` `, `{`, `}`, `{"a"}`, `{"a":}`, `{"a" 1}`, `{"a":1,}`, `{,"a":1}`, `{"a":1 "b":2}`, `{"a":[1,]}`,
	`{"a":[,1]}`, `{"a":[1 2]}`, `{"a":{"b"}}`, `{"a":{"b":1,}}`, `{"a":[}`, `{"a":{]}`, `{"a":[1}`,
	`{"a":01}`, `{"a":-01}`, `{"a":.5}`, `{"a":1.}`, `{"a":1.e5}`, `{"a":-}`, `{"a":+1}`, `{"a":1e}`, `{"a":1e+}`,
	`{"a":0x1}`, `{"a":NaN}`, `{"a":Infinity}`, `{"a":-Infinity}`, `{'a':1}`, `{a:1}`, `{"a":'b'}`,
	"{\"a\":\"\x01\"}", "{\"a\":\"\n\"}", "{\"a\x1f\":1}", `{"a":"\x"}`, `{"a":"\'"}`, `{"a":"\u12"}`,
	`{"a":"\u12G4"}`, `{"a":"\U0041"}`, `{"a":"\"}`, `{"a":"b}`, `{"a":"\`, `{"a" "b"}`, `{"a"::1}`,
	`{}{}`, `{} {}`, `{}x`, `{},`, `[]`, `[{}]`, `"a"`, `1`, `null`, `true`, `{"a":tru}`, `{"a":nul}`,
	`{"a":fals}`, `{"a":truex}`, `{"a":True}`, `{"a":1/*c*/}`, `// c` + "\n{}", `{"a":1}//`, "\ufeff{}",
	"{\"a\":1}\x00", "\x0b{}", "{\"a\":\xa0 1}", nested(maxScanDepth + 1), nested(3 * maxScanDepth),
}

func TestScanObject(t *testing.T) {
	for _, tc := range validObjects {
		ms, err := scanObject([]byte(tc.in))
		if err != nil {
			t.Errorf("%.80q: %v", tc.in, err)
			continue
		}
		got := map[string]string{}
		for _, m := range ms {
			if s, ok := stringValue(m.raw); ok {
				got[m.name] = s
			} else {
				got[m.name] = string(compact(m.raw))
			}
		}
		if !maps.Equal(got, tc.want) {
			t.Errorf("%.80q: got %q, want %q", tc.in, got, tc.want)
		}
		sameAsJSON(t, []byte(tc.in))
	}
}

func TestScanObjectRefused(t *testing.T) {
	for _, in := range invalidObjects {
		ms, err := scanObject([]byte(in))
		if err == nil {
			t.Errorf("%.80q: got %d members, want an error", in, len(ms))
			continue
		}
		if ms != nil {
			t.Errorf("%.80q: members returned with an error", in)
		}
		if !errors.Is(err, errScanSyntax) && !errors.Is(err, errScanNotObject) && !errors.Is(err, errScanDepth) {
			t.Errorf("%.80q: unexpected error %v", in, err)
		}
		sameAsJSON(t, []byte(in))
	}
	for in, want := range map[string]error{
		`[]`: errScanNotObject, ` "a" `: errScanNotObject, `[`: errScanSyntax,
		`{"a":1,}`: errScanSyntax, nested(maxScanDepth + 1): errScanDepth,
	} {
		if _, err := scanObject([]byte(in)); !errors.Is(err, want) {
			t.Errorf("%.80q: got %v, want %v", in, err, want)
		}
	}
}

func TestStringValue(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want string
		ok   bool
	}{
		{`""`, "", true},
		{`"plain"`, "plain", true},
		{` "padded" `, "padded", true},
		{`"\"\\\/\b\f\n\r\t"`, "\"\\/\b\f\n\r\t", true},
		{`"\u00e9\ud83d\ude00"`, "é😀", true},
		{`"\ud800"`, "\uFFFD", true},
		{`"\ud800\ud800\udc00"`, "\uFFFD\U00010000", true},
		{"\"\xff\"", "\uFFFD", true},
		{"\"\xc3\xa9\"", "é", true},
		{`null`, "", false},
		{`1`, "", false},
		{`"a" "b"`, "", false},
		{`"a`, "", false},
		{`"\x"`, "", false},
		{`"\'"`, "", false},
		{"\"\t\"", "", false},
		{``, "", false},
	} {
		got, ok := stringValue([]byte(tc.raw))
		if got != tc.want || ok != tc.ok {
			t.Errorf("%q: got %q, %v; want %q, %v", tc.raw, got, ok, tc.want, tc.ok)
		}
		sameAsJSON(t, []byte(tc.raw))
	}
}

func TestCompact(t *testing.T) {
	for raw, want := range map[string]string{
		`1`: `1`,
		" [ 1 ,\t2 ,\n{ \"a b\" : \"c\\\" d\" } ]\r\n": `[1,2,{"a b":"c\" d"}]`,
		`"a \\" `:        `"a \\"`,
		`{"a":"\\\\"  }`: `{"a":"\\\\"}`,
		`"\u0020 "`:      `"\u0020 "`,
	} {
		if got := string(compact([]byte(raw))); got != want {
			t.Errorf("%q: got %q, want %q", raw, got, want)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(raw)); err != nil || buf.String() != want {
			t.Errorf("%q: json.Compact gives %q, %v", raw, buf.String(), err)
		}
	}
	// Nothing to remove: no copy.
	raw := []byte(`{"a":[1,2]}`)
	if got := compact(raw); &got[0] != &raw[0] {
		t.Error("compact copied an input without whitespace")
	}
}

func TestMemberOf(t *testing.T) {
	ms, err := scanObject([]byte(`{"a":1,"b":"x","a":[2],"\u0061":{"c":3}}`))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"a": `{"c":3}`, "b": `"x"`} {
		if got := memberOf(ms, name); string(got) != want {
			t.Errorf("%q: got %q, want %q", name, got, want)
		}
	}
	if memberOf(ms, "c") != nil || memberOf(nil, "a") != nil {
		t.Error("memberOf of an absent name is not nil")
	}
}

// sameAsJSON checks scanObject on b against json.Unmarshal into a map of
// raw messages, and stringValue and compact on b as a whole against
// json.Unmarshal into a string and json.Compact.
func sameAsJSON(t *testing.T, b []byte) {
	t.Helper()
	ms, err := scanObject(b)
	var want map[string]json.RawMessage
	// Unmarshal accepts a top-level null and leaves the map nil: that is
	// not an object, and scanObject refuses it.
	jsonOK := json.Unmarshal(b, &want) == nil && json.Valid(b) && want != nil
	if (err == nil) != jsonOK {
		t.Fatalf("%.80q: scanObject: %v; encoding/json accepts it: %v", b, err, jsonOK)
	}
	if err == nil {
		sameMembers(t, b, ms, want)
	}
	var s string
	isString := bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte(`"`))
	sErr := json.Unmarshal(b, &s)
	if got, ok := stringValue(b); ok != (sErr == nil && isString) || got != s {
		t.Fatalf("%.80q: stringValue gives %q, %v; encoding/json %q, %v", b, got, ok, s, sErr)
	}
	if json.Valid(b) {
		var c bytes.Buffer
		if err := json.Compact(&c, b); err != nil || !bytes.Equal(compact(b), c.Bytes()) {
			t.Fatalf("%.80q: compact gives %q; json.Compact %q, %v", b, compact(b), c.Bytes(), err)
		}
	}
}

// sameMembers checks the members of b (last wins) against encoding/json's.
func sameMembers(t *testing.T, b []byte, ms []member, want map[string]json.RawMessage) {
	t.Helper()
	got := map[string][]byte{}
	for _, m := range ms {
		got[m.name] = m.raw
	}
	if len(got) != len(want) {
		t.Fatalf("%.80q: %d distinct names, encoding/json has %d", b, len(got), len(want))
	}
	for name, w := range want {
		raw, ok := got[name]
		if !ok || !bytes.Equal(memberOf(ms, name), raw) {
			t.Fatalf("%.80q: member %q missing or not the last", b, name)
		}
		var c bytes.Buffer
		if err := json.Compact(&c, w); err != nil || !bytes.Equal(compact(raw), c.Bytes()) {
			t.Fatalf("%.80q: member %q: compact gives %q; json.Compact %q, %v", b, name, compact(raw), c.Bytes(), err)
		}
		var ws string
		wErr := json.Unmarshal(w, &ws)
		if s, ok := stringValue(raw); ok != (raw[0] == '"') || ok && (wErr != nil || s != ws) {
			t.Fatalf("%.80q: member %q: stringValue gives %q, %v; encoding/json %q, %v", b, name, s, ok, ws, wErr)
		}
	}
}

func FuzzScanObject(f *testing.F) {
	for _, tc := range validObjects {
		f.Add([]byte(tc.in))
	}
	for _, in := range invalidObjects {
		f.Add([]byte(in))
	}
	f.Add([]byte(kvV2Answer))
	f.Add([]byte(`{"request_id":"r","data":{"data":null,"metadata":{"deletion_time":"2026-01-02T00:00:00Z","version":3}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		sameAsJSON(t, b)
	})
}

// BenchmarkScanObject: "scan" is scanObject alone on a KV v2 answer;
// "data" reads data.data.k as the watcher does; "json" is encoding/json's
// decoding into map[string]any, for comparison.
func BenchmarkScanObject(b *testing.B) {
	answer := []byte(kvV2Answer)
	for _, bm := range []struct {
		name string
		read func() error
	}{
		{"scan", func() error { _, err := scanObject(answer); return err }},
		{"data", func() error {
			ms, err := scanObject(answer)
			for i := 0; i < 2 && err == nil; i++ {
				ms, err = scanObject(memberOf(ms, "data"))
			}
			if v, ok := stringValue(memberOf(ms, "k")); err == nil && (!ok || v != "v") {
				return errors.New("no data.data.k")
			}
			return err
		}},
		{"json", func() error { var m map[string]any; return json.Unmarshal(answer, &m) }},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := bm.read(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
