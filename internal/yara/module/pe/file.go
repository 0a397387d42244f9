package pe

import "encoding/binary"

// Limits. YARA's own: sections, imports, exports, resources, certificates.
// Ours (YARA has none, documented in docs/yara-modules.md): the others keep
// the work per file bounded on hostile input.
const (
	maxSections        = 96
	maxImports         = 16384
	maxExports         = 8192
	maxExportNameLen   = 512
	maxResources       = 65536
	maxCerts           = 16
	maxDLLNameScan     = 1 << 16 // longest DLL name we look at
	maxResourceVisits  = 1 << 20 // resource directory entries visited
	maxDelayedFuncs    = 1 << 20 // delay-import thunks read
	maxVersionInfoWork = 1 << 20 // version-info records visited
	maxImportHoles     = 1 << 16 // undefined items in import_details arrays
	maxPath            = 260
)

const (
	dosHeaderSize = 64
	fileHeaderOff = 4  // from the NT headers
	optHeaderOff  = 24 // from the NT headers
	optHeader32   = 224
	optHeader64   = 240
	sectionSize   = 40
	magicPE32Plus = 0x20b

	dirExport      = 0
	dirImport      = 1
	dirResource    = 2
	dirSecurity    = 4
	dirDebug       = 6
	dirDelayImport = 13
	dirCOM         = 14
)

// file is a PE image being parsed: all reads are bounds-checked, offsets
// are int64 so that hostile 32-bit values cannot wrap.
type file struct {
	data []byte
	nt   int64 // offset of the NT headers ("PE\0\0")
	is64 bool

	nulCache [2]nulCache // see wideNul
}

type nulCache struct {
	valid    bool
	from, at int64
}

func (f *file) size() int64 { return int64(len(f.data)) }

// fits reports whether n bytes at off are inside the file (YARA's fits_in_pe).
func (f *file) fits(off, n int64) bool {
	return off >= 0 && n >= 0 && n <= f.size() && off <= f.size()-n
}

func (f *file) u8(off int64) uint8 {
	if !f.fits(off, 1) {
		return 0
	}
	return f.data[off]
}

func (f *file) u16(off int64) uint16 {
	if !f.fits(off, 2) {
		return 0
	}
	return binary.LittleEndian.Uint16(f.data[off:])
}

func (f *file) u32(off int64) uint32 {
	if !f.fits(off, 4) {
		return 0
	}
	return binary.LittleEndian.Uint32(f.data[off:])
}

func (f *file) u64(off int64) uint64 {
	if !f.fits(off, 8) {
		return 0
	}
	return binary.LittleEndian.Uint64(f.data[off:])
}

// cstring returns the bytes at off up to the first NUL, looking at most max
// bytes (and never past the end), like strnlen.
func (f *file) cstring(off, max int64) []byte {
	if off < 0 || off >= f.size() {
		return nil
	}
	end := f.size()
	if max >= 0 && end-off > max {
		end = off + max
	}
	b := f.data[off:end]
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// header validates the DOS and NT headers as YARA's pe_get_header does and
// returns the parsed file, or nil when data is not a PE.
func header(data []byte) *file {
	f := &file{data: data}
	if f.size() < dosHeaderSize || f.u16(0) != 0x5a4d {
		return nil
	}
	lfanew := int64(int32(f.u32(0x3c)))
	if lfanew < 0 {
		return nil
	}
	hs := lfanew + 4 + 20
	if f.size() < hs || f.u32(lfanew) != 0x00004550 {
		return nil
	}
	if f.size() < hs+optHeader32 {
		return nil
	}
	f.nt = lfanew
	f.is64 = f.u16(f.opt()) == magicPE32Plus
	if f.is64 {
		hs += optHeader64
	} else {
		hs += optHeader32
	}
	if f.size() < hs {
		return nil
	}
	return f
}

func (f *file) fileHeader() int64 { return f.nt + fileHeaderOff }
func (f *file) opt() int64        { return f.nt + optHeaderOff }

func (f *file) numberOfSections() int64 { return int64(f.u16(f.fileHeader() + 2)) }

// optField reads an optional-header field at the 32-bit or 64-bit offset.
func (f *file) optU32(off32, off64 int64) uint32 {
	if f.is64 {
		return f.u32(f.opt() + off64)
	}
	return f.u32(f.opt() + off32)
}

func (f *file) optU16(off int64) uint16 { return f.u16(f.opt() + off) }

// optWord reads a field that is 32 bits in PE32 and 64 bits in PE32+.
func (f *file) optWord(off32, off64 int64) uint64 {
	if f.is64 {
		return f.u64(f.opt() + off64)
	}
	return uint64(f.u32(f.opt() + off32))
}

func (f *file) imageBase() uint64           { return f.optWord(28, 24) }
func (f *file) fileAlignment() uint32       { return f.u32(f.opt() + 36) }
func (f *file) sizeOfImage() uint32         { return f.u32(f.opt() + 56) }
func (f *file) numberOfRvaAndSizes() uint32 { return f.optU32(92, 108) }
func (f *file) entryPoint() uint32          { return f.u32(f.opt() + 16) }

func (f *file) dataDirOffset() int64 {
	if f.is64 {
		return f.opt() + 112
	}
	return f.opt() + 96
}

// directory returns the offset of data directory entry i, or -1, as
// pe_get_directory_entry does (including its "< i" bound, which admits the
// entry just past NumberOfRvaAndSizes, and its COM descriptor exception).
func (f *file) directory(i int) int64 {
	if (i != dirCOM || f.is64) && f.numberOfRvaAndSizes() < uint32(i) {
		return -1
	}
	off := f.dataDirOffset() + int64(i)*8
	if !f.fits(off, 8) {
		return -1
	}
	return off
}

func (f *file) firstSection() int64 {
	return f.opt() + int64(f.u16(f.fileHeader()+16))
}

// rvaToOffset converts an RVA to a file offset or -1, as YARA's
// pe_rva_to_offset does (last matching section wins, raw offsets rounded
// down to min(FileAlignment, 0x200), headers mapped 1:1).
func (f *file) rvaToOffset(rva uint64) int64 {
	lowest := uint32(0xffffffff)
	var secRVA, secOff, secRaw uint32
	n := min(f.numberOfSections(), maxSections)
	sec := f.firstSection()
	for i := int64(0); i < n; i++ {
		if !f.fits(sec, sectionSize) {
			return -1
		}
		va := f.u32(sec + 12)
		vsize := f.u32(sec + 8)
		if lowest > va {
			lowest = va
		}
		if rva >= uint64(va) && rva-uint64(va) < uint64(vsize) && secRVA <= va {
			align := min(f.fileAlignment(), 0x200)
			secRVA = va
			secOff = f.u32(sec + 20)
			secRaw = f.u32(sec + 16)
			if align != 0 {
				secOff -= secOff % align
			}
		}
		sec += sectionSize
	}
	if rva < uint64(lowest) {
		secRVA, secOff, secRaw = 0, 0, uint32(f.size())
	}
	if rva-uint64(secRVA) >= uint64(secRaw) {
		return -1
	}
	res := int64(secOff) + int64(rva-uint64(secRVA))
	if res >= f.size() || res < 0 {
		return -1
	}
	return res
}
