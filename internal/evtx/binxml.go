package evtx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// BinXML tokens (the 0x40 bit means "has attributes" or "more follow").
const (
	tokEOF          = 0x00
	tokOpenStart    = 0x01
	tokCloseStart   = 0x02
	tokCloseEmpty   = 0x03
	tokEndElement   = 0x04
	tokValue        = 0x05
	tokAttribute    = 0x06
	tokCDATA        = 0x07
	tokCharRef      = 0x08
	tokEntityRef    = 0x09
	tokPITarget     = 0x0a
	tokPIData       = 0x0b
	tokTemplate     = 0x0c
	tokSubst        = 0x0d
	tokOptSubst     = 0x0e
	tokFragmentHead = 0x0f
)

// maxDepth bounds element and template nesting; real logs nest < 20 deep.
const maxDepth = 64

var (
	errTruncated = errors.New("binxml: truncated")
	errDepth     = errors.New("binxml: nesting too deep")
)

type nodeKind uint8

const (
	kElement nodeKind = iota + 1
	kText
	kSubst
	kCharRef
	kEntityRef
	kCDATA
	kPI
	kInstance
)

// node is one parsed BinXML item. Template definitions are parsed once per
// chunk into node trees; records hold an instance (template + values).
type node struct {
	kind     nodeKind
	optional bool   // optional substitution
	vtype    uint8  // declared substitution type
	idx      uint16 // substitution index or character reference
	name     string // element, entity or PI target name
	text     string // literal text, CDATA, PI data
	attrs    []attr
	children []node
	inst     *instance
}

type attr struct {
	name  string
	value []node
}

type template struct {
	guid  [16]byte
	nodes []node
}

// instance is a template applied to a record's substitution values. The
// values are kept as 8-byte references into the chunk buffer (a record has
// a few dozen) and made into value only when rendered.
type instance struct {
	tmpl  *template
	data  []byte   // the chunk buffer
	refs  []valRef // substitution values
	frags [][]node // parsed BinXML values; their valRef.off indexes this
}

type valRef struct {
	off  uint32
	size uint16
	typ  uint8
}

// value is one substitution value; data aliases the chunk buffer.
type value struct {
	typ  uint8
	data []byte
	frag []node // parsed BinXML for type 0x21
}

// count is the number of substitution values (0 for a nil instance).
func (in *instance) count() int {
	if in == nil {
		return 0
	}
	return len(in.refs)
}

// at returns substitution value i (i < count()).
func (in *instance) at(i uint16) value {
	r := in.refs[i]
	if r.typ == typeBinXML {
		if r.size == 0 {
			return value{typ: r.typ}
		}
		return value{typ: r.typ, frag: in.frags[r.off]}
	}
	return value{typ: r.typ, data: in.data[r.off : r.off+uint32(r.size)]}
}

// chunk is one 64 KiB chunk with its per-chunk caches.
type chunk struct {
	index     int
	data      []byte
	hdr       chunkHeader
	names     map[uint32]string
	templates map[uint32]*template
	tmplErr   map[uint32]error
	tmplBytes int // template definition bytes parsed, bounded by maxTemplateBytes
}

// maxTemplateBytes bounds the template parsing work per chunk: real chunks
// hold a few dozen definitions, but a crafted one could place overlapping
// definitions at every offset.
const maxTemplateBytes = 4 * chunkSize

type parser struct {
	c      *chunk
	b      []byte
	pos    int
	end    int
	depth  int
	inTmpl bool // parsing a template definition (elements carry a dependency id)
}

func (p *parser) need(n int) error {
	if n < 0 || p.pos+n > p.end {
		return errTruncated
	}
	return nil
}

func (p *parser) u8() (byte, error) {
	if err := p.need(1); err != nil {
		return 0, err
	}
	v := p.b[p.pos]
	p.pos++
	return v, nil
}

func (p *parser) u16() (uint16, error) {
	if err := p.need(2); err != nil {
		return 0, err
	}
	v := binary.LittleEndian.Uint16(p.b[p.pos:])
	p.pos += 2
	return v, nil
}

func (p *parser) u32() (uint32, error) {
	if err := p.need(4); err != nil {
		return 0, err
	}
	v := binary.LittleEndian.Uint32(p.b[p.pos:])
	p.pos += 4
	return v, nil
}

// utf16String reads n UTF-16LE code units.
func (p *parser) utf16String(n int) (string, error) {
	if err := p.need(2 * n); err != nil {
		return "", err
	}
	s := decodeUTF16(p.b[p.pos : p.pos+2*n])
	p.pos += 2 * n
	return s, nil
}

// decodeUTF16 decodes UTF-16LE bytes.
func decodeUTF16(b []byte) string {
	var buf [256]byte
	return string(appendUTF16(buf[:0], b))
}

// appendUTF16 appends UTF-16LE bytes as UTF-8, with an ASCII fast path;
// unpaired surrogates become U+FFFD.
func appendUTF16(dst []byte, b []byte) []byte {
	n := len(b) / 2
	i := 0
	for ; i < n; i++ {
		lo, hi := b[2*i], b[2*i+1]
		if hi != 0 || lo >= 0x80 {
			break
		}
		dst = append(dst, lo)
	}
	for ; i < n; i++ {
		r := rune(binary.LittleEndian.Uint16(b[2*i:]))
		if utf16.IsSurrogate(r) {
			if r < 0xdc00 && i+1 < n {
				r2 := rune(binary.LittleEndian.Uint16(b[2*i+2:]))
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					dst = utf8.AppendRune(dst, d)
					i++
					continue
				}
			}
			r = utf8.RuneError
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// name reads a name reference: a chunk offset, with the name stored inline
// when the offset points right here.
func (p *parser) name() (string, error) {
	off, err := p.u32()
	if err != nil {
		return "", err
	}
	if int(off) == p.pos {
		if err := p.need(8); err != nil {
			return "", err
		}
		n := int(binary.LittleEndian.Uint16(p.b[p.pos+6:]))
		p.pos += 8
		s, err := p.utf16String(n)
		if err != nil {
			return "", err
		}
		p.pos += 2 // NUL terminator
		if p.pos > p.end {
			return "", errTruncated
		}
		p.c.names[off] = s
		return s, nil
	}
	if s, ok := p.c.names[off]; ok {
		return s, nil
	}
	return p.c.nameAt(off)
}

func (c *chunk) nameAt(off uint32) (string, error) {
	o := int(off)
	if o < 0 || o+8 > len(c.data) {
		return "", fmt.Errorf("binxml: name offset %#x out of chunk", off)
	}
	n := int(binary.LittleEndian.Uint16(c.data[o+6:]))
	if o+8+2*n > len(c.data) {
		return "", fmt.Errorf("binxml: name at %#x overruns chunk", off)
	}
	s := decodeUTF16(c.data[o+8 : o+8+2*n])
	c.names[off] = s
	return s, nil
}

// fragment parses a BinXML fragment: optional fragment headers, then
// elements or a template instance, until EndOfStream or the end.
func (p *parser) fragment() ([]node, error) {
	var out []node
	for p.pos < p.end {
		tok := p.b[p.pos]
		switch tok &^ 0x40 {
		case tokEOF:
			p.pos++
			return out, nil
		case tokFragmentHead:
			if err := p.need(4); err != nil {
				return out, err
			}
			p.pos += 4
		case tokTemplate:
			n, err := p.templateInstance()
			if err != nil {
				return out, err
			}
			out = append(out, n)
		case tokOpenStart:
			n, err := p.element(tok)
			if err != nil {
				return out, err
			}
			out = append(out, n)
		default:
			n, done, err := p.contentToken(tok)
			if err != nil {
				return out, err
			}
			if done {
				return out, fmt.Errorf("binxml: unexpected token %#x at %#x", tok, p.pos)
			}
			out = append(out, n)
		}
	}
	return out, nil
}

// contentToken parses one text-like token. done is true for tokens that
// end element content (EndElement, EOF) and are left for the caller.
func (p *parser) contentToken(tok byte) (n node, done bool, err error) {
	switch tok &^ 0x40 {
	case tokValue:
		p.pos++
		if _, err = p.u8(); err != nil { // value type, always string
			return n, false, err
		}
		cnt, err := p.u16()
		if err != nil {
			return n, false, err
		}
		s, err := p.utf16String(int(cnt))
		return node{kind: kText, text: s}, false, err
	case tokSubst, tokOptSubst:
		p.pos++
		idx, err := p.u16()
		if err != nil {
			return n, false, err
		}
		t, err := p.u8()
		return node{kind: kSubst, idx: idx, vtype: t, optional: tok == tokOptSubst}, false, err
	case tokCharRef:
		p.pos++
		v, err := p.u16()
		return node{kind: kCharRef, idx: v}, false, err
	case tokEntityRef:
		p.pos++
		s, err := p.name()
		return node{kind: kEntityRef, name: s}, false, err
	case tokCDATA:
		p.pos++
		cnt, err := p.u16()
		if err != nil {
			return n, false, err
		}
		s, err := p.utf16String(int(cnt))
		return node{kind: kCDATA, text: s}, false, err
	case tokPITarget:
		p.pos++
		target, err := p.name()
		if err != nil {
			return n, false, err
		}
		n = node{kind: kPI, name: target}
		if p.pos < p.end && p.b[p.pos] == tokPIData {
			p.pos++
			cnt, err := p.u16()
			if err != nil {
				return n, false, err
			}
			if n.text, err = p.utf16String(int(cnt)); err != nil {
				return n, false, err
			}
		}
		return n, false, nil
	case tokEndElement, tokEOF:
		return n, true, nil
	}
	return n, false, fmt.Errorf("binxml: unexpected token %#x at %#x", tok, p.pos)
}

// element parses OpenStartElement through its end.
func (p *parser) element(tok byte) (node, error) {
	if p.depth >= maxDepth {
		return node{}, errDepth
	}
	p.depth++
	defer func() { p.depth-- }()
	p.pos++
	// Only elements of template definitions carry a dependency identifier;
	// those of plain records (forwarded events) and of BinXML values do not.
	if p.inTmpl {
		if _, err := p.u16(); err != nil {
			return node{}, err
		}
	}
	if _, err := p.u32(); err != nil { // data size
		return node{}, err
	}
	n := node{kind: kElement}
	var err error
	if n.name, err = p.name(); err != nil {
		return n, err
	}
	if tok&0x40 != 0 {
		if _, err := p.u32(); err != nil { // attribute list size
			return n, err
		}
		for p.pos < p.end && p.b[p.pos]&^0x40 == tokAttribute {
			p.pos++
			var a attr
			if a.name, err = p.name(); err != nil {
				return n, err
			}
			for p.pos < p.end {
				t := p.b[p.pos] &^ 0x40
				if t != tokValue && t != tokSubst && t != tokOptSubst && t != tokCharRef && t != tokEntityRef {
					break
				}
				v, _, err := p.contentToken(p.b[p.pos])
				if err != nil {
					return n, err
				}
				a.value = append(a.value, v)
			}
			n.attrs = append(n.attrs, a)
		}
	}
	t, err := p.u8()
	if err != nil {
		return n, err
	}
	switch t {
	case tokCloseEmpty:
		return n, nil
	case tokCloseStart:
	default:
		return n, fmt.Errorf("binxml: expected close of element %q, found token %#x", short(n.name), t)
	}
	for {
		if p.pos >= p.end {
			return n, errTruncated
		}
		tok := p.b[p.pos]
		switch tok &^ 0x40 {
		case tokEndElement:
			p.pos++
			return n, nil
		case tokOpenStart:
			c, err := p.element(tok)
			if err != nil {
				return n, err
			}
			n.children = append(n.children, c)
		case tokTemplate:
			c, err := p.templateInstance()
			if err != nil {
				return n, err
			}
			n.children = append(n.children, c)
		default:
			c, done, err := p.contentToken(tok)
			if err != nil {
				return n, err
			}
			if done {
				return n, fmt.Errorf("binxml: element %q not closed", short(n.name))
			}
			n.children = append(n.children, c)
		}
	}
}

// templateInstance parses a TemplateInstance token: the template reference
// (definition inline the first time it is used in the chunk) and the values.
func (p *parser) templateInstance() (node, error) {
	if p.depth >= maxDepth {
		return node{}, errDepth
	}
	p.pos++
	if _, err := p.u8(); err != nil {
		return node{}, err
	}
	if _, err := p.u32(); err != nil { // template id
		return node{}, err
	}
	defOff, err := p.u32()
	if err != nil {
		return node{}, err
	}
	if int(defOff) == p.pos { // definition inline: skip it
		if err := p.need(24); err != nil {
			return node{}, err
		}
		size := int(binary.LittleEndian.Uint32(p.b[p.pos+20:]))
		if err := p.need(24 + size); err != nil {
			return node{}, err
		}
		p.pos += 24 + size
	}
	tmpl, err := p.c.template(defOff, p.depth+1)
	if err != nil {
		return node{}, err
	}
	count, err := p.u32()
	if err != nil {
		return node{}, err
	}
	if err := p.need(4 * int(count)); err != nil {
		return node{}, fmt.Errorf("template instance: %d values: %w", count, err)
	}
	desc := p.pos
	p.pos += 4 * int(count)
	inst := &instance{tmpl: tmpl, data: p.b, refs: make([]valRef, count)}
	for i := range inst.refs {
		size := int(binary.LittleEndian.Uint16(p.b[desc+4*i:]))
		typ := p.b[desc+4*i+2]
		if err := p.need(size); err != nil {
			return node{}, fmt.Errorf("value %d (type %#x, %d bytes): %w", i, typ, size, err)
		}
		r := valRef{off: uint32(p.pos), size: uint16(size), typ: typ}
		if typ == typeBinXML && size > 0 {
			sub := parser{c: p.c, b: p.b, pos: p.pos, end: p.pos + size, depth: p.depth + 1}
			frag, err := sub.fragment()
			if err != nil {
				return node{}, fmt.Errorf("value %d (binxml): %w", i, err)
			}
			r.off = uint32(len(inst.frags))
			inst.frags = append(inst.frags, frag)
		}
		p.pos += size
		inst.refs[i] = r
	}
	return node{kind: kInstance, inst: inst}, nil
}

// template returns the parsed template definition at off, cached per chunk.
func (c *chunk) template(off uint32, depth int) (*template, error) {
	if t, ok := c.templates[off]; ok {
		return t, nil
	}
	if err, ok := c.tmplErr[off]; ok {
		return nil, err
	}
	t, err := c.parseTemplate(off, depth)
	if err != nil {
		err = fmt.Errorf("template at %#x: %w", off, err)
		c.tmplErr[off] = err
		return nil, err
	}
	c.templates[off] = t
	return t, nil
}

func (c *chunk) parseTemplate(off uint32, depth int) (*template, error) {
	if depth >= maxDepth {
		return nil, errDepth
	}
	o := int(off)
	if o < chunkHeaderSize || o+24 > len(c.data) {
		return nil, errors.New("offset out of chunk")
	}
	size := int(binary.LittleEndian.Uint32(c.data[o+20:]))
	end := o + 24 + size
	if size < 0 || end > len(c.data) {
		// Some dirty logs declare more data than the chunk holds: parse what is there.
		end = len(c.data)
	}
	c.tmplBytes += end - o
	if c.tmplBytes > maxTemplateBytes {
		return nil, errors.New("too much template data in chunk")
	}
	t := &template{}
	copy(t.guid[:], c.data[o+4:o+20])
	// Mark the definition as in progress so that a self-referencing
	// template fails instead of recursing.
	c.tmplErr[off] = errors.New("template refers to itself")
	p := parser{c: c, b: c.data, pos: o + 24, end: end, depth: depth, inTmpl: true}
	nodes, err := p.fragment()
	delete(c.tmplErr, off)
	if err != nil {
		return nil, err
	}
	t.nodes = nodes
	return t, nil
}

// short cuts a (possibly garbage) name for an error message.
func short(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
