package elf

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// A small ELF writer for tests: header, three sections (NULL, .text,
// .shstrtab) plus .symtab/.strtab and .dynsym/.dynstr, one PT_LOAD and one
// PT_DYNAMIC segment. Expected values come from these specs.

type elfSpec struct {
	is64    bool
	big     bool
	typ     uint16
	machine uint16
	entry   uint64
	syms    []string
}

const (
	textOff  = 0x200
	textAddr = 0x400000 + textOff
	textSize = 0x40
	dynOff   = 0x300
)

type writer struct {
	b    []byte
	bo   binary.ByteOrder
	is64 bool
}

func (w *writer) u8(off int, v uint8)   { w.b[off] = v }
func (w *writer) u16(off int, v uint16) { w.bo.PutUint16(w.b[off:], v) }
func (w *writer) u32(off int, v uint32) { w.bo.PutUint32(w.b[off:], v) }
func (w *writer) word(off int, v uint64) {
	if w.is64 {
		w.bo.PutUint64(w.b[off:], v)
	} else {
		w.bo.PutUint32(w.b[off:], uint32(v))
	}
}
func (w *writer) pick(a, b int) int {
	if w.is64 {
		return b
	}
	return a
}

func buildELF(s elfSpec) []byte {
	w := &writer{b: make([]byte, 0x1000), bo: binary.ByteOrder(binary.LittleEndian), is64: s.is64}
	if s.big {
		w.bo = binary.BigEndian
	}
	copy(w.b, "\x7fELF")
	w.b[4] = map[bool]byte{false: 1, true: 2}[s.is64]
	w.b[5] = map[bool]byte{false: 1, true: 2}[s.big]
	w.b[6] = 1
	w.u16(16, s.typ)
	w.u16(18, s.machine)
	w.u32(20, 1)
	w.word(24, s.entry)
	shSize, phSize, symSize := w.pick(40, 64), w.pick(32, 56), w.pick(16, 24)
	phoff, shoff := w.pick(52, 64), 0x800
	w.word(w.pick(28, 32), uint64(phoff))
	w.word(w.pick(32, 40), uint64(shoff))
	w.u16(w.pick(40, 52), uint16(w.pick(52, 64)))
	w.u16(w.pick(42, 54), uint16(phSize))
	w.u16(w.pick(44, 56), 2)
	w.u16(w.pick(46, 58), uint16(shSize))
	w.u16(w.pick(48, 60), 7)
	w.u16(w.pick(50, 62), 2)

	// Program headers: PT_LOAD over the file, PT_DYNAMIC.
	ph := func(i int, typ, flags uint32, off, addr, size uint64) {
		o := phoff + i*phSize
		w.u32(o, typ)
		w.u32(o+w.pick(24, 4), flags)
		w.word(o+w.pick(4, 8), off)
		w.word(o+w.pick(8, 16), addr)
		w.word(o+w.pick(12, 24), addr)
		w.word(o+w.pick(16, 32), size)
		w.word(o+w.pick(20, 40), size)
		w.word(o+w.pick(28, 48), 0x1000)
	}
	ph(0, 1, 5, 0, 0x400000, 0x1000)
	ph(1, 2, 6, dynOff, 0x400000+dynOff, 0x40)
	// Dynamic section: DT_NEEDED, DT_STRSZ, DT_NULL.
	dyn := func(i int, tag, val uint64) {
		o := dynOff + i*w.pick(8, 16)
		w.word(o, tag)
		w.word(o+w.pick(4, 8), val)
	}
	dyn(0, 1, 1)
	dyn(1, 10, 0x20)
	dyn(2, 0, 0)

	// String tables.
	shstr := 0x400
	names := "\x00.text\x00.shstrtab\x00.symtab\x00.strtab\x00.dynsym\x00.dynstr\x00"
	copy(w.b[shstr:], names)
	nameAt := func(n string) uint32 {
		for i := 0; i+len(n) < len(names); i++ {
			if names[i:i+len(n)] == n && names[i+len(n)] == 0 {
				return uint32(i)
			}
		}
		panic(n)
	}
	strtab := 0x480
	symtab := 0x500
	off := 1
	for i, name := range append([]string{""}, s.syms...) {
		o := symtab + i*symSize
		if name != "" {
			copy(w.b[strtab+off:], name+"\x00")
			w.u32(o, uint32(off))
			off += len(name) + 1
		}
		w.u8(o+w.pick(12, 4), 1<<4|2) // GLOBAL FUNC
		w.u16(o+w.pick(14, 6), 1)
		w.word(o+w.pick(4, 8), textAddr+uint64(i))
		w.word(o+w.pick(8, 16), 4)
	}
	nsyms := len(s.syms) + 1

	sec := func(i int, name string, typ uint32, flags, addr, off, size uint64, link uint32) {
		o := shoff + i*shSize
		if name != "" {
			w.u32(o, nameAt(name))
		}
		w.u32(o+4, typ)
		w.word(o+8, flags)
		w.word(o+w.pick(12, 16), addr)
		w.word(o+w.pick(16, 24), off)
		w.word(o+w.pick(20, 32), size)
		w.u32(o+w.pick(24, 40), link)
	}
	sec(0, "", 0, 0, 0, 0, 0, 0)
	sec(1, ".text", 1, 6, textAddr, textOff, textSize, 0)
	sec(2, ".shstrtab", 3, 0, 0, uint64(shstr), uint64(len(names)), 0)
	sec(3, ".symtab", 2, 0, 0, uint64(symtab), uint64(nsyms*symSize), 4)
	sec(4, ".strtab", 3, 0, 0, uint64(strtab), uint64(off), 0)
	sec(5, ".dynsym", 11, 2, 0x400000+uint64(symtab), uint64(symtab), uint64(nsyms*symSize), 6)
	sec(6, ".dynstr", 3, 2, 0x400000+uint64(strtab), uint64(strtab), uint64(off), 0)
	return w.b[:shoff+7*shSize]
}

var testSpecs = []elfSpec{
	{is64: false, big: false, typ: 2, machine: 3, entry: textAddr + 4, syms: []string{"main", "helper"}},
	{is64: true, big: false, typ: 3, machine: 62, entry: textAddr + 8, syms: []string{"main"}},
	{is64: false, big: true, typ: 2, machine: 8, entry: textAddr, syms: []string{"start", "x"}},
	{is64: true, big: true, typ: 1, machine: 21, entry: 0, syms: []string{"f"}},
}

func generatedELFs(t testing.TB) []string {
	dir := t.TempDir()
	var out []string
	for i, s := range testSpecs {
		data := buildELF(s)
		for _, cut := range []int{len(data), 0x600, 0x380, 0x40} {
			p := filepath.Join(dir, fmt.Sprintf("gen%d_%x.elf", i, cut))
			if err := os.WriteFile(p, data[:cut], 0o600); err != nil {
				t.Fatal(err)
			}
			out = append(out, p)
		}
	}
	return out
}
