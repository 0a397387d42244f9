package evtx

import (
	"errors"
	"sync"
	"unicode/utf8"
)

// xkind is the kind of a rendered (materialised) node.
type xkind uint8

const (
	xElem xkind = iota
	xText
	xCDATA
	xPI
)

// xnode is a record after substitution: plain elements, attributes and text.
type xnode struct {
	kind     xkind
	name     string // element name or PI target
	text     string // text, CDATA or PI data
	attrs    []xattr
	children []xnode
}

type xattr struct{ name, value string }

// maxRenderedNodes bounds the expansion of nested templates (a crafted chunk
// could otherwise reference one template from another many times over).
const maxRenderedNodes = 1 << 16

var errTooLarge = errors.New("record expands to too many nodes")

// builder expands records. Its buffers are reused between records through
// builderPool: the expanded tree is transient (the renderers copy out
// strings), so a rendering allocates little more than its result.
type builder struct {
	nodes    int
	buf      []byte
	slab     []xnode   // backing store of children slices
	attrSlab []xattr   // backing store of attribute slices
	scratch  [][]xnode // per depth: children being collected
}

var builderPool = sync.Pool{New: func() any { return new(builder) }}

func (b *builder) reset() {
	b.nodes = 0
	b.slab = b.slab[:0]
	b.attrSlab = b.attrSlab[:0]
}

// scratchAt returns the empty collection buffer for depth d.
func (b *builder) scratchAt(d int) []xnode {
	for len(b.scratch) <= d {
		b.scratch = append(b.scratch, nil)
	}
	return b.scratch[d][:0]
}

// commit copies collected children into the slab and returns their slice.
// Growing the slab leaves earlier slices on the old array, which stays valid.
func (b *builder) commit(sc []xnode) []xnode {
	if len(sc) == 0 {
		return nil
	}
	if cap(b.slab)-len(b.slab) < len(sc) {
		b.slab = make([]xnode, 0, max(2*cap(b.slab), len(sc)+256))
	}
	start := len(b.slab)
	b.slab = append(b.slab, sc...)
	return b.slab[start:len(b.slab):len(b.slab)]
}

func (b *builder) newAttrs(n int) []xattr {
	if cap(b.attrSlab)-len(b.attrSlab) < n {
		b.attrSlab = make([]xattr, 0, max(2*cap(b.attrSlab), n+64))
	}
	return b.attrSlab[len(b.attrSlab) : len(b.attrSlab) : len(b.attrSlab)+n]
}

func (b *builder) count() error {
	b.nodes++
	if b.nodes > maxRenderedNodes {
		return errTooLarge
	}
	return nil
}

// build materialises nodes with the substitution values vals.
func (b *builder) build(nodes []node, vals *instance, out []xnode, depth int) ([]xnode, error) {
	if depth > 2*maxDepth {
		return out, errDepth
	}
	var err error
	for i := range nodes {
		n := &nodes[i]
		switch n.kind {
		case kElement:
			out, err = b.element(n, vals, out, depth)
		case kText:
			out = appendText(out, n.text)
		case kCDATA:
			out = append(out, xnode{kind: xCDATA, text: n.text})
		case kCharRef:
			out = appendText(out, string(rune(n.idx)))
		case kEntityRef:
			out = appendText(out, entity(n.name))
		case kPI:
			out = append(out, xnode{kind: xPI, name: n.name, text: n.text})
		case kSubst:
			if int(n.idx) >= vals.count() {
				continue
			}
			v := vals.at(n.idx)
			switch {
			case v.typ == typeBinXML:
				out, err = b.build(v.frag, nil, out, depth+1)
			case v.typ&typeArray != 0:
				b.buf = b.buf[:0]
				for j, it := range arrayItems(v) {
					if j > 0 {
						b.buf = append(b.buf, ',')
					}
					b.buf = appendValue(b.buf, it)
				}
				if len(b.buf) > 0 {
					out = appendText(out, string(b.buf))
				}
			case !v.isNull():
				b.buf = appendValue(b.buf[:0], v)
				out = appendText(out, string(b.buf))
			}
		case kInstance:
			out, err = b.build(n.inst.tmpl.nodes, n.inst, out, depth+1)
		}
		if err != nil {
			return out, err
		}
		if err = b.count(); err != nil {
			return out, err
		}
	}
	return out, nil
}

func (b *builder) element(n *node, vals *instance, out []xnode, depth int) ([]xnode, error) {
	// An element whose only content is a substitution: an array repeats the
	// element once per item, and an optional null value drops the element.
	if len(n.children) == 1 && n.children[0].kind == kSubst {
		s := &n.children[0]
		if int(s.idx) < vals.count() {
			v := vals.at(s.idx)
			if v.typ&typeArray != 0 {
				for _, it := range arrayItems(v) {
					e := xnode{kind: xElem, name: n.name}
					e.attrs = b.attrs(n, vals)
					b.buf = appendValue(b.buf[:0], it)
					if len(b.buf) > 0 {
						e.children = []xnode{{kind: xText, text: string(b.buf)}}
					}
					out = append(out, e)
					if err := b.count(); err != nil {
						return out, err
					}
				}
				return out, nil
			}
			if s.optional && v.isNull() {
				return out, nil
			}
		}
	}
	e := xnode{kind: xElem, name: n.name, attrs: b.attrs(n, vals)}
	var err error
	if len(n.children) > 0 {
		sc := b.scratchAt(depth + 1)
		sc, err = b.build(n.children, vals, sc, depth+1)
		b.scratch[depth+1] = sc
		e.children = b.commit(sc)
	}
	return append(out, e), err
}

func (b *builder) attrs(n *node, vals *instance) []xattr {
	if len(n.attrs) == 0 {
		return nil
	}
	out := b.newAttrs(len(n.attrs))
	for i := range n.attrs {
		a := &n.attrs[i]
		if len(a.value) == 1 && a.value[0].kind == kText {
			out = append(out, xattr{name: a.name, value: a.value[0].text})
			continue
		}
		b.buf = b.buf[:0]
		dropped := len(a.value) > 0
		for j := range a.value {
			v := &a.value[j]
			switch v.kind {
			case kText:
				b.buf = append(b.buf, v.text...)
				dropped = false
			case kCharRef:
				b.buf = utf8.AppendRune(b.buf, rune(v.idx))
				dropped = false
			case kEntityRef:
				b.buf = append(b.buf, entity(v.name)...)
				dropped = false
			case kSubst:
				if int(v.idx) >= vals.count() {
					continue
				}
				val := vals.at(v.idx)
				if !(v.optional && val.isNull()) {
					dropped = false
				}
				if val.typ&typeArray != 0 {
					for k, it := range arrayItems(val) {
						if k > 0 {
							b.buf = append(b.buf, ',')
						}
						b.buf = appendValue(b.buf, it)
					}
				} else if val.typ != typeBinXML {
					b.buf = appendValue(b.buf, val)
				}
			}
		}
		if !dropped {
			out = append(out, xattr{name: a.name, value: string(b.buf)})
		}
	}
	b.attrSlab = b.attrSlab[:len(b.attrSlab)+len(out)]
	return out
}

// appendText adds text, merging it with a preceding text node.
func appendText(out []xnode, s string) []xnode {
	if k := len(out); k > 0 && out[k-1].kind == xText {
		out[k-1].text += s
		return out
	}
	return append(out, xnode{kind: xText, text: s})
}

// entity resolves the XML predefined entities; others stay as references.
func entity(name string) string {
	switch name {
	case "amp":
		return "&"
	case "lt":
		return "<"
	case "gt":
		return ">"
	case "quot":
		return "\""
	case "apos":
		return "'"
	}
	return "&" + name + ";"
}

// text returns the concatenated direct text of an element.
func (x *xnode) textContent() string {
	switch len(x.children) {
	case 0:
		return ""
	case 1:
		if x.children[0].kind == xText || x.children[0].kind == xCDATA {
			return x.children[0].text
		}
		return ""
	}
	s := ""
	for _, c := range x.children {
		if c.kind == xText || c.kind == xCDATA {
			s += c.text
		}
	}
	return s
}
