package yara

import (
	"bytes"
	"math"

	"github.com/medshield/medshield/internal/yara/module"
	"github.com/medshield/medshield/internal/yara/re"
	"github.com/medshield/medshield/internal/yara/syntax"
)

// maxLoopNesting is YARA's YR_MAX_LOOP_NESTING.
const maxLoopNesting = 4

// boolExpr compiles e in boolean context.
func (rc *ruleCtx) boolExpr(e syntax.Expr) evalFn {
	x := rc.expr(e)
	return rc.toBool(e.Position(), x)
}

// toBool converts integers, floats and strings to booleans as YARA does.
func (rc *ruleCtx) toBool(pos syntax.Pos, x *cexpr) evalFn {
	f := x.f
	switch x.t.t {
	case tBool, tInt:
		return f
	case tFloat:
		return func(st *state) value {
			v := f(st)
			if v.undef {
				return v
			}
			return boolVal(v.f != 0)
		}
	case tStr:
		rc.warnLiteralBool(pos, x)
		return func(st *state) value {
			v := f(st)
			if v.undef {
				return v
			}
			return boolVal(len(v.s) > 0)
		}
	}
	rc.fail(pos, "type", "a %s can't be used as a boolean", x.t.t)
	return nil
}

func (rc *ruleCtx) expr(e syntax.Expr) *cexpr {
	switch e := e.(type) {
	case *syntax.IntLit:
		v := value{i: e.V}
		return &cexpr{t: ctype{t: tInt}, f: func(*state) value { return v }, konst: &v}
	case *syntax.FloatLit:
		v := value{f: e.V}
		return &cexpr{t: ctype{t: tFloat}, f: func(*state) value { return v }, konst: &v}
	case *syntax.TextLit:
		v := value{s: []byte(e.V)}
		return &cexpr{t: ctype{t: tStr}, f: func(*state) value { return v }, konst: &v}
	case *syntax.BoolLit:
		v := boolVal(e.V)
		return &cexpr{t: ctype{t: tBool}, f: func(*state) value { return v }, konst: &v}
	case *syntax.RegexLit:
		rx := rc.regexp(e)
		return &cexpr{t: ctype{t: tRegex}, rx: rx, f: func(*state) value { return undef }}
	case *syntax.Keyword:
		switch e.Tok {
		case syntax.FILESIZE:
			return &cexpr{t: ctype{t: tInt}, f: func(st *state) value { return value{i: int64(len(st.data))} }}
		case syntax.ENTRYPOINT:
			rc.warnEntrypoint(e.Pos)
			return &cexpr{t: ctype{t: tInt}, f: func(st *state) value { return st.entryPoint() }}
		}
	case *syntax.StrRef:
		return rc.strRef(e)
	case *syntax.StrCount:
		idx := rc.stringRef(e.Pos, e.ID)
		if e.In != nil {
			lo, hi := rc.intExpr(e.In.Lo), rc.intExpr(e.In.Hi)
			return &cexpr{t: ctype{t: tInt}, f: func(st *state) value {
				l, h := lo(st), hi(st)
				if l.undef || h.undef {
					return undef
				}
				n := 0
				for _, m := range st.matchesOf(idx) {
					if m.Offset >= l.i && m.Offset <= h.i {
						n++
					}
				}
				return value{i: int64(n)}
			}}
		}
		return &cexpr{t: ctype{t: tInt}, f: func(st *state) value { return value{i: int64(len(st.matchesOf(idx)))} }}
	case *syntax.StrOffset, *syntax.StrLength:
		var id string
		var index syntax.Expr
		isLen := false
		switch e := e.(type) {
		case *syntax.StrOffset:
			id, index = e.ID, e.Index
		case *syntax.StrLength:
			id, index, isLen = e.ID, e.Index, true
		}
		idx := rc.stringRef(e.Position(), id)
		var ix evalFn
		if index != nil {
			ix = rc.intExpr(index)
		}
		return &cexpr{t: ctype{t: tInt}, f: func(st *state) value {
			i := int64(1)
			if ix != nil {
				v := ix(st)
				if v.undef {
					return undef
				}
				i = v.i
			}
			ms := st.matchesOf(idx)
			if i < 1 || i > int64(len(ms)) {
				return undef
			}
			if isLen {
				return value{i: int64(ms[i-1].Length)}
			}
			return value{i: ms[i-1].Offset}
		}}
	case *syntax.Unary:
		return rc.unary(e)
	case *syntax.Binary:
		return rc.binary(e)
	case *syntax.Of:
		return rc.of(e)
	case *syntax.For:
		return rc.forExpr(e)
	case *syntax.Ident:
		return rc.ident(e)
	case *syntax.Member:
		return rc.member(e)
	case *syntax.Index:
		return rc.index(e)
	case *syntax.Call:
		return rc.call(e)
	}
	rc.fail(e.Position(), "syntax", "unsupported expression")
	return nil
}

func (rc *ruleCtx) regexp(e *syntax.RegexLit) *Regexp {
	var fl re.Flags
	for _, c := range e.Flags {
		switch c {
		case 'i':
			fl |= re.Nocase
		case 's':
			fl |= re.DotAll
		}
	}
	n, err := re.Parse(e.Src, fl)
	if err != nil {
		rc.fail(e.Pos, "invalid-regexp", "%v", err)
	}
	return newRegexp(n)
}

func (rc *ruleCtx) intExpr(e syntax.Expr) evalFn {
	x := rc.expr(e)
	if x.t.t != tInt {
		rc.fail(e.Position(), "type", "wrong type for operand: want integer, got %s", x.t.t)
	}
	return x.f
}

func (rc *ruleCtx) strRef(e *syntax.StrRef) *cexpr {
	idx := rc.stringRef(e.Pos, e.ID)
	b := ctype{t: tBool}
	switch {
	case e.At != nil:
		at := rc.intExpr(e.At)
		return &cexpr{t: b, f: func(st *state) value {
			v := at(st)
			if v.undef {
				return value{}
			}
			for _, m := range st.matchesOf(idx) {
				if m.Offset == v.i {
					return value{i: 1}
				}
				if m.Offset > v.i {
					break
				}
			}
			return value{}
		}}
	case e.In != nil:
		lo, hi := rc.intExpr(e.In.Lo), rc.intExpr(e.In.Hi)
		return &cexpr{t: b, f: func(st *state) value {
			l, h := lo(st), hi(st)
			if l.undef || h.undef {
				return value{}
			}
			for _, m := range st.matchesOf(idx) {
				if m.Offset >= l.i && m.Offset <= h.i {
					return value{i: 1}
				}
				if m.Offset > h.i {
					break
				}
			}
			return value{}
		}}
	}
	return &cexpr{t: b, f: func(st *state) value { return boolVal(len(st.matchesOf(idx)) > 0) }}
}

func (rc *ruleCtx) unary(e *syntax.Unary) *cexpr {
	switch e.Op {
	case syntax.NOT:
		f := rc.boolExpr(e.X)
		return &cexpr{t: ctype{t: tBool}, f: func(st *state) value {
			v := f(st)
			if v.undef {
				return v
			}
			return boolVal(v.i == 0)
		}}
	case syntax.DEFINED:
		x := rc.expr(e.X)
		f := x.f
		return &cexpr{t: ctype{t: tBool}, f: func(st *state) value { return boolVal(!f(st).undef) }}
	case syntax.SUB:
		x := rc.expr(e.X)
		f := x.f
		switch x.t.t {
		case tInt:
			if x.konst != nil {
				v := value{i: -x.konst.i}
				return &cexpr{t: x.t, f: func(*state) value { return v }, konst: &v}
			}
			return &cexpr{t: x.t, f: func(st *state) value {
				v := f(st)
				if v.undef {
					return v
				}
				return value{i: -v.i}
			}}
		case tFloat:
			return &cexpr{t: x.t, f: func(st *state) value {
				v := f(st)
				if v.undef {
					return v
				}
				return value{f: -v.f}
			}}
		}
		rc.fail(e.Pos, "type", "wrong type for unary minus: %s", x.t.t)
	case syntax.NOT_BIT:
		f := rc.intExpr(e.X)
		return &cexpr{t: ctype{t: tInt}, f: func(st *state) value {
			v := f(st)
			if v.undef {
				return v
			}
			return value{i: ^v.i}
		}}
	}
	rc.fail(e.Pos, "syntax", "unsupported operator %s", e.Op)
	return nil
}

func (rc *ruleCtx) binary(e *syntax.Binary) *cexpr {
	b := ctype{t: tBool}
	switch e.Op {
	case syntax.AND, syntax.OR:
		x, y := rc.boolExpr(e.X), rc.boolExpr(e.Y)
		if e.Op == syntax.AND {
			return &cexpr{t: b, f: func(st *state) value {
				v := x(st)
				if v.undef || v.i == 0 {
					return value{}
				}
				w := y(st)
				return boolVal(!w.undef && w.i != 0)
			}}
		}
		return &cexpr{t: b, f: func(st *state) value {
			v := x(st)
			if !v.undef && v.i != 0 {
				return value{i: 1}
			}
			w := y(st)
			return boolVal(!w.undef && w.i != 0)
		}}
	case syntax.MATCHES:
		x := rc.expr(e.X)
		y := rc.expr(e.Y)
		if x.t.t != tStr || y.t.t != tRegex {
			rc.fail(e.Pos, "type", "'matches' needs a string and a regular expression")
		}
		xf, rx := x.f, y.rx
		return &cexpr{t: b, f: func(st *state) value {
			v := xf(st)
			if v.undef {
				return v
			}
			return boolVal(rx.Match(v.s))
		}}
	case syntax.CONTAINS, syntax.ICONTAINS, syntax.STARTSWITH, syntax.ISTARTSWITH,
		syntax.ENDSWITH, syntax.IENDSWITH, syntax.IEQUALS:
		x, y := rc.expr(e.X), rc.expr(e.Y)
		if x.t.t != tStr || y.t.t != tStr {
			rc.fail(e.Pos, "type", "operator %q needs two strings", e.Op.String())
		}
		xf, yf, op := x.f, y.f, e.Op
		return &cexpr{t: b, f: func(st *state) value {
			v, w := xf(st), yf(st)
			if v.undef || w.undef {
				return undef
			}
			return boolVal(strOp(op, v.s, w.s))
		}}
	}
	x, y := rc.expr(e.X), rc.expr(e.Y)
	switch e.Op {
	case syntax.EQ, syntax.NEQ, syntax.LT, syntax.LE, syntax.GT, syntax.GE:
		return rc.compare(e, x, y)
	case syntax.ADD, syntax.SUB, syntax.MUL, syntax.DIV:
		return rc.arith(e, x, y)
	case syntax.MOD, syntax.AND_BIT, syntax.OR_BIT, syntax.XOR_BIT, syntax.SHL, syntax.SHR:
		if x.t.t != tInt || y.t.t != tInt {
			rc.fail(e.Pos, "type", "operator %q needs integers", e.Op.String())
		}
		xf, yf, op := x.f, y.f, e.Op
		if op == syntax.SHL || op == syntax.SHR {
			if y.konst != nil && y.konst.i < 0 {
				rc.fail(e.Pos, "type", "negative shift count")
			}
		}
		return &cexpr{t: ctype{t: tInt}, f: func(st *state) value {
			v, w := xf(st), yf(st)
			if v.undef || w.undef {
				return undef
			}
			switch op {
			case syntax.MOD:
				if w.i == 0 || v.i == math.MinInt64 && w.i == -1 {
					return undef
				}
				return value{i: v.i % w.i}
			case syntax.AND_BIT:
				return value{i: v.i & w.i}
			case syntax.OR_BIT:
				return value{i: v.i | w.i}
			case syntax.XOR_BIT:
				return value{i: v.i ^ w.i}
			case syntax.SHL:
				if w.i < 0 {
					return undef
				}
				if w.i >= 64 {
					return value{}
				}
				return value{i: v.i << uint(w.i)}
			default:
				if w.i < 0 {
					return undef
				}
				if w.i >= 64 {
					return value{}
				}
				return value{i: v.i >> uint(w.i)}
			}
		}}
	}
	rc.fail(e.Pos, "syntax", "unsupported operator %q", e.Op.String())
	return nil
}

func strOp(op syntax.Token, a, b []byte) bool {
	switch op {
	case syntax.CONTAINS:
		return bytes.Contains(a, b)
	case syntax.ICONTAINS:
		return bytes.Contains(bytes.ToLower(a), bytes.ToLower(b))
	case syntax.STARTSWITH:
		return bytes.HasPrefix(a, b)
	case syntax.ISTARTSWITH:
		return bytes.HasPrefix(bytes.ToLower(a), bytes.ToLower(b))
	case syntax.ENDSWITH:
		return bytes.HasSuffix(a, b)
	case syntax.IENDSWITH:
		return bytes.HasSuffix(bytes.ToLower(a), bytes.ToLower(b))
	case syntax.IEQUALS:
		return bytes.EqualFold(a, b)
	}
	return false
}

func numeric(t vtype) bool { return t == tInt || t == tFloat }

func asFloat(v value, t vtype) float64 {
	if t == tFloat {
		return v.f
	}
	return float64(v.i)
}

func (rc *ruleCtx) compare(e *syntax.Binary, x, y *cexpr) *cexpr {
	op := e.Op
	xf, yf := x.f, y.f
	xt, yt := x.t.t, y.t.t
	// Booleans compare as integers.
	if xt == tBool {
		xt = tInt
	}
	if yt == tBool {
		yt = tInt
	}
	cmp := func(c int) bool {
		switch op {
		case syntax.EQ:
			return c == 0
		case syntax.NEQ:
			return c != 0
		case syntax.LT:
			return c < 0
		case syntax.LE:
			return c <= 0
		case syntax.GT:
			return c > 0
		}
		return c >= 0
	}
	b := ctype{t: tBool}
	switch {
	case xt == tStr && yt == tStr:
		return &cexpr{t: b, f: func(st *state) value {
			v, w := xf(st), yf(st)
			if v.undef || w.undef {
				return undef
			}
			return boolVal(cmp(bytes.Compare(v.s, w.s)))
		}}
	case xt == tInt && yt == tInt:
		return &cexpr{t: b, f: func(st *state) value {
			v, w := xf(st), yf(st)
			if v.undef || w.undef {
				return undef
			}
			c := 0
			if v.i < w.i {
				c = -1
			} else if v.i > w.i {
				c = 1
			}
			return boolVal(cmp(c))
		}}
	case numeric(xt) && numeric(yt):
		return &cexpr{t: b, f: func(st *state) value {
			v, w := xf(st), yf(st)
			if v.undef || w.undef {
				return undef
			}
			a, c := asFloat(v, xt), asFloat(w, yt)
			r := 0
			if a < c {
				r = -1
			} else if a > c {
				r = 1
			}
			if op == syntax.NEQ && a != c {
				return value{i: 1}
			}
			if op != syntax.NEQ && (math.IsNaN(a) || math.IsNaN(c)) {
				return value{}
			}
			return boolVal(cmp(r))
		}}
	}
	rc.fail(e.Pos, "type", "can't compare %s and %s", x.t.t, y.t.t)
	return nil
}

func (rc *ruleCtx) arith(e *syntax.Binary, x, y *cexpr) *cexpr {
	if !numeric(x.t.t) || !numeric(y.t.t) {
		rc.fail(e.Pos, "type", "operator %q needs numbers, got %s and %s", e.Op.String(), x.t.t, y.t.t)
	}
	op := e.Op
	xf, yf := x.f, y.f
	if x.t.t == tInt && y.t.t == tInt {
		if op == syntax.DIV && y.konst != nil && y.konst.i == 0 {
			rc.fail(e.Pos, "division-by-zero", "division by zero")
		}
		if x.konst != nil && y.konst != nil {
			r, ok := foldInt(op, x.konst.i, y.konst.i)
			if !ok {
				rc.fail(e.Pos, "integer-overflow", "integer overflow in constant expression")
			}
			v := value{i: r}
			return &cexpr{t: ctype{t: tInt}, f: func(*state) value { return v }, konst: &v}
		}
		return &cexpr{t: ctype{t: tInt}, f: func(st *state) value {
			v, w := xf(st), yf(st)
			if v.undef || w.undef {
				return undef
			}
			switch op {
			case syntax.ADD:
				return value{i: v.i + w.i}
			case syntax.SUB:
				return value{i: v.i - w.i}
			case syntax.MUL:
				return value{i: v.i * w.i}
			}
			if w.i == 0 || v.i == math.MinInt64 && w.i == -1 {
				return undef
			}
			return value{i: v.i / w.i}
		}}
	}
	xt, yt := x.t.t, y.t.t
	return &cexpr{t: ctype{t: tFloat}, f: func(st *state) value {
		v, w := xf(st), yf(st)
		if v.undef || w.undef {
			return undef
		}
		a, c := asFloat(v, xt), asFloat(w, yt)
		switch op {
		case syntax.ADD:
			return value{f: a + c}
		case syntax.SUB:
			return value{f: a - c}
		case syntax.MUL:
			return value{f: a * c}
		}
		return value{f: a / c}
	}}
}

// Builtin integer readers: uint8(offset) ... int32be(offset).
var intReaders = map[string]struct {
	size   int
	signed bool
	big    bool
}{
	"uint8": {1, false, false}, "uint16": {2, false, false}, "uint32": {4, false, false},
	"int8": {1, true, false}, "int16": {2, true, false}, "int32": {4, true, false},
	"uint8be": {1, false, true}, "uint16be": {2, false, true}, "uint32be": {4, false, true},
	"int8be": {1, true, true}, "int16be": {2, true, true}, "int32be": {4, true, true},
}

func readInt(data []byte, off int64, size int, signed, big bool) value {
	if off < 0 || off > int64(len(data))-int64(size) {
		return undef
	}
	var u uint64
	for k := 0; k < size; k++ {
		var b byte
		if big {
			b = data[off+int64(k)]
		} else {
			b = data[off+int64(size-1-k)]
		}
		u = u<<8 | uint64(b)
	}
	if signed {
		shift := uint(64 - 8*size)
		return value{i: int64(u<<shift) >> shift}
	}
	return value{i: int64(u)}
}

// moduleArg converts an argument for a module function.
func moduleArg(v value, t vtype, rx *Regexp) module.Value {
	switch t {
	case tInt, tBool:
		return module.Int(v.i)
	case tFloat:
		return module.Float(v.f)
	case tStr:
		return module.Str(v.s)
	case tRegex:
		return module.Value{Re: rx}
	}
	return module.Undef
}

// foldInt evaluates a constant integer operation, reporting overflow as
// YARA's compiler does.
func foldInt(op syntax.Token, a, b int64) (int64, bool) {
	switch op {
	case syntax.ADD:
		r := a + b
		return r, !((a > 0 && b > 0 && r < 0) || (a < 0 && b < 0 && r >= 0))
	case syntax.SUB:
		r := a - b
		return r, !((a >= 0 && b < 0 && r < 0) || (a < 0 && b > 0 && r >= 0))
	case syntax.MUL:
		if a == 0 || b == 0 {
			return 0, true
		}
		if a == math.MinInt64 || b == math.MinInt64 {
			return 0, false
		}
		ua, ub := a, b
		if ua < 0 {
			ua = -ua
		}
		if ub < 0 {
			ub = -ub
		}
		return a * b, ua <= math.MaxInt64/ub
	}
	if b == 0 || a == math.MinInt64 && b == -1 {
		return 0, false
	}
	return a / b, true
}
