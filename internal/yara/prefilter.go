package yara

import "github.com/medshield/medshield/internal/yara/syntax"

// needsMatch reports whether a condition is certainly false when none of
// the rule's strings matched, so the scanner can skip evaluating it (most
// rules of a large set are of this kind, and most files match none of
// their strings). It is conservative: false means "evaluate".
func needsMatch(e syntax.Expr) bool {
	switch e := e.(type) {
	case *syntax.Binary:
		switch e.Op {
		case syntax.AND:
			return needsMatch(e.X) || needsMatch(e.Y)
		case syntax.OR:
			return needsMatch(e.X) && needsMatch(e.Y)
		case syntax.GT, syntax.GE, syntax.EQ:
			c, ok := e.X.(*syntax.StrCount)
			n, isInt := e.Y.(*syntax.IntLit)
			if !ok || !isInt || c.ID == "" {
				return false
			}
			if e.Op == syntax.GT {
				return n.V >= 0
			}
			return n.V >= 1
		}
	case *syntax.StrRef:
		return e.ID != ""
	case *syntax.Of:
		if e.Rules != nil {
			return false
		}
		switch e.Quant.Tok {
		case syntax.ANY, syntax.ALL:
			return true
		case syntax.NONE:
			return false
		}
		n, ok := e.Quant.X.(*syntax.IntLit)
		return ok && n.V >= 1
	}
	return false
}
