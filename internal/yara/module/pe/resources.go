package pe

import "github.com/medshield/medshield/internal/yara/module"

// resourceWalk carries YARA's iteration state: type, id and language are
// shared by all levels (a leaf above level 2 sees the values left by an
// earlier branch, as in YARA), the name strings are per branch.
type resourceWalk struct {
	p                        *parsed
	base                     int64 // offset of the root resource directory
	typ, id, lang            int32
	typStr, nameStr, langStr int64 // offsets of IMAGE_RESOURCE_DIR_STRING_U, or -1
}

const (
	iterFinished = iota
	iterAborted
)

func (p *parsed) parseResources(o obj) {
	f := p.f
	dir := f.directory(dirResource)
	if dir < 0 || f.u32(dir) == 0 {
		return
	}
	off := f.rvaToOffset(uint64(f.u32(dir)))
	if off < 0 || !f.fits(off, 16) {
		return
	}
	o.setInt("resource_timestamp", int64(f.u32(off+4)))
	o.setSub("resource_version", "major", int64(f.u16(off+8)))
	o.setSub("resource_version", "minor", int64(f.u16(off+10)))
	w := &resourceWalk{p: p, base: off, typ: -1, id: -1, lang: -1}
	res := o["resources"]
	w.walk(o, &res, off, 0, -1, -1, -1)
	o["resources"] = res
}

// name returns the offset of the entry's name string, or -1.
func (w *resourceWalk) name(entry int64) int64 {
	f := w.p.f
	n := f.u32(entry)
	if n&0x80000000 == 0 {
		return -1
	}
	s := w.base + int64(n&0x7fffffff)
	if !f.fits(s, 2) || !f.fits(s, 2+int64(f.u16(s))*2) {
		return -1
	}
	return s
}

func (w *resourceWalk) walk(o obj, res *module.Value, dir int64, level int, typStr, nameStr, langStr int64) int {
	f := w.p.f
	named, ids := f.u16(dir+12), f.u16(dir+14)
	if f.u32(dir) != 0 || named > 32768 || ids > 32768 {
		return iterFinished
	}
	total := int(named) + int(ids)
	entry := dir + 16
	result := iterFinished
	for i := 0; i < total; i++ {
		// Our bound: YARA has none, and nested directories can make the walk
		// quadratic or worse; past maxResources nothing is recorded anyway.
		w.p.budget++
		if w.p.budget > maxResourceVisits || w.p.nres > maxResources {
			return iterAborted
		}
		if !f.fits(entry, 8) {
			return iterAborted
		}
		switch level {
		case 0:
			w.typ = int32(f.u32(entry))
			typStr = w.name(entry)
		case 1:
			w.id = int32(f.u32(entry))
			nameStr = w.name(entry)
		case 2:
			w.lang = int32(f.u32(entry))
			langStr = w.name(entry)
		}
		target := f.u32(entry + 4)
		child := w.base + int64(target&0x7fffffff)
		if target&0x80000000 != 0 && level < 2 {
			if f.fits(child, 16) {
				result = w.walk(o, res, child, level+1, typStr, nameStr, langStr)
			} else {
				result = iterAborted
			}
		} else if f.fits(child, 16) {
			w.collect(o, res, child, typStr, nameStr, langStr)
		} else {
			result = iterAborted
		}
		if result == iterAborted {
			break
		}
		entry += 8
	}
	return result
}

// collect records one resource (YARA's pe_collect_resources).
func (w *resourceWalk) collect(o obj, res *module.Value, data int64, typStr, nameStr, langStr int64) {
	p, f := w.p, w.p.f
	if p.nres > maxResources {
		return
	}
	r := obj{}
	rva := f.u32(data)
	r.setInt("rva", int64(rva))
	if off := f.rvaToOffset(uint64(rva)); off >= 0 {
		r.setInt("offset", off)
	}
	r.setInt("length", int64(f.u32(data+4)))
	w.stringOrID(r, typStr, w.typ, "type_string", "type")
	w.stringOrID(r, nameStr, w.id, "name_string", "id")
	w.stringOrID(r, langStr, w.lang, "language_string", "language")
	res.Items = append(res.Items, r.value())
	if w.typ == 16 { // RT_VERSION
		p.parseVersionInfo(o, data)
	}
	p.nres++
}

func (w *resourceWalk) stringOrID(r obj, str int64, id int32, strName, idName string) {
	f := w.p.f
	if str < 0 {
		r.setInt(idName, int64(id))
		return
	}
	n := int64(f.u16(str)) * 2
	if f.fits(str+2, n) {
		r.setStr(strName, f.data[str+2:str+2+n])
	}
}

// Version info (VS_VERSIONINFO), walked as YARA's pe_parse_version_info
// does: records are 4-byte aligned, keys are UTF-16 and values are copied
// as the low byte of each UTF-16 unit (up to 63 key and 255 value bytes).

const versionInfoSize = 6 // Length, ValueLength, Type; the key follows

func align4(off, add int64) int64 { return off + ((add + 3) &^ 3) }

// wideEqual is YARA's strcmp_w(w, s) == 0.
func (f *file) wideEqual(off int64, s string) bool {
	for i := 0; i < len(s); i++ {
		if f.u8(off) != s[i] || f.u8(off+1) != 0 {
			return false
		}
		off += 2
	}
	return f.u8(off+1) == 0 && f.u8(off) == 0
}

// wideNul returns the offset of the first UTF-16 NUL at or after off
// (same parity), or -1. Record walks ask for increasing offsets, so the
// last answer per parity is cached to keep hostile files linear.
func (f *file) wideNul(off int64) int64 {
	if off < 0 || off >= f.size() {
		return -1
	}
	c := &f.nulCache[off&1]
	if c.valid && off >= c.from && (c.at < 0 || off <= c.at) {
		return c.at
	}
	at := int64(-1)
	for o := off; o+2 <= f.size(); o += 2 {
		if f.data[o] == 0 && f.data[o+1] == 0 {
			at = o
			break
		}
	}
	*c = nulCache{valid: true, from: off, at: at}
	return at
}

// wideFits is YARA's wide_string_fits_in_pe: a UTF-16 NUL is in the file.
func (f *file) wideFits(off int64) bool { return f.wideNul(off) >= 0 }

// wideLen is strnlen_w: UTF-16 units before the UTF-16 NUL (call after wideFits).
func (f *file) wideLen(off int64) int64 { return (f.wideNul(off) - off) / 2 }

// narrow is strlcpy_w: low bytes until a zero low byte, at most max-1.
func (f *file) narrow(off int64, max int) []byte {
	var out []byte
	for len(out) < max-1 && off < f.size() && f.data[off] != 0 {
		out = append(out, f.data[off])
		off += 2
	}
	return out
}

func (p *parsed) parseVersionInfo(o obj, dataEntry int64) {
	f := p.f
	vi := f.rvaToOffset(uint64(f.u32(dataEntry)))
	if vi < 0 || !f.fits(vi, versionInfoSize) {
		return
	}
	if !f.fits(vi+6, int64(len("VS_VERSION_INFO")+1)*2) || !f.wideEqual(vi+6, "VS_VERSION_INFO") {
		return
	}
	vi = align4(vi, versionInfoSize+86)
	for f.fits(vi+6, int64(len("VarFileInfo")+1)*2) && f.wideEqual(vi+6, "VarFileInfo") && f.u16(vi) != 0 {
		vi = align4(vi, int64(f.u16(vi)))
	}
	list := o["version_info_list"]
	dict := o["version_info"]
	for f.fits(vi+6, int64(len("StringFileInfo")+1)*2) && f.wideEqual(vi+6, "StringFileInfo") && f.u16(vi) != 0 {
		table := align4(vi, versionInfoSize+30)
		vi = align4(vi, int64(f.u16(vi)))
		for f.fits(table, versionInfoSize) && f.wideFits(table+6) && f.u16(table) != 0 && table < vi {
			str := align4(table, versionInfoSize+2*(f.wideLen(table+6)+1))
			table = align4(table, int64(f.u16(table)))
			for f.fits(str, versionInfoSize) && f.wideFits(str+6) && f.u16(str) != 0 && str < table {
				p.budget++
				if p.budget > maxResourceVisits+maxVersionInfoWork {
					o["version_info_list"], o["version_info"] = list, dict
					return
				}
				val := align4(str, versionInfoSize+2*(f.wideLen(str+6)+1))
				if f.wideFits(val) {
					key := f.narrow(str+6, 64)
					value := f.narrow(val, 256)
					if f.u16(str+2) == 0 {
						value = nil
					}
					dict.Dict[string(key)] = module.Str(value)
					list.Items = append(list.Items, obj{"key": module.Str(key), "value": module.Str(value)}.value())
					p.nversion++
				}
				str = align4(str, int64(f.u16(str)))
			}
		}
	}
	o["version_info_list"], o["version_info"] = list, dict
}
