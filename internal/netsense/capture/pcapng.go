package capture

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// pcapng block types.
const (
	blockSHB = 0x0a0d0d0a
	blockIDB = 0x00000001
	blockPB  = 0x00000002 // obsolete packet block
	blockSPB = 0x00000003
	blockEPB = 0x00000006
)

type ngInterface struct {
	link    uint32
	snap    uint32
	tsUnits int64 // units per second
	tsOff   int64 // seconds
}

// pcapngReader reads pcapng: several sections, several interfaces with
// their own link types and timestamp resolutions.
type pcapngReader struct {
	closer
	r     *bufio.Reader
	order binary.ByteOrder
	ifs   []ngInterface
	buf   []byte
}

const maxInterfaces = 1024

func newPcapNG(r *bufio.Reader) (*pcapngReader, error) {
	p := &pcapngReader{r: r, order: binary.LittleEndian}
	// The first block must be a section header; Next handles it.
	return p, nil
}

func (p *pcapngReader) Next() (Packet, error) {
	for {
		var h [8]byte
		if _, err := io.ReadFull(p.r, h[:]); err != nil {
			if err == io.ErrUnexpectedEOF {
				return Packet{}, fmt.Errorf("pcapng block header: truncated file")
			}
			return Packet{}, err
		}
		typ := binary.LittleEndian.Uint32(h[:4])
		if typ == blockSHB {
			// Byte order comes from the magic that follows the length.
			var bom [4]byte
			if _, err := io.ReadFull(p.r, bom[:]); err != nil {
				return Packet{}, fmt.Errorf("pcapng section header: truncated file")
			}
			switch binary.LittleEndian.Uint32(bom[:]) {
			case 0x1a2b3c4d:
				p.order = binary.LittleEndian
			case 0x4d3c2b1a:
				p.order = binary.BigEndian
			default:
				return Packet{}, fmt.Errorf("pcapng section header: bad byte-order magic")
			}
			p.ifs = p.ifs[:0]
			n := p.order.Uint32(h[4:8])
			if n < 28 || n%4 != 0 || n > MaxBlock {
				return Packet{}, fmt.Errorf("pcapng section header: bad length %d", n)
			}
			if _, err := p.r.Discard(int(n) - 12); err != nil {
				return Packet{}, fmt.Errorf("pcapng section header: truncated file")
			}
			continue
		}
		if typ != blockSHB && p.order == nil {
			return Packet{}, fmt.Errorf("pcapng: block before section header")
		}
		typ = p.order.Uint32(h[:4])
		n := p.order.Uint32(h[4:8])
		if n < 12 || n%4 != 0 || n > MaxBlock {
			return Packet{}, fmt.Errorf("pcapng block type %#x: bad length %d", typ, n)
		}
		body := int(n) - 12
		switch typ {
		case blockIDB, blockEPB, blockSPB, blockPB:
			if cap(p.buf) < body+4 {
				p.buf = make([]byte, body+4, max(body+4, 4096))
			}
			b := p.buf[:body+4]
			if _, err := io.ReadFull(p.r, b); err != nil {
				return Packet{}, fmt.Errorf("pcapng block type %#x: truncated file", typ)
			}
			b = b[:body]
			if typ == blockIDB {
				if err := p.addInterface(b); err != nil {
					return Packet{}, err
				}
				continue
			}
			pkt, ok, err := p.packet(typ, b)
			if err != nil {
				return Packet{}, err
			}
			if ok {
				return pkt, nil
			}
		default:
			if _, err := p.r.Discard(body + 4); err != nil {
				return Packet{}, fmt.Errorf("pcapng block type %#x: truncated file", typ)
			}
		}
	}
}

func (p *pcapngReader) addInterface(b []byte) error {
	if len(b) < 8 {
		return fmt.Errorf("pcapng interface block: too short")
	}
	if len(p.ifs) >= maxInterfaces {
		return fmt.Errorf("pcapng: more than %d interfaces", maxInterfaces)
	}
	ifc := ngInterface{link: uint32(p.order.Uint16(b[0:2])), snap: p.order.Uint32(b[4:8]), tsUnits: 1e6}
	// options: code(2) len(2) value padded to 4
	for o := b[8:]; len(o) >= 4; {
		code, l := p.order.Uint16(o[0:2]), int(p.order.Uint16(o[2:4]))
		if code == 0 || 4+l > len(o) {
			break
		}
		v := o[4 : 4+l]
		switch {
		case code == 9 && l >= 1: // if_tsresol
			r := v[0]
			units := int64(1)
			for i := 0; i < int(r&0x7f) && units < 1e18; i++ {
				if r&0x80 != 0 {
					units *= 2
				} else {
					units *= 10
				}
			}
			if units < 1 || units > 1e18 {
				return fmt.Errorf("pcapng interface block: bad if_tsresol %#x", r)
			}
			ifc.tsUnits = units
		case code == 14 && l == 8: // if_tsoffset
			ifc.tsOff = int64(p.order.Uint64(v))
		}
		o = o[4+(l+3)&^3:]
	}
	p.ifs = append(p.ifs, ifc)
	return nil
}

func (p *pcapngReader) packet(typ uint32, b []byte) (Packet, bool, error) {
	var ifIdx int
	var ts uint64
	var capLen, wire uint32
	var data []byte
	switch typ {
	case blockEPB, blockPB:
		if len(b) < 20 {
			return Packet{}, false, fmt.Errorf("pcapng packet block: too short")
		}
		if typ == blockEPB {
			ifIdx = int(p.order.Uint32(b[0:4]))
		} else {
			ifIdx = int(p.order.Uint16(b[0:2]))
		}
		ts = uint64(p.order.Uint32(b[4:8]))<<32 | uint64(p.order.Uint32(b[8:12]))
		capLen, wire = p.order.Uint32(b[12:16]), p.order.Uint32(b[16:20])
		if uint64(capLen) > uint64(len(b)-20) {
			return Packet{}, false, fmt.Errorf("pcapng packet block: captured length %d exceeds block", capLen)
		}
		data = b[20 : 20+capLen]
	case blockSPB:
		if len(b) < 4 {
			return Packet{}, false, fmt.Errorf("pcapng simple packet block: too short")
		}
		wire = p.order.Uint32(b[0:4])
		capLen = uint32(len(b) - 4)
		if len(p.ifs) > 0 && p.ifs[0].snap > 0 && capLen > p.ifs[0].snap {
			capLen = p.ifs[0].snap
		}
		if capLen > wire {
			capLen = wire
		}
		data = b[4 : 4+capLen]
	}
	if ifIdx >= len(p.ifs) {
		return Packet{}, false, fmt.Errorf("pcapng packet for undeclared interface %d", ifIdx)
	}
	if capLen > MaxSnap {
		return Packet{}, false, fmt.Errorf("pcapng packet of %d bytes exceeds limit %d", capLen, MaxSnap)
	}
	ifc := p.ifs[ifIdx]
	sec := int64(ts/uint64(ifc.tsUnits)) + ifc.tsOff
	frac := int64(ts % uint64(ifc.tsUnits))
	nanos := sec*1e9 + frac*1e9/ifc.tsUnits
	if ifc.tsUnits > 1e9 {
		nanos = sec*1e9 + frac/(ifc.tsUnits/1e9)
	}
	if wire < capLen {
		wire = capLen
	}
	return Packet{TimeNanos: nanos, Data: data, WireLen: int(wire), LinkType: ifc.link, Interface: ifIdx}, true, nil
}
