// Package capture reads packets from pcap and pcapng files (format chosen by
// the magic number, never by the file name) and, on Linux, from a live
// interface through an AF_PACKET socket.
//
// It does not decode packets (see package netsense/packet) and keeps no
// state beyond the current record. Readers are bounded: a record larger than
// MaxSnap or a block larger than MaxBlock is an error, not an allocation.
// Only netsense and its tests import it.
package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Link types (LINKTYPE_* from the tcpdump registry) the decoder understands.
const (
	LinkNull     = 0
	LinkEthernet = 1
	LinkRaw      = 101
	LinkLoop     = 108
	LinkSLL      = 113
	LinkIPv4     = 228
	LinkIPv6     = 229
	LinkSLL2     = 276
)

// Limits.
const (
	MaxSnap  = 256 << 10 // largest captured packet we accept
	MaxBlock = 16 << 20  // largest pcapng block we skip over
)

// Packet is one captured frame. Data is only valid until the next call to
// Next; copy it to keep it.
type Packet struct {
	TimeNanos int64 // Unix time in nanoseconds
	Data      []byte
	WireLen   int // original length on the wire (≥ len(Data) when truncated)
	LinkType  uint32
	Interface int // pcapng interface index, 0 otherwise
}

// Source yields packets until io.EOF.
type Source interface {
	Next() (Packet, error)
	Close() error
}

// ErrFormat reports input that is neither pcap nor pcapng.
var ErrFormat = errors.New("not a pcap or pcapng file")

// OpenFile opens a capture file of either format.
func OpenFile(path string) (Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open capture: %w", err)
	}
	src, err := NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if c, ok := src.(interface{ setCloser(io.Closer) }); ok {
		c.setCloser(f)
	}
	return src, nil
}

// NewReader detects the format from the first four bytes of r.
func NewReader(r io.Reader) (Source, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, err := br.Peek(4)
	if err != nil {
		return nil, fmt.Errorf("read magic: %w", ErrFormat)
	}
	switch m := binary.LittleEndian.Uint32(magic); m {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
		return newPcap(br)
	case 0x0a0d0d0a:
		return newPcapNG(br)
	default:
		return nil, fmt.Errorf("magic %#08x: %w", m, ErrFormat)
	}
}

type closer struct{ c io.Closer }

func (c *closer) setCloser(x io.Closer) { c.c = x }

// Close closes the underlying file when the source owns it.
func (c *closer) Close() error {
	if c.c == nil {
		return nil
	}
	return c.c.Close()
}
