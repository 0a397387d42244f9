package yara

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestWarnings checks the compile warnings against what yarac 4.2.3 prints
// for the same rules (the expected messages were taken from yarac's output).
func TestWarnings(t *testing.T) {
	manyXor := func(n int) string {
		var sb strings.Builder
		sb.WriteString("rule r { strings: ")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&sb, "$a%d = \"abc%d\" xor wide ascii ", i, i)
		}
		sb.WriteString("condition: any of them }")
		return sb.String()
	}
	const slowA = `string "$a" may slow down scanning`
	const dotA = `$a contains .*, .+ or .{x,} consider using .{,N}, .{1,N} or {x,N} with a reasonable value for N`
	cases := []struct {
		name, rule string
		want       []string
		data       string // when set, the rule must match it
	}{
		{"literal string as boolean", `rule r { condition: "abc" }`, []string{`using literal string "abc" in a boolean operation.`}, "x"},
		{"entrypoint", `rule r { condition: entrypoint == 0 }`, []string{`Using deprecated "entrypoint" keyword. Use the "entry_point" function from PE module instead.`}, ""},
		{"xor over all keys", `rule r { strings: $a = "abcd" xor condition: $a }`, nil, "ABCD"},
		{"wide two letters", `rule r { strings: $a = "ab" wide condition: $a }`, nil, "a\x00b\x00"},
		{"wide one letter", `rule r { strings: $a = "a" wide condition: $a }`, []string{slowA}, "a\x00"},
		{"nocase wide ascii", `rule r { strings: $a = "abcd" nocase wide ascii condition: $a }`, nil, "AbCd"},
		{"base64", `rule r { strings: $a = "ab" base64 condition: $a }`, nil, ""},
		{"base64 and base64wide", `rule r { strings: $a = "This program" base64 base64wide condition: $a }`, nil, ""},
		{"chained hex with a weak tail", `rule r { strings: $a = { 01 02 03 04 [300] 05 } condition: $a }`, []string{slowA}, ""},
		{"chained hex", `rule r { strings: $a = { 01 02 03 04 [300] 05 06 07 08 } condition: $a }`, nil, ""},
		{"unbounded hex jump", `rule r { strings: $a = { 01 02 03 04 [-] 05 06 07 08 } condition: $a }`, nil, "\x01\x02\x03\x04zz\x05\x06\x07\x08"},
		{"regex .* and weak atom", `rule r { strings: $a = /a.*/ condition: $a }`, []string{dotA, slowA}, "abc"},
		{"regex .* inside an alternative", `rule r { strings: $a = /abcd(e|.*)/ condition: $a }`, nil, "abcdx"},
		{"regex alternatives", `rule r { strings: $a = /(abc|dex)fgh/ condition: $a }`, nil, "dexfgh"},
		{"regex bounded dot", `rule r { strings: $a = /abcd.{0,100}efgh/ condition: $a }`, nil, "abcd--efgh"},
		{"regex of classes only", `rule r { strings: $a = /[a-z]+\d/ condition: $a }`, []string{slowA}, "abc1"},
		{"anonymous string", `rule r { strings: $ = { 01 } condition: any of them }`, []string{`string "$" may slow down scanning`}, "\x01"},
		{"rule with too many atoms", manyXor(24), []string{"rule is slowing down scanning"}, "abc7"},
		{"rule just below the atom limit", manyXor(23), nil, "abc7"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			comp, err := NewCompiler(Options{})
			if err != nil {
				t.Fatal(err)
			}
			comp.AddSource("t.yar", "", []byte(c.rule))
			rs, err := comp.Rules()
			if err != nil {
				t.Fatalf("warnings must not reject a rule: %v", err)
			}
			var got []string
			for _, w := range comp.Warnings() {
				got = append(got, strings.TrimPrefix(w.Msg, `rule "r": `))
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("warnings\n got %q\nwant %q", got, c.want)
			}
			if c.data == "" {
				return
			}
			res, err := rs.Scan(context.Background(), []byte(c.data), nil)
			if err != nil || len(res) != 1 {
				t.Errorf("scan of %q: %d matches, %v; want 1", c.data, len(res), err)
			}
		})
	}
}

// TestYaraAtomQuality checks the heuristic against the examples documented
// in YARA's atoms.c (raw points; YARA adds 255 - 22*4).
func TestYaraAtomQuality(t *testing.T) {
	const base = yrMaxAtomQuality - 22*maxAtomLen
	atom := func(spec ...int) yatom {
		var a yatom
		for i, v := range spec {
			if v < 0 { // -1: ??, -2: ?X with X in the low nibble
				a.m[i] = map[int]byte{-1: 0x00, -2: 0x0F}[v]
				if v == -2 {
					a.b[i] = 3
				}
			} else {
				a.b[i], a.m[i] = byte(v), 0xFF
			}
			a.n++
		}
		return a
	}
	cases := []struct {
		a    yatom
		want int
	}{
		{atom(1, 2, 3, 4), 88},
		{atom(1, -1, 3, 4), 56},
		{atom(1, 2), 44},
		{atom(0x61, 0x62), 40},
		{atom(0x61, 0x61), 38},
		{atom(0, 1), 36},
		{atom(1, -1, 2), 34},
		{atom(1), 22},
		{atom(0, 0, 0, 0), 8},
		{atom(0x90, 0x90), 20 + 20 - 20},
		{atom(1, -1, -2, 4), 38},
	}
	for _, c := range cases {
		if got := yaraQuality(c.a) - base; got != c.want {
			t.Errorf("quality of %x/%x: got %d, want %d", c.a.b[:c.a.n], c.a.m[:c.a.n], got, c.want)
		}
	}
	if yrAtomWarnThreshold-base != 38 {
		t.Errorf("threshold: got %d, want 38 above base", yrAtomWarnThreshold-base)
	}
}

// FuzzWarnings compiles one string of random body and modifiers: the YARA
// atom model behind the warnings must never panic, and a rule that compiles
// must compile the same with or without warnings (checked by scanning).
func FuzzWarnings(f *testing.F) {
	for _, s := range []string{
		"{ 01 ?? ?2 03 }", "{ 68 ?? 00 ?? 00 68 ?? 00 ?? 00}", "{ (61 62 63 64 ?? | 65 ?? ?? 00 00 66) }",
		"{ 1? ?? 03 }", "{ 01 02 [300] 03 [-] 04 }", `/abcd.{10,}efgh/`, `/(a|b.*|c{2,5})+x?\d/is`,
		`"AAAAAAAAAAAAAAAAAAAA" xor`, `"foo" wide nocase ascii`, `"ab" base64 base64wide`, `"a" xor(1-3) wide`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, str string) {
		if len(str) > 512 {
			return
		}
		c, err := NewCompiler(Options{})
		if err != nil {
			t.Fatal(err)
		}
		c.AddSource("f.yar", "", []byte("rule r { strings: $a = "+str+" condition: $a }"))
		rs, err := c.Rules()
		if err != nil {
			return
		}
		for _, w := range c.Warnings() {
			if w.Msg == "" || w.Code == "" {
				t.Fatalf("empty warning %+v", w)
			}
		}
		if _, err := rs.Scan(context.Background(), []byte("abc\x00\x01\x02"), nil); err != nil {
			t.Fatal(err)
		}
	})
}
