package sigma

import (
	resyntax "regexp/syntax"
	"strings"
	"unicode/utf8"
)

// The prefilter skips rules that cannot match an event without evaluating
// them. For each compiled rule it derives a necessary condition: a list of
// needles of which at least one must equal, or end (at a path separator)
// one value of a field — "Image|endswith: \rundll32.exe" or
// "OriginalFileName: RUNDLL32.EXE" in a selection the condition ANDs in.
// Those needles go into hash indexes per field; per event, a few lookups
// on the event's values mark the rules that stay candidates. A rule with
// no such condition is always evaluated.

// atom is one needle of a necessary condition.
type atom struct {
	field int
	view  view
	kind  atomKind
	s     string
}

type atomKind uint8

const (
	atomEq     atomKind = iota // a value equals s
	atomSuffix                 // a value ends with s, which starts with a separator
	atomGram                   // a value contains s (3 bytes or more); indexed by one trigram
)

// necessary returns atoms of which one must hold for n to be true, or nil
// when none can be derived.
func necessary(n node) []atom {
	switch x := n.(type) {
	case *strTest:
		return strTestAtoms(x)
	case *reTest:
		return reTestAtoms(x)
	case andNode:
		var best []atom
		for _, c := range x {
			if a := necessary(c); a != nil && (best == nil || len(a) < len(best)) {
				best = a
			}
		}
		return best
	case orNode:
		return unionAtoms(x)
	case *selNode:
		return unionAtoms(x.groups)
	case *countNode:
		return unionAtoms(x.xs)
	}
	return nil
}

func unionAtoms(xs []node) []atom {
	var out []atom
	for _, c := range xs {
		a := necessary(c)
		if a == nil {
			return nil
		}
		out = append(out, a...)
	}
	return out
}

func strTestAtoms(t *strTest) []atom {
	if t.view != viewFolded && t.view != viewRaw {
		return nil
	}
	var out []atom
	add := func(kind atomKind, s string) {
		out = append(out, atom{field: t.field, view: t.view, kind: kind, s: s})
	}
	if t.set != nil {
		for s := range t.set.eq {
			add(atomEq, s)
		}
		for _, set := range t.set.suf {
			for s := range set {
				add(atomSuffix, s)
			}
		}
	}
	for _, m := range t.ms {
		lit := longestLiteral(m)
		switch {
		case m.op == opEq:
			add(atomEq, m.s)
		case m.op == opSuffix && sepSuffix(m.s) != 0:
			add(atomSuffix, m.s)
		case len(lit) >= 3:
			add(atomGram, lit)
		case t.all:
			continue // every needle must match: any one indexable needle will do
		default:
			return nil // an alternative the index cannot see
		}
		if t.all {
			return out[len(out)-1:]
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// reTestAtoms: a case-sensitive regular expression with a required
// literal needs that literal in the raw value, hence its folded form in the
// folded value (folding is per character).
func reTestAtoms(t *reTest) []atom {
	if t.field < 0 {
		return nil
	}
	var out []atom
	for _, lit := range t.lits {
		if len(lit) < 3 {
			if t.all {
				continue
			}
			return nil
		}
		out = append(out, atom{field: t.field, view: viewFolded, kind: atomGram, s: fold(lit)})
		if t.all {
			return out
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// requiredLiteral returns the longest case-sensitive literal that every
// match of a regular expression contains, or "". Only literals at the top
// level of the expression (or of a top-level group) count.
func requiredLiteral(expr string) string {
	re, err := resyntax.Parse(expr, resyntax.Perl)
	if err != nil {
		return ""
	}
	re = re.Simplify()
	for re.Op == resyntax.OpCapture && len(re.Sub) == 1 {
		re = re.Sub[0]
	}
	best := ""
	consider := func(r *resyntax.Regexp) {
		if r.Op == resyntax.OpLiteral && r.Flags&resyntax.FoldCase == 0 {
			// U+FFFD also matches invalid bytes, which folding keeps as
			// they are: such a literal proves nothing about the text.
			if s := string(r.Rune); len(s) > len(best) && !strings.ContainsRune(s, utf8.RuneError) {
				best = s
			}
		}
	}
	switch re.Op {
	case resyntax.OpLiteral:
		consider(re)
	case resyntax.OpConcat:
		for _, sub := range re.Sub {
			consider(sub)
		}
	}
	return best
}

// longestLiteral returns a literal every value the matcher accepts
// contains ("" if none).
func longestLiteral(m strMatcher) string {
	switch m.op {
	case opEq, opPrefix, opSuffix, opContains:
		return m.s
	case opGlob:
		best := ""
		for _, s := range m.glob {
			if s.wild == 0 && len(s.lit) > len(best) {
				best = s.lit
			}
		}
		return best
	}
	return ""
}

// pfField indexes the needles of one field and view.
type pfField struct {
	field int
	view  view
	eq    map[string][]int32
	suf   map[byte]*sufIndex
	gram  map[uint32][]int32 // trigram -> rules
}

type sufIndex struct {
	byK  map[int]map[string][]int32 // separators in the needle -> needle -> rules
	maxK int
}

// prefilter is the set of indexes of a rule set.
type prefilter struct {
	fields  []*pfField
	pending []pendingAtoms
	// one bit per hashed trigram of any field's index: most trigrams of a
	// value are in no index, and a bit test is cheaper than a map lookup
	gramBits [1024]uint64
}

func gramBit(g uint32) uint32 { return g * 2654435761 >> 16 }

type pendingAtoms struct {
	id    int32
	atoms []atom
}

func (p *prefilter) add(id int32, atoms []atom) {
	p.pending = append(p.pending, pendingAtoms{id, atoms})
}

func gram(s string, i int) uint32 {
	return uint32(s[i])<<16 | uint32(s[i+1])<<8 | uint32(s[i+2])
}

// build indexes the pending atoms. A contains-needle is indexed by its
// trigram that is rarest among all needles of its field, so that common
// trigrams ("exe", "\\wi") do not wake many rules.
func (p *prefilter) build() {
	type fv struct {
		field int
		view  view
	}
	freq := map[fv]map[uint32]int{}
	for _, pa := range p.pending {
		for _, a := range pa.atoms {
			if a.kind != atomGram {
				continue
			}
			k := fv{a.field, a.view}
			if freq[k] == nil {
				freq[k] = map[uint32]int{}
			}
			for i := 0; i+3 <= len(a.s); i++ {
				freq[k][gram(a.s, i)]++
			}
		}
	}
	for _, pa := range p.pending {
		for _, a := range pa.atoms {
			f := p.field(a.field, a.view)
			switch a.kind {
			case atomEq:
				f.eq[a.s] = appendID(f.eq[a.s], pa.id)
			case atomSuffix:
				sep := sepSuffix(a.s)
				si := f.suf[sep]
				if si == nil {
					si = &sufIndex{byK: map[int]map[string][]int32{}}
					f.suf[sep] = si
				}
				k := strings.Count(a.s, string(sep))
				if si.byK[k] == nil {
					si.byK[k] = map[string][]int32{}
				}
				si.byK[k][a.s] = appendID(si.byK[k][a.s], pa.id)
				si.maxK = max(si.maxK, k)
			case atomGram:
				counts := freq[fv{a.field, a.view}]
				best, bestN := uint32(0), -1
				for i := 0; i+3 <= len(a.s); i++ {
					g := gram(a.s, i)
					if n := counts[g]; bestN < 0 || n < bestN {
						best, bestN = g, n
					}
				}
				f.gram[best] = appendID(f.gram[best], pa.id)
				h := gramBit(best)
				p.gramBits[h>>6] |= 1 << (h & 63)
			}
		}
	}
	p.pending = nil
}

func (p *prefilter) field(field int, v view) *pfField {
	for _, x := range p.fields {
		if x.field == field && x.view == v {
			return x
		}
	}
	f := &pfField{field: field, view: v, eq: map[string][]int32{}, suf: map[byte]*sufIndex{}, gram: map[uint32][]int32{}}
	p.fields = append(p.fields, f)
	return f
}

func appendID(ids []int32, id int32) []int32 {
	if n := len(ids); n > 0 && ids[n-1] == id {
		return ids
	}
	return append(ids, id)
}

// activate marks, in c.active, the rules whose necessary condition holds
// for the event.
func (p *prefilter) activate(c *evalCtx) {
	mark := func(ids []int32) {
		for _, id := range ids {
			c.active[id] = c.gen
		}
	}
	for _, f := range p.fields {
		s := c.slot(f.field)
		if !s.present || len(s.raw) == 0 {
			continue
		}
		for _, v := range values(s, f.view) {
			if ids, ok := f.eq[v]; ok {
				mark(ids)
			}
			if len(f.gram) > 0 {
				for i := 0; i+3 <= len(v); i++ {
					g := gram(v, i)
					if h := gramBit(g); p.gramBits[h>>6]&(1<<(h&63)) == 0 {
						continue
					}
					if ids, ok := f.gram[g]; ok {
						mark(ids)
					}
				}
			}
			for sep, si := range f.suf {
				end := len(v)
				for k := 1; k <= si.maxK; k++ {
					i := strings.LastIndexByte(v[:end], sep)
					if i < 0 {
						break
					}
					if ids, ok := si.byK[k][v[i:]]; ok {
						mark(ids)
					}
					end = i
				}
			}
		}
	}
}
