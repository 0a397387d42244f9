package evtx

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"unicode/utf16"
)

// bx writes BinXML into a chunk buffer at chunk-relative offsets, so tests
// can build small well-formed (or deliberately broken) files without corpora.
type bx struct{ b []byte }

func (x *bx) pos() int     { return len(x.b) }
func (x *bx) u8(v byte)    { x.b = append(x.b, v) }
func (x *bx) u16(v int)    { x.b = binary.LittleEndian.AppendUint16(x.b, uint16(v)) }
func (x *bx) u32(v int)    { x.b = binary.LittleEndian.AppendUint32(x.b, uint32(v)) }
func (x *bx) u64(v uint64) { x.b = binary.LittleEndian.AppendUint64(x.b, v) }
func (x *bx) raw(p []byte) { x.b = append(x.b, p...) }
func (x *bx) utf16(s string) {
	for _, u := range utf16.Encode([]rune(s)) {
		x.u16(int(u))
	}
}

// name writes a name reference with the name inline.
func (x *bx) name(s string) {
	x.u32(x.pos() + 4)
	x.u32(0)
	x.u16(0)
	x.u16(len(utf16.Encode([]rune(s))))
	x.utf16(s)
	x.u16(0)
}

// open writes OpenStartElement; dep is true inside template definitions.
func (x *bx) open(name string, dep, hasAttrs bool) {
	if hasAttrs {
		x.u8(0x41)
	} else {
		x.u8(0x01)
	}
	if dep {
		x.u16(0xffff)
	}
	x.u32(0) // data size (not used by the reader)
	x.name(name)
	if hasAttrs {
		x.u32(0)
	}
}

func (x *bx) attr(name string)   { x.u8(0x06); x.name(name) }
func (x *bx) closeStart()        { x.u8(0x02) }
func (x *bx) closeEmpty()        { x.u8(0x03) }
func (x *bx) end()               { x.u8(0x04) }
func (x *bx) subst(idx, typ int) { x.u8(0x0d); x.u16(idx); x.u8(byte(typ)) }
func (x *bx) optSubst(idx, typ int) {
	x.u8(0x0e)
	x.u16(idx)
	x.u8(byte(typ))
}
func (x *bx) text(s string) {
	x.u8(0x05)
	x.u8(0x01)
	x.u16(len(utf16.Encode([]rune(s))))
	x.utf16(s)
}

type sval struct {
	typ  int
	data []byte
}

func utf16z(s string) []byte {
	var x bx
	x.utf16(s)
	return x.b
}

// instance writes a TemplateInstance whose definition (body) is inline.
func (x *bx) instance(body func(*bx), vals []sval) {
	x.u8(0x0c)
	x.u8(1)
	x.u32(7)
	x.u32(x.pos() + 4)
	x.u32(0)                // next template
	x.raw(make([]byte, 16)) // GUID
	sizeAt := x.pos()
	x.u32(0)
	start := x.pos()
	x.raw([]byte{0x0f, 1, 1, 0})
	body(x)
	x.u8(0x00)
	binary.LittleEndian.PutUint32(x.b[sizeAt:], uint32(x.pos()-start))
	x.u32(len(vals))
	for _, v := range vals {
		x.u16(len(v.data))
		x.u8(byte(v.typ))
		x.u8(0)
	}
	for _, v := range vals {
		x.raw(v.data)
	}
}

// buildChunk makes a 64 KiB chunk holding one record per content function.
func buildChunk(records ...func(*bx)) []byte {
	x := &bx{b: make([]byte, chunkHeaderSize)}
	copy(x.b, chunkMagic)
	for i, rec := range records {
		start := x.pos()
		x.u32(0x2a2a)
		x.u32(0)
		x.u64(uint64(i + 1))
		x.u64(132000000000000000)
		x.raw([]byte{0x0f, 1, 1, 0})
		rec(x)
		x.u8(0x00)
		size := x.pos() - start + 4
		x.u32(size)
		binary.LittleEndian.PutUint32(x.b[start+4:], uint32(size))
	}
	le := binary.LittleEndian
	le.PutUint64(x.b[8:], 1)
	le.PutUint64(x.b[16:], uint64(len(records)))
	le.PutUint64(x.b[24:], 1)
	le.PutUint64(x.b[32:], uint64(len(records)))
	le.PutUint32(x.b[40:], 128)
	le.PutUint32(x.b[48:], uint32(x.pos()))
	le.PutUint32(x.b[52:], crc32.ChecksumIEEE(x.b[chunkHeaderSize:]))
	out := make([]byte, chunkSize)
	copy(out, x.b)
	c := crc32.NewIEEE()
	c.Write(out[:120])
	c.Write(out[128:512])
	le.PutUint32(out[124:], c.Sum32())
	return out
}

// buildFile makes a file header followed by the chunks.
func buildFile(chunks ...[]byte) []byte {
	h := make([]byte, fileHeaderSize)
	copy(h, fileMagic)
	le := binary.LittleEndian
	le.PutUint64(h[16:], uint64(len(chunks)-1))
	le.PutUint32(h[32:], 128)
	le.PutUint16(h[36:], 1)
	le.PutUint16(h[38:], 3)
	le.PutUint16(h[40:], fileHeaderSize)
	le.PutUint16(h[42:], uint16(len(chunks)))
	le.PutUint32(h[124:], crc32.ChecksumIEEE(h[:120]))
	var b bytes.Buffer
	b.Write(h)
	for _, c := range chunks {
		b.Write(c)
	}
	return b.Bytes()
}

// sysmonLike is a template record resembling a Sysmon event.
func sysmonLike(x *bx) {
	x.instance(func(x *bx) {
		x.open("Event", true, true)
		x.attr("xmlns")
		x.text("http://schemas.microsoft.com/win/2004/08/events/event")
		x.closeStart()
		x.open("System", true, false)
		x.closeStart()
		x.open("Provider", true, true)
		x.attr("Name")
		x.subst(0, typeString)
		x.attr("Guid")
		x.subst(1, typeGUID)
		x.closeEmpty()
		x.open("EventID", true, false)
		x.closeStart()
		x.subst(2, typeUint16)
		x.end()
		x.open("TimeCreated", true, true)
		x.attr("SystemTime")
		x.subst(3, typeFileTime)
		x.closeEmpty()
		x.open("Correlation", true, true)
		x.attr("ActivityID")
		x.optSubst(4, typeGUID)
		x.closeEmpty()
		x.open("Channel", true, false)
		x.closeStart()
		x.text("Microsoft-Windows-Sysmon/Operational")
		x.end()
		x.open("Security", true, true)
		x.attr("UserID")
		x.subst(5, typeSID)
		x.closeEmpty()
		x.end() // System
		x.open("EventData", true, false)
		x.closeStart()
		for i, n := range []string{"CommandLine", "LogonId", "Hashes"} {
			x.open("Data", true, true)
			x.attr("Name")
			x.text(n)
			x.closeStart()
			x.optSubst(6+i, []int{typeString, typeHex64, typeString}[i])
			x.end()
		}
		x.open("Data", true, false)
		x.closeStart()
		x.subst(9, typeString|typeArray)
		x.end()
		x.end() // EventData
		x.end() // Event
	}, []sval{
		{typeString, utf16z("Microsoft-Windows-Sysmon")},
		{typeGUID, []byte{0x90, 0x0b, 0x69, 0x5a, 0x1b, 0x53, 0xb2, 0x4f, 0x9c, 0x84, 0x2b, 0x51, 0x21, 0x31, 0x09, 0x56}},
		{typeUint16, []byte{1, 0}},
		{typeFileTime, binary.LittleEndian.AppendUint64(nil, 132000000001234567)},
		{typeNull, nil},
		{typeSID, []byte{1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0}},
		{typeString, utf16z("cmd.exe /c \"echo <a&b>\"\x00")},
		{typeHex64, binary.LittleEndian.AppendUint64(nil, 0x3e7)},
		{typeNull, nil},
		{typeString | typeArray, utf16z("one\x00two\x00")},
	})
}

func (x *bx) cdata(s string) {
	x.u8(0x07)
	x.u16(len(utf16.Encode([]rune(s))))
	x.utf16(s)
}
func (x *bx) charRef(r int)      { x.u8(0x08); x.u16(r) }
func (x *bx) entityRef(n string) { x.u8(0x09); x.name(n) }
func (x *bx) pi(target, data string) {
	x.u8(0x0a)
	x.name(target)
	x.u8(0x0b)
	x.u16(len(utf16.Encode([]rune(data))))
	x.utf16(data)
}

// oddTokens is a record using the rarer BinXML tokens: CDATA, character and
// entity references, a processing instruction, a BinXML-typed value (UserData
// as forwarded by WEC) and an array in an attribute.
func oddTokens(x *bx) {
	// The BinXML value is a fragment without dependency identifiers; its
	// chunk offsets are only known once the value is placed, so it is built
	// at the position it will occupy (recomputed below).
	x.instance(func(x *bx) {
		x.open("Event", true, false)
		x.closeStart()
		x.open("System", true, false)
		x.closeStart()
		x.open("EventID", true, false)
		x.closeStart()
		x.text("7")
		x.end()
		x.open("Channel", true, false)
		x.closeStart()
		x.text("A")
		x.entityRef("amp")
		x.text("B")
		x.charRef(0x263a)
		x.end()
		x.end()
		x.open("EventData", true, false)
		x.closeStart()
		x.open("Data", true, true)
		x.attr("Name")
		x.text("Script")
		x.closeStart()
		x.cdata("if (a < b) { x }")
		x.end()
		x.open("Data", true, true)
		x.attr("Name")
		x.subst(0, typeHex32|typeArray)
		x.closeStart()
		x.text("v")
		x.end()
		x.end()
		x.pi("xml-stylesheet", "href=\"a.xsl\"")
		x.open("UserData", true, false)
		x.closeStart()
		x.subst(1, typeBinXML)
		x.end()
		x.end()
	}, []sval{
		{typeHex32 | typeArray, []byte{1, 0, 0, 0, 0xff, 0, 0, 0}},
		{typeBinXML, nil}, // filled in by oddTokensChunk
	})
}

// oddTokensChunk builds a chunk with one oddTokens record whose BinXML
// value is a fragment holding <Wrap><Leaf a="1">x</Leaf></Wrap>.
func oddTokensChunk() []byte {
	return buildChunk(func(x *bx) {
		oddTokens(x) // ends with value 0 (8 bytes) and the empty BinXML value 1
		desc1 := x.pos() - 8 - 4
		start := x.pos()
		x.raw([]byte{0x0f, 1, 1, 0})
		x.open("Wrap", false, false)
		x.closeStart()
		x.open("Leaf", false, true)
		x.attr("a")
		x.text("1")
		x.closeStart()
		x.text("x")
		x.end()
		x.end()
		x.u8(0x00)
		binary.LittleEndian.PutUint16(x.b[desc1:], uint16(x.pos()-start))
	})
}

// instanceDef writes a TemplateInstance with its definition inline and no
// values, and returns the definition's offset for instanceRef.
func (x *bx) instanceDef(body func(*bx)) int {
	x.u8(0x0c)
	x.u8(1)
	x.u32(7)
	def := x.pos() + 4
	x.u32(def)
	x.u32(0)
	x.raw(make([]byte, 16))
	sizeAt := x.pos()
	x.u32(0)
	start := x.pos()
	x.raw([]byte{0x0f, 1, 1, 0})
	body(x)
	x.u8(0x00)
	binary.LittleEndian.PutUint32(x.b[sizeAt:], uint32(x.pos()-start))
	x.u32(0) // no values
	return def
}

// instanceRef writes a TemplateInstance of an already defined template.
func (x *bx) instanceRef(def int) {
	x.u8(0x0c)
	x.u8(1)
	x.u32(7)
	x.u32(def)
	x.u32(0)
}

// laughs defines templates T0..T5 where each holds 16 instances of the
// previous one: T5 expands to 16^5 elements from a few hundred bytes.
func laughs(x *bx) {
	def := x.instanceDef(func(x *bx) {
		x.open("E", true, false)
		x.closeEmpty()
	})
	for level := 1; level <= 5; level++ {
		prev := def
		def = x.instanceDef(func(x *bx) {
			x.open("L", true, false)
			x.closeStart()
			for i := 0; i < 16; i++ {
				x.instanceRef(prev)
			}
			x.end()
		})
	}
}
