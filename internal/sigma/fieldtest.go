package sigma

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The tests a selection is made of, one per "Field|modifiers: values".

// strTest matches a field's values against string patterns.
type strTest struct {
	field int
	view  view
	all   bool
	ms    []strMatcher
	set   *valueSet // equality and suffix needles (not with all)
}

func newStrTest(field int, v view, all bool, ms []strMatcher) *strTest {
	t := &strTest{field: field, view: v, all: all, ms: ms}
	if !all {
		t.set, t.ms = buildValueSet(ms)
	}
	return t
}

func (t *strTest) eval(c *evalCtx) bool {
	s := c.slot(t.field)
	if !s.present || len(s.raw) == 0 {
		return false
	}
	vs := values(s, t.view)
	if t.set != nil {
		for _, v := range vs {
			if t.set.match(v) {
				return true
			}
		}
	}
	f := s.filter(t.view, vs)
	if t.all {
		for i := range t.ms {
			if !matchFiltered(&t.ms[i], vs, f) {
				return false
			}
		}
		return true
	}
	for i := range t.ms {
		if matchFiltered(&t.ms[i], vs, f) {
			return true
		}
	}
	return false
}

// filter returns the slot's bigram filter for a view, or nil when the
// values are short or the view is not filtered.
func (s *slot) filter(v view, vs []string) *bigramFilter {
	if v != viewFolded && v != viewDash {
		return nil
	}
	if s.long == 0 {
		n := 0
		for _, x := range s.raw {
			n += len(x)
		}
		s.long = -1
		if n >= bigramMinValue {
			s.long = 1
		}
	}
	if s.long < 0 {
		return nil
	}
	i := 0
	if v == viewDash {
		i = 1
	}
	f := &s.filt[i]
	if !s.hasFilt[i] {
		n := 0
		for _, x := range vs {
			n += len(x)
		}
		f.reset(n)
		for _, x := range vs {
			f.add(x)
		}
		s.hasFilt[i] = true
	}
	return f
}

func matchFiltered(m *strMatcher, vs []string, f *bigramFilter) bool {
	if f != nil && m.pairs != nil && !f.mayContain(m.pairs) {
		return false
	}
	return anyValue(m, vs)
}

func anyValue(m *strMatcher, vs []string) bool {
	for _, v := range vs {
		if m.match(v) {
			return true
		}
	}
	return false
}

// keywordTest searches every value of the event.
type keywordTest struct {
	view view
	all  bool
	ms   []strMatcher
}

func (t *keywordTest) eval(c *evalCtx) bool {
	raw, joined := c.keywords()
	var vs []string
	values := func() []string {
		if vs != nil {
			return vs
		}
		switch t.view {
		case viewRaw:
			vs = raw
		case viewDash, viewDashRaw:
			src := c.keywordsFolded()
			if t.view == viewDashRaw {
				src = raw
			}
			vs = make([]string, len(src))
			for i, v := range src {
				vs[i] = dashFold(v)
			}
		default:
			vs = c.keywordsFolded()
		}
		return vs
	}
	switch t.view {
	case viewRaw, viewDashRaw:
		joined = ""
	case viewDash:
		if !c.kwHasDsh {
			c.kwDashed, c.kwHasDsh = dashFold(c.kwJoined), true
		}
		joined = c.kwDashed
	}
	for i := range t.ms {
		m := &t.ms[i]
		var hit bool
		if m.op == opContains && joined != "" && !strings.Contains(m.s, "\n") {
			// Searching the joined values once is the same as searching
			// each value: the needle has no separator in it.
			if t.view == viewFolded && m.pairs != nil {
				if !c.kwHasF {
					c.kwFilt.reset(len(joined))
					c.kwFilt.add(joined)
					c.kwHasF = true
				}
				if !c.kwFilt.mayContain(m.pairs) {
					if t.all {
						return false
					}
					continue
				}
			}
			hit = strings.Contains(joined, m.s)
		} else {
			hit = anyValue(m, values())
		}
		if hit != t.all {
			return hit
		}
	}
	return t.all
}

// nullTest is "Field: null": absent, null or empty.
type nullTest struct{ field int }

func (t *nullTest) eval(c *evalCtx) bool {
	s := c.slot(t.field)
	if !s.present || s.null {
		return true
	}
	for _, v := range s.raw {
		if v != "" {
			return false
		}
	}
	return true
}

type existsTest struct {
	field int
	want  bool
}

func (t *existsTest) eval(c *evalCtx) bool { return c.slot(t.field).present == t.want }

type reTest struct {
	field int // -1: keywords
	all   bool
	res   []*regexp.Regexp
	lits  []string // per regex, a literal every match contains ("" if none)
}

func (t *reTest) eval(c *evalCtx) bool {
	var vs []string
	if t.field < 0 {
		vs, _ = c.keywords()
	} else {
		s := c.slot(t.field)
		if !s.present {
			return false
		}
		vs = s.raw
	}
	for _, re := range t.res {
		hit := false
		for _, v := range vs {
			if re.MatchString(v) {
				hit = true
				break
			}
		}
		if hit != t.all {
			return hit
		}
	}
	return t.all
}

type cidrTest struct {
	field    int
	prefixes []netip.Prefix
}

func (t *cidrTest) eval(c *evalCtx) bool {
	s := c.slot(t.field)
	for _, v := range s.raw {
		a, err := netip.ParseAddr(strings.Trim(v, "[]"))
		if err != nil {
			continue
		}
		a = a.Unmap().WithZone("")
		for _, p := range t.prefixes {
			if p.Contains(a) {
				return true
			}
		}
	}
	return false
}

// numTest compares a field numerically (gt, gte, lt, lte); with a time
// part it compares that part of a date.
type numTest struct {
	field int
	op    string
	all   bool
	vals  []float64
	part  string // "", minute, hour, day, week, month, year
}

func (t *numTest) eval(c *evalCtx) bool {
	s := c.slot(t.field)
	if !s.present {
		return false
	}
	for _, want := range t.vals {
		hit := false
		for _, v := range s.raw {
			x, ok := t.number(v)
			if ok && compare(t.op, x, want) {
				hit = true
				break
			}
		}
		if hit != t.all {
			return hit
		}
	}
	return t.all
}

func (t *numTest) number(v string) (float64, bool) {
	if t.part != "" {
		tm, ok := ParseTime(v)
		if !ok {
			return 0, false
		}
		return float64(timePart(tm, t.part)), true
	}
	return parseNumber(v)
}

func parseNumber(v string) (float64, bool) {
	v = strings.TrimSpace(v)
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return f, true
	}
	if strings.HasPrefix(v, "0x") || strings.HasPrefix(v, "0X") {
		if n, err := strconv.ParseUint(v[2:], 16, 64); err == nil {
			return float64(n), true
		}
	}
	return 0, false
}

func timePart(t time.Time, part string) int {
	switch part {
	case "minute":
		return t.Minute()
	case "hour":
		return t.Hour()
	case "day":
		return t.Day()
	case "week":
		_, w := t.ISOWeek()
		return w
	case "month":
		return int(t.Month())
	}
	return t.Year()
}

func compare(op string, x, y float64) bool {
	switch op {
	case "gt":
		return x > y
	case "gte":
		return x >= y
	case "lt":
		return x < y
	case "lte":
		return x <= y
	case "neq":
		return x != y
	}
	return x == y
}

// fieldrefTest compares a field with another field of the same event.
type fieldrefTest struct {
	field, other int
	op           strOp
	cased        bool
}

func (t *fieldrefTest) eval(c *evalCtx) bool {
	a, b := c.slot(t.field), c.slot(t.other)
	if !a.present || !b.present {
		return false
	}
	av, bv := a.folded(), b.folded()
	if t.cased {
		av, bv = a.raw, b.raw
	}
	for _, x := range av {
		for _, y := range bv {
			m := strMatcher{op: t.op, s: y}
			if t.op == opEq {
				m.op = opEq
			}
			if m.match(x) {
				return true
			}
		}
	}
	return false
}
