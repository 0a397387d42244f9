// Package re is medshield's byte-oriented pattern engine for YARA regular
// expressions and hex strings. Patterns are parsed into a small syntax tree
// whose leaves are byte classes (never runes: \xE8 is the byte 0xE8), and
// matched by simulating the pattern on sets of positions held in bitsets, so
// the cost of one match attempt is bounded by the pattern size times the
// window size (at most WindowLimit bytes, like YARA's RE_SCAN_LIMIT) and
// never explodes the way a backtracking engine can.
//
// It does not pick atoms or search whole files; the yara package does that
// and calls this package to verify candidates. It imports nothing from the
// rest of medshield and may be imported by any engine package.
package re

import (
	"fmt"
	"math/bits"
	"strings"
)

// WindowLimit is how far a match may extend from its anchor in either
// direction, like YARA's RE_SCAN_LIMIT.
const WindowLimit = 4096

// MaxRepeat is the largest repeat bound accepted ({n,m}), like YARA's
// RE_MAX_RANGE.
const MaxRepeat = 32767

// maxDepth bounds nesting so that hostile patterns cannot exhaust the stack.
const maxDepth = 200

// Op is the kind of a Node.
type Op uint8

// Node kinds.
const (
	OpClass    Op = iota + 1 // one byte from Class
	OpConcat                 // Subs in sequence
	OpAlt                    // one of Subs
	OpRepeat                 // Subs[0] repeated Min..Max times (Max<0: unbounded)
	OpBegin                  // start of data
	OpEnd                    // end of data
	OpWordB                  // word boundary
	OpNotWordB               // not a word boundary
	OpEmpty                  // matches the empty string
)

// Class is a set of bytes.
type Class [4]uint64

// Has reports whether b is in the class.
func (c *Class) Has(b byte) bool { return c[b>>6]&(1<<(b&63)) != 0 }

// Add adds b.
func (c *Class) Add(b byte) { c[b>>6] |= 1 << (b & 63) }

// AddRange adds lo..hi inclusive.
func (c *Class) AddRange(lo, hi byte) {
	for i := int(lo); i <= int(hi); i++ {
		c.Add(byte(i))
	}
}

// Count is the number of bytes in the class.
func (c *Class) Count() int {
	return bits.OnesCount64(c[0]) + bits.OnesCount64(c[1]) + bits.OnesCount64(c[2]) + bits.OnesCount64(c[3])
}

// Negate complements the class.
func (c *Class) Negate() {
	for i := range c {
		c[i] = ^c[i]
	}
}

// Union adds every byte of o.
func (c *Class) Union(o *Class) {
	for i := range c {
		c[i] |= o[i]
	}
}

// First returns the smallest member (0 for an empty class).
func (c *Class) First() byte {
	for i, w := range c {
		if w != 0 {
			return byte(i*64 + bits.TrailingZeros64(w))
		}
	}
	return 0
}

// Bytes lists the members in increasing order.
func (c *Class) Bytes() []byte {
	out := make([]byte, 0, c.Count())
	for i, w := range c {
		for w != 0 {
			out = append(out, byte(i*64+bits.TrailingZeros64(w)))
			w &= w - 1
		}
	}
	return out
}

// FoldCase adds the other case of every ASCII letter.
func (c *Class) FoldCase() {
	for b := 'A'; b <= 'Z'; b++ {
		if c.Has(byte(b)) || c.Has(byte(b+32)) {
			c.Add(byte(b))
			c.Add(byte(b + 32))
		}
	}
}

// Node is a pattern syntax tree node.
type Node struct {
	Op     Op
	Class  Class
	Subs   []*Node
	Min    int
	Max    int // -1: unbounded
	Greedy bool
	WideB  bool // OpWordB/OpNotWordB: characters are 2 bytes (wide strings)
}

// Lit returns a node matching exactly b.
func Lit(b byte) *Node {
	n := &Node{Op: OpClass}
	n.Class.Add(b)
	return n
}

// Any returns a node matching every byte.
func Any() *Node {
	n := &Node{Op: OpClass}
	n.Class.Negate()
	return n
}

// Concat returns the concatenation of subs, flattened.
func Concat(subs ...*Node) *Node {
	var out []*Node
	for _, s := range subs {
		if s.Op == OpConcat {
			out = append(out, s.Subs...)
		} else if s.Op != OpEmpty {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return &Node{Op: OpEmpty}
	}
	if len(out) == 1 {
		return out[0]
	}
	return &Node{Op: OpConcat, Subs: out}
}

// Seq returns the top-level sequence of n (n itself when it is not a concat).
func (n *Node) Seq() []*Node {
	if n.Op == OpConcat {
		return n.Subs
	}
	if n.Op == OpEmpty {
		return nil
	}
	return []*Node{n}
}

// Reverse returns the pattern that matches the reversed strings, used to
// match backwards from an atom. Begin and End swap.
func (n *Node) Reverse() *Node {
	switch n.Op {
	case OpConcat:
		subs := make([]*Node, len(n.Subs))
		for i, s := range n.Subs {
			subs[len(n.Subs)-1-i] = s.Reverse()
		}
		return &Node{Op: OpConcat, Subs: subs}
	case OpAlt, OpRepeat:
		c := *n
		c.Subs = make([]*Node, len(n.Subs))
		for i, s := range n.Subs {
			c.Subs[i] = s.Reverse()
		}
		return &c
	case OpBegin:
		return &Node{Op: OpEnd}
	case OpEnd:
		return &Node{Op: OpBegin}
	}
	return n
}

// Map returns a copy of n with every class node replaced by f(class).
func (n *Node) Map(f func(*Node) *Node) *Node {
	switch n.Op {
	case OpClass:
		return f(n)
	case OpConcat, OpAlt, OpRepeat:
		c := *n
		c.Subs = make([]*Node, len(n.Subs))
		for i, s := range n.Subs {
			c.Subs[i] = s.Map(f)
		}
		if c.Op == OpConcat {
			return Concat(c.Subs...)
		}
		return &c
	}
	return n
}

// Wide returns the pattern for UTF-16LE-style text: every byte followed by
// a zero byte.
func (n *Node) Wide() *Node {
	w := n.Map(func(c *Node) *Node { return Concat(c, Lit(0)) })
	return w.markWide()
}

func (n *Node) markWide() *Node {
	switch n.Op {
	case OpWordB, OpNotWordB:
		c := *n
		c.WideB = true
		return &c
	case OpConcat, OpAlt, OpRepeat:
		c := *n
		c.Subs = make([]*Node, len(n.Subs))
		for i, s := range n.Subs {
			c.Subs[i] = s.markWide()
		}
		return &c
	}
	return n
}

// Nocase returns the pattern with ASCII letters matching both cases.
func (n *Node) Nocase() *Node {
	return n.Map(func(c *Node) *Node {
		d := *c
		d.Class.FoldCase()
		return &d
	})
}

// MinLen and MaxLen give the length range of matches (MaxLen -1: unbounded).
func (n *Node) MinLen() int {
	switch n.Op {
	case OpClass:
		return 1
	case OpConcat:
		t := 0
		for _, s := range n.Subs {
			t += s.MinLen()
		}
		return t
	case OpAlt:
		m := -1
		for _, s := range n.Subs {
			if l := s.MinLen(); m < 0 || l < m {
				m = l
			}
		}
		if m < 0 {
			m = 0
		}
		return m
	case OpRepeat:
		return n.Min * n.Subs[0].MinLen()
	}
	return 0
}

// MaxLen is the longest possible match, -1 when unbounded.
func (n *Node) MaxLen() int {
	switch n.Op {
	case OpClass:
		return 1
	case OpConcat:
		t := 0
		for _, s := range n.Subs {
			l := s.MaxLen()
			if l < 0 {
				return -1
			}
			t += l
		}
		return t
	case OpAlt:
		m := 0
		for _, s := range n.Subs {
			l := s.MaxLen()
			if l < 0 {
				return -1
			}
			m = max(m, l)
		}
		return m
	case OpRepeat:
		l := n.Subs[0].MaxLen()
		if n.Max < 0 {
			if l == 0 {
				return 0
			}
			return -1
		}
		if l < 0 {
			return -1
		}
		return l * n.Max
	}
	return 0
}

// HasLazy reports whether the pattern has a non-greedy repeat.
func (n *Node) HasLazy() bool {
	if n.Op == OpRepeat && !n.Greedy {
		return true
	}
	for _, s := range n.Subs {
		if s.HasLazy() {
			return true
		}
	}
	return false
}

// String renders the node for debugging and tests.
func (n *Node) String() string {
	var sb strings.Builder
	n.write(&sb)
	return sb.String()
}

func (n *Node) write(sb *strings.Builder) {
	switch n.Op {
	case OpClass:
		cnt := n.Class.Count()
		switch {
		case cnt == 256:
			sb.WriteString(".")
		case cnt == 1:
			fmt.Fprintf(sb, "%02x", n.Class.Bytes()[0])
		default:
			sb.WriteString("[")
			for _, b := range n.Class.Bytes() {
				fmt.Fprintf(sb, "%02x", b)
			}
			sb.WriteString("]")
		}
	case OpConcat:
		for i, s := range n.Subs {
			if i > 0 {
				sb.WriteString(" ")
			}
			s.write(sb)
		}
	case OpAlt:
		sb.WriteString("(")
		for i, s := range n.Subs {
			if i > 0 {
				sb.WriteString("|")
			}
			s.write(sb)
		}
		sb.WriteString(")")
	case OpRepeat:
		sb.WriteString("(")
		n.Subs[0].write(sb)
		fmt.Fprintf(sb, "){%d,%d}", n.Min, n.Max)
		if !n.Greedy {
			sb.WriteString("?")
		}
	case OpBegin:
		sb.WriteString("^")
	case OpEnd:
		sb.WriteString("$")
	case OpWordB:
		sb.WriteString(`\b`)
	case OpNotWordB:
		sb.WriteString(`\B`)
	case OpEmpty:
		sb.WriteString("()")
	}
}
