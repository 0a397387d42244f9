package sigma

import (
	"strings"
)

// evalCtx caches what rules read from one event: each field is fetched,
// rendered and case-folded at most once whatever the number of rules.
type evalCtx struct {
	ev       Event
	gen      uint32
	slots    []slot
	names    []string // field id -> name
	kwGen    uint32
	kw       []string // every value of the event, folded (keyword search)
	kwRaw    []string
	kwJoined string // kw joined with "\n": one substring search for all values
	kwDashed string // kwJoined with windash folding, made on demand
	kwHasDsh bool
	kwHasLow bool
	kwFilt   bigramFilter // of kwJoined
	kwHasF   bool
	active   []uint32 // compiled id -> generation in which the prefilter let it through
}

type slot struct {
	gen     uint32
	present bool
	null    bool
	hasLow  bool
	hasDash bool
	// bigram filters of the folded and dash-folded views, built on
	// first use by a contains test (filt[0] folded, filt[1] dashed)
	hasFilt [2]bool
	filt    [2]bigramFilter
	long    int8 // 0 unknown, 1 values long enough to filter, -1 not
	raw     []string
	low     []string
	dash    []string
}

func (c *evalCtx) reset(ev Event, nfields int) {
	c.ev = ev
	c.gen++
	if c.gen == 0 { // wrapped: clear stale generations
		for i := range c.slots {
			c.slots[i].gen = 0
		}
		clear(c.active)
		c.gen = 1
		c.kwGen = 0
	}
	if len(c.slots) < nfields {
		c.slots = append(c.slots, make([]slot, nfields-len(c.slots))...)
	}
}

func (c *evalCtx) slot(id int) *slot {
	s := &c.slots[id]
	if s.gen == c.gen {
		return s
	}
	s.gen = c.gen
	s.hasLow, s.hasDash = false, false
	s.hasFilt = [2]bool{}
	s.long = 0
	s.raw = s.raw[:0]
	v, ok := c.ev.Get(c.names[id])
	s.present = ok
	s.null = false
	if ok {
		s.raw, s.null = toStrings(v, s.raw)
	}
	return s
}

func (s *slot) folded() []string {
	if !s.hasLow {
		s.low = s.low[:0]
		for _, r := range s.raw {
			s.low = append(s.low, fold(r))
		}
		s.hasLow = true
	}
	return s.low
}

func (s *slot) dashed() []string {
	if !s.hasDash {
		s.dash = s.dash[:0]
		for _, r := range s.folded() {
			s.dash = append(s.dash, dashFold(r))
		}
		s.hasDash = true
	}
	return s.dash
}

// keywords returns every string value of the event, raw, and (for
// substring search) folded and joined with "\n".
func (c *evalCtx) keywords() (raw []string, joined string) {
	if c.kwGen != c.gen {
		c.kwGen = c.gen
		c.kwRaw = c.kwRaw[:0]
		if sr, ok := c.ev.(stringRanger); ok {
			sr.RangeStrings(func(_, v string) bool {
				c.kwRaw = append(c.kwRaw, v)
				return true
			})
		} else {
			c.ev.Range(func(_ string, v any) bool {
				c.kwRaw, _ = toStrings(v, c.kwRaw)
				return true
			})
		}
		c.kwJoined = fold(strings.Join(c.kwRaw, "\n"))
		c.kw = c.kw[:0]
		c.kwHasLow, c.kwHasDsh, c.kwHasF = false, false, false
	}
	return c.kwRaw, c.kwJoined
}

// keywordsFolded returns every value folded, one by one.
func (c *evalCtx) keywordsFolded() []string {
	if !c.kwHasLow {
		for _, r := range c.kwRaw {
			c.kw = append(c.kw, fold(r))
		}
		c.kwHasLow = true
	}
	return c.kw
}

// node is a compiled condition.
type node interface{ eval(c *evalCtx) bool }

type andNode []node
type orNode []node
type notNode struct{ x node }
type constNode bool

func (n andNode) eval(c *evalCtx) bool {
	for _, x := range n {
		if !x.eval(c) {
			return false
		}
	}
	return true
}

func (n orNode) eval(c *evalCtx) bool {
	for _, x := range n {
		if x.eval(c) {
			return true
		}
	}
	return false
}

func (n notNode) eval(c *evalCtx) bool  { return !n.x.eval(c) }
func (n constNode) eval(*evalCtx) bool  { return bool(n) }
func (n *selNode) eval(c *evalCtx) bool { return orNode(n.groups).eval(c) }

// selNode is a search identifier: OR over AND-groups of tests.
type selNode struct {
	name   string
	groups []node
}

// view selects which rendering of a field a test reads.
type view uint8

const (
	viewFolded view = iota
	viewRaw
	viewDash
	viewDashRaw
)

func values(s *slot, v view) []string {
	switch v {
	case viewRaw:
		return s.raw
	case viewDash:
		return s.dashed()
	case viewDashRaw:
		out := make([]string, len(s.raw))
		for i, r := range s.raw {
			out[i] = dashFold(r)
		}
		return out
	}
	return s.folded()
}
