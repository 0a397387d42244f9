// Package elf is YARA's "elf" module (as in YARA 4.2.3) on a bounded ELF
// parser of its own for 32- and 64-bit files of either byte order: header
// fields, entry point as a file offset, sections (with names), segments, the
// dynamic section, symtab and dynsym, and YARA's constants.
//
// Values follow YARA 4.2.3 exactly, including its quirks (commented where
// reproduced). YARA 4.2.3 has no functions in this module (telfhash and
// import_md5 came later) and neither do we. Only the YARA engine and
// module/list.go import it.
package elf

import (
	"encoding/binary"
	"sync"

	"github.com/medshield/medshield/internal/yara/module"
)

// Module is the elf module. The zero value is ready to use.
type Module struct{}

// New returns the elf module.
func New() *Module { return &Module{} }

// Name implements module.Module.
func (*Module) Name() string { return "elf" }

var (
	tInt = &module.Type{Kind: module.KindInteger}
	tStr = &module.Type{Kind: module.KindString}

	schemaOnce sync.Once
	schemaType *module.Type
)

func field(name string, t *module.Type) module.Field { return module.Field{Name: name, Type: t} }

func structArray(fields ...module.Field) *module.Type {
	return &module.Type{Kind: module.KindArray, Elem: &module.Type{Kind: module.KindStruct, Fields: fields}}
}

// Schema implements module.Module.
func (*Module) Schema() *module.Type {
	schemaOnce.Do(func() {
		var fs []module.Field
		for _, c := range constants {
			fs = append(fs, field(c.name, tInt))
		}
		for _, n := range []string{"type", "machine", "entry_point", "number_of_sections", "sh_offset",
			"sh_entry_size", "number_of_segments", "ph_offset", "ph_entry_size"} {
			fs = append(fs, field(n, tInt))
		}
		sym := structArray(field("name", tStr), field("value", tInt), field("size", tInt),
			field("type", tInt), field("bind", tInt), field("shndx", tInt))
		fs = append(fs,
			field("sections", structArray(field("type", tInt), field("flags", tInt), field("address", tInt),
				field("name", tStr), field("size", tInt), field("offset", tInt))),
			field("segments", structArray(field("type", tInt), field("flags", tInt), field("offset", tInt),
				field("virtual_address", tInt), field("physical_address", tInt), field("file_size", tInt),
				field("memory_size", tInt), field("alignment", tInt))),
			field("dynamic_section_entries", tInt),
			field("dynamic", structArray(field("type", tInt), field("val", tInt))),
			field("symtab_entries", tInt),
			field("symtab", sym),
			field("dynsym_entries", tInt),
			field("dynsym", sym),
		)
		schemaType = &module.Type{Kind: module.KindStruct, Fields: fs}
	})
	return schemaType
}

// Our bounds (YARA has none): each entry costs about 2 KB as a module.Value,
// so a hostile or huge file must not turn into gigabytes. The dynamic walk
// is bounded over all PT_DYNAMIC segments (many segments pointing at one
// long table would also make it quadratic); symbol tables are materialized
// up to maxSymbols entries each, while symtab_entries/dynsym_entries keep
// YARA's full count.
const (
	maxDynamicEntries = 1 << 16
	maxSymbols        = 1 << 16
)

// Load implements module.Module.
func (m *Module) Load(sc *module.ScanContext) (module.Value, error) {
	root := module.Value{Kind: module.KindStruct, Fields: map[string]module.Value{}}
	for _, f := range m.Schema().Fields {
		if f.Type.Kind == module.KindArray {
			root.Fields[f.Name] = module.Value{Kind: module.KindArray}
		}
	}
	for _, c := range constants {
		root.Fields[c.name] = module.Int(c.value)
	}
	data := sc.Data
	if len(data) < 16 || binary.LittleEndian.Uint32(data) != 0x464c457f {
		return root, nil
	}
	e := &file{data: data}
	switch data[4] {
	case 1:
		e.hdrSize, e.shSize, e.phSize, e.symSize, e.dynSize = 52, 40, 32, 16, 8
	case 2:
		e.is64 = true
		e.hdrSize, e.shSize, e.phSize, e.symSize, e.dynSize = 64, 64, 56, 24, 16
	default:
		return root, nil
	}
	switch data[5] {
	case 1:
		e.bo = binary.LittleEndian
	case 2:
		e.bo = binary.BigEndian
	default:
		return root, nil
	}
	if int64(len(data)) <= e.hdrSize {
		return root, nil // YARA wants more than the header
	}
	e.parse(root.Fields)
	return root, nil
}

type file struct {
	data    []byte
	is64    bool
	bo      binary.ByteOrder
	hdrSize int64
	shSize  int64
	phSize  int64
	symSize int64
	dynSize int64
}

func (e *file) size() uint64 { return uint64(len(e.data)) }

// fits reports whether n bytes at off are inside the file.
func (e *file) fits(off, n uint64) bool { return n <= e.size() && off <= e.size()-n }

func (e *file) u8(off uint64) uint64 {
	if !e.fits(off, 1) {
		return 0
	}
	return uint64(e.data[off])
}

func (e *file) u16(off uint64) uint64 {
	if !e.fits(off, 2) {
		return 0
	}
	return uint64(e.bo.Uint16(e.data[off:]))
}

func (e *file) u32(off uint64) uint64 {
	if !e.fits(off, 4) {
		return 0
	}
	return uint64(e.bo.Uint32(e.data[off:]))
}

// word reads an address-sized field: 32 or 64 bits.
func (e *file) word(off uint64) uint64 {
	if !e.is64 {
		return e.u32(off)
	}
	if !e.fits(off, 8) {
		return 0
	}
	return e.bo.Uint64(e.data[off:])
}

// add is address-width addition: YARA adds two 32-bit fields in 32 bits.
func (e *file) add(a, b uint64) uint64 {
	if e.is64 {
		return a + b
	}
	return uint64(uint32(a + b))
}

// Header field offsets for (32-bit, 64-bit) files.
func (e *file) pick(off32, off64 uint64) uint64 {
	if e.is64 {
		return off64
	}
	return off32
}

func (e *file) entry() uint64     { return e.word(24) }
func (e *file) phOffset() uint64  { return e.word(e.pick(28, 32)) }
func (e *file) shOffset() uint64  { return e.word(e.pick(32, 40)) }
func (e *file) phEntSize() uint64 { return e.u16(e.pick(42, 54)) }
func (e *file) phCount() uint64   { return e.u16(e.pick(44, 56)) }
func (e *file) shEntSize() uint64 { return e.u16(e.pick(46, 58)) }
func (e *file) shCount() uint64   { return e.u16(e.pick(48, 60)) }
func (e *file) shStrndx() uint64  { return e.u16(e.pick(50, 62)) }

// tableFits is YARA's check for a header table: no wrap, non-zero offset,
// inside the file, at least one entry.
func (e *file) tableFits(off, count, entSize uint64) bool {
	size := count * entSize
	if ^uint64(0)-off < size {
		return false
	}
	return off != 0 && off <= e.size() && off+size <= e.size() && count != 0
}

// rvaToOffset is elf_rva_to_offset: through the program headers for
// ET_EXEC files, through the sections otherwise; false is undefined.
func (e *file) rvaToOffset(rva uint64) (uint64, bool) {
	if e.u16(16) == 2 { // ET_EXEC
		off, n := e.phOffset(), e.phCount()
		if !e.tableFits(off, n, uint64(e.phSize)) {
			return 0, false
		}
		for i := uint64(0); i < n; i++ {
			ph := off + i*uint64(e.phSize)
			va, memsz, poff := e.word(ph+e.pick(8, 16)), e.word(ph+e.pick(20, 40)), e.word(ph+e.pick(4, 8))
			if rva >= va && rva < e.add(va, memsz) {
				return poff + (rva - va), true
			}
		}
		return 0, false
	}
	off, n := e.shOffset(), e.shCount()
	if !e.tableFits(off, n, uint64(e.shSize)) {
		return 0, false
	}
	for i := uint64(0); i < n; i++ {
		sh := off + i*uint64(e.shSize)
		typ := e.u32(sh + 4)
		addr, size, soff := e.word(sh+e.pick(12, 16)), e.word(sh+e.pick(20, 32)), e.word(sh+e.pick(16, 24))
		if typ != 0 && typ != 8 && rva >= addr && rva < e.add(addr, size) {
			return soff + (rva - addr), true
		}
	}
	return 0, false
}

// strEntry is YARA's str_table_entry: the table must start with a NUL and
// the entry must end before limit.
func (e *file) strEntry(base, limit uint64, index uint64) ([]byte, bool) {
	if base >= limit || limit > e.size() || e.data[base] != 0 || int32(uint32(index)) < 0 {
		return nil, false
	}
	entry := base + index
	if entry >= limit {
		return nil, false
	}
	for i := entry; i < limit; i++ {
		if e.data[i] == 0 {
			return e.data[entry:i], true
		}
	}
	return nil, false
}

func intv(v uint64) module.Value { return module.Int(int64(v)) }

func (e *file) parse(o map[string]module.Value) {
	o["type"] = intv(e.u16(16))
	o["machine"] = intv(e.u16(18))
	o["sh_offset"] = intv(e.shOffset())
	o["sh_entry_size"] = intv(e.shEntSize())
	o["number_of_sections"] = intv(e.shCount())
	o["ph_offset"] = intv(e.phOffset())
	o["ph_entry_size"] = intv(e.phEntSize())
	o["number_of_segments"] = intv(e.phCount())
	if ep := e.entry(); ep != 0 {
		if off, ok := e.rvaToOffset(ep); ok {
			o["entry_point"] = intv(off)
		}
	}
	e.parseSections(o)
	e.parseSegments(o)
}

type symTable struct{ table, tableSize, strs, strsSize uint64 }

func (e *file) parseSections(o map[string]module.Value) {
	n, shoff, strIdx := e.shCount(), e.shOffset(), e.shStrndx()
	shSize := uint64(e.shSize)
	if !(n < 0xff00 && strIdx < n && shoff < e.size() && shoff+n*shSize <= e.size()) {
		return
	}
	var strTable uint64 // 0: none (YARA also ignores a table at offset 0)
	if so := e.word(shoff + strIdx*shSize + e.pick(16, 24)); so < e.size() {
		strTable = so
	}
	// YARA compares the link with the raw, unswapped section count.
	rawCount := n
	if e.bo == binary.BigEndian {
		rawCount = uint64(binary.LittleEndian.Uint16(e.data[e.pick(48, 60):]))
	}
	var symtab, dynsym *symTable
	secs := o["sections"]
	for i := uint64(0); i < n; i++ {
		sh := shoff + i*shSize
		s := map[string]module.Value{
			"type":    intv(e.u32(sh + 4)),
			"flags":   intv(e.word(sh + 8)),
			"address": intv(e.word(sh + e.pick(12, 16))),
			"size":    intv(e.word(sh + e.pick(20, 32))),
			"offset":  intv(e.word(sh + e.pick(16, 24))),
		}
		if name := e.u32(sh); name < e.size() && strTable > 0 {
			if b, ok := e.strEntry(strTable, e.size(), name); ok {
				s["name"] = module.Str(append([]byte(nil), b...))
			}
		}
		secs.Items = append(secs.Items, module.Value{Kind: module.KindStruct, Fields: s})
		typ, link := e.u32(sh+4), e.u32(sh+e.pick(24, 40))
		if (typ == 2 || typ == 11) && link < rawCount {
			str := shoff + link*shSize
			if e.fits(str, shSize) && e.u32(str+4) == 3 { // SHT_STRTAB
				t := &symTable{
					table: e.word(sh + e.pick(16, 24)), tableSize: e.word(sh + e.pick(20, 32)),
					strs: e.word(str + e.pick(16, 24)), strsSize: e.word(str + e.pick(20, 32)),
				}
				if typ == 2 {
					symtab = t
				} else {
					dynsym = t
				}
			}
		}
	}
	o["sections"] = secs
	if symtab != nil {
		e.symbols(o, symtab, "symtab", "symtab_entries")
	}
	if dynsym != nil {
		e.symbols(o, dynsym, "dynsym", "dynsym_entries")
	}
}

func (e *file) symbols(o map[string]module.Value, t *symTable, arr, count string) {
	if !e.fits(t.strs, t.strsSize) || !e.fits(t.table, t.tableSize) {
		return
	}
	syms := o[arr]
	n := t.tableSize / uint64(e.symSize)
	for j := uint64(0); j < n && j < maxSymbols; j++ {
		s := t.table + j*uint64(e.symSize)
		info := e.u8(s + e.pick(12, 4))
		sym := map[string]module.Value{
			"bind":  intv(info >> 4),
			"type":  intv(info & 0xf),
			"shndx": intv(e.u16(s + e.pick(14, 6))),
			"value": intv(e.word(s + e.pick(4, 8))),
			"size":  intv(e.word(s + e.pick(8, 16))),
		}
		if b, ok := e.strEntry(t.strs, t.strs+t.strsSize, e.u32(s)); ok {
			sym["name"] = module.Str(append([]byte(nil), b...))
		}
		syms.Items = append(syms.Items, module.Value{Kind: module.KindStruct, Fields: sym})
	}
	o[arr] = syms
	o[count] = intv(n)
}

func (e *file) parseSegments(o map[string]module.Value) {
	n, phoff := e.phCount(), e.phOffset()
	phSize := uint64(e.phSize)
	if !(n > 0 && n < 0xffff && phoff < e.size() && phoff+n*phSize <= e.size()) {
		return
	}
	segs, dyn := o["segments"], o["dynamic"]
	visits := 0
	for i := uint64(0); i < n; i++ {
		ph := phoff + i*phSize
		typ := e.u32(ph)
		segs.Items = append(segs.Items, module.Value{Kind: module.KindStruct, Fields: map[string]module.Value{
			"type":             intv(typ),
			"flags":            intv(e.u32(ph + e.pick(24, 4))),
			"offset":           intv(e.word(ph + e.pick(4, 8))),
			"virtual_address":  intv(e.word(ph + e.pick(8, 16))),
			"physical_address": intv(e.word(ph + e.pick(12, 24))),
			"file_size":        intv(e.word(ph + e.pick(16, 32))),
			"memory_size":      intv(e.word(ph + e.pick(20, 40))),
			"alignment":        intv(e.word(ph + e.pick(28, 48))),
		}})
		if typ != 2 { // PT_DYNAMIC
			continue
		}
		// Later PT_DYNAMIC segments overwrite the entries of earlier ones
		// from index 0, as in YARA.
		j := 0
		ds := uint64(e.dynSize)
		for d := e.word(ph + e.pick(4, 8)); e.fits(d, ds) && visits < maxDynamicEntries; d += ds {
			visits++
			tag := e.word(d)
			ent := module.Value{Kind: module.KindStruct, Fields: map[string]module.Value{
				"type": intv(tag), "val": intv(e.word(d + ds/2)),
			}}
			if j < len(dyn.Items) {
				dyn.Items[j] = ent
			} else {
				dyn.Items = append(dyn.Items, ent)
			}
			j++
			if tag == 0 { // DT_NULL
				break
			}
		}
		o["dynamic_section_entries"] = module.Int(int64(j))
	}
	o["segments"], o["dynamic"] = segs, dyn
}
