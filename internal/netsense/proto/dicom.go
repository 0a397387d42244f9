package proto

import (
	"encoding/binary"
	"strings"

	"github.com/medshield/medshield/internal/pii"
)

// DICOM upper-layer PDU types.
const (
	DICOMAssociateRQ = 1
	DICOMAssociateAC = 2
	DICOMAssociateRJ = 3
	DICOMPData       = 4
	DICOMReleaseRQ   = 5
	DICOMAbort       = 7
)

// DICOM is one upper-layer PDU summary. Patient values are not kept;
// PatientTags lists which patient attributes were present and PII holds
// masked identifiers found in their values.
type DICOM struct {
	PDU         uint8
	CalledAE    string
	CallingAE   string
	Abstract    []string // abstract syntax UIDs proposed (A-ASSOCIATE-RQ)
	Command     string   // DIMSE command in a P-DATA command fragment
	PatientTags []string
	PatientName bool
	PII         []pii.Finding
}

func (*DICOM) isRecord() {}

var dimse = map[uint16]string{0x0001: "C-STORE-RQ", 0x8001: "C-STORE-RSP", 0x0010: "C-GET-RQ", 0x0020: "C-FIND-RQ",
	0x0021: "C-MOVE-RQ", 0x0030: "C-ECHO-RQ", 0x8030: "C-ECHO-RSP"}

var patientTags = map[uint16]string{0x0010: "PatientName", 0x0020: "PatientID", 0x0030: "PatientBirthDate",
	0x0040: "PatientSex", 0x1000: "OtherPatientIDs", 0x1001: "OtherPatientNames", 0x1040: "PatientAddress",
	0x2154: "PatientTelephoneNumbers", 0x2160: "EthnicGroup", 0x1010: "PatientAge"}

type dicomDir struct {
	hdr  []byte
	buf  []byte
	want int // bytes of the current PDU kept for parsing
	rest int // bytes of the current PDU past the kept prefix, skipped after it
	skip int // bytes being skipped now
	typ  uint8
	dead bool
}

type dicomStream struct {
	lim  *Limits
	emit Emit
	d    [2]dicomDir
}

func newDICOM(lim *Limits, emit Emit) *dicomStream { return &dicomStream{lim: lim, emit: emit} }

func (s *dicomStream) Gap(dir int) { s.d[dir].dead = true }

func (s *dicomStream) Data(dir int, p []byte) {
	d := &s.d[dir]
	for len(p) > 0 && !d.dead {
		if d.skip > 0 {
			n := min(d.skip, len(p))
			d.skip -= n
			p = p[n:]
			continue
		}
		if d.want == 0 {
			n := min(6-len(d.hdr), len(p))
			d.hdr = append(d.hdr, p[:n]...)
			p = p[n:]
			if len(d.hdr) < 6 {
				return
			}
			d.typ = d.hdr[0]
			l := int(binary.BigEndian.Uint32(d.hdr[2:6]))
			d.hdr = d.hdr[:0]
			if d.typ < 1 || d.typ > 7 || l < 0 {
				d.dead = true
				return
			}
			if l == 0 {
				continue
			}
			d.want = min(l, s.lim.Message)
			d.rest = l - d.want
			d.buf = d.buf[:0]
		}
		n := min(d.want-len(d.buf), len(p))
		d.buf = append(d.buf, p[:n]...)
		p = p[n:]
		if len(d.buf) == d.want {
			if r := ParseDICOMPDU(d.typ, d.buf); r != nil {
				s.emit(dir, r)
			}
			d.want, d.skip, d.rest = 0, d.rest, 0
		}
	}
}

// ParseDICOMPDU summarises one PDU body (after the 6-byte header).
func ParseDICOMPDU(typ uint8, b []byte) *DICOM {
	r := &DICOM{PDU: typ}
	switch typ {
	case DICOMAssociateRQ, DICOMAssociateAC:
		if len(b) < 68 {
			return r
		}
		r.CalledAE = strings.TrimSpace(printable(string(b[4:20]), 16))
		r.CallingAE = strings.TrimSpace(printable(string(b[20:36]), 16))
		for off := 68; off+4 <= len(b); {
			it, il := b[off], int(binary.BigEndian.Uint16(b[off+2:off+4]))
			body := b[off+4 : min(len(b), off+4+il)]
			if it == 0x20 && len(body) > 4 { // presentation context: sub-items
				for so := 4; so+4 <= len(body); {
					st, sl := body[so], int(binary.BigEndian.Uint16(body[so+2:so+4]))
					if st == 0x30 && so+4+sl <= len(body) && len(r.Abstract) < 32 {
						r.Abstract = append(r.Abstract, strings.TrimRight(printable(string(body[so+4:so+4+sl]), 64), "."))
					}
					so += 4 + sl
				}
			}
			off += 4 + il
		}
	case DICOMPData:
		var values []byte
		for off := 0; off+6 <= len(b); {
			il := int(binary.BigEndian.Uint32(b[off : off+4]))
			if il < 2 {
				break
			}
			data := b[off+6 : min(len(b), off+4+il)]
			if b[off+5]&1 != 0 { // command fragment
				if v, ok := findElement(data, 0x0000, 0x0100); ok && len(v) >= 2 {
					c := binary.LittleEndian.Uint16(v)
					if n, ok := dimse[c]; ok {
						r.Command = n
					}
				}
			} else {
				values = patientElements(data, r, values)
			}
			off += 4 + il
		}
		if len(values) > 0 {
			r.PII = pii.Find(values)
		}
	}
	return r
}

// elementAt decodes the element at off as explicit VR little endian when
// the VR bytes look valid, else as implicit VR.
func elementAt(b []byte, off int) (value []byte, ok bool) {
	if off+8 > len(b) {
		return nil, false
	}
	vr := b[off+4 : off+6]
	var l, hdr int
	if vr[0] >= 'A' && vr[0] <= 'Z' && vr[1] >= 'A' && vr[1] <= 'Z' {
		switch string(vr) {
		case "OB", "OW", "OF", "SQ", "UT", "UN", "UC", "UR", "OD", "OL", "OV":
			if off+12 > len(b) {
				return nil, false
			}
			l, hdr = int(binary.LittleEndian.Uint32(b[off+8:])), 12
		default:
			l, hdr = int(binary.LittleEndian.Uint16(b[off+6:])), 8
		}
	} else {
		l, hdr = int(binary.LittleEndian.Uint32(b[off+4:])), 8
	}
	if l < 0 || l > 1024 || off+hdr+l > len(b) {
		return nil, false
	}
	return b[off+hdr : off+hdr+l], true
}

func findElement(b []byte, group, elem uint16) ([]byte, bool) {
	for off := 0; off+8 <= len(b); off += 2 {
		if binary.LittleEndian.Uint16(b[off:]) == group && binary.LittleEndian.Uint16(b[off+2:]) == elem {
			if v, ok := elementAt(b, off); ok {
				return v, true
			}
		}
	}
	return nil, false
}

// patientElements finds group 0x0010 patient attributes anywhere in a data
// fragment (elements are 2-byte aligned) and appends their values, one per
// line, for the identifier scan.
func patientElements(b []byte, r *DICOM, values []byte) []byte {
	for off := 0; off+8 <= len(b); off += 2 {
		if binary.LittleEndian.Uint16(b[off:]) != 0x0010 {
			continue
		}
		el := binary.LittleEndian.Uint16(b[off+2:])
		name, ok := patientTags[el]
		if !ok {
			continue
		}
		v, ok := elementAt(b, off)
		if !ok || len(strings.Trim(string(v), " \x00")) == 0 {
			continue
		}
		if !contains(r.PatientTags, name) && len(r.PatientTags) < 16 {
			r.PatientTags = append(r.PatientTags, name)
		}
		if el == 0x0010 {
			r.PatientName = true
		}
		if len(values) < 8192 {
			values = append(append(values, v...), '\n')
		}
	}
	return values
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
