package pe

import (
	"bytes"

	"github.com/medshield/medshield/internal/yara/module"
)

type (
	sc   = module.ScanContext
	val  = module.Value
	args = []module.Value
)

const (
	importStandard = 1
	importDelayed  = 2
)

var undef = module.Undef

// cstr is a string argument as YARA's C code sees it: cut at the first NUL.
func cstr(v val) []byte {
	if i := bytes.IndexByte(v.S, 0); i >= 0 {
		return v.S[:i]
	}
	return v.S
}

func calculateChecksum(_ *sc, self *val, _ args) val {
	p := peOf(self)
	if p == nil {
		return undef
	}
	data := p.f.data
	size := uint64(len(data))
	csumOff := uint64(p.f.opt() + 64)
	var csum uint64
	for i := uint64(0); i <= size/4; i++ {
		if 4*i == csumOff {
			continue
		}
		if 4*i+4 <= size {
			csum += uint64(data[4*i]) | uint64(data[4*i+1])<<8 | uint64(data[4*i+2])<<16 | uint64(data[4*i+3])<<24
		} else {
			for j := uint64(0); j < size%4; j++ {
				csum += uint64(data[4*i+j]) << (8 * j)
			}
		}
		if csum > 0xffffffff {
			csum = (csum & 0xffffffff) + (csum >> 32)
		}
	}
	csum = (csum & 0xffff) + (csum >> 16)
	csum += csum >> 16
	csum &= 0xffff
	csum += size
	return module.Int(int64(csum))
}

// richVersionCount is YARA's _rich_version; a nil version or toolid means
// "any".
func richVersionCount(self *val, version, toolid *int64) val {
	length := self.Get("length")
	clear := self.Get("clear_data")
	if length.Undefined || clear.Undefined {
		return undef
	}
	if version == nil && toolid == nil {
		return module.Int(0)
	}
	var total uint64
	// YARA computes (length - 16) / 8 unsigned and overreads when length < 16;
	// we count no entries then.
	for i := int64(0); length.I >= 16 && i < (length.I-16)/8; i++ {
		off := 16 + 8*i
		if off+8 > int64(len(clear.S)) {
			break
		}
		idv := uint32(clear.S[off]) | uint32(clear.S[off+1])<<8 | uint32(clear.S[off+2])<<16 | uint32(clear.S[off+3])<<24
		times := uint32(clear.S[off+4]) | uint32(clear.S[off+5])<<8 | uint32(clear.S[off+6])<<16 | uint32(clear.S[off+7])<<24
		if (version == nil || *version == int64(idv&0xffff)) && (toolid == nil || *toolid == int64(idv>>16)) {
			total += uint64(times)
		}
	}
	return module.Int(int64(total))
}

func richVersion(_ *sc, self *val, a args) val { return richVersionCount(self, &a[0].I, nil) }
func richVersionToolid(_ *sc, self *val, a args) val {
	return richVersionCount(self, &a[0].I, &a[1].I)
}
func richToolid(_ *sc, self *val, a args) val { return richVersionCount(self, nil, &a[0].I) }
func richToolidVersion(_ *sc, self *val, a args) val {
	return richVersionCount(self, &a[1].I, &a[0].I)
}

func imphash(_ *sc, self *val, _ args) val {
	p := peOf(self)
	if p == nil {
		return undef
	}
	return module.Str(imphashOf(p.imports))
}

func sections(self *val) (int64, []module.Value, bool) {
	n := self.Get("number_of_sections")
	if n.Undefined {
		return 0, nil, false
	}
	return min(n.I, maxSections), self.Get("sections").Items, true
}

func sectionIndexName(_ *sc, self *val, a args) val {
	n, secs, ok := sections(self)
	if !ok {
		return undef
	}
	want := cstr(a[0])
	for i := int64(0); i < n && i < int64(len(secs)); i++ {
		name := secs[i].Get("name")
		if !name.Undefined && bytes.Equal(cstr(name), want) {
			return module.Int(i)
		}
	}
	return undef
}

func sectionIndexAddr(_ *sc, self *val, a args) val {
	n, secs, ok := sections(self)
	if !ok {
		return undef
	}
	addr := a[0].I
	for i := int64(0); i < n && i < int64(len(secs)); i++ {
		off, size := secs[i].Get("raw_data_offset"), secs[i].Get("raw_data_size")
		if off.Undefined || size.Undefined {
			continue
		}
		if addr >= off.I && addr < off.I+size.I {
			return module.Int(i)
		}
	}
	return undef
}

// exportDetails returns export_details up to number_of_exports.
func exportDetails(self *val) ([]module.Value, bool) {
	if peOf(self) == nil {
		return nil, false
	}
	n := self.Get("number_of_exports").I
	items := self.Get("export_details").Items
	return items[:min(int64(len(items)), n)], true
}

// findExport returns the index of the first export accepted by match, -1
// for none, and false for a non-PE.
func findExport(self *val, match func(e *module.Value) bool) (int64, bool) {
	items, ok := exportDetails(self)
	if !ok {
		return -1, false
	}
	for i := range items {
		if match(&items[i]) {
			return int64(i), true
		}
	}
	return -1, true
}

func byName(name []byte) func(*module.Value) bool {
	return func(e *module.Value) bool {
		n := e.Get("name")
		return !n.Undefined && len(n.S) == len(name) && asciiOnlyFold(n.S, name)
	}
}

// asciiOnlyFold makes bytes.EqualFold behave like C's ASCII case folding:
// it rejects pairs that only match through Unicode folding.
func asciiOnlyFold(a, b []byte) bool {
	for i := range a {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func byRegexp(re module.Regexp) func(*module.Value) bool {
	return func(e *module.Value) bool {
		n := e.Get("name")
		return !n.Undefined && re != nil && re.Match(cstr(n))
	}
}

func byOrdinal(ord int64, n int) func(*module.Value) bool {
	return func(e *module.Value) bool {
		o := e.Get("ordinal")
		return !o.Undefined && o.I == ord
	}
}

// exportsResult turns a search into exports()'s boolean: YARA answers 0
// without searching when there are no exports.
func exportsResult(i int64, ok bool) val {
	if !ok {
		return undef
	}
	return module.Bool(i >= 0)
}

func exportsIndexResult(i int64, ok bool) val {
	if !ok || i < 0 {
		return undef
	}
	return module.Int(i)
}

func exportsName(_ *sc, self *val, a args) val {
	return exportsResult(findExport(self, byName(a[0].S)))
}

func exportsRegexp(_ *sc, self *val, a args) val {
	return exportsResult(findExport(self, byRegexp(a[0].Re)))
}

// ordinalSearch applies YARA's early exits: no exports, ordinal 0, or an
// ordinal above the number of exports (YARA compares with the count, not
// with base+count).
func ordinalSearch(self *val, ord int64) (int64, bool) {
	items, ok := exportDetails(self)
	if !ok {
		return -1, false
	}
	if len(items) == 0 || ord == 0 || ord > int64(len(items)) {
		return -1, true
	}
	return findExport(self, byOrdinal(ord, len(items)))
}

func exportsOrdinal(_ *sc, self *val, a args) val {
	return exportsResult(ordinalSearch(self, a[0].I))
}

func exportsIndexName(_ *sc, self *val, a args) val {
	return exportsIndexResult(findExport(self, byName(a[0].S)))
}

func exportsIndexOrdinal(_ *sc, self *val, a args) val {
	return exportsIndexResult(ordinalSearch(self, a[0].I))
}

func exportsIndexRegexp(_ *sc, self *val, a args) val {
	return exportsIndexResult(findExport(self, byRegexp(a[0].Re)))
}

// Imports.

func dllMatches(d *importedDLL, name []byte) bool {
	return len(d.name) == len(name) && asciiOnlyFold(d.name, name)
}

func importsFunc(dlls []importedDLL, dll, fn []byte) bool {
	for i := range dlls {
		if dllMatches(&dlls[i], dll) {
			for _, f := range dlls[i].funcs {
				if len(f.name) == len(fn) && asciiOnlyFold(f.name, fn) {
					return true
				}
			}
		}
	}
	return false
}

func importsOrdinal(dlls []importedDLL, dll []byte, ord int64) bool {
	for i := range dlls {
		if dllMatches(&dlls[i], dll) {
			for _, f := range dlls[i].funcs {
				if f.hasOrdinal && int64(f.ordinal) == ord {
					return true
				}
			}
		}
	}
	return false
}

func importsDLL(dlls []importedDLL, dll []byte) int64 {
	n := int64(0)
	for i := range dlls {
		if dllMatches(&dlls[i], dll) {
			n += int64(len(dlls[i].funcs))
		}
	}
	return n
}

// importsRegexp counts matching functions. YARA requires a non-empty match
// (yr_re_match > 0); module.Regexp only reports whether there is a match.
func importsRegexp(dlls []importedDLL, dll, fn module.Regexp) int64 {
	n := int64(0)
	if dll == nil || fn == nil {
		return 0
	}
	for i := range dlls {
		if dll.Match(dlls[i].name) {
			for _, f := range dlls[i].funcs {
				if fn.Match(f.name) {
					n++
				}
			}
		}
	}
	return n
}

func importsStd(_ *sc, self *val, a args) val {
	p := peOf(self)
	if p == nil {
		return undef
	}
	return module.Bool(importsFunc(p.imports, cstr(a[0]), cstr(a[1])))
}

func importsFlags(_ *sc, self *val, a args) val {
	p := peOf(self)
	if p == nil {
		return undef
	}
	dll, fn := cstr(a[1]), cstr(a[2])
	return module.Bool(a[0].I&importStandard != 0 && importsFunc(p.imports, dll, fn) ||
		a[0].I&importDelayed != 0 && importsFunc(p.delayed, dll, fn))
}

func importsStdOrdinal(_ *sc, self *val, a args) val {
	p := peOf(self)
	if p == nil {
		return undef
	}
	return module.Bool(importsOrdinal(p.imports, cstr(a[0]), a[1].I))
}

func importsFlagsOrdinal(_ *sc, self *val, a args) val {
	p := peOf(self)
	if p == nil {
		return undef
	}
	dll := cstr(a[1])
	return module.Bool(a[0].I&importStandard != 0 && importsOrdinal(p.imports, dll, a[2].I) ||
		a[0].I&importDelayed != 0 && importsOrdinal(p.delayed, dll, a[2].I))
}

func importsStdRegexp(_ *sc, self *val, a args) val {
	p := peOf(self)
	if p == nil {
		return undef
	}
	return module.Int(importsRegexp(p.imports, a[0].Re, a[1].Re))
}

func importsFlagsRegexp(_ *sc, self *val, a args) val {
	p := peOf(self)
	if p == nil {
		return undef
	}
	n := int64(0)
	if a[0].I&importStandard != 0 {
		n += importsRegexp(p.imports, a[1].Re, a[2].Re)
	}
	if a[0].I&importDelayed != 0 {
		n += importsRegexp(p.delayed, a[1].Re, a[2].Re)
	}
	return module.Int(n)
}

func importsStdDLL(_ *sc, self *val, a args) val {
	p := peOf(self)
	if p == nil {
		return undef
	}
	return module.Int(importsDLL(p.imports, cstr(a[0])))
}

func importsFlagsDLL(_ *sc, self *val, a args) val {
	p := peOf(self)
	if p == nil {
		return undef
	}
	n := int64(0)
	if a[0].I&importStandard != 0 {
		n += importsDLL(p.imports, cstr(a[1]))
	}
	if a[0].I&importDelayed != 0 {
		n += importsDLL(p.delayed, cstr(a[1]))
	}
	return module.Int(n)
}

// resourceLanguage is locale/language: a resource whose language is a
// string has an undefined language, which YARA reads as its sentinel value.
func resourceLanguage(self *val, mask, want int64) val {
	if self.Get("number_of_resources").Undefined || peOf(self) == nil {
		return undef
	}
	n := self.Get("number_of_resources").I
	items := self.Get("resources").Items
	for i := int64(0); i < n && i < int64(len(items)); i++ {
		l := items[i].Get("language")
		v := l.I
		if l.Undefined {
			v = yrUndefined
		}
		if uint64(v)&uint64(mask) == uint64(want) {
			return module.Int(1)
		}
	}
	return module.Int(0)
}

func locale(_ *sc, self *val, a args) val   { return resourceLanguage(self, 0xffff, a[0].I) }
func language(_ *sc, self *val, a args) val { return resourceLanguage(self, 0xff, a[0].I) }

// isDLL returns characteristics & IMAGE_FILE_DLL, that is 0x2000 (not 1)
// for a DLL, as YARA does.
func isDLL(_ *sc, self *val, _ args) val {
	c := self.Get("characteristics")
	if c.Undefined {
		return undef
	}
	return module.Int(c.I & 0x2000)
}

func is32bit(_ *sc, self *val, _ args) val {
	p := peOf(self)
	if p == nil {
		return undef
	}
	return module.Bool(!p.f.is64)
}

func is64bit(_ *sc, self *val, _ args) val {
	p := peOf(self)
	if p == nil {
		return undef
	}
	return module.Bool(p.f.is64)
}

func rvaToOffset(_ *sc, self *val, a args) val {
	p := peOf(self)
	if p == nil {
		return undef
	}
	off := p.f.rvaToOffset(uint64(a[0].I))
	if off == -1 {
		return undef
	}
	return module.Int(off)
}

func validOn(_ *sc, self *val, a args) val {
	nb, na := self.Get("not_before"), self.Get("not_after")
	if nb.Undefined || na.Undefined {
		return undef
	}
	return module.Bool(a[0].I >= nb.I && a[0].I <= na.I)
}
