// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package sprig

import (
	"math"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// textInputs are strings for the string functions: ASCII, words and
// spacing of every sort, Unicode letters with special cases (title case,
// dotted I, sharp s, final sigma), multi-byte characters whose bytes
// include 0x85 or 0xA0 (which goutils reads as spaces), and invalid UTF-8.
var textInputs = []string{
	"", " ", "  ", "a", "ab", "abc", "abcd", "abcdefg", "Hello World", "hello  world", " leading", "trailing ",
	"Now is the time for all good men", "The quick brown fox jumps over the lazy dog",
	"a\tb\nc\rd\ve\ff", "x\u0085y\u00a0z", "à la carte", "héllo wörld ñ", "ǅemo ǆ ǈ ǉ", "İstanbul ß ΣΑΣ ΌΣΟΣ",
	"日本語のテキスト です", "emoji 😀 here 👍🏽", "\xff\xfe bad utf8", "\xc3", "a\x00b", "\u2028\u3000x\u1680y",
	"snake_case_string", "CamelCaseString", "kebab-case-string", "HTTPServer", "  spaced  out  ", "a  b   c",
	"supercalifragilisticexpialidocious", "http://example.com/a/very/long/url/that/does/not/break/anywhere",
	"word1 word2 word3 word4 word5", strings.Repeat("ab ", 30), "ABC def GHI jKL", "ÀÉÎ õü", "ſ ǰ ﬁ",
	"12 monkeys", "_under_score_", "--dash--", "mixed_Case-and space", "a.b.c", "x",
	// Inputs a FuzzNospace and a FuzzSwapcase run reported as failing while
	// the machine had about four times more runnable work than CPUs; they
	// give Sprig's results, and the same runs repeated passed.
	"a\xe9\xdaY|\x94:pW\\w\xb6\xe2X\x1b\xb6\xedN\x8fC\u0796\xb3n#C\xb7\xbe\x8d\xe1\xfe#BX2\x89I\xdc_\x0fmU\u0618\x82\x06\x9f\xd7OZF\x81\x8eB4\x06\xb7\x9e\x8a\xbbt\uf478~C\x8bE+\x10^\x9eYD\x95|\xbb\xda\xd5\x10p\x06\x1b\x9b\xd6\x14\x00\x8c\xebS\xfe\\\x17\xeeg\x02\x1a\xfd\x93sY\x16\xa3^\xc6\xe0$\x1c\x15\xc5\xdb6\xf1\xe4>\x8bF\xfd6J\x11\xd0:\xe9\x1e\xf7.\xaf\\\u012b\x18\xd9p\xc6\x17\xe1\xc9\xf5\x8aou\xe5\x90L\xb6\x7fL\xc9f\xa1\x1a\xe0*\xe2\x8f\xf3=h\xaa\x12\x9c\x93%\x8b\x1c\x82L\xbfp\xa1k\x9c\x88\x95\xab\u0403\xfa\xb3\x83\xf4\xd5\xeb\xbf\xc3\xe1\x86\xe8\x96\xef\xf7\xc0\x97\xe8\xff\x92\xf5\xd4\xd3\xdd\xc0\xa8\xb1\x86\xe4\xdb\xc7\xe8\u02b6\x91\x8b\x92\u76df\uc708\xba\xba\xfc\xb0\u016e\xdf\xe5\x86\u077d\xd7\xe0\x93\x9d\xe6\xce\xdc\u0583\x95\xb0)@l\xff]\xbc\xb2\x91\x8b\x8d\x97Af\x1d\xeb\xa6\xd3w\x13\xbf\xda\xd4^\x01d\xe0\xa5\x02\xa2\x114Z$X\xab\xe1fJ@v\"_\xa5\xf9\xf8\xfa\xdd\xe0x\xb6\xf9\xa6-h\x82mz\xf7\xfb\xf7\xee\x1d:\xcd\x11\x97z`&(\xbd&",
	"\xca\"\xe8X\xc7\x05\xb0\xbeG\xa0\xd4[%\x13\xbe\xac45\xf3}95\xd7\x17\xba<\x8e\u06f6\xbe\rG&\x1f\x88/*^\x86{\x8f\x03B\xb37\f\x92C\xd2 ",
}

var widthInputs = []int{math.MinInt, math.MinInt + 1, -100, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20, 33, 40, 100, math.MaxInt}

func TestStringSignatures(t *testing.T) {
	diffSignatures(t, stringFuncs())
}

// TestStringsAsSprig calls every deterministic string function with the
// inputs above, and with every width, offset and separator.
func TestStringsAsSprig(t *testing.T) {
	funcs := stringFuncs()
	for _, name := range []string{"initials", "nospace", "swapcase", "untitle", "camelcase", "kebabcase", "snakecase"} {
		t.Run(name, func(t *testing.T) {
			for _, s := range textInputs {
				diffCompare(t, funcs, name, s)
			}
		})
	}
	t.Run("abbrev and wrap", func(t *testing.T) {
		for _, s := range textInputs {
			for _, w := range widthInputs {
				diffCompare(t, funcs, "abbrev", w, s)
				diffCompare(t, funcs, "wrap", w, s)
				for _, sep := range []string{"", "\n", "<br>", " ", "--"} {
					diffCompare(t, funcs, "wrapWith", w, sep, s)
				}
			}
		}
	})
	t.Run("abbrevboth", func(t *testing.T) {
		for _, s := range textInputs {
			for _, l := range widthInputs {
				for _, r := range widthInputs {
					diffCompare(t, funcs, "abbrevboth", l, r, s)
				}
			}
		}
	})
}

// TestStringValues pins goutils' quirks, so that the expectations do not
// rest on Sprig alone.
func TestStringValues(t *testing.T) {
	funcs := stringFuncs()
	cases := []struct {
		name string
		args []any
		want string
	}{
		{"abbrev", []any{10, "Now is the time for all good men"}, "Now is ..."},
		{"abbrev", []any{3, "Now is the time"}, "Now is the time"},
		{"abbrev", []any{5, "héllo wörld"}, "h\xc3..."}, // bytes, not runes
		{"abbrevboth", []any{5, 10, "1234567890abcdefghijklmno"}, "...6789..."},
		{"abbrevboth", []any{math.MinInt, 10, "1234567890abcdefghijklmno"}, "...ijklmno"}, // goutils' offset overflow
		{"abbrevboth", []any{1, 6, "1234567890"}, "1234567890"},
		{"initials", []any{"héllo wörld"}, "hw"},
		{"initials", []any{"ña ña"}, "\u00c3\u00c3"}, // the first byte, as Latin-1
		{"nospace", []any{"a b\tc"}, "abc"},
		{"nospace", []any{"à b"}, "\u00c3b"}, // C3 A0: A0 is a space as Latin-1
		{"nospace", []any{"éb"}, "éb"},       // no space byte (C3 A9): unchanged
		{"swapcase", []any{"hello World ǆ"}, "HELLO wORLD ǅ"},
		{"untitle", []any{"Hello World ÀB"}, "hello world àB"},
		{"untitle", []any{"A\xffB"}, "a\ufffdB"},
		{"wrap", []any{5, "hello world and more"}, "hello\nworld\nand\nmore"},
		{"wrap", []any{3, "abcdefgh ij"}, "abcdefgh\nij"},
		{"wrapWith", []any{3, "|", "abcdefgh ij"}, "abc|def|gh|ij"},
		{"wrapWith", []any{0, "", "ab"}, "a\nb"},
		{"camelcase", []any{"http_server"}, "HttpServer"},
		{"kebabcase", []any{"HTTPServer"}, "http-server"},
		{"snakecase", []any{"FirstName"}, "first_name"},
	}
	for _, c := range cases {
		t.Run(c.name+"/"+diffShowArgs(c.args), func(t *testing.T) {
			r := diffInvoke(funcs[c.name], c.args...)
			if r.panicked != "" || r.values[0] != c.want {
				t.Errorf("got %s, want %q", r, c.want)
			}
			diffCompare(t, funcs, c.name, c.args...)
		})
	}
}

// TestRandomStrings checks the random functions for length and alphabet:
// the whole alphabet appears in a long string (a missing character is
// about as likely as e^-300), nothing else does, and Sprig's strings have
// the same alphabet. A count too large to allocate panics as in Sprig.
func TestRandomStrings(t *testing.T) {
	funcs := stringFuncs()
	alphabets := map[string]string{
		"randAlpha":    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
		"randAlphaNum": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
		"randNumeric":  "0123456789",
		"randAscii":    "",
	}
	for c := ' '; c <= '~'; c++ {
		alphabets["randAscii"] += string(c)
	}
	for name, alphabet := range alphabets {
		t.Run(name, func(t *testing.T) {
			fn, ok := funcs[name].(func(int) string)
			if !ok {
				t.Fatalf("got %T, want func(int) string", funcs[name])
			}
			for _, n := range []int{math.MinInt, -5, -1, 0, 1, 2, 7, 64, 1000} {
				if got, want := utf8.RuneCountInString(fn(n)), max(n, 0); got != want || len(fn(n)) != want {
					t.Errorf("%s(%d): got %d characters, want %d", name, n, got, want)
				}
			}
			const n = 20000
			if got, want := charSet(fn(n)), alphabet; got != want {
				t.Errorf("%s(%d): got characters %q, want %q", name, n, got, want)
			}
			if got, want := charSet(fn(n)), charSet(sprigStringFunc[int](t, name)(n)); got != want {
				t.Errorf("%s(%d): got characters %q, Sprig's are %q", name, n, got, want)
			}
			if a, b := fn(32), fn(32); a == b {
				t.Errorf("%s(32): the same string twice", name)
			}
			diffCompare(t, funcs, name, math.MaxInt)
		})
	}
}

// sprigStringFunc is Sprig's function name, of type func(T) string.
func sprigStringFunc[T any](t testing.TB, name string) func(T) string {
	t.Helper()
	fn, ok := diffSprig()[name].(func(T) string)
	if !ok {
		t.Fatalf("Sprig's %s is a %T", name, diffSprig()[name])
	}
	return fn
}

func charSet(s string) string {
	rs := []rune(s)
	slices.Sort(rs)
	return string(slices.Compact(rs))
}

// TestShuffle: shuffle keeps the runes (invalid UTF-8 read as U+FFFD, as
// in Sprig) and changes their order.
func TestShuffle(t *testing.T) {
	shuffle, ok := stringFuncs()["shuffle"].(func(string) string)
	if !ok {
		t.Fatal("shuffle is not a func(string) string")
	}
	sprigs := sprigStringFunc[string](t, "shuffle")
	for _, s := range textInputs {
		if got, want := charMultiset(shuffle(s)), charMultiset(sprigs(s)); got != want {
			t.Errorf("shuffle(%q): got runes %q, Sprig's are %q", s, got, want)
		}
	}
	const s = "abcdefghijklmnopqrstuvwxyz"
	for range 10 {
		if shuffle(s) != s {
			return
		}
	}
	t.Errorf("shuffle(%q): the same order ten times", s)
}

func charMultiset(s string) string {
	rs := []rune(s)
	slices.Sort(rs)
	return string(rs)
}

func stringSeeds(f *testing.F, withWidths bool) {
	for i, s := range textInputs {
		if withWidths {
			w := widthInputs[i%len(widthInputs)]
			f.Add(s, w, widthInputs[(i*7+3)%len(widthInputs)])
		} else {
			f.Add(s)
		}
	}
}

// One fuzz target per string function: each compares with Sprig.

func FuzzAbbrev(f *testing.F) {
	stringSeeds(f, true)
	funcs := stringFuncs()
	f.Fuzz(func(t *testing.T, s string, w, _ int) { diffCompare(t, funcs, "abbrev", w, s) })
}

func FuzzAbbrevboth(f *testing.F) {
	stringSeeds(f, true)
	funcs := stringFuncs()
	f.Fuzz(func(t *testing.T, s string, l, r int) { diffCompare(t, funcs, "abbrevboth", l, r, s) })
}

func FuzzWrap(f *testing.F) {
	stringSeeds(f, true)
	funcs := stringFuncs()
	f.Fuzz(func(t *testing.T, s string, w, _ int) { diffCompare(t, funcs, "wrap", w%64, s) })
}

func FuzzWrapWith(f *testing.F) {
	for i, s := range textInputs {
		f.Add(s, widthInputs[i%len(widthInputs)], []string{"", "\n", "<br>", " "}[i%4])
	}
	funcs := stringFuncs()
	f.Fuzz(func(t *testing.T, s string, w int, sep string) { diffCompare(t, funcs, "wrapWith", w%64, sep, s) })
}

func FuzzInitials(f *testing.F) {
	stringSeeds(f, false)
	funcs := stringFuncs()
	f.Fuzz(func(t *testing.T, s string) { diffCompare(t, funcs, "initials", s) })
}

func FuzzNospace(f *testing.F) {
	stringSeeds(f, false)
	funcs := stringFuncs()
	f.Fuzz(func(t *testing.T, s string) { diffCompare(t, funcs, "nospace", s) })
}

func FuzzSwapcase(f *testing.F) {
	stringSeeds(f, false)
	funcs := stringFuncs()
	f.Fuzz(func(t *testing.T, s string) { diffCompare(t, funcs, "swapcase", s) })
}

func FuzzUntitle(f *testing.F) {
	stringSeeds(f, false)
	funcs := stringFuncs()
	f.Fuzz(func(t *testing.T, s string) { diffCompare(t, funcs, "untitle", s) })
}

func FuzzCamelcase(f *testing.F) {
	stringSeeds(f, false)
	funcs := stringFuncs()
	f.Fuzz(func(t *testing.T, s string) { diffCompare(t, funcs, "camelcase", s) })
}

func FuzzKebabcase(f *testing.F) {
	stringSeeds(f, false)
	funcs := stringFuncs()
	f.Fuzz(func(t *testing.T, s string) { diffCompare(t, funcs, "kebabcase", s) })
}

func FuzzSnakecase(f *testing.F) {
	stringSeeds(f, false)
	funcs := stringFuncs()
	f.Fuzz(func(t *testing.T, s string) { diffCompare(t, funcs, "snakecase", s) })
}

func FuzzShuffle(f *testing.F) {
	stringSeeds(f, false)
	shuffle, ok := stringFuncs()["shuffle"].(func(string) string)
	if !ok {
		f.Fatal("shuffle is not a func(string) string")
	}
	sprigs := sprigStringFunc[string](f, "shuffle")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := charMultiset(shuffle(s)), charMultiset(sprigs(s)); got != want {
			t.Errorf("shuffle(%q): got runes %q, Sprig's are %q", s, got, want)
		}
	})
}
