package yara

import (
	"github.com/medshield/medshield/internal/yara/module"
	"github.com/medshield/medshield/internal/yara/re"
)

// vtype is the static type of a condition expression.
type vtype uint8

const (
	tBool vtype = iota + 1
	tInt
	tFloat
	tStr
	tRegex
	tStruct
	tArray
	tDict
	tFunc
)

func (t vtype) String() string {
	return [...]string{"?", "boolean", "integer", "float", "string", "regexp", "structure", "array", "dictionary", "function"}[t]
}

// ctype is a static type; module aggregates carry their schema.
type ctype struct {
	t  vtype
	mt *module.Type
}

// value is a runtime value. Booleans and integers use i.
type value struct {
	undef bool
	i     int64
	f     float64
	s     []byte
	m     *module.Value
}

var undef = value{undef: true}

func boolVal(b bool) value {
	if b {
		return value{i: 1}
	}
	return value{}
}

type evalFn func(*state) value

// cexpr is a compiled expression.
type cexpr struct {
	t    ctype
	f    evalFn
	self evalFn              // for functions: the struct holding them
	sigs []*module.Signature // for functions
	rx   *Regexp             // for regexp literals
	// konst marks literals, for checks such as "string offset must be positive".
	konst *value
}

func ctypeOf(mt *module.Type) ctype {
	switch mt.Kind {
	case module.KindInteger:
		return ctype{t: tInt}
	case module.KindFloat:
		return ctype{t: tFloat}
	case module.KindString:
		return ctype{t: tStr}
	case module.KindStruct:
		return ctype{t: tStruct, mt: mt}
	case module.KindArray:
		return ctype{t: tArray, mt: mt}
	case module.KindDict:
		return ctype{t: tDict, mt: mt}
	case module.KindFunc:
		return ctype{t: tFunc, mt: mt}
	}
	return ctype{}
}

// fromModule converts a module value of static type t to a runtime value.
func fromModule(mv module.Value, t vtype) value {
	if mv.Undefined {
		return undef
	}
	switch t {
	case tInt, tBool:
		return value{i: mv.I}
	case tFloat:
		return value{f: mv.F}
	case tStr:
		return value{s: mv.S}
	}
	v := mv
	return value{m: &v}
}

// Regexp is a compiled regular expression used in conditions and passed to
// module functions; it implements module.Regexp.
type Regexp struct {
	n     *re.Node
	first re.Class
	null  bool
}

func newRegexp(n *re.Node) *Regexp {
	f, null := firstSet(n)
	return &Regexp{n: n, first: f, null: null}
}

// Match reports whether the expression matches anywhere in b.
func (r *Regexp) Match(b []byte) bool { return r.MatchLen(b) >= 0 }

// MatchLen returns the length of the first match in b, or -1.
func (r *Regexp) MatchLen(b []byte) int {
	budget := &re.Budget{N: 1 << 22}
	for s := 0; s <= len(b); s++ {
		if !r.null && (s == len(b) || !r.first.Has(b[s])) {
			continue
		}
		if l := re.ForwardLen(r.n, b, s, r.n.HasLazy(), budget); l >= 0 {
			return l
		}
		if budget.N <= 0 {
			return -1
		}
	}
	return -1
}
