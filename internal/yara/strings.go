package yara

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/bits"

	"github.com/medshield/medshield/internal/yara/re"
	"github.com/medshield/medshield/internal/yara/syntax"
)

// chainThreshold is the jump length above which a hex string is split into
// chained pieces, like YARA's YR_STRING_CHAINING_THRESHOLD.
const chainThreshold = 200

// String is a compiled string of a rule.
type String struct {
	ID       string
	Private  bool
	fullword bool
	greedy   bool // keep the longer of two matches at one offset
	pos      syntax.Pos
	variants []*variant
	slow     bool
	hexAST   *re.Node // the parsed hex string, dropped after the warning check (warnings.go)

	rule int
	// Chained hex strings: the parent has parts (found like strings) and
	// gaps between consecutive parts; parts point back to their parent.
	parts  []*String
	gaps   [][2]int // min, max (-1 unbounded) distance from end of part i to start of part i+1
	partOf bool
	parent int
}

type variantKind uint8

const (
	vLiteral variantKind = iota + 1 // exact bytes (or ASCII case-insensitive)
	vClasses                        // fixed-length sequence of byte classes
	vRegex                          // general pattern, verified with re
)

// variant is one concrete form of a string (ascii/wide, each xor key,
// each base64 shift, each top-level alternative).
type variant struct {
	kind    variantKind
	lit     []byte
	nocase  bool
	classes []re.Class
	m       re.Matcher
	wide    bool // for the fullword check
	atoms   []atom
}

// atom is a short byte sequence that every match of the variant contains at
// a fixed distance from the point where verification starts.
type atom struct {
	b   []byte
	off int // distance from the variant's anchor (match start for literals, split point for regexes)
}

func hasMod(sd *syntax.StringDef, t syntax.Token) *syntax.Modifier {
	for i := range sd.Mods {
		if sd.Mods[i].Tok == t {
			return &sd.Mods[i]
		}
	}
	return nil
}

func compileString(sd *syntax.StringDef, id string) (*String, error) {
	s := &String{ID: id, pos: sd.Pos}
	seen := map[syntax.Token]bool{}
	for _, m := range sd.Mods {
		if seen[m.Tok] {
			return nil, fmt.Errorf("duplicated modifier %q", m.Tok.String())
		}
		seen[m.Tok] = true
		switch sd.Kind {
		case syntax.HexString:
			if m.Tok != syntax.PRIVATE {
				return nil, fmt.Errorf("invalid modifier %q for a hex string", m.Tok.String())
			}
		case syntax.RegexString:
			switch m.Tok {
			case syntax.XOR, syntax.BASE64, syntax.BASE64WIDE:
				return nil, fmt.Errorf("invalid modifier %q for a regular expression", m.Tok.String())
			}
		}
	}
	s.Private = seen[syntax.PRIVATE]
	s.fullword = seen[syntax.FULLWORD]
	wide, ascii, nocase := seen[syntax.WIDE], seen[syntax.ASCII], seen[syntax.NOCASE]
	if !wide {
		ascii = true
	}
	switch sd.Kind {
	case syntax.TextString:
		return s, s.compileText(sd, ascii, wide, nocase)
	case syntax.HexString:
		n, err := re.ParseHex(sd.Value)
		if err != nil {
			return nil, fmt.Errorf("invalid hex string: %v", err)
		}
		s.hexAST = n
		if pieces, gaps := splitChain(n); len(pieces) > 1 {
			for i, p := range pieces {
				ps := &String{ID: fmt.Sprintf("%s#%d", id, i), pos: sd.Pos}
				ps.addPattern(p, false, true)
				s.parts = append(s.parts, ps)
			}
			s.gaps = gaps
			return s, nil
		}
		s.addPattern(n, false, true)
		s.greedy = false
		return s, nil
	case syntax.RegexString:
		var fl re.Flags
		for _, c := range sd.Flags {
			switch c {
			case 'i':
				fl |= re.Nocase
			case 's':
				fl |= re.DotAll
			}
		}
		if nocase {
			fl |= re.Nocase
		}
		n, err := re.Parse(sd.Value, fl)
		if err != nil {
			return nil, err
		}
		s.greedy = !n.HasLazy()
		if ascii {
			s.addPattern(n, false, !s.greedy)
		}
		if wide {
			s.addPattern(n.Wide(), true, !s.greedy)
		}
		return s, nil
	}
	return nil, errors.New("unknown string kind")
}

func (s *String) compileText(sd *syntax.StringDef, ascii, wide, nocase bool) error {
	val := []byte(sd.Value)
	if len(val) == 0 {
		return errors.New("empty string")
	}
	xm := hasMod(sd, syntax.XOR)
	b64, b64w := hasMod(sd, syntax.BASE64), hasMod(sd, syntax.BASE64WIDE)
	if xm != nil && (nocase || b64 != nil || b64w != nil) {
		return errors.New("xor can't be combined with nocase, base64 or base64wide")
	}
	if (b64 != nil || b64w != nil) && (nocase || s.fullword) {
		return errors.New("base64 can't be combined with nocase or fullword")
	}
	if xm != nil && (xm.XorMin < 0 || xm.XorMax > 255 || xm.XorMin > xm.XorMax) {
		return fmt.Errorf("invalid xor range %d-%d", xm.XorMin, xm.XorMax)
	}
	if b64 != nil || b64w != nil {
		for _, m := range []*syntax.Modifier{b64, b64w} {
			if m == nil {
				continue
			}
			alpha := m.Alphabet
			if m.HasArg && len(alpha) != 64 {
				return errors.New("base64 alphabet must be 64 bytes long")
			}
			if b64 != nil && b64w != nil && b64.Alphabet != b64w.Alphabet {
				return errors.New("base64 and base64wide must use the same alphabet")
			}
			for _, enc := range base64Variants(val, alpha) {
				if m.Tok == syntax.BASE64WIDE {
					enc = widen(enc)
				}
				s.addLiteral(enc, false, m.Tok == syntax.BASE64WIDE)
			}
		}
		return nil
	}
	var forms [][]byte
	var wides []bool
	if ascii {
		forms, wides = append(forms, val), append(wides, false)
	}
	if wide {
		forms, wides = append(forms, widen(val)), append(wides, true)
	}
	for i, f := range forms {
		if xm == nil {
			s.addLiteral(f, nocase, wides[i])
			continue
		}
		for k := xm.XorMin; k <= xm.XorMax; k++ {
			x := make([]byte, len(f))
			for j := range f {
				x[j] = f[j] ^ byte(k)
			}
			s.addLiteral(x, false, wides[i])
		}
	}
	return nil
}

func widen(b []byte) []byte {
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, c, 0)
	}
	return out
}

// base64Variants returns the three encodings of val at the three possible
// alignments, trimmed of the characters that depend on unknown neighbours.
func base64Variants(val []byte, alphabet string) [][]byte {
	enc := base64.StdEncoding.WithPadding(base64.NoPadding)
	if alphabet != "" {
		enc = base64.NewEncoding(alphabet).WithPadding(base64.NoPadding)
	}
	var out [][]byte
	for shift := 0; shift < 3; shift++ {
		in := append(make([]byte, shift), val...)
		e := []byte(enc.EncodeToString(in))
		lead := []int{0, 2, 3}[shift]
		trail := 0
		if len(in)%3 != 0 {
			trail = 1
		}
		if len(e)-trail <= lead {
			continue
		}
		out = append(out, e[lead:len(e)-trail])
	}
	return out
}

func (s *String) addLiteral(b []byte, nocase, wide bool) {
	v := &variant{kind: vLiteral, lit: b, nocase: nocase, wide: wide}
	nodes := make([]*re.Node, len(b))
	for i, c := range b {
		nodes[i] = re.Lit(c)
		if nocase {
			nodes[i].Class.FoldCase()
		}
	}
	start, n, _ := bestAtom(nodes)
	v.atoms = expandAtoms(nodes[start:start+n], start)
	s.variants = append(s.variants, v)
}

// addPattern adds a hex or regex pattern as one or more variants.
func (s *String) addPattern(n *re.Node, wide, lazy bool) {
	if n.Op == re.OpAlt && len(n.Subs) <= 16 {
		for _, sub := range n.Subs {
			s.addPattern(sub, wide, lazy)
		}
		return
	}
	seq := unroll(n.Seq())
	v := &variant{wide: wide}
	if lit, ok := literalOf(seq); ok {
		v.kind, v.lit = vLiteral, lit
		start, k, _ := bestAtom(seq)
		v.atoms = expandAtoms(seq[start:start+k], start)
		s.variants = append(s.variants, v)
		return
	}
	if classes, ok := classesOf(seq); ok {
		v.kind, v.classes = vClasses, classes
		start, k, _ := bestAtom(seq)
		if k > 0 {
			v.atoms = expandAtoms(seq[start:start+k], start)
			s.variants = append(s.variants, v)
			return
		}
	}
	v.kind = vRegex
	// Choose the split point whose prefix atoms are best; atoms found by
	// looking through alternatives and repeats beat a plain window of
	// byte classes when they score higher.
	bestJ, bestQ := -1, -1<<30
	var bestAtoms [][]byte
	for j := range seq {
		// Windows that start with a byte class are scored by bestAtom below;
		// only alternatives and repeats need the prefix expansion.
		if plainWindow(seq[j:]) {
			continue
		}
		if as, ok := prefixAtoms(seq[j:]); ok {
			if q := atomSetQuality(as); q > bestQ {
				bestJ, bestQ, bestAtoms = j, q, as
			}
		}
	}
	start, k, q := bestAtom(seq)
	if bestJ >= 0 && (k == 0 || bestQ > q-3*bits.Len(uint(len(expandAtoms(seq[start:start+k], 0))-1))) {
		v.m = re.Matcher{Fwd: re.Concat(seq[bestJ:]...), Lazy: lazy}
		if bestJ > 0 {
			v.m.Bwd = re.Concat(seq[:bestJ]...).Reverse()
		}
		for _, a := range bestAtoms {
			v.atoms = append(v.atoms, atom{b: a})
		}
		s.variants = append(s.variants, v)
		return
	}
	if k == 0 {
		// No byte class at the top level: use the possible first bytes as
		// one-byte atoms, or scan every offset when any byte can start it.
		first, _ := firstSet(re.Concat(seq...))
		v.m = re.Matcher{Fwd: re.Concat(seq...), Lazy: lazy}
		if first.Count() > 128 {
			s.slow = true
			v.atoms = nil // verified at every offset
		} else {
			for _, b := range first.Bytes() {
				v.atoms = append(v.atoms, atom{b: []byte{b}})
			}
		}
		s.variants = append(s.variants, v)
		return
	}
	v.m = re.Matcher{Fwd: re.Concat(seq[start:]...), Lazy: lazy}
	if start > 0 {
		v.m.Bwd = re.Concat(seq[:start]...).Reverse()
	}
	v.atoms = expandAtoms(seq[start:start+k], 0)
	s.variants = append(s.variants, v)
}

// unroll exposes the mandatory first iterations of top-level repeats, so
// that /a+b/ can use "ab" as an atom.
func unroll(seq []*re.Node) []*re.Node {
	var out []*re.Node
	for _, n := range seq {
		if n.Op == re.OpRepeat && n.Min >= 1 && n.Subs[0].Op == re.OpClass && n.Subs[0].Class.Count() < 256 {
			k := min(n.Min, 4)
			for i := 0; i < k; i++ {
				out = append(out, n.Subs[0])
			}
			rest := *n
			rest.Min -= k
			if rest.Max > 0 {
				rest.Max -= k
			}
			if rest.Max != 0 {
				out = append(out, &rest)
			}
			continue
		}
		out = append(out, n)
	}
	return out
}

func literalOf(seq []*re.Node) ([]byte, bool) {
	if len(seq) == 0 {
		return nil, false
	}
	b := make([]byte, len(seq))
	for i, n := range seq {
		if n.Op != re.OpClass || n.Class.Count() != 1 {
			return nil, false
		}
		b[i] = n.Class.Bytes()[0]
	}
	return b, true
}

func classesOf(seq []*re.Node) ([]re.Class, bool) {
	if len(seq) == 0 {
		return nil, false
	}
	out := make([]re.Class, len(seq))
	for i, n := range seq {
		if n.Op != re.OpClass {
			return nil, false
		}
		out[i] = n.Class
	}
	return out, true
}

// firstSet returns the bytes a match can start with and whether the
// pattern can match the empty string.
func firstSet(n *re.Node) (re.Class, bool) {
	var c re.Class
	switch n.Op {
	case re.OpClass:
		return n.Class, false
	case re.OpConcat:
		for _, s := range n.Subs {
			f, nullable := firstSet(s)
			c.Union(&f)
			if !nullable {
				return c, false
			}
		}
		return c, true
	case re.OpAlt:
		null := false
		for _, s := range n.Subs {
			f, nullable := firstSet(s)
			c.Union(&f)
			null = null || nullable
		}
		return c, null
	case re.OpRepeat:
		f, nullable := firstSet(n.Subs[0])
		return f, nullable || n.Min == 0
	}
	return c, true
}

// splitChain splits a hex pattern at top-level jumps longer than
// chainThreshold, as YARA does.
func splitChain(n *re.Node) ([]*re.Node, [][2]int) {
	seq := n.Seq()
	var pieces []*re.Node
	var gaps [][2]int
	start := 0
	for i, x := range seq {
		if x.Op == re.OpRepeat && x.Subs[0].Op == re.OpClass && x.Subs[0].Class.Count() == 256 &&
			(x.Max < 0 || x.Max > chainThreshold) && i > start {
			pieces = append(pieces, re.Concat(seq[start:i]...))
			gaps = append(gaps, [2]int{x.Min, x.Max})
			start = i + 1
		}
	}
	if len(pieces) == 0 {
		return []*re.Node{n}, nil
	}
	pieces = append(pieces, re.Concat(seq[start:]...))
	return pieces, gaps
}

// plainWindow reports whether seq starts with maxAtomLen narrow byte
// classes, where bestAtom's window already finds the same atoms.
func plainWindow(seq []*re.Node) bool {
	if len(seq) < maxAtomLen {
		return false
	}
	for _, n := range seq[:maxAtomLen] {
		if n.Op != re.OpClass || n.Class.Count() > 16 {
			return false
		}
	}
	return true
}
