package pe

import "github.com/medshield/medshield/internal/yara/module"

type importedFunc struct {
	name       []byte
	ordinal    uint16
	hasOrdinal bool
}

type importedDLL struct {
	name  []byte
	funcs []importedFunc
}

// validDLLName is pe_valid_dll_name: a non-empty NUL-terminated string of
// printable characters without "*<>?|. It returns the name.
func (f *file) validDLLName(off int64) ([]byte, bool) {
	if off < 0 || off >= f.size() {
		return nil, false
	}
	end := min(f.size(), off+maxDLLNameScan)
	for i := off; i < end; i++ {
		c := f.data[i]
		if c == 0 {
			return f.data[off:i], i > off
		}
		if c < ' ' || c == '"' || c == '*' || c == '<' || c == '>' || c == '?' || c == '|' {
			return nil, false
		}
	}
	return nil, false
}

// ordinalName is YARA's ord_lookup.
func ordinalName(dll []byte, ord uint16) []byte {
	var n string
	switch {
	case hasPrefixFold(dll, "WS2_32.dll"), hasPrefixFold(dll, "wsock32.dll"):
		n = wsock32Ordinals[ord]
	case hasPrefixFold(dll, "oleaut32.dll"):
		n = oleaut32Ordinals[ord]
	}
	if n == "" {
		return []byte("ord" + itoa(uint64(ord)))
	}
	return []byte(n)
}

func itoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func hasPrefixFold(b []byte, s string) bool {
	if len(b) < len(s) {
		return false
	}
	return equalFold(b[:len(s)], s)
}

func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}

// parseImports is pe_parse_imports.
func (p *parsed) parseImports(o obj) {
	f := p.f
	o.setInt("number_of_imports", 0)
	o.setInt("number_of_imported_functions", 0)
	dir := f.directory(dirImport)
	if dir < 0 || f.u32(dir) == 0 {
		return
	}
	off := f.rvaToOffset(uint64(f.u32(dir)))
	if off < 0 {
		return
	}
	numImports, numFuncs := 0, 0
	for desc := off; f.fits(desc, 20) && f.u32(desc+12) != 0 && numImports < maxImports; desc += 20 {
		nameOff := f.rvaToOffset(uint64(f.u32(desc + 12)))
		if nameOff >= 0 {
			name, ok := f.validDLLName(nameOff)
			if !ok {
				continue // YARA skips without counting
			}
			funcs := p.importThunks(desc, name, &numFuncs)
			if len(funcs) > 0 {
				p.imports = append(p.imports, importedDLL{name: name, funcs: funcs})
			}
		}
		numImports++
	}
	o.setInt("number_of_imports", int64(numImports))
	o.setInt("number_of_imported_functions", int64(numFuncs))
	o["import_details"] = importDetails(o["import_details"], p.imports, "number_of_functions")
}

func (p *parsed) importThunks(desc int64, dll []byte, numFuncs *int) []importedFunc {
	f := p.f
	off := f.rvaToOffset(uint64(f.u32(desc)))
	if off <= 0 {
		off = f.rvaToOffset(uint64(f.u32(desc + 16)))
	}
	if off < 0 {
		return nil
	}
	size, flag := int64(4), uint64(0x80000000)
	if f.is64 {
		size, flag = 8, 0x8000000000000000
	}
	var funcs []importedFunc
	for ; f.fits(off, size) && *numFuncs < maxImports; off += size {
		var thunk uint64
		if f.is64 {
			thunk = f.u64(off)
		} else {
			thunk = uint64(f.u32(off))
		}
		if thunk == 0 {
			break
		}
		if thunk&flag == 0 {
			// IMAGE_IMPORT_BY_NAME: a hint, then the name (packed size 3).
			if byName := f.rvaToOffset(thunk); byName >= 0 && f.fits(byName, 3) {
				funcs = append(funcs, importedFunc{name: f.cstring(byName+2, 512)})
			}
		} else {
			ord := uint16(thunk)
			funcs = append(funcs, importedFunc{name: ordinalName(dll, ord), ordinal: ord, hasOrdinal: true})
		}
		*numFuncs++
	}
	return funcs
}

// importDetails fills an import_details array as YARA's pe_set_imports
// does, including its quirk: the function index is not reset between DLLs,
// so the functions of the second DLL start where the first DLL's ended (the
// items before are undefined) and number_of_functions is cumulative.
func importDetails(arr module.Value, dlls []importedDLL, countName string) module.Value {
	cnt, holes := 0, 0
	for _, d := range dlls {
		if holes+cnt > maxImportHoles {
			break // our bound on the undefined items this quirk creates
		}
		holes += cnt
		fs := module.Value{Kind: module.KindArray, Items: make([]module.Value, cnt, cnt+len(d.funcs))}
		for i := range fs.Items {
			fs.Items[i] = module.Undef
		}
		for _, fn := range d.funcs {
			it := obj{"name": module.Str(fn.name)}
			if fn.hasOrdinal {
				it.setInt("ordinal", int64(fn.ordinal))
			}
			fs.Items = append(fs.Items, it.value())
			cnt++
		}
		arr.Items = append(arr.Items, obj{
			"library_name": module.Str(d.name),
			countName:      module.Int(int64(cnt)),
			"functions":    fs,
		}.value())
	}
	return arr
}

// parseDelayedImports is pe_parse_delayed_imports. YARA 4.2.3 stores the
// details under a name it does not declare, so delay_import_details stays
// empty there; we keep the parsed list for the imports() functions only.
func (p *parsed) parseDelayedImports(o obj) {
	f := p.f
	o.setInt("number_of_delayed_imports", 0)
	o.setInt("number_of_delayed_imported_functions", 0)
	dir := f.directory(dirDelayImport)
	if dir < 0 || f.u32(dir) == 0 {
		return
	}
	off := f.rvaToOffset(uint64(f.u32(dir)))
	if off < 0 {
		return
	}
	imageBase := f.imageBase()
	sizeOfImage := uint64(f.sizeOfImage())
	ptr, mask := int64(4), uint64(0x80000000)
	if f.is64 {
		ptr, mask = 8, 0x8000000000000000
	}
	readPtr := func(rva uint64) (uint64, bool) {
		o := f.rvaToOffset(rva)
		if !f.fits(o, ptr) {
			return 0, false
		}
		if f.is64 {
			return f.u64(o), true
		}
		return uint64(f.u32(o)), true
	}
	normalize := func(v uint64) uint64 {
		if v != 0 && v > imageBase {
			return v - imageBase
		}
		return v
	}
	numImports, numFuncs, work := 0, 0, 0
	for desc := off; f.fits(desc, 32); desc += 32 {
		var fld [8]uint32
		zero := true
		for i := range fld {
			fld[i] = f.u32(desc + int64(i)*4)
			zero = zero && fld[i] == 0
		}
		if zero {
			break
		}
		attrs := fld[0]
		dllName, iat, int_ := fld[1], fld[3], fld[4]
		if attrs > 1 {
			break
		}
		if !f.is64 && attrs == 0 {
			dllName = uint32(normalize(uint64(dllName)))
			iat = uint32(normalize(uint64(iat)))
			int_ = uint32(normalize(uint64(int_)))
		}
		if uint64(int_) >= sizeOfImage || uint64(iat) >= sizeOfImage || dllName < dosHeaderSize || int_ < dosHeaderSize {
			break
		}
		name, ok := f.validDLLName(f.rvaToOffset(uint64(dllName)))
		if !ok {
			continue
		}
		d := importedDLL{name: name}
		nameRVA, funcRVA := uint64(int_), uint64(iat)
		for {
			work++
			if work > maxDelayedFuncs {
				break // our bound; YARA has none
			}
			nameAddr, ok1 := readPtr(nameRVA)
			funcAddr, ok2 := readPtr(funcRVA)
			if !ok1 || !ok2 || nameAddr == 0 || funcAddr == 0 {
				break
			}
			if nameAddr&mask == 0 {
				if attrs == 0 {
					nameAddr = normalize(nameAddr)
				}
				// An unmappable name gives an empty string, as in YARA.
				d.funcs = append(d.funcs, importedFunc{name: f.cstring(f.rvaToOffset(nameAddr+2), 512)})
			} else {
				ord := uint16(nameAddr)
				d.funcs = append(d.funcs, importedFunc{name: ordinalName(name, ord), ordinal: ord, hasOrdinal: true})
			}
			numFuncs++
			nameRVA += uint64(ptr)
			funcRVA += uint64(ptr)
		}
		numImports++
		p.delayed = append(p.delayed, d)
	}
	o.setInt("number_of_delayed_imports", int64(numImports))
	o.setInt("number_of_delayed_imported_functions", int64(numFuncs))
}

// parseExports is pe_parse_exports.
func (p *parsed) parseExports(o obj) {
	f := p.f
	o.setInt("number_of_exports", 0)
	dir := f.directory(dirExport)
	if dir < 0 || f.u32(dir) == 0 {
		return
	}
	off := f.rvaToOffset(uint64(f.u32(dir)))
	if off < 0 {
		return
	}
	start, size := off, int64(f.u32(dir+4))
	exp := off
	if !f.fits(exp, 40) {
		return
	}
	n := int64(min(f.u32(exp+20), maxExports))
	base := int64(f.u32(exp + 16))
	o.setInt("export_timestamp", int64(f.u32(exp+4)))
	off = f.rvaToOffset(uint64(f.u32(exp + 12)))
	if off > 0 {
		o.setStr("dll_name", f.cstring(off, -1))
	}
	if n*4 > f.size()-off {
		return
	}
	numNames := int64(f.u32(exp + 24))
	names := int64(-1)
	if numNames > 0 {
		names = f.rvaToOffset(uint64(f.u32(exp + 32)))
		if names < 0 || numNames*4 > f.size()-names {
			return
		}
	}
	ords := f.rvaToOffset(uint64(f.u32(exp + 36)))
	if ords < 0 || f.size()-ords < 2*n {
		return
	}
	funcs := f.rvaToOffset(uint64(f.u32(exp + 28)))
	if funcs < 0 || f.size()-funcs < 4*n {
		return
	}
	numNames = min(numNames, n)
	// YARA looks, for each function i, for the first j with ordinals[j] == i
	// and j < number_of_names; index that once instead of a nested loop.
	nameOf := map[uint16]int64{}
	if names >= 0 {
		for j := int64(0); j < numNames; j++ {
			o := f.u16(ords + 2*j)
			if _, seen := nameOf[o]; !seen {
				nameOf[o] = j
			}
		}
	}
	details := o["export_details"]
	for i := int64(0); i < n; i++ {
		e := obj{}
		e.setInt("ordinal", base+i)
		addr := f.rvaToOffset(uint64(f.u32(funcs + 4*i)))
		if addr > start && addr < start+size {
			e.setStr("forward_name", f.cstring(addr, maxExportNameLen))
		} else {
			e.setInt("offset", addr)
		}
		if j, ok := nameOf[uint16(i)]; ok && i <= 0xffff {
			if no := f.rvaToOffset(uint64(f.u32(names + 4*j))); no > 0 {
				e.setStr("name", f.cstring(no, maxExportNameLen))
			}
		}
		details.Items = append(details.Items, e.value())
	}
	o["export_details"] = details
	o.setInt("number_of_exports", n)
}
