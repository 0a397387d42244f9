package pe

import (
	"encoding/binary"
	"unicode/utf16"
)

// A small PE writer for tests: it lays out a PE32 or PE32+ image with a Rich
// header, three sections (.text, .rdata with imports, exports and a CodeView
// record, .rsrc with a version resource and a named resource) and an
// overlay. Expected values in the tests come from these specs, not from the
// parser.

type peSpec struct {
	is64      bool
	dll       bool
	machine   uint16
	timestamp uint32
	richKey   uint32
	rich      [][2]uint32 // (id<<16|version, times)
	imports   []impSpec
	exports   []string // names; plus one forwarder "fwd" -> "NTDLL.RtlFoo"
	pdb       string
	version   [][2]string // StringFileInfo key/value pairs
	overlay   []byte
}

type impSpec struct {
	dll      string
	names    []string
	ordinals []uint16
}

const (
	textRVA, textRaw   = 0x1000, 0x400
	rdataRVA, rdataRaw = 0x2000, 0xc00
	rsrcRVA, rsrcRaw   = 0x3000, 0x1400
	secRawSize         = 0x800
	imageBase32        = 0x400000
)

type buf []byte

func (b buf) u16(off int, v uint16) { binary.LittleEndian.PutUint16(b[off:], v) }
func (b buf) u32(off int, v uint32) { binary.LittleEndian.PutUint32(b[off:], v) }
func (b buf) u64(off int, v uint64) { binary.LittleEndian.PutUint64(b[off:], v) }
func (b buf) str(off int, s string) { copy(b[off:], s) }

func wide(s string) []byte {
	var out []byte
	for _, r := range utf16.Encode([]rune(s)) {
		out = append(out, byte(r), byte(r>>8))
	}
	return append(out, 0, 0)
}

func buildPE(s peSpec) []byte {
	size := rsrcRaw + secRawSize
	b := make(buf, size)
	// DOS header and Rich header.
	b.str(0, "MZ")
	const nt = 0x100
	b.u32(0x3c, nt)
	if len(s.rich) > 0 {
		off := 0x40
		b.u32(off, 0x536e6144^s.richKey)
		b.u32(off+4, s.richKey)
		b.u32(off+8, s.richKey)
		b.u32(off+12, s.richKey)
		off += 16
		for _, e := range s.rich {
			b.u32(off, e[0]^s.richKey)
			b.u32(off+4, e[1]^s.richKey)
			off += 8
		}
		b.str(off, "Rich")
		b.u32(off+4, s.richKey)
	}
	// NT headers.
	b.str(nt, "PE\x00\x00")
	fh := nt + 4
	b.u16(fh, s.machine)
	b.u16(fh+2, 3)
	b.u32(fh+4, s.timestamp)
	optSize := 224
	if s.is64 {
		optSize = 240
	}
	b.u16(fh+16, uint16(optSize))
	chars := uint16(0x0102)
	if s.dll {
		chars |= 0x2000
	}
	b.u16(fh+18, chars)
	opt := nt + 24
	dd := opt + 96
	if s.is64 {
		b.u16(opt, 0x20b)
		b.u64(opt+24, 0x140000000)
		dd = opt + 112
		b.u32(opt+108, 16)
	} else {
		b.u16(opt, 0x10b)
		b.u32(opt+24, rdataRVA) // BaseOfData
		b.u32(opt+28, imageBase32)
		b.u32(opt+92, 16)
	}
	b[opt+2], b[opt+3] = 14, 29
	b.u32(opt+4, secRawSize)
	b.u32(opt+16, textRVA+0x10) // entry point
	b.u32(opt+20, textRVA)
	b.u32(opt+32, 0x1000)
	b.u32(opt+36, 0x200)
	b.u16(opt+40, 6)
	b.u16(opt+48, 6)
	b.u32(opt+56, 0x4000)
	b.u32(opt+60, 0x400)
	b.u16(opt+68, 3) // console
	b.u16(opt+70, 0x8160)
	// Sections.
	sec := opt + optSize
	for i, sp := range []struct {
		name     string
		rva, raw uint32
		chars    uint32
	}{{".text", textRVA, textRaw, 0x60000020}, {".rdata", rdataRVA, rdataRaw, 0x40000040}, {".rsrc", rsrcRVA, rsrcRaw, 0x40000040}} {
		o := sec + 40*i
		b.str(o, sp.name)
		b.u32(o+8, secRawSize)
		b.u32(o+12, sp.rva)
		b.u32(o+16, secRawSize)
		b.u32(o+20, sp.raw)
		b.u32(o+36, sp.chars)
	}
	copy(b[textRaw+0x10:], []byte{0x55, 0x89, 0xe5, 0xc3})

	// .rdata: imports at +0, then names; exports at +0x400; debug at +0x700.
	rva := func(raw int) uint32 { return uint32(raw - rdataRaw + rdataRVA) }
	at := rdataRaw + 0x100 // heap for names and thunks
	put := func(data []byte) int {
		o := at
		copy(b[o:], data)
		at += (len(data) + 7) &^ 7
		return o
	}
	thunk := 4
	if s.is64 {
		thunk = 8
	}
	for i, imp := range s.imports {
		desc := rdataRaw + 20*i
		name := put(append([]byte(imp.dll), 0))
		n := len(imp.names) + len(imp.ordinals)
		ilt := put(make([]byte, (n+1)*thunk))
		k := 0
		for _, fn := range imp.names {
			hint := put(append([]byte{0, 0}, append([]byte(fn), 0)...))
			if s.is64 {
				b.u64(ilt+k*8, uint64(rva(hint)))
			} else {
				b.u32(ilt+k*4, rva(hint))
			}
			k++
		}
		for _, ord := range imp.ordinals {
			if s.is64 {
				b.u64(ilt+k*8, 1<<63|uint64(ord))
			} else {
				b.u32(ilt+k*4, 1<<31|uint32(ord))
			}
			k++
		}
		b.u32(desc, rva(ilt))
		b.u32(desc+12, rva(name))
		b.u32(desc+16, rva(ilt))
	}
	if len(s.imports) > 0 {
		b.u32(dd+8, rdataRVA)
		b.u32(dd+12, uint32(20*(len(s.imports)+1)))
	}
	if len(s.exports) > 0 {
		exp := rdataRaw + 0x400
		n := len(s.exports) + 1
		funcs, names, ords := exp+40, exp+40+4*n, exp+40+8*n
		strs := ords + 2*n + 2
		b.u32(exp+4, 0x5eed)
		b.u32(exp+16, 1) // ordinal base
		b.u32(exp+20, uint32(n))
		b.u32(exp+24, uint32(len(s.exports)))
		b.u32(exp+28, rva(funcs))
		b.u32(exp+32, rva(names))
		b.u32(exp+36, rva(ords))
		dllName := strs
		copy(b[dllName:], "test.dll\x00")
		strs += 9
		for i, e := range s.exports {
			b.u32(funcs+4*i, uint32(textRVA+0x10+i))
			b.u32(names+4*i, rva(strs))
			b.u16(ords+2*i, uint16(i))
			copy(b[strs:], e+"\x00")
			strs += len(e) + 1
		}
		// the last function is a forwarder: its RVA points inside the directory
		b.u32(funcs+4*(n-1), rva(strs))
		copy(b[strs:], "NTDLL.RtlFoo\x00")
		strs += 13
		b.u32(exp+12, rva(dllName))
		b.u32(dd, rva(exp))
		b.u32(dd+4, uint32(strs-exp))
	}
	if s.pdb != "" {
		dbg := rdataRaw + 0x700
		cv := dbg + 28
		b.u32(dbg+12, 2)
		b.u32(dbg+16, uint32(24+len(s.pdb)+1))
		b.u32(dbg+20, rva(cv))
		b.u32(dbg+24, uint32(cv))
		b.str(cv, "RSDS")
		b.u32(cv+20, 1)
		b.str(cv+24, s.pdb)
		b.u32(dd+6*8, rva(dbg))
		b.u32(dd+6*8+4, 28)
	}

	// .rsrc: root -> {16 (version), "MYTYPE"} -> id -> language -> data.
	if len(s.version) > 0 {
		r := rsrcRaw
		rr := func(raw int) uint32 { return uint32(raw - rsrcRaw + rsrcRVA) }
		dir := func(off, named, ids int) {
			b.u16(off+12, uint16(named))
			b.u16(off+14, uint16(ids))
		}
		// directory tables
		root, typeVer, typeMy, langVer, langMy := r, r+0x40, r+0x60, r+0x80, r+0xa0
		dataVer, dataMy, nameMy := r+0xc0, r+0xd0, r+0xe0
		dir(root, 1, 1)
		b.u32(root+16, 0x80000000|uint32(nameMy-r)) // named entries first
		b.u32(root+20, 0x80000000|uint32(typeMy-r))
		b.u32(root+24, 16)
		b.u32(root+28, 0x80000000|uint32(typeVer-r))
		dir(typeVer, 0, 1)
		b.u32(typeVer+16, 1)
		b.u32(typeVer+20, 0x80000000|uint32(langVer-r))
		dir(langVer, 0, 1)
		b.u32(langVer+16, 1033)
		b.u32(langVer+20, uint32(dataVer-r))
		dir(typeMy, 0, 1)
		b.u32(typeMy+16, 5)
		b.u32(typeMy+20, 0x80000000|uint32(langMy-r))
		dir(langMy, 0, 1)
		b.u32(langMy+16, 0)
		b.u32(langMy+20, uint32(dataMy-r))
		w := wide("MYTYPE")
		b.u16(nameMy, uint16(len(w)/2-1))
		copy(b[nameMy+2:], w[:len(w)-2])
		// resource data
		vi := r + 0x100
		viLen := versionInfo(b[vi:], s.version)
		b.u32(dataVer, rr(vi))
		b.u32(dataVer+4, uint32(viLen))
		b.u32(dataMy, rr(vi+0x400))
		b.u32(dataMy+4, 16)
		b.u32(dd+2*8, rsrcRVA)
		b.u32(dd+2*8+4, 0x600)
	}
	return append([]byte(b), s.overlay...)
}

// versionInfo writes a VS_VERSIONINFO with one string table and returns
// its length.
func versionInfo(b buf, kv [][2]string) int {
	pad := func(n int) int { return (n + 3) &^ 3 }
	// header(6) + key + pad, fixed info (52)
	off := pad(6 + len(wide("VS_VERSION_INFO")))
	b.u16(2, 52)
	copy(b[6:], wide("VS_VERSION_INFO"))
	b.u32(off, 0xfeef04bd)
	off += 52
	sfi := off
	copy(b[sfi+6:], wide("StringFileInfo"))
	b.u16(sfi+4, 1)
	st := sfi + pad(6+len(wide("StringFileInfo")))
	copy(b[st+6:], wide("040904b0"))
	b.u16(st+4, 1)
	o := st + pad(6+len(wide("040904b0")))
	for _, e := range kv {
		k, v := wide(e[0]), wide(e[1])
		vo := o + pad(6+len(k))
		copy(b[o+6:], k)
		copy(b[vo:], v)
		l := vo + len(v) - o
		b.u16(o, uint16(l))
		b.u16(o+2, uint16(len(v)/2))
		b.u16(o+4, 1)
		o += pad(l)
	}
	b.u16(st, uint16(o-st))
	b.u16(sfi, uint16(o-sfi))
	b.u16(0, uint16(o))
	return o
}
