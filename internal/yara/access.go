package yara

import (
	"strings"

	"github.com/medshield/medshield/internal/yara/module"
	"github.com/medshield/medshield/internal/yara/syntax"
)

// Identifiers, module fields, indexing and function calls.

func (rc *ruleCtx) lookupVar(name string) (lvar, bool) {
	for i := len(rc.vars) - 1; i >= 0; i-- {
		if v, ok := rc.vars[i][name]; ok {
			return v, true
		}
	}
	return lvar{}, false
}

func (rc *ruleCtx) ident(e *syntax.Ident) *cexpr {
	if v, ok := rc.lookupVar(e.Name); ok {
		slot, t := v.slot, v.typ
		return &cexpr{t: t, f: func(st *state) value { return st.vars[slot] }}
	}
	if r, ok := rc.ns.rules[e.Name]; ok {
		idx := r.index
		return &cexpr{t: ctype{t: tBool}, f: func(st *state) value { return boolVal(st.ruleOK[idx]) }}
	}
	if rc.scope.imports[e.Name] {
		mi := rc.c.useModule(e.Name)
		schema := rc.c.mods[e.Name].Schema()
		return &cexpr{t: ctype{t: tStruct, mt: schema}, f: func(st *state) value { return st.module(mi) }}
	}
	if x, ok := rc.c.externals[e.Name]; ok {
		i, t := x.index, x.typ
		return &cexpr{t: ctype{t: t}, f: func(st *state) value { return st.ext[i] }}
	}
	if _, ok := intReaders[e.Name]; ok {
		return &cexpr{t: ctype{t: tFunc}, f: func(*state) value { return undef }, sigs: nil}
	}
	rc.fail(e.Pos, "undefined-identifier", "undefined identifier %q", e.Name)
	return nil
}

func (rc *ruleCtx) member(e *syntax.Member) *cexpr {
	x := rc.expr(e.X)
	if x.t.t != tStruct {
		rc.fail(e.Pos, "type", "%q is not a field of a structure", e.Name)
	}
	ft := x.t.mt.Lookup(e.Name)
	if ft == nil {
		rc.fail(e.Pos, "undefined-identifier", "unknown field %q", e.Name)
	}
	xf, name := x.f, e.Name
	ct := ctypeOf(ft)
	if ct.t == tFunc {
		return &cexpr{t: ct, self: xf, sigs: ft.Funcs, f: func(*state) value { return undef }}
	}
	t := ct.t
	return &cexpr{t: ct, f: func(st *state) value {
		v := xf(st)
		if v.undef || v.m == nil {
			return undef
		}
		fv, ok := v.m.Fields[name]
		if !ok {
			return undef
		}
		return fromModule(fv, t)
	}}
}

func (rc *ruleCtx) index(e *syntax.Index) *cexpr {
	x := rc.expr(e.X)
	xf := x.f
	switch x.t.t {
	case tArray:
		et := ctypeOf(x.t.mt.Elem)
		ix := rc.intExpr(e.Index)
		t := et.t
		return &cexpr{t: et, f: func(st *state) value {
			v, i := xf(st), ix(st)
			if v.undef || v.m == nil || i.undef || i.i < 0 || i.i >= int64(len(v.m.Items)) {
				return undef
			}
			return fromModule(v.m.Items[i.i], t)
		}}
	case tDict:
		et := ctypeOf(x.t.mt.Elem)
		k := rc.expr(e.Index)
		if k.t.t != tStr {
			rc.fail(e.Pos, "type", "dictionary key must be a string")
		}
		kf, t := k.f, et.t
		return &cexpr{t: et, f: func(st *state) value {
			v, key := xf(st), kf(st)
			if v.undef || v.m == nil || key.undef {
				return undef
			}
			fv, ok := v.m.Dict[string(key.s)]
			if !ok {
				return undef
			}
			return fromModule(fv, t)
		}}
	}
	rc.fail(e.Pos, "type", "only arrays and dictionaries can be indexed")
	return nil
}

func argLetter(t vtype) byte {
	switch t {
	case tInt:
		return 'i'
	case tFloat:
		return 'f'
	case tStr:
		return 's'
	case tRegex:
		return 'r'
	case tBool:
		return 'b'
	}
	return '?'
}

func (rc *ruleCtx) call(e *syntax.Call) *cexpr {
	if id, ok := e.Fun.(*syntax.Ident); ok {
		if rd, ok := intReaders[id.Name]; ok {
			if _, shadow := rc.lookupVar(id.Name); !shadow {
				if len(e.Args) != 1 {
					rc.fail(e.Pos, "type", "%s takes one argument", id.Name)
				}
				off := rc.intExpr(e.Args[0])
				return &cexpr{t: ctype{t: tInt}, f: func(st *state) value {
					o := off(st)
					if o.undef {
						return undef
					}
					return readInt(st.data, o.i, rd.size, rd.signed, rd.big)
				}}
			}
		}
	}
	fn := rc.expr(e.Fun)
	if fn.t.t != tFunc || fn.sigs == nil {
		rc.fail(e.Pos, "type", "not a function")
	}
	args := make([]*cexpr, len(e.Args))
	var letters []byte
	for i, a := range e.Args {
		args[i] = rc.expr(a)
		letters = append(letters, argLetter(args[i].t.t))
	}
	var sig *module.Signature
	for _, s := range fn.sigs {
		if s.Args == string(letters) {
			sig = s
			break
		}
	}
	if sig == nil {
		// Booleans may be passed where an integer is declared, as in YARA.
		for _, s := range fn.sigs {
			if len(s.Args) != len(letters) {
				continue
			}
			ok := true
			for i := range letters {
				if s.Args[i] != letters[i] && !(s.Args[i] == 'i' && letters[i] == 'b') {
					ok = false
				}
			}
			if ok {
				sig = s
				break
			}
		}
	}
	if sig == nil {
		var want []string
		for _, s := range fn.sigs {
			want = append(want, "("+s.Args+")")
		}
		rc.fail(e.Pos, "type", "wrong arguments (%s) for function, want one of %s", string(letters), strings.Join(want, ", "))
	}
	var rt vtype
	switch sig.Result {
	case module.KindInteger:
		rt = tInt
	case module.KindFloat:
		rt = tFloat
	case module.KindString:
		rt = tStr
	default:
		rc.fail(e.Pos, "type", "unsupported function result")
	}
	self, impl := fn.self, sig.Impl
	return &cexpr{t: ctype{t: rt}, f: func(st *state) value {
		sv := self(st)
		if sv.undef || sv.m == nil {
			return undef
		}
		av := make([]module.Value, len(args))
		for i, a := range args {
			v := a.f(st)
			if v.undef && a.t.t != tRegex {
				return undef
			}
			av[i] = moduleArg(v, a.t.t, a.rx)
		}
		r := impl(st.moduleContext(), sv.m, av)
		if r.Undefined {
			return undef
		}
		return fromModule(r, rt)
	}}
}
