package yara

import (
	"math"
	"strings"

	"github.com/medshield/medshield/internal/yara/re"
	"github.com/medshield/medshield/internal/yara/syntax"
)

// This file reproduces the compile-time warnings of YARA 4.2.3 (libyara's
// parser.c, grammar.y and atoms.c) so that `medshield rules check` flags the
// same rules yara does. YARA decides "may slow down scanning" from the atoms
// *it* would pick, so the analysis below models YARA's atom extraction and
// quality heuristic on a YARA-shaped syntax tree. It is used only for
// warnings: medshield's own atom choice (atoms.go) and therefore which rules
// compile and what they match are unaffected.

const (
	yrMaxAtomQuality = 255
	// YR_ATOM_QUALITY_WARNING_THRESHOLD: 255 - 22*4 + 38.
	yrAtomWarnThreshold = yrMaxAtomQuality - 22*maxAtomLen + 38
	// YR_ATOMS_PER_RULE_WARNING_THRESHOLD.
	yrAtomsPerRuleWarn = 12000
	// RE_MAX_RANGE: the bound YARA's regexp lexer gives to {n,}.
	yrReMaxRange = math.MaxInt16
)

// ynKind is the kind of a node of YARA's regexp AST (RE_NODE_*), reduced to
// what atom extraction distinguishes.
type ynKind uint8

const (
	ynLit      ynKind = iota + 1 // LITERAL (mask 0xFF)
	ynMasked                     // MASKED_LITERAL or ANY (mask 0x00, 0x0F, 0xF0)
	ynConcat                     // CONCAT
	ynAlt                        // ALT
	ynStar                       // STAR
	ynPlus                       // PLUS
	ynRange                      // RANGE over a non-dot node
	ynRangeAny                   // RANGE_ANY (hex jumps, dot ranges)
	ynOther                      // classes, anchors, empty: they end an atom
)

type ynode struct {
	kind       ynKind
	val, mask  byte
	any        bool // RE_NODE_ANY (the regexp '.' or the hex '??')
	greedy     bool
	start, end int
	subs       []*ynode
}

// yaraTree converts medshield's pattern tree to YARA's node kinds. hex
// selects the hex-string grammar (masks, jumps); otherwise n comes from a
// regexp parsed with DotAll and without Nocase, so that '.' is the only
// 256-byte class and literals stay literals, as in YARA's AST.
func yaraTree(n *re.Node, hex bool) *ynode {
	switch n.Op {
	case re.OpClass:
		return yaraClass(&n.Class, hex)
	case re.OpConcat, re.OpAlt:
		y := &ynode{kind: ynConcat}
		if n.Op == re.OpAlt {
			y.kind = ynAlt
		}
		for _, s := range n.Subs {
			y.subs = append(y.subs, yaraTree(s, hex))
		}
		return y
	case re.OpRepeat:
		sub := n.Subs[0]
		isAny := sub.Op == re.OpClass && sub.Class.Count() == 256
		if hex {
			// Jumps: [1] is the same as ??; [n-] has end INT_MAX.
			if n.Min == 1 && n.Max == 1 {
				return &ynode{kind: ynMasked}
			}
			end := n.Max
			if end < 0 {
				end = math.MaxInt32
			}
			return &ynode{kind: ynRangeAny, start: n.Min, end: end, greedy: false}
		}
		end := n.Max
		if end < 0 {
			end = yrReMaxRange
		}
		switch {
		case n.Max < 0 && n.Min == 0:
			return &ynode{kind: ynStar, greedy: n.Greedy, subs: []*ynode{yaraTree(sub, false)}}
		case n.Max < 0 && n.Min == 1:
			return &ynode{kind: ynPlus, greedy: n.Greedy, subs: []*ynode{yaraTree(sub, false)}}
		case isAny:
			return &ynode{kind: ynRangeAny, start: n.Min, end: end, greedy: n.Greedy}
		}
		return &ynode{kind: ynRange, start: n.Min, end: end, greedy: n.Greedy, subs: []*ynode{yaraTree(sub, false)}}
	}
	return &ynode{kind: ynOther}
}

func yaraClass(c *re.Class, hex bool) *ynode {
	switch n := c.Count(); {
	case n == 1:
		return &ynode{kind: ynLit, val: c.First(), mask: 0xFF}
	case n == 256:
		return &ynode{kind: ynMasked, any: true}
	case hex && n == 16:
		b := c.Bytes()
		if b[0]&0xF0 == b[15]&0xF0 {
			return &ynode{kind: ynMasked, val: b[0] & 0xF0, mask: 0xF0}
		}
		if b[0]&0x0F == b[15]&0x0F {
			return &ynode{kind: ynMasked, val: b[0] & 0x0F, mask: 0x0F}
		}
	}
	return &ynode{kind: ynOther}
}

// hasUnboundedDot is yr_re_ast_has_unbounded_quantifier_for_dot: .*, .+ or
// .{n,} anywhere in the top-level concatenation (not inside alternatives).
func hasUnboundedDot(n *ynode) bool {
	switch n.kind {
	case ynStar, ynPlus:
		return n.subs[0].any
	case ynRangeAny:
		return n.end == yrReMaxRange
	case ynConcat:
		for _, s := range n.subs {
			if hasUnboundedDot(s) {
				return true
			}
		}
	}
	return false
}

// literalOfTree is yr_re_ast_extract_literal: the bytes of a pattern made
// only of plain literals.
func literalOfTree(n *ynode) ([]byte, bool) {
	switch n.kind {
	case ynLit:
		return []byte{n.val}, true
	case ynConcat:
		out := make([]byte, 0, len(n.subs))
		for _, s := range n.subs {
			if s.kind != ynLit {
				return nil, false
			}
			out = append(out, s.val)
		}
		return out, true
	}
	return nil, false
}

// splitAtChains is yr_re_ast_split_at_chaining_point applied repeatedly:
// the top-level concatenation is cut at every lazy jump longer than
// chainThreshold that has something on both sides.
func splitAtChains(n *ynode) []*ynode {
	if n.kind != ynConcat {
		return []*ynode{n}
	}
	var out []*ynode
	last := 0
	for i, c := range n.subs {
		if !c.greedy && c.kind == ynRangeAny && i > last && i < len(n.subs)-1 &&
			(c.start > chainThreshold || c.end > chainThreshold) {
			out = append(out, &ynode{kind: ynConcat, subs: n.subs[last:i]})
			last = i + 1
		}
	}
	if last == 0 {
		return []*ynode{n}
	}
	return append(out, &ynode{kind: ynConcat, subs: n.subs[last:]})
}

// stringMods are the modifiers that change YARA's atoms.
type stringMods struct {
	ascii, wide, nocase bool
	xor                 bool
	xorMin, xorMax      int
	base64, base64wide  bool
}

// yaraStringCheck computes, for one string definition, whether YARA 4.2.3
// warns that it may slow down scanning or that it uses an unbounded dot,
// and how many atoms YARA adds to the rule for it. s is the compiled string
// (used for the base64 encodings).
func yaraStringCheck(sd *syntax.StringDef, s *String) (slow, unboundedDot bool, natoms int) {
	var m stringMods
	for _, mod := range sd.Mods {
		switch mod.Tok {
		case syntax.ASCII:
			m.ascii = true
		case syntax.WIDE:
			m.wide = true
		case syntax.NOCASE:
			m.nocase = true
		case syntax.XOR:
			m.xor, m.xorMin, m.xorMax = true, mod.XorMin, mod.XorMax
		case syntax.BASE64:
			m.base64 = true
		case syntax.BASE64WIDE:
			m.base64wide = true
		}
	}
	if sd.Kind == syntax.RegexString && strings.ContainsRune(sd.Flags, 'i') {
		m.nocase = true
	}
	if !m.wide && !m.xor && !m.base64 && !m.base64wide {
		m.ascii = true
	}
	var tree *ynode
	switch {
	case sd.Kind == syntax.TextString && (m.base64 || m.base64wide):
		// YARA builds an alternation of the encodings (base64.c).
		tree = &ynode{kind: ynAlt}
		for _, v := range s.variants {
			lit := &ynode{kind: ynConcat}
			for _, b := range v.lit {
				lit.subs = append(lit.subs, &ynode{kind: ynLit, val: b, mask: 0xFF})
			}
			tree.subs = append(tree.subs, lit)
		}
	case sd.Kind == syntax.TextString:
		q, n := yaraStringAtoms([]byte(sd.Value), m)
		return q < yrAtomWarnThreshold, false, n
	case sd.Kind == syntax.HexString:
		n := s.hexAST
		if n == nil {
			var err error
			if n, err = re.ParseHex(sd.Value); err != nil {
				return false, false, 0
			}
		}
		tree = yaraTree(n, true)
	case sd.Kind == syntax.RegexString:
		n, err := re.Parse(sd.Value, re.DotAll)
		if err != nil {
			return false, false, 0
		}
		tree = yaraTree(n, false)
	default:
		return false, false, 0
	}
	unboundedDot = hasUnboundedDot(tree)
	minQ := yrMaxAtomQuality
	for _, piece := range splitAtChains(tree) {
		var q, n int
		if lit, ok := literalOfTree(piece); ok {
			q, n = yaraStringAtoms(lit, m)
		} else {
			q, n = yaraPatternAtoms(piece, m)
		}
		minQ = min(minQ, q)
		natoms += n
	}
	return minQ < yrAtomWarnThreshold, unboundedDot, natoms
}

// warnString records YARA's warnings for one string of a rule and counts
// its atoms towards the rule's "rule is slowing down scanning" warning.
func (rc *ruleCtx) warnString(sd *syntax.StringDef, s *String) {
	slow, dot, n := yaraStringCheck(sd, s)
	s.hexAST = nil
	rc.natoms += n
	pos := rc.c.fset.Position(sd.Pos)
	name := "$" + sd.ID
	if dot {
		rc.c.warns.Add(pos, "unbounded-dot", "rule %q: %s contains .*, .+ or .{x,} consider using .{,N}, .{1,N} or {x,N} with a reasonable value for N", rc.rule.Name, name)
	}
	if slow {
		rc.c.warns.Add(pos, "slow-string", "rule %q: string %q may slow down scanning", rc.rule.Name, name)
	} else if s.slow {
		// medshield's own atom choice found nothing to search for: the
		// string is verified at every offset even though YARA would not
		// warn.
		rc.c.warns.Add(pos, "no-atom", "rule %q: string %q may slow down scanning (no atom)", rc.rule.Name, name)
	}
}

// warnRuleAtoms is YARA's per-rule check, made after the condition.
func (rc *ruleCtx) warnRuleAtoms(pos syntax.Pos) {
	if rc.natoms > yrAtomsPerRuleWarn {
		rc.c.warns.Add(rc.c.fset.Position(pos), "slow-rule", "rule %q: rule is slowing down scanning", rc.rule.Name)
	}
}

// warnLiteralBool is grammar.y's warning for a text literal used as a
// boolean (the condition `"abc"` is always true).
func (rc *ruleCtx) warnLiteralBool(pos syntax.Pos, x *cexpr) {
	if x.konst != nil {
		rc.c.warns.Add(rc.c.fset.Position(pos), "literal-bool", "rule %q: using literal string %q in a boolean operation.", rc.rule.Name, string(x.konst.s))
	}
}

// warnEntrypoint is grammar.y's warning for the deprecated keyword.
func (rc *ruleCtx) warnEntrypoint(pos syntax.Pos) {
	rc.c.warns.Add(rc.c.fset.Position(pos), "deprecated", "rule %q: Using deprecated \"entrypoint\" keyword. Use the \"entry_point\" function from PE module instead.", rc.rule.Name)
}
