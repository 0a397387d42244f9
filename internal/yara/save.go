package yara

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/medshield/medshield/internal/yara/re"
	"github.com/medshield/medshield/internal/yara/syntax"
)

// Compiled rule file layout (all integers big-endian or varint):
//
//	"MSYARA" | format version u16 | engine version (uvarint length + text)
//	| SHA-256 of payload (32 bytes) | payload length u64 | payload
//
// The payload holds the compiled strings (variants, byte-pattern trees and
// atoms), each rule's condition as a syntax tree, externals, and the
// original sources (for Sources() and re-saving). Loading rebuilds the
// condition closures from the trees and the Aho-Corasick automaton from the
// atoms; it never parses rule text nor extracts atoms.
const (
	binMagic      = "MSYARA"
	formatVersion = 1
	// engineVersion changes whenever the meaning of saved variants, atoms
	// or pattern trees changes, so old files are refused, not misread.
	engineVersion = "medshield-yara-engine/1"
)

// Save writes the rule set in the compiled format that Load restores
// without compiling sources.
func (rs *Rules) Save(w io.Writer) error {
	payload, err := rs.encodePayload()
	if err != nil {
		return fmt.Errorf("save rules: %w", err)
	}
	var h bytes.Buffer
	h.WriteString(binMagic)
	binary.Write(&h, binary.BigEndian, uint16(formatVersion))
	h.Write(binary.AppendUvarint(nil, uint64(len(engineVersion))))
	h.WriteString(engineVersion)
	sum := sha256.Sum256(payload)
	h.Write(sum[:])
	binary.Write(&h, binary.BigEndian, uint64(len(payload)))
	if _, err := w.Write(h.Bytes()); err != nil {
		return fmt.Errorf("save rules: %w", err)
	}
	if _, err := w.Write(payload); err != nil {
		return fmt.Errorf("save rules: %w", err)
	}
	return nil
}

type enc struct{ b []byte }

func (e *enc) u(v uint64)  { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) i(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) byte(v byte) { e.b = append(e.b, v) }
func (e *enc) bytes(v []byte) {
	e.u(uint64(len(v)))
	e.b = append(e.b, v...)
}
func (e *enc) str(v string) { e.bytes([]byte(v)) }
func (e *enc) bool(v bool) {
	if v {
		e.byte(1)
	} else {
		e.byte(0)
	}
}

// n writes a slice length keeping nil apart from empty (0 means nil).
func (e *enc) n(l int, isNil bool) {
	if isNil {
		e.u(0)
		return
	}
	e.u(uint64(l) + 1)
}

// savedDecl is a rule's syntax tree found again in the sources, with the
// modules imported before it.
type savedDecl struct {
	rule    *syntax.Rule
	imports []string
}

// ruleDecls parses the sources again (only when saving) because Rules keep
// conditions as closures, not trees.
func (rs *Rules) ruleDecls() map[string][]savedDecl {
	out := map[string][]savedDecl{}
	fset := syntax.NewFileSet()
	var walk func(name, ns string, src []byte, imports map[string]bool, including map[string]bool)
	walk = func(name, ns string, src []byte, imports map[string]bool, including map[string]bool) {
		f, _ := syntax.Parse(fset, name, src)
		if f == nil {
			return
		}
		for _, d := range f.Items {
			switch d := d.(type) {
			case *syntax.Import:
				imports[d.Module] = true
			case *syntax.Include:
				p := d.Path
				if !filepath.IsAbs(p) {
					p = filepath.Join(filepath.Dir(name), p)
				}
				if b, ok := rs.includes[p]; ok && !including[p] {
					including[p] = true
					walk(p, ns, b, imports, including)
					delete(including, p)
				}
			case *syntax.Rule:
				var im []string
				for m := range imports {
					im = append(im, m)
				}
				sort.Strings(im)
				k := ns + "\x00" + d.Name
				out[k] = append(out[k], savedDecl{rule: d, imports: im})
			}
		}
	}
	for _, s := range rs.sources {
		ns := s.Namespace
		if ns == "" {
			ns = "default"
		}
		walk(s.Name, ns, s.Text, map[string]bool{}, map[string]bool{})
	}
	return out
}

// pickDecl chooses, among declarations of one name in one namespace (a
// rejected duplicate may share it), the one the compiled rule came from.
func pickDecl(r *Rule, rs *Rules, cands []savedDecl) (savedDecl, bool) {
	var ids []string
	for _, si := range r.strs {
		if id := rs.strings[si].ID; !strings.HasPrefix(id, "\x00") {
			ids = append(ids, id)
		}
	}
	for _, c := range cands {
		var cids []string
		for _, sd := range c.rule.Strings {
			if sd.ID != "" {
				cids = append(cids, sd.ID)
			}
		}
		if slicesEqual(ids, cids) && slicesEqual(r.Tags, c.rule.Tags) && c.rule.Cond != nil {
			return c, true
		}
	}
	return savedDecl{}, false
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (rs *Rules) encodePayload() ([]byte, error) {
	e := &enc{}
	e.u(uint64(len(rs.externals)))
	for _, x := range rs.externals {
		e.str(x.name)
		e.byte(byte(x.typ))
		switch x.typ {
		case tFloat:
			e.u(math.Float64bits(x.def.f))
		case tStr:
			e.bytes(x.def.s)
		default:
			e.i(x.def.i)
		}
	}
	e.u(uint64(len(rs.sources)))
	for _, s := range rs.sources {
		e.str(s.Name)
		e.str(s.Namespace)
		e.bytes(s.Text)
	}
	keys := make([]string, 0, len(rs.includes))
	for k := range rs.includes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	e.u(uint64(len(keys)))
	for _, k := range keys {
		e.str(k)
		e.bytes(rs.includes[k])
	}
	decls := rs.ruleDecls()
	e.u(uint64(len(rs.rules)))
	for _, r := range rs.rules {
		d, ok := pickDecl(r, rs, decls[r.Namespace+"\x00"+r.Name])
		if !ok {
			return nil, fmt.Errorf("rule %s:%s: condition not found in the sources", r.Namespace, r.Name)
		}
		e.str(r.Name)
		e.str(r.Namespace)
		e.u(uint64(len(r.Tags)))
		for _, t := range r.Tags {
			e.str(t)
		}
		e.u(uint64(len(r.Meta)))
		for _, m := range r.Meta {
			e.str(m.Key)
			switch v := m.Value.(type) {
			case string:
				e.byte(1)
				e.str(v)
			case int64:
				e.byte(2)
				e.i(v)
			case bool:
				e.byte(3)
				e.bool(v)
			default:
				return nil, fmt.Errorf("rule %s: meta %s: unsupported type %T", r.Name, m.Key, m.Value)
			}
		}
		e.bool(r.Global)
		e.bool(r.Private)
		e.u(uint64(len(d.imports)))
		for _, m := range d.imports {
			e.str(m)
		}
		e.u(uint64(len(r.strs)))
		for _, si := range r.strs {
			s := rs.strings[si]
			e.encString(s)
			e.u(uint64(len(s.parts)))
			for _, p := range s.parts {
				e.encString(p)
			}
			e.u(uint64(len(s.gaps)))
			for _, g := range s.gaps {
				e.i(int64(g[0]))
				e.i(int64(g[1]))
			}
		}
		if err := e.expr(d.rule.Cond); err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.Name, err)
		}
	}
	return e.b, nil
}

func (e *enc) encString(s *String) {
	e.str(s.ID)
	e.bool(s.Private)
	e.bool(s.fullword)
	e.bool(s.greedy)
	e.bool(s.slow)
	e.u(uint64(len(s.variants)))
	for _, v := range s.variants {
		e.byte(byte(v.kind))
		e.bytes(v.lit)
		e.bool(v.nocase)
		e.bool(v.wide)
		e.n(len(v.classes), v.classes == nil)
		for _, c := range v.classes {
			e.class(c)
		}
		e.node(v.m.Fwd)
		e.node(v.m.Bwd)
		e.bool(v.m.Lazy)
		e.u(uint64(len(v.atoms)))
		for _, a := range v.atoms {
			e.bytes(a.b)
			e.i(int64(a.off))
		}
	}
}

// class writes a byte class: most hold one or two bytes (exact and
// case-folded letters), written as a count and the bytes; others as the
// 256-bit set.
func (e *enc) class(c re.Class) {
	if n := c.Count(); n <= 2 {
		e.byte(byte(n))
		e.b = append(e.b, c.Bytes()...)
		return
	}
	e.byte(0xff)
	for _, w := range c {
		e.b = binary.BigEndian.AppendUint64(e.b, w)
	}
}

// node writes a pattern tree; op 0 stands for nil.
func (e *enc) node(n *re.Node) {
	if n == nil {
		e.byte(0)
		return
	}
	e.byte(byte(n.Op))
	if n.Op == re.OpClass {
		e.class(n.Class)
	}
	e.u(uint64(len(n.Subs)))
	for _, s := range n.Subs {
		e.node(s)
	}
	e.i(int64(n.Min))
	e.i(int64(n.Max))
	e.bool(n.Greedy)
	e.bool(n.WideB)
}

// Condition tree tags.
const (
	xNil byte = iota
	xIdent
	xMember
	xIndex
	xCall
	xInt
	xFloat
	xText
	xRegex
	xBool
	xKeyword
	xStrRef
	xStrCount
	xStrOffset
	xStrLength
	xUnary
	xBinary
	xOf
	xFor
	xLast = xFor
)

func (e *enc) exprs(l []syntax.Expr) error {
	e.n(len(l), l == nil)
	for _, x := range l {
		if err := e.expr(x); err != nil {
			return err
		}
	}
	return nil
}

func (e *enc) rng(r *syntax.Range) error {
	if r == nil {
		e.bool(false)
		return nil
	}
	e.bool(true)
	if err := e.expr(r.Lo); err != nil {
		return err
	}
	return e.expr(r.Hi)
}

func (e *enc) set(l []syntax.SetItem) {
	e.n(len(l), l == nil)
	for _, it := range l {
		e.str(it.Name)
		e.bool(it.Wildcard)
	}
}

func (e *enc) quant(q *syntax.Quant) error {
	if q == nil {
		return fmt.Errorf("missing quantifier")
	}
	e.i(int64(q.Tok))
	e.bool(q.Percent)
	return e.expr(q.X)
}

func (e *enc) expr(x syntax.Expr) error {
	switch x := x.(type) {
	case nil:
		e.byte(xNil)
	case *syntax.Ident:
		e.byte(xIdent)
		e.str(x.Name)
	case *syntax.Member:
		e.byte(xMember)
		e.str(x.Name)
		return e.expr(x.X)
	case *syntax.Index:
		e.byte(xIndex)
		if err := e.expr(x.X); err != nil {
			return err
		}
		return e.expr(x.Index)
	case *syntax.Call:
		e.byte(xCall)
		if err := e.expr(x.Fun); err != nil {
			return err
		}
		return e.exprs(x.Args)
	case *syntax.IntLit:
		e.byte(xInt)
		e.i(x.V)
	case *syntax.FloatLit:
		e.byte(xFloat)
		e.u(math.Float64bits(x.V))
	case *syntax.TextLit:
		e.byte(xText)
		e.str(x.V)
	case *syntax.RegexLit:
		e.byte(xRegex)
		e.str(x.Src)
		e.str(x.Flags)
	case *syntax.BoolLit:
		e.byte(xBool)
		e.bool(x.V)
	case *syntax.Keyword:
		e.byte(xKeyword)
		e.i(int64(x.Tok))
	case *syntax.StrRef:
		e.byte(xStrRef)
		e.str(x.ID)
		if err := e.expr(x.At); err != nil {
			return err
		}
		return e.rng(x.In)
	case *syntax.StrCount:
		e.byte(xStrCount)
		e.str(x.ID)
		return e.rng(x.In)
	case *syntax.StrOffset:
		e.byte(xStrOffset)
		e.str(x.ID)
		return e.expr(x.Index)
	case *syntax.StrLength:
		e.byte(xStrLength)
		e.str(x.ID)
		return e.expr(x.Index)
	case *syntax.Unary:
		e.byte(xUnary)
		e.i(int64(x.Op))
		return e.expr(x.X)
	case *syntax.Binary:
		e.byte(xBinary)
		e.i(int64(x.Op))
		if err := e.expr(x.X); err != nil {
			return err
		}
		return e.expr(x.Y)
	case *syntax.Of:
		e.byte(xOf)
		if err := e.quant(x.Quant); err != nil {
			return err
		}
		e.bool(x.Them)
		e.set(x.Strings)
		e.set(x.Rules)
		if err := e.expr(x.At); err != nil {
			return err
		}
		return e.rng(x.In)
	case *syntax.For:
		e.byte(xFor)
		if err := e.quant(x.Quant); err != nil {
			return err
		}
		e.n(len(x.Vars), x.Vars == nil)
		for _, v := range x.Vars {
			e.str(v)
		}
		if err := e.rng(x.Range); err != nil {
			return err
		}
		if err := e.exprs(x.List); err != nil {
			return err
		}
		if err := e.expr(x.Iter); err != nil {
			return err
		}
		e.bool(x.Them)
		e.set(x.Strings)
		e.bool(x.IsOf)
		return e.expr(x.Body)
	default:
		return fmt.Errorf("condition node %T can't be saved", x)
	}
	return nil
}
