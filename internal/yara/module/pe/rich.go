package pe

import "encoding/binary"

const (
	richDans = 0x536e6144 // "DanS"
	richRich = 0x68636952 // "Rich"
)

// parseRich is pe_parse_rich_signature: search back from the NT headers
// for "Rich" and its key, then for the XOR-ed "DanS" start marker.
func (p *parsed) parseRich(o obj) {
	f := p.f
	nt := int64(f.u32(0x3c))
	if nt > f.size()+4 || nt < 4 {
		return
	}
	var key uint32
	rich := int64(-1)
	q := nt - 4
	for ; q >= dosHeaderSize; q -= 4 {
		if f.fits(q, 4) && f.u32(q) == richRich {
			key = f.u32(q + 4)
			rich = q
			q -= 4
			break
		}
	}
	if key == 0 {
		return
	}
	start := int64(-1)
	for ; q >= dosHeaderSize; q -= 4 {
		if f.u32(q)^key == richDans {
			start = q
			break
		}
	}
	if start < 0 {
		return
	}
	k1, k2, k3 := f.u32(start+4), f.u32(start+8), f.u32(start+12)
	if k1 != k2 || k2 != k3 || f.u32(start)^k1 != richDans {
		return
	}
	raw := f.data[start:rich]
	rs := o.sub("rich_signature")
	rs.setInt("offset", start)
	rs.setInt("length", int64(len(raw)))
	rs.setInt("key", int64(k1))
	clear := make([]byte, len(raw))
	for i := 0; i+4 <= len(raw); i += 4 {
		binary.LittleEndian.PutUint32(clear[i:], binary.LittleEndian.Uint32(raw[i:])^k1)
	}
	rs.setStr("raw_data", raw)
	rs.setStr("clear_data", clear)
}

// parseDebug is pe_parse_debug_directory: the first CodeView record with a
// usable PDB path sets pdb_path.
func (p *parsed) parseDebug(o obj) {
	f := p.f
	dir := f.directory(dirDebug)
	if dir < 0 {
		return
	}
	size := f.u32(dir + 4)
	if size == 0 || size%28 != 0 || f.u32(dir) == 0 {
		return
	}
	base := f.rvaToOffset(uint64(f.u32(dir)))
	if base < 0 {
		return
	}
	for i := int64(0); i < int64(size/28); i++ {
		d := base + i*28
		if !f.fits(d, 28) {
			break
		}
		if f.u32(d+12) != 2 { // IMAGE_DEBUG_TYPE_CODEVIEW
			continue
		}
		var cv int64
		if f.u32(d+20) != 0 {
			cv = f.rvaToOffset(uint64(f.u32(d + 20)))
		}
		if cv <= 0 && f.u32(d+24) != 0 {
			cv = int64(f.u32(d + 24))
		}
		if cv <= 0 || !f.fits(cv, 8) {
			continue
		}
		path := int64(-1)
		switch f.u32(cv) {
		case 0x3031424e: // "NB10": CV_INFO_PDB20, packed size 17
			if f.fits(cv, 17) {
				path = cv + 16
			}
		case 0x53445352: // "RSDS": CV_INFO_PDB70, packed size 25
			if f.fits(cv, 25) {
				path = cv + 24
			}
		case 0x434f544d: // "MTOC": packed size 21
			if f.fits(cv, 21) {
				path = cv + 20
			}
		}
		if path >= 0 {
			s := f.cstring(path, maxPath)
			if len(s) > 0 && len(s) < maxPath {
				o.setStr("pdb_path", s)
				break
			}
		}
	}
}
