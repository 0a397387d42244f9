package yara

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/medshield/medshield/internal/yara/module"
	"github.com/medshield/medshield/internal/yara/re"
)

// MaxMatchesPerString is YARA's YR_MAX_STRING_MATCHES: further matches of a
// string are not recorded.
const MaxMatchesPerString = 1000000

// ErrTimeout is returned (wrapped) when a scan exceeds its time limit.
var ErrTimeout = errors.New("scan timed out")

// Match is one match of a string.
type Match struct {
	Offset int64
	Length int
}

// StringMatches are the matches of one string of a matching rule.
type StringMatches struct {
	ID      string // without '$'; "" for anonymous strings
	Matches []Match
}

// RuleMatch is a rule that matched.
type RuleMatch struct {
	Rule    *Rule
	Strings []StringMatches // non-private strings with matches
}

// ScanOptions are per-scan settings; the zero value is valid.
type ScanOptions struct {
	// Timeout bounds one scan (0: none besides ctx).
	Timeout time.Duration
	// MaxMatchesPerString caps recorded matches (0: MaxMatchesPerString).
	MaxMatchesPerString int
	// Console receives console module output.
	Console io.Writer
	// Externals override the compiled defaults for this scan.
	Externals map[string]any
	// ModuleData is optional per-module input.
	ModuleData map[string][]byte
}

// state is one scan's mutable state; the Rules are never written.
type state struct {
	rs        *Rules
	data      []byte
	matches   [][]Match
	ruleOK    []bool
	ruleHit   []bool  // per rule: some string of the rule matched
	touched   []int32 // strings with matches, to reset the state cheaply
	vars      []value
	cur       int
	mods      []value
	modLoaded []bool
	msc       *module.ScanContext
	ext       []value
	entry     *value
	maxPer    int
	budget    re.Budget
	deadline  time.Time
	ctx       context.Context
	err       error
	overflow  bool
}

func (st *state) matchesOf(idx int) []Match {
	if idx < 0 {
		idx = st.cur
	}
	return st.matches[idx]
}

func (st *state) moduleContext() *module.ScanContext { return st.msc }

func (st *state) module(i int) value {
	if !st.modLoaded[i] {
		st.modLoaded[i] = true
		v, err := loadModule(st.rs.modules[i], st.msc)
		if err != nil {
			st.mods[i] = undef
		} else {
			st.mods[i] = value{m: &v}
		}
	}
	return st.mods[i]
}

// loadModule calls a module's Load, turning a panic into an error so that
// one malformed file never takes the scanner down.
func loadModule(m module.Module, sc *module.ScanContext) (v module.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("module %s panicked: %v", m.Name(), r)
		}
	}()
	return m.Load(sc)
}

// Scan scans data and returns the matching (non-private) rules.
func (rs *Rules) Scan(ctx context.Context, data []byte, opts *ScanOptions) (res []RuleMatch, err error) {
	if opts == nil {
		opts = &ScanOptions{}
	}
	st := rs.getState()
	defer rs.putState(st)
	st.data, st.ctx = data, ctx
	st.msc = &module.ScanContext{Data: data, Console: opts.Console, ModuleData: opts.ModuleData}
	st.maxPer = opts.MaxMatchesPerString
	if st.maxPer <= 0 {
		st.maxPer = MaxMatchesPerString
	}
	if opts.Timeout > 0 {
		st.deadline = time.Now().Add(opts.Timeout)
	}
	st.ext = make([]value, len(rs.externals))
	for i, e := range rs.externals {
		st.ext[i] = e.def
		if v, ok := opts.Externals[e.name]; ok {
			ev, t, err := externalValue(v)
			if err != nil || t != e.typ {
				return nil, fmt.Errorf("external %q: wrong type %T", e.name, v)
			}
			st.ext[i] = ev
		}
	}
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("yara scan: internal error: %v", r)
		}
	}()
	if err := st.search(); err != nil {
		return nil, err
	}
	st.finishMatches()
	return st.evaluate()
}

func (st *state) checkTime() error {
	if st.ctx != nil {
		if err := st.ctx.Err(); err != nil {
			return err
		}
	}
	if !st.deadline.IsZero() && time.Now().After(st.deadline) {
		return ErrTimeout
	}
	return nil
}

// search runs the automaton over the data and verifies every atom hit.
func (st *state) search() error {
	ac := st.rs.ac
	data := st.data
	s := int32(0)
	for i := 0; i < len(data); i++ {
		if i&0xfffff == 0xfffff {
			if err := st.checkTime(); err != nil {
				return err
			}
		}
		s = ac.step(s, data[i])
		if !ac.hasOut[s] {
			continue
		}
		for o := s; o >= 0; o = ac.outLink[o] {
			start := i - int(ac.depth[o]) + 1
			for _, ref := range ac.own[o] {
				st.verify(ref.variant, start-int(ref.off))
			}
		}
	}
	for _, vi := range st.rs.anywhere {
		for p := 0; p <= len(data); p++ {
			if p&0xffff == 0xffff {
				if err := st.checkTime(); err != nil {
					return err
				}
			}
			st.verify(vi, p)
		}
	}
	return nil
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// verify checks variant vi anchored at data offset anchor.
func (st *state) verify(vi int32, anchor int) {
	v := st.rs.variants[vi]
	si := st.rs.varStr[vi]
	data := st.data
	if anchor < 0 {
		return
	}
	switch v.kind {
	case vLiteral:
		n := len(v.lit)
		if anchor+n > len(data) {
			return
		}
		d := data[anchor : anchor+n]
		if v.nocase {
			for k := 0; k < n; k++ {
				if lower(d[k]) != lower(v.lit[k]) {
					return
				}
			}
		} else if string(d) != string(v.lit) {
			return
		}
		st.add(si, v, anchor, n)
	case vClasses:
		n := len(v.classes)
		if anchor+n > len(data) {
			return
		}
		for k := 0; k < n; k++ {
			if !v.classes[k].Has(data[anchor+k]) {
				return
			}
		}
		st.add(si, v, anchor, n)
	case vRegex:
		if anchor > len(data) {
			return
		}
		st.budget.N = 1 << 20
		flen := v.m.Forward(data, anchor, &st.budget)
		if flen < 0 {
			return
		}
		starts := v.m.Starts(data, anchor, &st.budget)
		starts.Each(func(d int) {
			if d+flen > 0 { // empty matches are not reported
				st.add(si, v, anchor-d, d+flen)
			}
		})
	}
}

func (st *state) add(si int32, v *variant, off, n int) {
	s := st.rs.strings[si]
	if s.fullword && !fullword(st.data, off, n, v.wide) {
		return
	}
	st.record(si, Match{Offset: int64(off), Length: n})
}

// fullword reports whether the match is delimited by non-alphanumeric bytes
// (YARA uses isalnum, so '_' is a delimiter).
func fullword(data []byte, off, n int, wide bool) bool {
	if wide {
		if off >= 2 && data[off-1] == 0 && isAlnum(data[off-2]) {
			return false
		}
		if off+n+1 < len(data) && data[off+n+1] == 0 && isAlnum(data[off+n]) {
			return false
		}
		return true
	}
	if off >= 1 && isAlnum(data[off-1]) {
		return false
	}
	if off+n < len(data) && isAlnum(data[off+n]) {
		return false
	}
	return true
}

// finishMatches sorts matches, keeps one per offset and joins chains.
func (st *state) finishMatches() {
	for _, si := range st.touched {
		ms := st.matches[si]
		if len(ms) < 2 {
			continue
		}
		greedy := st.rs.strings[si].greedy
		sort.Slice(ms, func(i, j int) bool {
			if ms[i].Offset != ms[j].Offset {
				return ms[i].Offset < ms[j].Offset
			}
			if greedy {
				return ms[i].Length > ms[j].Length
			}
			return ms[i].Length < ms[j].Length
		})
		out := ms[:1]
		for _, m := range ms[1:] {
			if m.Offset != out[len(out)-1].Offset {
				out = append(out, m)
			}
		}
		st.matches[si] = out
	}
	for _, si := range st.rs.chained {
		st.joinChain(si)
	}
}

// joinChain builds the matches of a chained hex string from its parts:
// a chain is part 0 followed by part 1 at an allowed distance, and so on.
func (st *state) joinChain(si int) {
	s := st.rs.strings[si]
	first := si + 1 // parts follow their parent
	k := len(s.parts)
	// end[i][j]: end offset of the shortest valid chain starting with match j of part i, or -1.
	next := make([]int64, len(st.matches[first+k-1]))
	for j, m := range st.matches[first+k-1] {
		next[j] = m.Offset + int64(m.Length)
	}
	for i := k - 2; i >= 0; i-- {
		cur := st.matches[first+i]
		nm := st.matches[first+i+1]
		ends := make([]int64, len(cur))
		g := s.gaps[i]
		for j, m := range cur {
			ends[j] = -1
			lo := m.Offset + int64(m.Length) + int64(g[0])
			hi := int64(-1)
			if g[1] >= 0 {
				hi = m.Offset + int64(m.Length) + int64(g[1])
			}
			x := sort.Search(len(nm), func(t int) bool { return nm[t].Offset >= lo })
			for ; x < len(nm); x++ {
				if hi >= 0 && nm[x].Offset > hi {
					break
				}
				if next[x] >= 0 {
					ends[j] = next[x]
					break
				}
			}
		}
		next = ends
	}
	for j, m := range st.matches[first] {
		if next[j] >= 0 {
			n := int(next[j] - m.Offset)
			if s.fullword && !fullword(st.data, int(m.Offset), n, false) {
				continue
			}
			st.record(int32(si), Match{Offset: m.Offset, Length: n})
		}
	}
}

// evaluate runs every rule's condition in order and applies global rules.
func (st *state) evaluate() ([]RuleMatch, error) {
	rs := st.rs
	for i, r := range rs.rules {
		if i&63 == 63 {
			if err := st.checkTime(); err != nil {
				return nil, err
			}
		}
		if r.needsMatch && !st.anyMatch(r) {
			st.ruleOK[i] = false
			continue
		}
		v := r.cond(st)
		st.ruleOK[i] = !v.undef && v.i != 0
	}
	// A failing global rule disables every rule of its namespace.
	failed := map[string]bool{}
	for i, r := range rs.rules {
		if r.Global && !st.ruleOK[i] {
			failed[r.Namespace] = true
		}
	}
	var out []RuleMatch
	for i, r := range rs.rules {
		if !st.ruleOK[i] || failed[r.Namespace] || r.Private {
			continue
		}
		rm := RuleMatch{Rule: r}
		for _, si := range r.strs {
			s := rs.strings[si]
			if s.Private || len(st.matches[si]) == 0 {
				continue
			}
			id := s.ID
			if len(id) > 0 && id[0] == 0 {
				id = ""
			}
			rm.Strings = append(rm.Strings, StringMatches{ID: id, Matches: st.matches[si]})
		}
		out = append(out, rm)
	}
	return out, nil
}

func (st *state) entryPoint() value {
	if st.entry == nil {
		v := entryPointOffset(st.data)
		st.entry = &v
	}
	return *st.entry
}

func (st *state) anyMatch(r *Rule) bool { return st.ruleHit[r.index] }

// record adds a match of string si (up to the per-string cap).
func (st *state) record(si int32, m Match) {
	if len(st.matches[si]) >= st.maxPer {
		st.overflow = true
		return
	}
	if len(st.matches[si]) == 0 {
		st.touched = append(st.touched, si)
		st.ruleHit[st.rs.strings[si].rule] = true
	}
	st.matches[si] = append(st.matches[si], m)
}

func (rs *Rules) getState() *state {
	if st, ok := rs.pool.Get().(*state); ok {
		return st
	}
	return &state{rs: rs, matches: make([][]Match, len(rs.strings)), ruleOK: make([]bool, len(rs.rules)),
		ruleHit: make([]bool, len(rs.rules)), vars: make([]value, rs.maxVars),
		mods: make([]value, len(rs.modules)), modLoaded: make([]bool, len(rs.modules))}
}

// putState clears what a scan touched and keeps the state for reuse; the
// results handed to the caller were copied out before.
func (rs *Rules) putState(st *state) {
	for _, si := range st.touched {
		st.matches[si] = nil
	}
	st.touched = st.touched[:0]
	clear(st.ruleOK)
	clear(st.ruleHit)
	clear(st.mods)
	clear(st.modLoaded)
	st.data, st.msc, st.entry, st.ctx, st.err, st.overflow = nil, nil, nil, nil, nil, false
	st.deadline = time.Time{}
	rs.pool.Put(st)
}
