package capture

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// pcapReader reads the classic libpcap format, both byte orders and both
// timestamp resolutions.
type pcapReader struct {
	closer
	r     *bufio.Reader
	order binary.ByteOrder
	nano  bool
	link  uint32
	hdr   [16]byte
	buf   []byte
}

func newPcap(r *bufio.Reader) (*pcapReader, error) {
	var h [24]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, fmt.Errorf("pcap header: %w", err)
	}
	p := &pcapReader{r: r}
	switch binary.LittleEndian.Uint32(h[:4]) {
	case 0xa1b2c3d4:
		p.order = binary.LittleEndian
	case 0xd4c3b2a1:
		p.order = binary.BigEndian
	case 0xa1b23c4d:
		p.order, p.nano = binary.LittleEndian, true
	case 0x4d3cb2a1:
		p.order, p.nano = binary.BigEndian, true
	}
	// The low 28 bits are the link type; the upper bits may carry FCS info.
	p.link = p.order.Uint32(h[20:24]) & 0x0fffffff
	return p, nil
}

func (p *pcapReader) Next() (Packet, error) {
	if _, err := io.ReadFull(p.r, p.hdr[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return Packet{}, fmt.Errorf("pcap record header: truncated file")
		}
		return Packet{}, err
	}
	sec := int64(p.order.Uint32(p.hdr[0:4]))
	frac := int64(p.order.Uint32(p.hdr[4:8]))
	capLen := p.order.Uint32(p.hdr[8:12])
	wire := p.order.Uint32(p.hdr[12:16])
	if capLen > MaxSnap {
		return Packet{}, fmt.Errorf("pcap record of %d bytes exceeds limit %d", capLen, MaxSnap)
	}
	if cap(p.buf) < int(capLen) {
		p.buf = make([]byte, capLen, max(capLen, 2048))
	}
	data := p.buf[:capLen]
	if _, err := io.ReadFull(p.r, data); err != nil {
		return Packet{}, fmt.Errorf("pcap record data: truncated file")
	}
	if !p.nano {
		frac *= 1000
	}
	if wire < capLen {
		wire = capLen
	}
	return Packet{TimeNanos: sec*1e9 + frac, Data: data, WireLen: int(wire), LinkType: p.link}, nil
}
