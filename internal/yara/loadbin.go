package yara

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/medshield/medshield/internal/yara/re"
	"github.com/medshield/medshield/internal/yara/syntax"
)

// Bounds on what a compiled file may ask for: they keep a hostile file
// from making Load allocate without limit or recurse without end.
const (
	maxCompiledSize = 1 << 30
	maxTreeDepth    = 1000
	maxVariants     = 1 << 16
	maxRepeat       = 4 * re.MaxRepeat // the largest hex jump the parser accepts
	maxAtomOff      = 1 << 30
)

var errCorrupt = errors.New("corrupt compiled rule file")

// loadBinary restores a rule set written by Save.
func loadBinary(r io.Reader, opts Options) (*Rules, error) {
	payload, err := readCompiled(r)
	if err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	rs, err := decodePayload(payload, opts)
	if err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	return rs, nil
}

// readCompiled checks the header and the payload's digest.
func readCompiled(r io.Reader) ([]byte, error) {
	head := make([]byte, len(binMagic)+2)
	if _, err := io.ReadFull(r, head); err != nil || string(head[:len(binMagic)]) != binMagic {
		return nil, errors.New("not a medshield compiled rule file")
	}
	if v := binary.BigEndian.Uint16(head[len(binMagic):]); v != formatVersion {
		return nil, fmt.Errorf("compiled rule file has format version %d, this medshield reads version %d: compile the rules again with 'medshield rules compile'", v, formatVersion)
	}
	br := &byteReader{r: r}
	n, err := binary.ReadUvarint(br)
	if err != nil || n > 256 {
		return nil, fmt.Errorf("%w: bad engine version", errCorrupt)
	}
	ev := make([]byte, n)
	if _, err := io.ReadFull(r, ev); err != nil {
		return nil, fmt.Errorf("%w: truncated header", errCorrupt)
	}
	if string(ev) != engineVersion {
		return nil, fmt.Errorf("compiled rule file was made by engine %q, this medshield runs %q: compile the rules again with 'medshield rules compile'", ev, engineVersion)
	}
	var tail [40]byte
	if _, err := io.ReadFull(r, tail[:]); err != nil {
		return nil, fmt.Errorf("%w: truncated header", errCorrupt)
	}
	size := binary.BigEndian.Uint64(tail[32:])
	if size > maxCompiledSize {
		return nil, fmt.Errorf("%w: payload of %d bytes is over the %d byte limit", errCorrupt, size, maxCompiledSize)
	}
	// Read in chunks so a lying length costs no more than the real file.
	var buf bytes.Buffer
	if _, err := io.CopyN(&buf, r, int64(size)); err != nil {
		return nil, fmt.Errorf("%w: truncated (payload should be %d bytes, got %d)", errCorrupt, size, buf.Len())
	}
	payload := buf.Bytes()
	if sha256.Sum256(payload) != [32]byte(tail[:32]) {
		return nil, fmt.Errorf("%w: SHA-256 of the payload does not match the header (damaged file)", errCorrupt)
	}
	return payload, nil
}

type byteReader struct{ r io.Reader }

func (b *byteReader) ReadByte() (byte, error) {
	var c [1]byte
	_, err := io.ReadFull(b.r, c[:])
	return c[0], err
}

// dec reads the payload; the first error sticks and later reads return
// zero values, so callers check d.err once per record.
type dec struct {
	b   []byte
	err error
}

func (d *dec) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", errCorrupt, fmt.Sprintf(format, args...))
	}
}

func (d *dec) u() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad integer")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) i() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad integer")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// int reads a signed integer that must fit in [lo, hi].
func (d *dec) int(lo, hi int64) int {
	v := d.i()
	if v < lo || v > hi {
		d.fail("value %d out of range", v)
		return 0
	}
	return int(v)
}

func (d *dec) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.fail("truncated")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *dec) bool() bool {
	switch d.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail("bad boolean")
	return false
}

// count reads a number of items of at least minSize bytes each, which the
// rest of the payload must be able to hold.
func (d *dec) count(minSize int) int {
	n := d.u()
	if n > uint64(len(d.b)/minSize) {
		d.fail("count %d larger than the file", n)
		return 0
	}
	return int(n)
}

// ncount reads a length written by enc.n (0 means nil).
func (d *dec) ncount(minSize int) (int, bool) {
	n := d.u()
	if n == 0 {
		return 0, true
	}
	if n-1 > uint64(len(d.b)/minSize) {
		d.fail("count %d larger than the file", n-1)
		return 0, false
	}
	return int(n - 1), false
}

func (d *dec) bytes() []byte {
	n := d.count(1)
	if d.err != nil {
		return nil
	}
	out := append([]byte(nil), d.b[:n]...)
	d.b = d.b[n:]
	return out
}

func (d *dec) str() string { return string(d.bytes()) }

func (d *dec) class() re.Class {
	var c re.Class
	switch n := d.byte(); n {
	case 0, 1, 2:
		if len(d.b) < int(n) {
			d.fail("truncated")
			return c
		}
		for _, b := range d.b[:n] {
			c.Add(b)
		}
		d.b = d.b[n:]
		return c
	case 0xff:
	default:
		d.fail("bad byte class")
		return c
	}
	if len(d.b) < 32 {
		d.fail("truncated")
		return c
	}
	for k := range c {
		c[k] = binary.BigEndian.Uint64(d.b[8*k:])
	}
	d.b = d.b[32:]
	return c
}

func decodePayload(b []byte, opts Options) (*Rules, error) {
	d := &dec{b: b}
	exts := map[string]any{}
	for n := d.count(3); n > 0 && d.err == nil; n-- {
		name := d.str()
		switch vtype(d.byte()) {
		case tInt:
			exts[name] = d.i()
		case tFloat:
			exts[name] = math.Float64frombits(d.u())
		case tStr:
			exts[name] = d.str()
		case tBool:
			exts[name] = d.i() != 0
		default:
			d.fail("external %q: bad type", name)
		}
	}
	var sources []Source
	for n := d.count(3); n > 0 && d.err == nil; n-- {
		sources = append(sources, Source{Name: d.str(), Namespace: d.str(), Text: d.bytes()})
	}
	includes := map[string][]byte{}
	for n := d.count(2); n > 0 && d.err == nil; n-- {
		k := d.str()
		includes[k] = d.bytes()
	}
	if d.err != nil {
		return nil, d.err
	}
	c, err := NewCompiler(Options{Modules: opts.Modules, Externals: exts})
	if err != nil {
		return nil, err
	}
	c.sources, c.includes = sources, includes
	for n := d.count(8); n > 0; n-- {
		if err := d.rule(c); err != nil {
			return nil, err
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", errCorrupt, len(d.b))
	}
	rs, _ := c.Rules()
	return rs, nil
}

// rule decodes one rule and compiles its condition tree into closures,
// with the same code (and checks) as compiling from source.
func (d *dec) rule(c *Compiler) (err error) {
	r := &Rule{Name: d.str(), Namespace: d.str()}
	for n := d.count(1); n > 0; n-- {
		r.Tags = append(r.Tags, d.str())
	}
	for n := d.count(3); n > 0 && d.err == nil; n-- {
		m := Meta{Key: d.str()}
		switch d.byte() {
		case 1:
			m.Value = d.str()
		case 2:
			m.Value = d.i()
		case 3:
			m.Value = d.bool()
		default:
			d.fail("bad meta type")
		}
		r.Meta = append(r.Meta, m)
	}
	r.Global, r.Private = d.bool(), d.bool()
	imports := map[string]bool{}
	for n := d.count(1); n > 0 && d.err == nil; n-- {
		m := d.str()
		if _, ok := c.mods[m]; !ok && d.err == nil {
			return fmt.Errorf("rule %s:%s imports module %q, which this build of medshield does not provide", r.Namespace, r.Name, m)
		}
		imports[m] = true
	}
	var strs []*String
	var tops []int
	for n := d.count(8); n > 0 && d.err == nil; n-- {
		s := d.str_()
		tops = append(tops, len(strs))
		strs = append(strs, s)
		parent := len(strs) - 1
		for k := d.count(8); k > 0 && d.err == nil; k-- {
			p := d.str_()
			p.partOf, p.parent = true, parent
			s.parts = append(s.parts, p)
			strs = append(strs, p)
		}
		for k := d.count(2); k > 0 && d.err == nil; k-- {
			s.gaps = append(s.gaps, [2]int{d.int(0, math.MaxInt32), d.int(-1, math.MaxInt32)})
		}
		if len(s.parts) > 0 && len(s.gaps) != len(s.parts)-1 {
			d.fail("string %s: %d parts but %d gaps", s.ID, len(s.parts), len(s.gaps))
		}
	}
	cond := d.expr(0)
	if d.err != nil {
		return fmt.Errorf("rule %s: %w", r.Name, d.err)
	}
	if cond == nil {
		return fmt.Errorf("%w: rule %s has no condition", errCorrupt, r.Name)
	}
	nsi := c.ns[r.Namespace]
	if nsi == nil {
		nsi = &nsInfo{name: r.Namespace, rules: map[string]*Rule{}}
		c.ns[r.Namespace] = nsi
	}
	if _, dup := nsi.rules[r.Name]; dup {
		return fmt.Errorf("%w: duplicated rule %s:%s", errCorrupt, r.Namespace, r.Name)
	}
	rc := &ruleCtx{c: c, rule: r, ns: nsi, scope: &fileScope{imports: imports}, byID: map[string]int{}, base: len(c.rs.strings), strs: strs}
	for _, i := range tops {
		id := strs[i].ID
		if _, dup := rc.byID[id]; dup {
			return fmt.Errorf("%w: rule %s: duplicated string $%s", errCorrupt, r.Name, id)
		}
		rc.byID[id] = i
		rc.order = append(rc.order, id)
	}
	rc.used = make([]bool, len(strs))
	// The condition compiler reports errors by panicking with
	// *compileError; a hostile tree could also reach states source text
	// never produces, so any panic here is a corrupt file, not a crash.
	defer func() {
		if p := recover(); p != nil {
			if ce, ok := p.(*compileError); ok {
				err = fmt.Errorf("%w: rule %s: %s", errCorrupt, r.Name, ce.msg)
				return
			}
			err = fmt.Errorf("%w: rule %s: bad condition (%v)", errCorrupt, r.Name, p)
		}
	}()
	r.cond = rc.boolExpr(cond)
	r.index = len(c.rs.rules)
	for _, i := range tops {
		r.strs = append(r.strs, rc.base+i)
	}
	r.needsMatch = len(r.strs) > 0 && needsMatch(cond)
	for _, s := range strs {
		s.rule = r.index
		if s.partOf {
			s.parent += rc.base
		}
		c.rs.strings = append(c.rs.strings, s)
	}
	c.rs.rules = append(c.rs.rules, r)
	nsi.rules[r.Name] = r
	return nil
}

// str_ decodes one compiled string (without its chain parts).
func (d *dec) str_() *String {
	s := &String{ID: d.str(), Private: d.bool(), fullword: d.bool(), greedy: d.bool(), slow: d.bool()}
	n := d.count(8)
	if n > maxVariants {
		d.fail("%d variants", n)
		return s
	}
	for ; n > 0 && d.err == nil; n-- {
		v := &variant{kind: variantKind(d.byte()), lit: d.bytes(), nocase: d.bool(), wide: d.bool()}
		nc, isNil := d.ncount(1)
		if !isNil {
			v.classes = make([]re.Class, 0, nc)
		}
		for ; nc > 0; nc-- {
			v.classes = append(v.classes, d.class())
		}
		v.m.Fwd = d.node(0)
		v.m.Bwd = d.node(0)
		v.m.Lazy = d.bool()
		for k := d.count(2); k > 0 && d.err == nil; k-- {
			a := atom{b: d.bytes(), off: d.int(-maxAtomOff, maxAtomOff)}
			if len(a.b) == 0 || len(a.b) > maxAtomLen {
				d.fail("atom of %d bytes", len(a.b))
			}
			v.atoms = append(v.atoms, a)
		}
		switch v.kind {
		case vLiteral, vClasses:
		case vRegex:
			if v.m.Fwd == nil {
				d.fail("pattern variant without a pattern")
			}
		default:
			d.fail("bad variant kind %d", v.kind)
		}
		s.variants = append(s.variants, v)
	}
	return s
}

// node decodes a pattern tree and checks its shape against what the
// matcher expects.
func (d *dec) node(depth int) *re.Node {
	op := re.Op(d.byte())
	if op == 0 || d.err != nil {
		return nil
	}
	if depth > maxTreeDepth {
		d.fail("pattern nested too deeply")
		return nil
	}
	if op > re.OpEmpty {
		d.fail("bad pattern op %d", op)
		return nil
	}
	n := &re.Node{Op: op}
	if op == re.OpClass {
		n.Class = d.class()
	}
	for k := d.count(1); k > 0 && d.err == nil; k-- {
		s := d.node(depth + 1)
		if s == nil {
			d.fail("nil pattern node")
		}
		n.Subs = append(n.Subs, s)
	}
	n.Min, n.Max = d.int(0, maxRepeat), d.int(-1, maxRepeat)
	n.Greedy, n.WideB = d.bool(), d.bool()
	switch op {
	case re.OpRepeat:
		if len(n.Subs) != 1 || n.Max >= 0 && n.Max < n.Min {
			d.fail("bad repeat")
		}
	case re.OpConcat, re.OpAlt:
	default:
		if len(n.Subs) != 0 {
			d.fail("pattern op %d with operands", op)
		}
	}
	return n
}

func (d *dec) exprs(depth int, must bool) []syntax.Expr {
	n, isNil := d.ncount(1)
	if isNil {
		if must {
			d.fail("missing list")
		}
		return nil
	}
	out := make([]syntax.Expr, 0, n)
	for ; n > 0 && d.err == nil; n-- {
		out = append(out, d.must(depth))
	}
	return out
}

// must decodes an expression that may not be absent.
func (d *dec) must(depth int) syntax.Expr {
	x := d.expr(depth)
	if x == nil {
		d.fail("missing expression")
	}
	return x
}

func (d *dec) rng(depth int) *syntax.Range {
	if !d.bool() {
		return nil
	}
	return &syntax.Range{Lo: d.must(depth), Hi: d.must(depth)}
}

func (d *dec) set() []syntax.SetItem {
	n, isNil := d.ncount(2)
	if isNil {
		return nil
	}
	out := make([]syntax.SetItem, 0, n)
	for ; n > 0 && d.err == nil; n-- {
		out = append(out, syntax.SetItem{Name: d.str(), Wildcard: d.bool()})
	}
	return out
}

func (d *dec) quant(depth int) *syntax.Quant {
	return &syntax.Quant{Tok: syntax.Token(d.int(0, 1<<16)), Percent: d.bool(), X: d.expr(depth)}
}

// expr decodes a condition tree; nil is returned for an absent operand.
func (d *dec) expr(depth int) syntax.Expr {
	tag := d.byte()
	if d.err != nil || tag == xNil {
		return nil
	}
	if depth > maxTreeDepth {
		d.fail("condition nested too deeply")
		return nil
	}
	depth++
	tok := func() syntax.Token { return syntax.Token(d.int(0, 1<<16)) }
	var x syntax.Expr
	switch tag {
	case xIdent:
		x = &syntax.Ident{Name: d.str()}
	case xMember:
		x = &syntax.Member{Name: d.str(), X: d.must(depth)}
	case xIndex:
		x = &syntax.Index{X: d.must(depth), Index: d.must(depth)}
	case xCall:
		x = &syntax.Call{Fun: d.must(depth), Args: d.exprs(depth, false)}
	case xInt:
		x = &syntax.IntLit{V: d.i()}
	case xFloat:
		x = &syntax.FloatLit{V: math.Float64frombits(d.u())}
	case xText:
		x = &syntax.TextLit{V: d.str()}
	case xRegex:
		x = &syntax.RegexLit{Src: d.str(), Flags: d.str()}
	case xBool:
		x = &syntax.BoolLit{V: d.bool()}
	case xKeyword:
		x = &syntax.Keyword{Tok: tok()}
	case xStrRef:
		x = &syntax.StrRef{ID: d.str(), At: d.expr(depth), In: d.rng(depth)}
	case xStrCount:
		x = &syntax.StrCount{ID: d.str(), In: d.rng(depth)}
	case xStrOffset:
		x = &syntax.StrOffset{ID: d.str(), Index: d.expr(depth)}
	case xStrLength:
		x = &syntax.StrLength{ID: d.str(), Index: d.expr(depth)}
	case xUnary:
		x = &syntax.Unary{Op: tok(), X: d.must(depth)}
	case xBinary:
		x = &syntax.Binary{Op: tok(), X: d.must(depth), Y: d.must(depth)}
	case xOf:
		x = &syntax.Of{Quant: d.quant(depth), Them: d.bool(), Strings: d.set(), Rules: d.set(), At: d.expr(depth), In: d.rng(depth)}
	case xFor:
		f := &syntax.For{Quant: d.quant(depth)}
		if n, isNil := d.ncount(1); !isNil {
			f.Vars = make([]string, 0, n)
			for ; n > 0 && d.err == nil; n-- {
				f.Vars = append(f.Vars, d.str())
			}
		}
		f.Range = d.rng(depth)
		f.List = d.exprs(depth, false)
		f.Iter = d.expr(depth)
		f.Them, f.Strings, f.IsOf = d.bool(), d.set(), d.bool()
		f.Body = d.must(depth)
		x = f
	default:
		d.fail("bad condition node %d", tag)
	}
	if d.err != nil {
		return nil
	}
	return x
}
