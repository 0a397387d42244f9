package proto

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// DCE-RPC packet types.
const (
	DCERequest  = 0
	DCEResponse = 2
	DCEBind     = 11
	DCEBindAck  = 12
	DCEAlter    = 14
)

// Interfaces the detectors name (lower-case UUID → name).
var dceInterfaces = map[string]string{
	"367abb81-9844-35f1-ad32-98f038001003": "svcctl",
	"1ff70682-0a51-30e8-076d-740be8cee98b": "atsvc",
	"86d35949-83c9-4044-b424-db363231fd0c": "itaskschedulerservice",
	"378e52b0-c0a9-11cf-822d-00aa0051e40f": "sasec",
	"f309ad18-d86a-11d0-a075-00c04fb68820": "iwbemlevel1login",
	"9556dc99-828c-11cf-a37e-00aa003240c7": "iwbemservices",
	"000001a0-0000-0000-c000-000000000046": "isystemactivator",
	"4d9f4ab8-7d1c-11cf-861e-0020af6e7c57": "iremotescmactivator",
	"e1af8308-5d1f-11c9-91a4-08002b14a0fa": "epm",
	"12345778-1234-abcd-ef00-0123456789ac": "samr",
	"12345778-1234-abcd-ef00-0123456789ab": "lsarpc",
	"4b324fc8-1670-01d3-1278-5a47bf6ee188": "srvsvc",
	"6bffd098-a112-3610-9833-46c3f87e345a": "wkssvc",
	"338cd001-2244-31f1-aaaa-900038001003": "winreg",
	"e3514235-4b06-11d1-ab04-00c04fc2dcd2": "drsuapi",
	"12345678-1234-abcd-ef00-0123456789ab": "spoolss",
}

// DCERPC is one DCE-RPC bind or request, over a named pipe or TCP.
type DCERPC struct {
	PType       uint8
	Interface   string   // name of the interface (request) or first bound one
	UUID        string   // interface UUID
	Bound       []string // bind: names (or UUIDs) of all abstract syntaxes
	Opnum       uint16
	Pipe        string // named pipe, empty over TCP
	StubLen     int
	ServiceName string // svcctl create/open: the service name
	BinaryPath  string // svcctl create: the binary path
	Sealed      bool   // stub encrypted (authentication level privacy)
}

func (*DCERPC) isRecord() {}

type dceState struct {
	ctx map[uint16]string // context id → interface UUID
}

func uuidString(b []byte) string {
	if len(b) < 16 {
		return ""
	}
	return fmt.Sprintf("%08x-%04x-%04x-%x-%x", binary.LittleEndian.Uint32(b[0:4]), binary.LittleEndian.Uint16(b[4:6]),
		binary.LittleEndian.Uint16(b[6:8]), b[8:10], b[10:16])
}

// InterfaceName returns the known name of an interface UUID, or the UUID.
func InterfaceName(uuid string) string {
	if n, ok := dceInterfaces[uuid]; ok {
		return n
	}
	return uuid
}

// parse reads the DCE-RPC PDUs in one pipe write (or TCP chunk).
func (st *dceState) parse(b []byte, pipe string) []Record {
	var out []Record
	for i := 0; i < 32 && len(b) >= 16; i++ {
		if b[0] != 5 || b[1] != 0 {
			return out
		}
		ptype := b[2]
		flen := int(binary.LittleEndian.Uint16(b[8:10]))
		if flen < 16 {
			return out
		}
		pdu := b[:min(flen, len(b))]
		switch ptype {
		case DCEBind, DCEAlter:
			r := &DCERPC{PType: ptype, Pipe: pipe}
			if len(pdu) >= 28 {
				n := int(pdu[24])
				off := 28
				for k := 0; k < n && k < 16 && off+44 <= len(pdu); k++ {
					ctxID := binary.LittleEndian.Uint16(pdu[off:])
					ntrans := int(pdu[off+2])
					uuid := uuidString(pdu[off+4 : off+20])
					if len(st.ctx) < 64 {
						st.ctx[ctxID] = uuid
					}
					if r.UUID == "" {
						r.UUID, r.Interface = uuid, InterfaceName(uuid)
					}
					r.Bound = append(r.Bound, InterfaceName(uuid))
					off += 24 + 20*ntrans
				}
			}
			out = append(out, r)
		case DCERequest:
			if len(pdu) >= 24 {
				ctxID := binary.LittleEndian.Uint16(pdu[20:22])
				uuid := st.ctx[ctxID]
				r := &DCERPC{PType: ptype, Pipe: pipe, UUID: uuid, Interface: InterfaceName(uuid),
					Opnum: binary.LittleEndian.Uint16(pdu[22:24])}
				stub := pdu[24:]
				if authLen := int(binary.LittleEndian.Uint16(b[10:12])); authLen > 0 && len(pdu) == flen && authLen+8 <= len(stub) {
					trailer := stub[len(stub)-authLen-8:]
					r.Sealed = trailer[1] == 6 // RPC_C_AUTHN_LEVEL_PKT_PRIVACY
					stub = stub[:len(stub)-authLen-8]
				}
				if b[3]&0x80 != 0 && len(stub) >= 16 { // object UUID present
					stub = stub[16:]
				}
				r.StubLen = len(stub)
				if r.Interface == "svcctl" && !r.Sealed {
					r.ServiceName, r.BinaryPath = svcctlStrings(r.Opnum, stub)
				}
				out = append(out, r)
			}
		}
		if flen > len(b) {
			return out
		}
		b = b[flen:]
	}
	return out
}

// svcctlStrings pulls the service name and, for creates, the binary path
// out of an RCreateServiceW/A or ROpenServiceW request stub: a 20-byte
// context handle followed by NDR conformant varying strings.
func svcctlStrings(opnum uint16, stub []byte) (name, path string) {
	if len(stub) < 20+12 {
		return "", ""
	}
	switch opnum {
	case 12, 16, 24: // RCreateServiceW, ROpenServiceW, RCreateServiceA
	default:
		return "", ""
	}
	wide := opnum != 24
	p := 20
	name, p = ndrString(stub, p, wide)
	if opnum == 16 {
		return name, ""
	}
	// DisplayName is a unique pointer, then desired access, type, start
	// type, error control (4 × uint32), then the binary path.
	if p+4 > len(stub) {
		return name, ""
	}
	if binary.LittleEndian.Uint32(stub[p:]) != 0 {
		_, p = ndrString(stub, p+4, wide)
	} else {
		p += 4
	}
	p += 16
	path, _ = ndrString(stub, p, wide)
	return name, path
}

func ndrString(b []byte, p int, wide bool) (string, int) {
	p = (p + 3) &^ 3
	if p+12 > len(b) {
		return "", len(b)
	}
	n := int(binary.LittleEndian.Uint32(b[p+8:]))
	p += 12
	size := n
	if wide {
		size = 2 * n
	}
	if n > 4096 || p+size > len(b) {
		return "", len(b)
	}
	var s string
	if wide {
		s = utf16z(b, p, size)
	} else {
		s = asciiz(b[:p+size], p)
	}
	return strings.TrimRight(s, "\x00"), p + size
}

// dceStream parses DCE-RPC directly over TCP (port 135 and dynamic ports).
type dceStream struct {
	emit Emit
	buf  [2]buffer
	st   dceState
}

func newDCERPCStream(lim *Limits, emit Emit) *dceStream {
	d := &dceStream{emit: emit, st: dceState{ctx: map[uint16]string{}}}
	d.buf[0].max, d.buf[1].max = lim.Message, lim.Message
	return d
}

func (d *dceStream) Gap(dir int) { d.buf[dir].dead = true }

func (d *dceStream) Data(dir int, p []byte) {
	b := &d.buf[dir]
	if !b.add(p) {
		return
	}
	for len(b.b) >= 16 {
		if b.b[0] != 5 {
			b.dead, b.b = true, nil
			return
		}
		flen := int(binary.LittleEndian.Uint16(b.b[8:10]))
		if flen < 16 {
			b.dead, b.b = true, nil
			return
		}
		if len(b.b) < flen {
			return
		}
		if dir == ToServer {
			for _, r := range d.st.parse(b.b[:flen], "") {
				d.emit(dir, r)
			}
		}
		b.consume(flen)
	}
}
