package pe

import "github.com/medshield/medshield/internal/yara/module"

// parsed is the state the pe functions need besides the value tree; it is
// the root value's Private.
type parsed struct {
	f        *file
	imports  []importedDLL
	delayed  []importedDLL
	nres     int
	nversion int
	budget   int // shared work budget for resource and version-info walks
}

// parseHeader sets the header fields, data directories, resources, sections
// and overlay, in the order of YARA's pe_parse_header.
func (p *parsed) parseHeader(o obj) {
	f := p.f
	fh := f.fileHeader()
	o.setInt("is_pe", 1)
	o.setInt("machine", int64(f.u16(fh)))
	o.setInt("number_of_sections", int64(f.u16(fh+2)))
	o.setInt("timestamp", int64(f.u32(fh+4)))
	o.setInt("pointer_to_symbol_table", int64(f.u32(fh+8)))
	o.setInt("number_of_symbols", int64(f.u32(fh+12)))
	o.setInt("size_of_optional_header", int64(f.u16(fh+16)))
	o.setInt("characteristics", int64(f.u16(fh+18)))
	o.setInt("entry_point", f.rvaToOffset(uint64(f.entryPoint())))
	o.setInt("entry_point_raw", int64(f.entryPoint()))
	o.setInt("image_base", int64(f.imageBase()))
	o.setInt("number_of_rva_and_sizes", int64(f.numberOfRvaAndSizes()))
	opt := f.opt()
	o.setInt("opthdr_magic", int64(f.u16(opt)))
	o.setSub("linker_version", "major", int64(f.u8(opt+2)))
	o.setSub("linker_version", "minor", int64(f.u8(opt+3)))
	o.setInt("size_of_code", int64(f.u32(opt+4)))
	o.setInt("size_of_initialized_data", int64(f.u32(opt+8)))
	o.setInt("size_of_uninitialized_data", int64(f.u32(opt+12)))
	o.setInt("base_of_code", int64(f.u32(opt+20)))
	if !f.is64 {
		o.setInt("base_of_data", int64(f.u32(opt+24)))
	}
	o.setInt("section_alignment", int64(f.u32(opt+32)))
	o.setInt("file_alignment", int64(f.u32(opt+36)))
	o.setSub("os_version", "major", int64(f.u16(opt+40)))
	o.setSub("os_version", "minor", int64(f.u16(opt+42)))
	o.setSub("image_version", "major", int64(f.u16(opt+44)))
	o.setSub("image_version", "minor", int64(f.u16(opt+46)))
	o.setSub("subsystem_version", "major", int64(f.u16(opt+48)))
	o.setSub("subsystem_version", "minor", int64(f.u16(opt+50)))
	o.setInt("win32_version_value", int64(f.u32(opt+52)))
	o.setInt("size_of_image", int64(f.u32(opt+56)))
	o.setInt("size_of_headers", int64(f.u32(opt+60)))
	o.setInt("checksum", int64(f.u32(opt+64)))
	o.setInt("subsystem", int64(f.u16(opt+68)))
	o.setInt("dll_characteristics", int64(f.u16(opt+70)))
	o.setInt("size_of_stack_reserve", int64(f.optWord(72, 72)))
	o.setInt("size_of_stack_commit", int64(f.optWord(76, 80)))
	o.setInt("size_of_heap_reserve", int64(f.optWord(80, 88)))
	o.setInt("size_of_heap_commit", int64(f.optWord(84, 96)))
	o.setInt("loader_flags", int64(f.optU32(88, 104)))

	// YARA keeps the count in an int: a value >= 2^31 gives no entries.
	n := min(int64(int32(f.numberOfRvaAndSizes())), 16)
	dirs := o["data_directories"]
	off := f.dataDirOffset()
	for i := int64(0); i < n && f.fits(off, 8); i++ {
		dirs.Items = append(dirs.Items, obj{
			"virtual_address": module.Int(int64(f.u32(off))),
			"size":            module.Int(int64(f.u32(off + 4))),
		}.value())
		off += 8
	}
	o["data_directories"] = dirs

	p.parseResources(o)
	o.setInt("number_of_resources", int64(p.nres))
	o.setInt("number_of_version_infos", int64(p.nversion))
	p.parseSections(o)
}

func (p *parsed) parseSections(o obj) {
	f := p.f
	secs := o["sections"]
	var highOff, highSize uint64
	sec := f.firstSection()
	n := min(f.numberOfSections(), maxSections)
	for i := int64(0); i < n && f.fits(sec, sectionSize); i++ {
		raw := f.data[sec : sec+8]
		l := 8
		for l > 0 && raw[l-1] == 0 {
			l--
		}
		name := raw[:l]
		s := obj{}
		s.setStr("name", name)
		if full, ok := p.sectionFullName(name); ok {
			s.setStr("full_name", full)
		}
		s.setInt("characteristics", int64(f.u32(sec+36)))
		s.setInt("raw_data_size", int64(f.u32(sec+16)))
		s.setInt("raw_data_offset", int64(f.u32(sec+20)))
		s.setInt("virtual_address", int64(f.u32(sec+12)))
		s.setInt("virtual_size", int64(f.u32(sec+8)))
		s.setInt("pointer_to_relocations", int64(f.u32(sec+24)))
		s.setInt("pointer_to_line_numbers", int64(f.u32(sec+28)))
		s.setInt("number_of_relocations", int64(f.u16(sec+32)))
		s.setInt("number_of_line_numbers", int64(f.u16(sec+34)))
		secs.Items = append(secs.Items, s.value())
		end := uint64(f.u32(sec+20)) + uint64(f.u32(sec+16))
		if end > highOff+highSize {
			highOff, highSize = uint64(f.u32(sec+20)), uint64(f.u32(sec+16))
		}
		sec += sectionSize
	}
	o["sections"] = secs
	last := highOff + highSize
	ov := o.sub("overlay")
	if last != 0 && uint64(f.size()) > last {
		ov.setInt("offset", int64(last))
		ov.setInt("size", int64(uint64(f.size())-last))
	} else {
		ov.setInt("offset", 0)
		ov.setInt("size", 0)
	}
}

// sectionFullName resolves "/123" names through the COFF string table as
// YARA's pe_get_section_full_name does; false means undefined.
func (p *parsed) sectionFullName(name []byte) ([]byte, bool) {
	f := p.f
	coffOff := uint64(f.u32(f.fileHeader() + 8))
	coffNum := uint64(f.u32(f.fileHeader() + 12))
	if coffOff == 0 || len(name) == 0 || name[0] != '/' {
		return name, true
	}
	var idx uint64
	for i := 1; i < 8 && i < len(name) && name[i] >= '0' && name[i] <= '9'; i++ {
		idx = idx*10 + uint64(name[i]-'0')
	}
	start := coffOff + coffNum*18 + idx
	if start >= uint64(f.size()) {
		return nil, false
	}
	for j := int64(start); j < f.size(); j++ {
		c := f.data[j]
		if c == 0 {
			return f.data[start:j], true
		}
		if c < 0x20 || c > 0x7e {
			return nil, false
		}
	}
	return nil, false
}
