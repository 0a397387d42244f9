package re

import "testing"

// FuzzRegexp parses arbitrary patterns and runs them over arbitrary data:
// no panics, and the budget bounds the work.
func FuzzRegexp(f *testing.F) {
	for _, s := range []string{`abc`, `a.*?b`, `(a|b)+[^c-e]{2,5}\b$`, `^\x00\xE8.{4}`, `(ba{4}){4,10}`, `[\w\.-]+@\d`} {
		f.Add(s, []byte("xxabcbbbaaaa\xe8\x00 abc-de@1"))
	}
	f.Fuzz(func(t *testing.T, pattern string, data []byte) {
		n, err := Parse(pattern, 0)
		if err != nil {
			return
		}
		b := &Budget{N: 1 << 16}
		for s := 0; s <= len(data) && s < 64; s++ {
			ForwardLen(n, data, s, n.HasLazy(), b)
			b.N = 1 << 16
		}
		m := Matcher{Fwd: n, Bwd: n.Reverse()}
		m.Starts(data, len(data)/2, &Budget{N: 1 << 16})
	})
}

// FuzzHex parses arbitrary hex string bodies.
func FuzzHex(f *testing.F) {
	for _, s := range []string{`4D 5A ?? 9? ~00 [2-4] ( 01 | 02 03 ) [-] FF`, `01 [0-300] 02`, `( AA | BB CC ) DD`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		n, err := ParseHex(body)
		if err == nil {
			ForwardLen(n, []byte("MZ\x90\x01\x00\x00\x01\x02\x03\xff"), 0, true, &Budget{N: 1 << 16})
		}
	})
}
