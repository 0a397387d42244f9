package yara

import (
	"sort"
	"strings"

	"github.com/medshield/medshield/internal/yara/module"
	"github.com/medshield/medshield/internal/yara/syntax"
)

// quant compiles a quantifier: it returns a function giving the minimum
// number of true results, or undefined for "all".
func (rc *ruleCtx) quant(q *syntax.Quant) (evalFn, bool) {
	switch q.Tok {
	case syntax.ALL:
		return func(*state) value { return undef }, false
	case syntax.ANY:
		return func(*state) value { return value{i: 1} }, false
	case syntax.NONE:
		return func(*state) value { return value{i: 0} }, false
	}
	x := rc.expr(q.X)
	if x.t.t != tInt {
		rc.fail(q.Pos, "type", "quantifier must be an integer")
	}
	if q.Percent && x.konst != nil && (x.konst.i < 1 || x.konst.i > 100) {
		rc.fail(q.Pos, "invalid-percentage", "percentage must be between 1 and 100")
	}
	return x.f, q.Percent
}

func (rc *ruleCtx) of(e *syntax.Of) *cexpr {
	qf, percent := rc.quant(e.Quant)
	b := ctype{t: tBool}
	if e.Rules != nil {
		var idx []int
		for _, it := range e.Rules {
			found := false
			for _, r := range rc.c.rs.rules {
				if r.Namespace != rc.ns.name {
					continue
				}
				if r.Name == it.Name || it.Wildcard && strings.HasPrefix(r.Name, it.Name) {
					if rc.ns.rules[r.Name] == r {
						idx = append(idx, r.index)
						found = true
					}
				}
			}
			if rc.rule.Name == it.Name || it.Wildcard && strings.HasPrefix(rc.rule.Name, it.Name) {
				// The rule being compiled is visible to itself (it is false
				// while its own condition runs).
				idx = append(idx, len(rc.c.rs.rules))
				found = true
			}
			if it.Wildcard {
				rc.ns.wildcards = append(rc.ns.wildcards, it.Name)
			}
			if !found {
				rc.fail(it.Pos, "undefined-identifier", "undefined rule %q", it.Name)
			}
		}
		return &cexpr{t: b, f: func(st *state) value {
			n := 0
			for _, i := range idx {
				if st.ruleOK[i] {
					n++
				}
			}
			return quantResult(qf(st), percent, n, len(idx))
		}}
	}
	var local []int
	if e.Them {
		local = rc.allStrings(e.Pos)
	} else {
		for _, it := range e.Strings {
			local = append(local, rc.stringsMatching(it)...)
		}
	}
	idx := make([]int, len(local))
	for i, l := range local {
		idx[i] = rc.base + l
	}
	var lo, hi, at evalFn
	if e.In != nil {
		lo, hi = rc.intExpr(e.In.Lo), rc.intExpr(e.In.Hi)
	}
	if e.At != nil {
		at = rc.intExpr(e.At)
	}
	return &cexpr{t: b, f: func(st *state) value {
		var l, h value
		if lo != nil {
			l, h = lo(st), hi(st)
			if l.undef || h.undef {
				return undef
			}
		}
		if at != nil {
			l = at(st)
			if l.undef {
				return undef
			}
			h = l
		}
		n := 0
		for _, i := range idx {
			ms := st.matchesOf(i)
			if lo == nil && at == nil {
				if len(ms) > 0 {
					n++
				}
				continue
			}
			for _, m := range ms {
				if m.Offset >= l.i && m.Offset <= h.i {
					n++
					break
				}
				if m.Offset > h.i {
					break
				}
			}
		}
		return quantResult(qf(st), percent, n, len(idx))
	}}
}

// quantResult applies an `of` quantifier as YARA's OP_OF does.
func quantResult(q value, percent bool, found, count int) value {
	if percent {
		if q.undef || count == 0 {
			return undef
		}
		return boolVal(float64(found)/float64(count)*100 >= float64(q.i))
	}
	if q.undef {
		return boolVal(found >= count)
	}
	if q.i == 0 {
		return boolVal(found == 0)
	}
	return boolVal(int64(found) >= q.i)
}

func (rc *ruleCtx) forExpr(e *syntax.For) *cexpr {
	if rc.loops >= maxLoopNesting {
		rc.fail(e.Pos, "loop-nesting", "loop nesting limit exceeded")
	}
	rc.loops++
	defer func() { rc.loops-- }()
	qf, percent := rc.quant(e.Quant)
	b := ctype{t: tBool}
	if e.IsOf {
		if rc.inForOf {
			rc.fail(e.Pos, "loop-nesting", "nested 'for ... of' loops are not allowed")
		}
		var local []int
		if e.Them {
			local = rc.allStrings(e.Pos)
		} else {
			for _, it := range e.Strings {
				local = append(local, rc.stringsMatching(it)...)
			}
		}
		rc.inForOf = true
		body := rc.boolExpr(e.Body)
		rc.inForOf = false
		idx := make([]int, len(local))
		for i, l := range local {
			idx[i] = rc.base + l
		}
		return &cexpr{t: b, f: func(st *state) value {
			saved := st.cur
			n := 0
			for _, i := range idx {
				st.cur = i
				if v := body(st); !v.undef && v.i != 0 {
					n++
				}
			}
			st.cur = saved
			q := qf(st)
			if percent {
				return quantResult(q, true, n, len(idx))
			}
			if q.undef {
				q = value{i: int64(len(idx))}
			}
			return boolVal(q.i <= int64(n))
		}}
	}
	// for <quant> vars in <iterator> : (body)
	scope := map[string]lvar{}
	var iter func(st *state, yield func() bool)
	newVar := func(name string, t ctype) int {
		if _, dup := scope[name]; dup {
			rc.fail(e.Pos, "duplicate-identifier", "duplicated loop variable %q", name)
		}
		slot := rc.nvars
		rc.nvars++
		scope[name] = lvar{slot: slot, typ: t}
		return slot
	}
	switch {
	case e.Range != nil:
		lo, hi := rc.intExpr(e.Range.Lo), rc.intExpr(e.Range.Hi)
		if len(e.Vars) != 1 {
			rc.fail(e.Pos, "type", "a range loop takes one variable")
		}
		slot := newVar(e.Vars[0], ctype{t: tInt})
		iter = func(st *state, yield func() bool) {
			l, h := lo(st), hi(st)
			if l.undef || h.undef {
				return
			}
			for i := l.i; i <= h.i; i++ {
				st.vars[slot] = value{i: i}
				if !yield() {
					return
				}
			}
		}
	case e.List != nil:
		if len(e.Vars) != 1 {
			rc.fail(e.Pos, "type", "an enumeration loop takes one variable")
		}
		var items []evalFn
		var t ctype
		for i, x := range e.List {
			c := rc.expr(x)
			if i == 0 {
				t = c.t
			}
			if c.t.t != t.t || (t.t != tInt && t.t != tStr) {
				rc.fail(x.Position(), "type", "enumeration items must all be integers or all strings")
			}
			items = append(items, c.f)
		}
		slot := newVar(e.Vars[0], t)
		iter = func(st *state, yield func() bool) {
			for _, it := range items {
				st.vars[slot] = it(st)
				if !yield() {
					return
				}
			}
		}
	default:
		x := rc.expr(e.Iter)
		xf := x.f
		switch x.t.t {
		case tArray:
			if len(e.Vars) != 1 {
				rc.fail(e.Pos, "type", "an array loop takes one variable")
			}
			et := ctypeOf(x.t.mt.Elem)
			slot := newVar(e.Vars[0], et)
			iter = func(st *state, yield func() bool) {
				v := xf(st)
				if v.undef || v.m == nil {
					return
				}
				for _, item := range v.m.Items {
					st.vars[slot] = fromModule(item, et.t)
					if !yield() {
						return
					}
				}
			}
		case tDict:
			if len(e.Vars) != 2 {
				rc.fail(e.Pos, "type", "a dictionary loop takes two variables (key, value)")
			}
			et := ctypeOf(x.t.mt.Elem)
			ks := newVar(e.Vars[0], ctype{t: tStr})
			vs := newVar(e.Vars[1], et)
			iter = func(st *state, yield func() bool) {
				v := xf(st)
				if v.undef || v.m == nil {
					return
				}
				for _, k := range sortedKeys(v.m.Dict) {
					st.vars[ks] = value{s: []byte(k)}
					st.vars[vs] = fromModule(v.m.Dict[k], et.t)
					if !yield() {
						return
					}
				}
			}
		default:
			rc.fail(e.Iter.Position(), "type", "can't iterate over a %s", x.t.t)
		}
	}
	rc.vars = append(rc.vars, scope)
	body := rc.boolExpr(e.Body)
	rc.vars = rc.vars[:len(rc.vars)-1]
	if rc.nvars > rc.c.rs.maxVars {
		rc.c.rs.maxVars = rc.nvars
	}
	return &cexpr{t: b, f: func(st *state) value {
		q := qf(st)
		count, iters := int64(0), int64(0)
		iter(st, func() bool {
			if v := body(st); !v.undef && v.i != 0 {
				count++
			}
			iters++
			if q.undef || percent {
				return true
			}
			return count < q.i
		})
		if iters == 0 {
			return value{}
		}
		if percent {
			return quantResult(q, true, int(count), int(iters))
		}
		if q.undef {
			q.i = iters
		}
		return boolVal(count >= q.i)
	}}
}

func sortedKeys(m map[string]module.Value) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
