package re

import "math/bits"

// Set is a set of positions 0..n in a View, as a bitset.
type Set []uint64

// NewSet returns an empty set for positions 0..n.
func NewSet(n int) Set { return make(Set, n/64+1) }

// Add adds position i.
func (s Set) Add(i int) { s[i>>6] |= 1 << (uint(i) & 63) }

// Has reports whether position i is in the set.
func (s Set) Has(i int) bool { return i>>6 < len(s) && s[i>>6]&(1<<(uint(i)&63)) != 0 }

// Empty reports whether the set has no position.
func (s Set) Empty() bool {
	for _, w := range s {
		if w != 0 {
			return false
		}
	}
	return true
}

// Each calls f for each position in increasing order.
func (s Set) Each(f func(i int)) {
	for wi, w := range s {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			f(wi*64 + t)
			w &= w - 1
		}
	}
}

// Min returns the smallest position, or -1.
func (s Set) Min() int {
	for wi, w := range s {
		if w != 0 {
			return wi*64 + bits.TrailingZeros64(w)
		}
	}
	return -1
}

// Max returns the largest position, or -1.
func (s Set) Max() int {
	for wi := len(s) - 1; wi >= 0; wi-- {
		if w := s[wi]; w != 0 {
			return wi*64 + 63 - bits.LeadingZeros64(w)
		}
	}
	return -1
}

func (s Set) addRange(lo, hi int) {
	for i := lo; i <= hi; {
		if i&63 == 0 && i+63 <= hi {
			s[i>>6] = ^uint64(0)
			i += 64
			continue
		}
		s.Add(i)
		i++
	}
}

// View is the input of a match: the bytes in the direction of matching and
// the bytes just outside (for \b), plus where data starts and ends.
type View struct {
	B      []byte
	Before int // byte before B[0], -1 if none
	After  int // byte after B[len(B)-1], -1 if none
	// BeginAt and EndAt are the view positions equal to the start and end
	// of the scanned data, or -1 when outside the view.
	BeginAt, EndAt int
	// Data, Base and Rev locate the view in the scanned data, for word
	// boundaries: view position i is data offset Base+i, or Base-i if Rev.
	// When Data is nil, boundaries use B, Before and After.
	Data []byte
	Base int
	Rev  bool
}

// Budget bounds the work of one match: it is decremented per step and the
// match gives up (no match) when it reaches zero.
type Budget struct {
	N     int
	arena []uint64 // scratch for position sets, reused across matches
	used  int
}

// alloc returns a zeroed set of n words from the budget's arena. Sets live
// until the next top-level Run on the same Budget.
func (b *Budget) alloc(n int) Set {
	if b == nil {
		return make(Set, n)
	}
	if b.used+n > len(b.arena) {
		size := 2 * len(b.arena)
		if size < 4096 {
			size = 4096
		}
		for size < n {
			size *= 2
		}
		b.arena = make([]uint64, size)
		b.used = 0
	}
	s := Set(b.arena[b.used : b.used+n : b.used+n])
	b.used += n
	for i := range s {
		s[i] = 0
	}
	return s
}

type matcher struct {
	v      *View
	n      int // len(v.B)
	budget *Budget
	hitEnd bool // some thread wanted a byte past the view
}

// Run returns the set of end positions reachable from the start positions
// in start by matching n on v. start is not modified.
func Run(n *Node, v *View, start Set, budget *Budget) Set {
	m := &matcher{v: v, n: len(v.B), budget: budget}
	if budget != nil {
		budget.used = 0
	}
	s := m.alloc(len(start))
	copy(s, start)
	return m.run(n, s)
}

func (m *matcher) alloc(n int) Set { return m.budget.alloc(n) }

func (m *matcher) spend(k int) bool {
	if m.budget == nil {
		return true
	}
	m.budget.N -= k
	return m.budget.N > 0
}

func (m *matcher) wordAt(i int) bool {
	var b int
	if i < 0 {
		b = m.v.Before
	} else if i >= m.n {
		b = m.v.After
	} else {
		b = int(m.v.B[i])
	}
	return b >= 0 && IsWordByte(byte(b))
}

// boundary reports a word boundary at view position i. Like YARA, the
// start and the end of the data count as boundaries, and in wide strings a
// word character is an alphanumeric byte followed by a zero byte.
func (m *matcher) boundary(i int, wide bool) bool {
	d := m.v.Data
	if d == nil {
		return m.wordAt(i-1) != m.wordAt(i)
	}
	o := m.v.Base + i
	if m.v.Rev {
		o = m.v.Base - i
	}
	step := 1
	if wide {
		step = 2
	}
	if o < step || o >= len(d) {
		return true
	}
	w := func(x int) bool {
		if !IsWordByte(d[x]) {
			return false
		}
		return !wide || x+1 < len(d) && d[x+1] == 0
	}
	return w(o) != w(o-step)
}

// run consumes s (it may be overwritten) and returns the end set.
func (m *matcher) run(n *Node, s Set) Set {
	if !m.spend(len(s)) {
		return clear(s)
	}
	switch n.Op {
	case OpEmpty:
		return s
	case OpClass:
		out := m.alloc(len(s))
		b := m.v.B
		s.Each(func(i int) {
			if i >= m.n {
				m.hitEnd = true
			} else if n.Class.Has(b[i]) {
				out.Add(i + 1)
			}
		})
		return out
	case OpConcat:
		for _, sub := range n.Subs {
			s = m.run(sub, s)
			if s.Empty() {
				return s
			}
		}
		return s
	case OpAlt:
		out := m.alloc(len(s))
		for _, sub := range n.Subs {
			c := m.alloc(len(s))
			copy(c, s)
			r := m.run(sub, c)
			for i := range out {
				out[i] |= r[i]
			}
		}
		return out
	case OpRepeat:
		return m.repeat(n, s)
	case OpBegin:
		return keepOnly(s, m.v.BeginAt)
	case OpEnd:
		return keepOnly(s, m.v.EndAt)
	case OpWordB, OpNotWordB:
		want := n.Op == OpWordB
		out := m.alloc(len(s))
		s.Each(func(i int) {
			if m.boundary(i, n.WideB) == want {
				out.Add(i)
			}
		})
		return out
	}
	return clear(s)
}

func clear(s Set) Set {
	for i := range s {
		s[i] = 0
	}
	return s
}

func keepOnly(s Set, pos int) Set {
	keep := pos >= 0 && s.Has(pos)
	clear(s)
	if keep {
		s.Add(pos)
	}
	return s
}

func (m *matcher) repeat(n *Node, s Set) Set {
	sub := n.Subs[0]
	if sub.Op == OpClass && sub.Class.Count() == 256 {
		return m.jump(n, s)
	}
	if sub.Op == OpClass {
		return m.classRepeat(n, s)
	}
	for k := 0; k < n.Min; k++ {
		s = m.run(sub, s)
		if s.Empty() {
			return s
		}
	}
	acc := m.alloc(len(s))
	copy(acc, s)
	cur := s
	for k := n.Min; n.Max < 0 || k < n.Max; k++ {
		cur = m.run(sub, cur)
		changed := false
		for i := range cur {
			nw := cur[i] &^ acc[i]
			cur[i] = nw
			if nw != 0 {
				changed = true
				acc[i] |= nw
			}
		}
		if !changed {
			break
		}
	}
	return acc
}

// classRepeat handles a repeated byte class by walking runs directly.
func (m *matcher) classRepeat(n *Node, s Set) Set {
	out := m.alloc(len(s))
	c := &n.Subs[0].Class
	b := m.v.B
	s.Each(func(i int) {
		j, k := i, 0
		for ; k < n.Min; k++ {
			if j >= m.n {
				m.hitEnd = true
				return
			}
			if !c.Has(b[j]) {
				return
			}
			j++
		}
		out.Add(j)
		for (n.Max < 0 || k < n.Max) && j < m.n && c.Has(b[j]) {
			j++
			k++
			out.Add(j)
		}
		if j >= m.n && (n.Max < 0 || k < n.Max) {
			m.hitEnd = true
		}
	})
	return out
}

// jump handles .{lo,hi} over any byte (hex jumps) with range operations.
func (m *matcher) jump(n *Node, s Set) Set {
	out := m.alloc(len(s))
	lo := n.Min
	hi := n.Max
	s.Each(func(i int) {
		a := i + lo
		b := m.n
		if hi >= 0 && i+hi < b {
			b = i + hi
		} else {
			m.hitEnd = true
		}
		if a <= b {
			out.addRange(a, b)
		}
	})
	return out
}

// runFrom is Run with the single start position 0; it also reports
// whether the match was cut short by the end of the view.
func runFrom(n *Node, v *View, budget *Budget) (Set, bool) {
	m := &matcher{v: v, n: len(v.B), budget: budget}
	if budget != nil {
		budget.used = 0
	}
	s := m.alloc(len(v.B)/64 + 1)
	s.Add(0)
	out := m.run(n, s)
	return out, m.hitEnd
}

// shortWindow is tried first: most matches are short, and sets over a
// small window are much cheaper than over WindowLimit bytes.
const shortWindow = 128

// Matcher verifies a pattern anchored at one position, the way YARA's
// scanner does: forward from the atom, backwards for the part before it.
type Matcher struct {
	Fwd, Bwd *Node // Bwd is the reversed prefix, nil when empty
	Lazy     bool  // report the shortest forward match instead of the longest
}

// Forward returns the length of the match of m.Fwd starting at data[pos],
// or -1.
func (m *Matcher) Forward(data []byte, pos int, budget *Budget) int {
	return ForwardLen(m.Fwd, data, pos, m.Lazy, budget)
}

// ForwardLen matches n at data[pos:] and returns the match length (longest,
// or shortest when lazy), or -1.
func ForwardLen(n *Node, data []byte, pos int, lazy bool, budget *Budget) int {
	limit := min(len(data), pos+WindowLimit)
	for w := shortWindow; ; w = WindowLimit {
		end := min(limit, pos+w)
		v := View{B: data[pos:end], Before: -1, After: -1, BeginAt: -1, EndAt: -1, Data: data, Base: pos}
		if pos > 0 {
			v.Before = int(data[pos-1])
		} else {
			v.BeginAt = 0
		}
		if end < len(data) {
			v.After = int(data[end])
		} else {
			v.EndAt = end - pos
		}
		ends, cut := runFrom(n, &v, budget)
		if cut && end < limit {
			continue
		}
		if lazy {
			return ends.Min()
		}
		return ends.Max()
	}
}

// Starts returns the distances d such that m.Bwd matches data[pos-d:pos];
// with no backward part it returns just 0.
func (m *Matcher) Starts(data []byte, pos int, budget *Budget) Set {
	if m.Bwd == nil {
		s := NewSet(0)
		s.Add(0)
		return s
	}
	floor := max(0, pos-WindowLimit)
	for w := shortWindow; ; w = WindowLimit {
		begin := max(floor, pos-w)
		n := pos - begin
		rev := make([]byte, n)
		for i := 0; i < n; i++ {
			rev[i] = data[pos-1-i]
		}
		v := View{B: rev, Before: -1, After: -1, BeginAt: -1, EndAt: -1, Data: data, Base: pos, Rev: true}
		if pos < len(data) {
			v.Before = int(data[pos])
		} else {
			v.BeginAt = 0 // reversed: the end of data is where we begin
		}
		if begin > 0 {
			v.After = int(data[begin-1])
		} else {
			v.EndAt = n
		}
		// Reverse swapped '^' and '$', so OpBegin here is the end of data
		// and OpEnd the start of data.
		starts, cut := runFrom(m.Bwd, &v, budget)
		if cut && begin > floor {
			continue
		}
		return starts
	}
}
