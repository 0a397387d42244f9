package re

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseHex parses the body of a YARA hex string (between the braces):
// bytes, ?? and nibble wildcards, ~ negation, jumps [n], [n-m], [n-], [-]
// and alternatives ( a | b ). Jumps are lazy, as in YARA.
func ParseHex(body string) (n *Node, err error) {
	p := &hexParser{s: stripComments(body)}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok {
				panic(r)
			}
			n, err = nil, e
		}
	}()
	n = p.alts(0)
	p.skipSpace()
	if p.i < len(p.s) {
		p.fail("unexpected %q", p.s[p.i])
	}
	if err := checkHexEnds(n); err != nil {
		return nil, err
	}
	return n, nil
}

func stripComments(s string) string {
	if !strings.Contains(s, "/") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '/' && i+1 < len(s) && s[i+1] == '/' {
			for i < len(s) && s[i] != '\n' {
				i++
			}
			b.WriteByte(' ')
			continue
		}
		if s[i] == '/' && i+1 < len(s) && s[i+1] == '*' {
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return b.String() + " /"
			}
			i += j + 3
			b.WriteByte(' ')
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

type hexParser struct {
	s     string
	i     int
	depth int
}

func (p *hexParser) fail(format string, args ...any) {
	panic(&Error{Offset: p.i, Msg: fmt.Sprintf(format, args...)})
}

func (p *hexParser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *hexParser) alts(depth int) *Node {
	if depth > maxDepth {
		p.fail("nesting too deep")
	}
	var alts []*Node
	for {
		seq := p.seq(depth)
		if seq.Op == OpEmpty {
			p.fail("empty alternative")
		}
		alts = append(alts, seq)
		p.skipSpace()
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

func (p *hexParser) seq(depth int) *Node {
	var items []*Node
	for {
		p.skipSpace()
		if p.i >= len(p.s) {
			break
		}
		c := p.s[p.i]
		switch {
		case c == '|' || c == ')':
			return Concat(items...)
		case c == '(':
			p.i++
			n := p.alts(depth + 1)
			p.skipSpace()
			if p.i >= len(p.s) || p.s[p.i] != ')' {
				p.fail("missing closing parenthesis")
			}
			p.i++
			if depth > 0 || true {
				if err := checkHexEnds(n); err != nil {
					panic(err)
				}
			}
			items = append(items, n)
		case c == '[':
			items = append(items, p.jump(depth))
		case c == '~':
			p.i++
			n := p.byteTok()
			n.Class.Negate()
			items = append(items, n)
		default:
			items = append(items, p.byteTok())
		}
	}
	return Concat(items...)
}

func (p *hexParser) byteTok() *Node {
	if p.i+2 > len(p.s) {
		p.fail("incomplete byte")
	}
	hi, lo := p.s[p.i], p.s[p.i+1]
	if !(isHex(hi) || hi == '?') || !(isHex(lo) || lo == '?') {
		p.fail("invalid byte %q", p.s[p.i:p.i+2])
	}
	p.i += 2
	n := &Node{Op: OpClass}
	if hi != '?' && lo != '?' {
		n.Class.Add(byte(hexVal(hi)<<4 | hexVal(lo)))
		return n
	}
	for v := 0; v < 256; v++ {
		if nib(hi, v>>4) && nib(lo, v&15) {
			n.Class.Add(byte(v))
		}
	}
	return n
}

func nib(c byte, v int) bool {
	if c == '?' {
		return true
	}
	return hexVal(c) == v
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func (p *hexParser) jump(depth int) *Node {
	start := p.i
	end := strings.IndexByte(p.s[p.i:], ']')
	if end < 0 {
		p.fail("missing ']'")
	}
	body := strings.ReplaceAll(p.s[p.i+1:p.i+end], " ", "")
	body = strings.ReplaceAll(body, "\t", "")
	p.i += end + 1
	var lo, hi int
	var err error
	if k := strings.IndexByte(body, '-'); k >= 0 {
		if k == 0 {
			lo = 0
		} else if lo, err = strconv.Atoi(body[:k]); err != nil {
			p.i = start
			p.fail("invalid jump %q", body)
		}
		if k == len(body)-1 {
			hi = -1
		} else if hi, err = strconv.Atoi(body[k+1:]); err != nil {
			p.i = start
			p.fail("invalid jump %q", body)
		}
	} else {
		if lo, err = strconv.Atoi(body); err != nil {
			p.i = start
			p.fail("invalid jump %q", body)
		}
		hi = lo
	}
	if lo < 0 || (hi >= 0 && hi < lo) || hi == 0 {
		p.i = start
		p.fail("invalid jump %q", body)
	}
	if hi < 0 && depth > 0 {
		p.i = start
		p.fail("unbounded jumps are not allowed inside alternatives")
	}
	if lo > MaxRepeat*4 || hi > MaxRepeat*4 {
		p.i = start
		p.fail("jump too large")
	}
	return &Node{Op: OpRepeat, Subs: []*Node{Any()}, Min: lo, Max: hi, Greedy: false}
}

// checkHexEnds rejects hex strings and alternatives that begin or end with a
// jump, as YARA does.
func checkHexEnds(n *Node) error {
	var check func(n *Node) error
	check = func(n *Node) error {
		if n.Op == OpAlt {
			for _, s := range n.Subs {
				if err := check(s); err != nil {
					return err
				}
			}
			return nil
		}
		seq := n.Seq()
		if len(seq) == 0 {
			return &Error{Msg: "empty hex string"}
		}
		if seq[0].Op == OpRepeat || seq[len(seq)-1].Op == OpRepeat {
			return &Error{Msg: "hex string or alternative starts or ends with a jump"}
		}
		return nil
	}
	return check(n)
}
