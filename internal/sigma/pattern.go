package sigma

import (
	"strings"
	"unicode/utf8"
)

// seg is one piece of a Sigma string: a literal, or a * or ? wildcard.
type seg struct {
	wild byte // 0 for a literal, '*' or '?'
	lit  string
}

// pattern is a Sigma string after escape processing.
type pattern []seg

// parsePattern reads a Sigma string value: * and ? are wildcards, and a
// backslash escapes *, ? and itself; any other backslash is literal (spec
// v2.1.0, "Escape Character").
func parsePattern(s string) pattern {
	var p pattern
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p = append(p, seg{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\') {
				lit.WriteByte(s[i+1])
				i++
			} else {
				lit.WriteByte('\\')
			}
		case '*', '?':
			flush()
			if c == '*' && len(p) > 0 && p[len(p)-1].wild == '*' {
				continue // ** is *
			}
			p = append(p, seg{wild: c})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return p
}

func literal(s string) pattern {
	if s == "" {
		return pattern{}
	}
	return pattern{{lit: s}}
}

// plain returns the literal text and true when p has no wildcard.
func (p pattern) plain() (string, bool) {
	var b strings.Builder
	for _, s := range p {
		if s.wild != 0 {
			return "", false
		}
		b.WriteString(s.lit)
	}
	return b.String(), true
}

func (p pattern) wrap(star1, star2 bool) pattern {
	var out pattern
	if star1 && (len(p) == 0 || p[0].wild != '*') {
		out = append(out, seg{wild: '*'})
	}
	out = append(out, p...)
	if star2 && (len(out) == 0 || out[len(out)-1].wild != '*') {
		out = append(out, seg{wild: '*'})
	}
	return out
}

func (p pattern) mapLit(f func(string) string) pattern {
	out := make(pattern, len(p))
	for i, s := range p {
		out[i] = s
		if s.wild == 0 {
			out[i].lit = f(s.lit)
		}
	}
	return out
}

// strOp is how a compiled string pattern is tested.
type strOp uint8

const (
	opEq strOp = iota
	opPrefix
	opSuffix
	opContains
	opAny // "*": any value
	opGlob
)

// strMatcher tests one (already case-folded as needed) value.
type strMatcher struct {
	op    strOp
	s     string
	glob  pattern
	pairs []uint32 // bigram hashes of s, for opContains on long values
}

func newStrMatcher(p pattern) strMatcher {
	n := len(p)
	switch {
	case n == 0:
		return strMatcher{op: opEq}
	case n == 1 && p[0].wild == 0:
		return strMatcher{op: opEq, s: p[0].lit}
	case n == 1 && p[0].wild == '*':
		return strMatcher{op: opAny}
	case n == 2 && p[0].wild == 0 && p[1].wild == '*':
		return strMatcher{op: opPrefix, s: p[0].lit}
	case n == 2 && p[0].wild == '*' && p[1].wild == 0:
		return strMatcher{op: opSuffix, s: p[1].lit}
	case n == 3 && p[0].wild == '*' && p[1].wild == 0 && p[2].wild == '*':
		return strMatcher{op: opContains, s: p[1].lit, pairs: needlePairs(p[1].lit)}
	}
	return strMatcher{op: opGlob, glob: p}
}

func (m *strMatcher) match(v string) bool {
	switch m.op {
	case opEq:
		return v == m.s
	case opPrefix:
		return strings.HasPrefix(v, m.s)
	case opSuffix:
		return strings.HasSuffix(v, m.s)
	case opContains:
		return strings.Contains(v, m.s)
	case opAny:
		return true
	}
	return globMatch(m.glob, v)
}

// globMatch matches v against a pattern with * and ?. It backtracks only to
// the most recent *, so it runs in O(len(p)*len(v)) at worst.
func globMatch(p pattern, v string) bool {
	pi, vi := 0, 0
	starP, starV := -1, 0
	for {
		if pi < len(p) {
			s := p[pi]
			switch s.wild {
			case '*':
				starP, starV = pi, vi
				pi++
				continue
			case '?':
				if vi < len(v) {
					_, w := utf8.DecodeRuneInString(v[vi:])
					vi += w
					pi++
					continue
				}
			default:
				if strings.HasPrefix(v[vi:], s.lit) {
					vi += len(s.lit)
					pi++
					continue
				}
			}
		} else if vi == len(v) {
			return true
		}
		if starP < 0 || starV >= len(v) {
			return false
		}
		// Let the last * swallow one more rune and retry from there.
		_, w := utf8.DecodeRuneInString(v[starV:])
		starV += w
		pi, vi = starP+1, starV
	}
}

// fold lower-cases s for case-insensitive comparison. Invalid UTF-8 (from
// utf16 or binary values) is folded byte-wise in ASCII only, so that bytes
// are never replaced.
func fold(s string) string {
	ascii, upper := true, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
		if 'A' <= c && c <= 'Z' {
			upper = true
		}
	}
	if ascii {
		if !upper {
			return s
		}
		b := []byte(s)
		for i, c := range b {
			if 'A' <= c && c <= 'Z' {
				b[i] = c + 'a' - 'A'
			}
		}
		return string(b)
	}
	if utf8.ValidString(s) {
		return strings.ToLower(s)
	}
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// windashChars are the characters the windash modifier treats as equal.
const windashChars = "-/\u2013\u2014\u2015"

// dashFold maps every windash character to '-'. Folding both the rule value
// and the event value is equivalent to expanding every permutation.
func dashFold(s string) string {
	if !strings.ContainsAny(s, windashChars) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r == '/' || r == '\u2013' || r == '\u2014' || r == '\u2015' {
			r = '-'
		}
		b.WriteRune(r)
	}
	return b.String()
}
