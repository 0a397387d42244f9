package yara

import "encoding/binary"

// entryPointOffset returns the file offset of the entry point of a PE or
// ELF file for the deprecated `entrypoint` keyword, or undefined.
func entryPointOffset(d []byte) value {
	if off, ok := peEntry(d); ok {
		return value{i: off}
	}
	if off, ok := elfEntry(d); ok {
		return value{i: off}
	}
	return undef
}

func peEntry(d []byte) (int64, bool) {
	if len(d) < 0x40 || d[0] != 'M' || d[1] != 'Z' {
		return 0, false
	}
	pe := int64(binary.LittleEndian.Uint32(d[0x3c:]))
	if pe < 0 || pe+24 > int64(len(d)) || string(d[pe:pe+4]) != "PE\x00\x00" {
		return 0, false
	}
	nsec := int64(binary.LittleEndian.Uint16(d[pe+6:]))
	optSize := int64(binary.LittleEndian.Uint16(d[pe+20:]))
	opt := pe + 24
	if opt+20 > int64(len(d)) {
		return 0, false
	}
	ep := int64(binary.LittleEndian.Uint32(d[opt+16:]))
	sec := opt + optSize
	for i := int64(0); i < nsec && i < 96; i++ {
		h := sec + i*40
		if h+40 > int64(len(d)) {
			break
		}
		vsize := int64(binary.LittleEndian.Uint32(d[h+8:]))
		va := int64(binary.LittleEndian.Uint32(d[h+12:]))
		rawSize := int64(binary.LittleEndian.Uint32(d[h+16:]))
		raw := int64(binary.LittleEndian.Uint32(d[h+20:]))
		size := vsize
		if size == 0 {
			size = rawSize
		}
		if ep >= va && ep < va+size {
			return raw + ep - va, true
		}
	}
	return ep, true
}

func elfEntry(d []byte) (int64, bool) {
	if len(d) < 52 || string(d[:4]) != "\x7fELF" {
		return 0, false
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if d[5] == 2 {
		bo = binary.BigEndian
	}
	is64 := d[4] == 2
	var entry, phoff int64
	var phnum, phentsize int64
	if is64 {
		if len(d) < 64 {
			return 0, false
		}
		entry = int64(bo.Uint64(d[24:]))
		phoff = int64(bo.Uint64(d[32:]))
		phentsize = int64(bo.Uint16(d[54:]))
		phnum = int64(bo.Uint16(d[56:]))
	} else {
		entry = int64(bo.Uint32(d[24:]))
		phoff = int64(bo.Uint32(d[28:]))
		phentsize = int64(bo.Uint16(d[42:]))
		phnum = int64(bo.Uint16(d[44:]))
	}
	for i := int64(0); i < phnum && i < 256; i++ {
		h := phoff + i*phentsize
		if h < 0 || h+56 > int64(len(d)) && is64 || h+32 > int64(len(d)) {
			break
		}
		var typ, off, vaddr, filesz int64
		if is64 {
			typ = int64(bo.Uint32(d[h:]))
			off = int64(bo.Uint64(d[h+8:]))
			vaddr = int64(bo.Uint64(d[h+16:]))
			filesz = int64(bo.Uint64(d[h+32:]))
		} else {
			typ = int64(bo.Uint32(d[h:]))
			off = int64(bo.Uint32(d[h+4:]))
			vaddr = int64(bo.Uint32(d[h+8:]))
			filesz = int64(bo.Uint32(d[h+16:]))
		}
		if typ == 1 && entry >= vaddr && entry < vaddr+filesz {
			return off + entry - vaddr, true
		}
	}
	return 0, false
}
