package re

import (
	"fmt"
	"strconv"
)

// Flags change how a regular expression is parsed.
type Flags uint8

// Regular expression flags (YARA's /.../is).
const (
	Nocase Flags = 1 << iota // i: ASCII letters match both cases
	DotAll                   // s: '.' matches '\n' too
)

// Error is a regular expression syntax error.
type Error struct {
	Offset int // byte offset in the pattern
	Msg    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("invalid regular expression at offset %d: %s", e.Offset, e.Msg)
}

type parser struct {
	s     string
	i     int
	flags Flags
	depth int
}

// Parse parses a YARA regular expression (the text between the slashes).
// Every character is one byte; escapes such as \xE8 denote raw bytes.
func Parse(pattern string, flags Flags) (n *Node, err error) {
	p := &parser{s: pattern, flags: flags}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok {
				panic(r)
			}
			n, err = nil, e
		}
	}()
	n = p.alt()
	if p.i < len(p.s) {
		p.fail("unexpected %q", p.s[p.i])
	}
	return n, nil
}

func (p *parser) fail(format string, args ...any) {
	panic(&Error{Offset: p.i, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) alt() *Node {
	p.depth++
	if p.depth > maxDepth {
		p.fail("nesting too deep")
	}
	defer func() { p.depth-- }()
	var alts []*Node
	for {
		start := p.i
		c := p.concat()
		if c.Op == OpEmpty && len(alts) == 0 && p.i < len(p.s) && p.s[p.i] == '|' {
			// YARA rejects an empty first alternative: "(|abc)".
			p.i = start
			p.fail("empty alternative")
		}
		alts = append(alts, c)
		if p.i < len(p.s) && p.s[p.i] == '|' {
			p.i++
			continue
		}
		break
	}
	if len(alts) == 1 {
		return alts[0]
	}
	return &Node{Op: OpAlt, Subs: alts}
}

func (p *parser) concat() *Node {
	var items []*Node
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '|' || c == ')' {
			break
		}
		atom := p.atom()
		atom = p.quantifiers(atom)
		items = append(items, atom)
	}
	return Concat(items...)
}

func (p *parser) quantifiers(atom *Node) *Node {
	for p.i < len(p.s) {
		c := p.s[p.i]
		min, max := 0, 0
		switch c {
		case '*':
			min, max = 0, -1
			p.i++
		case '+':
			min, max = 1, -1
			p.i++
		case '?':
			min, max = 0, 1
			p.i++
		case '{':
			lo, hi, n, ok := parseRange(p.s[p.i:])
			if !ok {
				return atom
			}
			if lo > MaxRepeat || hi > MaxRepeat {
				p.fail("repeat interval too large")
			}
			if hi >= 0 && lo > hi {
				p.fail("bad repeat interval")
			}
			if hi == 0 {
				p.fail("bad repeat interval")
			}
			min, max = lo, hi
			p.i += n
		default:
			return atom
		}
		if isAssertion(atom) {
			p.fail("quantifier after assertion")
		}
		greedy := true
		if p.i < len(p.s) && p.s[p.i] == '?' {
			greedy = false
			p.i++
		}
		atom = &Node{Op: OpRepeat, Subs: []*Node{atom}, Min: min, Max: max, Greedy: greedy}
	}
	return atom
}

func isAssertion(n *Node) bool {
	switch n.Op {
	case OpBegin, OpEnd, OpWordB, OpNotWordB:
		return true
	}
	return false
}

// parseRange parses {n}, {n,}, {,m}, {n,m} at the start of s; hi is -1 when
// unbounded. ok is false when s does not start with a valid interval (then
// '{' is a literal, as in YARA).
func parseRange(s string) (lo, hi, n int, ok bool) {
	i := 1
	num := func() (int, bool) {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j {
			return 0, false
		}
		v, err := strconv.Atoi(s[j:i])
		if err != nil || v > 1<<30 {
			return 1 << 30, true
		}
		return v, true
	}
	a, hasA := num()
	if i < len(s) && s[i] == '}' {
		if !hasA {
			return 0, 0, 0, false
		}
		return a, a, i + 1, true
	}
	if i >= len(s) || s[i] != ',' {
		return 0, 0, 0, false
	}
	i++
	b, hasB := num()
	if i >= len(s) || s[i] != '}' {
		return 0, 0, 0, false
	}
	if !hasB {
		if !hasA {
			return 0, 0, 0, false
		}
		return a, -1, i + 1, true
	}
	return a, b, i + 1, true
}

func (p *parser) atom() *Node {
	c := p.s[p.i]
	switch c {
	case '(':
		p.i++
		if p.i+1 < len(p.s) && p.s[p.i] == '?' && p.s[p.i+1] == ':' {
			p.i += 2
		}
		n := p.alt()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			p.fail("missing closing parenthesis")
		}
		p.i++
		return n
	case '[':
		return p.class()
	case '.':
		p.i++
		n := Any()
		if p.flags&DotAll == 0 {
			n.Class[0] &^= 1 << '\n'
		}
		return n
	case '^':
		p.i++
		return &Node{Op: OpBegin}
	case '$':
		p.i++
		return &Node{Op: OpEnd}
	case '\\':
		return p.escape(false)
	case '*', '+', '?':
		p.fail("nothing to repeat")
	case '{':
		if _, _, _, ok := parseRange(p.s[p.i:]); ok {
			p.fail("nothing to repeat")
		}
	}
	p.i++
	n := Lit(c)
	p.fold(n)
	return n
}

// fold applies the i flag to a class before any negation, so that [^d]
// with nocase excludes both 'd' and 'D' as in YARA.
func (p *parser) fold(n *Node) {
	if p.flags&Nocase != 0 {
		n.Class.FoldCase()
	}
}

// escape parses a backslash escape; inClass limits it to byte classes.
func (p *parser) escape(inClass bool) *Node {
	p.i++ // backslash
	if p.i >= len(p.s) {
		p.fail("trailing backslash")
	}
	c := p.s[p.i]
	p.i++
	n := &Node{Op: OpClass}
	switch c {
	case 'x':
		if p.i+2 > len(p.s) || !isHex(p.s[p.i]) || !isHex(p.s[p.i+1]) {
			p.fail(`invalid \x escape`)
		}
		v, _ := strconv.ParseUint(p.s[p.i:p.i+2], 16, 8)
		p.i += 2
		n.Class.Add(byte(v))
	case 'n':
		n.Class.Add('\n')
	case 't':
		n.Class.Add('\t')
	case 'r':
		n.Class.Add('\r')
	case 'f':
		n.Class.Add('\f')
	case 'a':
		n.Class.Add('\a')
	case 'w', 'W':
		n.Class = wordClass
		if c == 'W' {
			n.Class.Negate()
		}
	case 's', 'S':
		n.Class = spaceClass
		if c == 'S' {
			n.Class.Negate()
		}
	case 'd', 'D':
		n.Class.AddRange('0', '9')
		if c == 'D' {
			n.Class.Negate()
		}
	case 'b', 'B':
		if inClass {
			// YARA reads \b in a class as a literal 'b'.
			n.Class.Add(c)
			break
		}
		if c == 'b' {
			return &Node{Op: OpWordB}
		}
		return &Node{Op: OpNotWordB}
	default:
		n.Class.Add(c)
	}
	p.fold(n)
	return n
}

var wordClass, spaceClass Class

func init() {
	wordClass.AddRange('a', 'z')
	wordClass.AddRange('A', 'Z')
	wordClass.AddRange('0', '9')
	wordClass.Add('_')
	for _, b := range []byte(" \t\n\r\v\f") {
		spaceClass.Add(b)
	}
}

// IsWordByte reports whether b is alphanumeric or '_'.
func IsWordByte(b byte) bool { return wordClass.Has(b) }

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func (p *parser) class() *Node {
	p.i++ // [
	n := &Node{Op: OpClass}
	neg := false
	if p.i < len(p.s) && p.s[p.i] == '^' {
		neg = true
		p.i++
	}
	first := true
	for {
		if p.i >= len(p.s) {
			p.fail("missing closing bracket")
		}
		c := p.s[p.i]
		if c == ']' && !first {
			p.i++
			break
		}
		first = false
		// One element: a byte or a class escape, maybe the start of a range.
		var lo byte
		single := true
		if c == '\\' {
			e := p.escape(true)
			if e.Class.Count() != 1 {
				n.Class.Union(&e.Class)
				continue
			}
			lo = e.Class.Bytes()[0]
		} else {
			lo = c
			p.i++
		}
		if single && p.i+1 < len(p.s) && p.s[p.i] == '-' && p.s[p.i+1] != ']' {
			p.i++
			var hi byte
			if p.s[p.i] == '\\' {
				e := p.escape(true)
				if e.Class.Count() != 1 {
					p.fail("bad character range")
				}
				hi = e.Class.Bytes()[0]
			} else {
				hi = p.s[p.i]
				p.i++
			}
			if hi < lo {
				p.fail("bad character range")
			}
			n.Class.AddRange(lo, hi)
			continue
		}
		n.Class.Add(lo)
	}
	p.fold(n)
	if neg {
		n.Class.Negate()
	}
	return n
}
