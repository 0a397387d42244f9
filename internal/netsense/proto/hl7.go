package proto

import (
	"bytes"
	"strings"

	"github.com/medshield/medshield/internal/pii"
)

// HL7 is one HL7 v2 message received over MLLP. It carries no patient
// values, only what is present and masked identifiers.
type HL7 struct {
	MessageType string // MSH-9, e.g. ADT^A04
	ControlID   string // MSH-10
	Segments    []string
	PatientName bool     // PID-5 present
	PatientIDs  int      // PID-3 repetitions
	IDTypes     []string // PID-3 identifier type codes (MR, NNCHN, ...)
	BirthDate   bool     // PID-7
	Address     bool     // PID-11
	Phone       bool     // PID-13/14
	PII         []pii.Finding
}

func (*HL7) isRecord() {}

type hl7Stream struct {
	emit Emit
	buf  [2]buffer
}

func newHL7(lim *Limits, emit Emit) *hl7Stream {
	h := &hl7Stream{emit: emit}
	h.buf[0].max, h.buf[1].max = lim.Message, lim.Message
	return h
}

func (h *hl7Stream) Gap(dir int) { h.buf[dir].dead = true }

func (h *hl7Stream) Data(dir int, p []byte) {
	b := &h.buf[dir]
	if !b.add(p) {
		return
	}
	for {
		start := bytes.IndexByte(b.b, 0x0b)
		if start < 0 {
			b.b = b.b[:0]
			return
		}
		end := bytes.Index(b.b[start:], []byte{0x1c, 0x0d})
		if end < 0 {
			if start > 0 {
				b.consume(start)
			}
			return
		}
		if m := ParseHL7(b.b[start+1 : start+end]); m != nil {
			h.emit(dir, m)
		}
		b.consume(start + end + 2)
	}
}

// ParseHL7 parses one HL7 v2 message (segments separated by CR).
func ParseHL7(msg []byte) *HL7 {
	if len(msg) < 8 || string(msg[:3]) != "MSH" {
		return nil
	}
	fs := string(msg[3:4])
	comp := "^"
	rep := "~"
	if len(msg) >= 6 {
		comp, rep = string(msg[4:5]), string(msg[5:6])
	}
	m := &HL7{}
	segs := strings.FieldsFunc(string(msg), func(r rune) bool { return r == '\r' || r == '\n' })
	for _, seg := range segs {
		if len(seg) < 3 {
			continue
		}
		name := seg[:3]
		if len(m.Segments) < 64 {
			m.Segments = append(m.Segments, name)
		}
		f := strings.Split(seg, fs)
		field := func(i int) string {
			if i < len(f) {
				return f[i]
			}
			return ""
		}
		switch name {
		case "MSH":
			// MSH-1 is the separator itself, so MSH-n is f[n-1].
			m.MessageType = printable(field(8), 64)
			m.ControlID = printable(field(9), 64)
		case "PID":
			if ids := field(3); ids != "" {
				for _, id := range strings.Split(ids, rep) {
					m.PatientIDs++
					c := strings.Split(id, comp)
					if len(c) > 4 && c[4] != "" && len(m.IDTypes) < 8 {
						m.IDTypes = append(m.IDTypes, printable(c[4], 16))
					}
				}
			}
			m.PatientName = strings.Trim(field(5), comp+rep) != ""
			m.BirthDate = field(7) != ""
			m.Address = strings.Trim(field(11), comp+rep) != ""
			m.Phone = strings.Trim(field(13)+field(14), comp+rep) != ""
		}
	}
	m.PII = pii.Find(msg)
	return m
}
