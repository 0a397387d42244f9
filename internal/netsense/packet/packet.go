// Package packet decodes captured frames down to the transport layer:
// Ethernet (with 802.1Q/QinQ VLAN tags), Linux cooked SLL and SLL2, BSD
// NULL/loopback and raw IP link types; IPv4 and IPv6 (extension headers
// skipped); TCP, UDP and ICMP. IPv4 and IPv6 fragments are reassembled
// with bounds on memory and time.
//
// It uses gopacket's layer decoders (no libpcap, no cgo) through a reusable
// Decoder so that the hot path does not allocate. It does not track flows
// or streams (see flowtable and reassembly). Only netsense imports it.
package packet

import (
	"encoding/binary"
	"errors"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/medshield/medshield/internal/netsense/capture"
)

// IP protocol numbers used by the sensor.
const (
	ProtoICMP   = 1
	ProtoTCP    = 6
	ProtoUDP    = 17
	ProtoICMPv6 = 58
)

// TCP flags, as in the header byte.
const (
	FIN = 0x01
	SYN = 0x02
	RST = 0x04
	PSH = 0x08
	ACK = 0x10
	URG = 0x20
	ECE = 0x40
	CWR = 0x80
)

// Decoded is one packet's addresses, ports and payload. Slices point into
// the capture buffer (or the defragmenter's) and are valid until the next
// Decode call.
type Decoded struct {
	TimeNanos int64
	WireLen   int
	Src, Dst  netip.Addr
	Proto     uint8
	SrcPort   uint16
	DstPort   uint16
	TCPFlags  uint8
	Seq, Ack  uint32
	Payload   []byte // captured transport payload
	// PayloadLen is the transport payload length according to the IP
	// header, which exceeds len(Payload) when the capture was truncated.
	PayloadLen int
	ICMPType   uint8
	VLAN       uint16
}

// Errors that say why a frame carried nothing to analyse. They are
// counted, not logged.
var (
	ErrNotIP        = errors.New("not an IP packet")
	ErrLinkType     = errors.New("unsupported link type")
	ErrMalformed    = errors.New("malformed packet")
	ErrFragmentHeld = errors.New("fragment held for reassembly")
)

// Decoder decodes packets; it is not safe for concurrent use.
type Decoder struct {
	eth   layers.Ethernet
	dot1q layers.Dot1Q
	sll   layers.LinuxSLL
	ip4   layers.IPv4
	tcp   layers.TCP
	udp   layers.UDP
	frag  *defrag
}

// NewDecoder returns a decoder with default fragment limits.
func NewDecoder() *Decoder {
	d := &Decoder{frag: newDefrag(DefaultFragLimits)}
	d.tcp.Options = make([]layers.TCPOption, 0, 8)
	return d
}

// FragStats reports how many datagrams were reassembled and dropped.
func (d *Decoder) FragStats() (reassembled, dropped int) {
	return d.frag.done, d.frag.dropped
}

var nf = gopacket.NilDecodeFeedback

// Decode decodes one frame of the given link type into out.
func (d *Decoder) Decode(p capture.Packet, out *Decoded) error {
	*out = Decoded{TimeNanos: p.TimeNanos, WireLen: p.WireLen}
	data := p.Data
	var etype layers.EthernetType
	switch p.LinkType {
	case capture.LinkEthernet:
		if err := d.eth.DecodeFromBytes(data, nf); err != nil {
			return ErrMalformed
		}
		etype, data = d.eth.EthernetType, d.eth.Payload
		for i := 0; i < 4 && (etype == layers.EthernetTypeDot1Q || etype == layers.EthernetTypeQinQ || etype == 0x9100); i++ {
			if err := d.dot1q.DecodeFromBytes(data, nf); err != nil {
				return ErrMalformed
			}
			out.VLAN = d.dot1q.VLANIdentifier
			etype, data = d.dot1q.Type, d.dot1q.Payload
		}
	case capture.LinkSLL:
		if err := d.sll.DecodeFromBytes(data, nf); err != nil {
			return ErrMalformed
		}
		etype, data = d.sll.EthernetType, d.sll.Payload
	case capture.LinkSLL2:
		if len(data) < 20 {
			return ErrMalformed
		}
		etype, data = layers.EthernetType(binary.BigEndian.Uint16(data[0:2])), data[20:]
	case capture.LinkNull, capture.LinkLoop:
		if len(data) < 4 {
			return ErrMalformed
		}
		fam := binary.LittleEndian.Uint32(data[:4])
		if p.LinkType == capture.LinkLoop || fam > 0xffff {
			fam = binary.BigEndian.Uint32(data[:4])
		}
		switch fam {
		case 2:
			etype = layers.EthernetTypeIPv4
		case 10, 24, 28, 30:
			etype = layers.EthernetTypeIPv6
		default:
			return ErrNotIP
		}
		data = data[4:]
	case capture.LinkRaw, capture.LinkIPv4, capture.LinkIPv6, 12, 14:
		if len(data) == 0 {
			return ErrMalformed
		}
		switch data[0] >> 4 {
		case 4:
			etype = layers.EthernetTypeIPv4
		case 6:
			etype = layers.EthernetTypeIPv6
		default:
			return ErrNotIP
		}
	default:
		return ErrLinkType
	}
	switch etype {
	case layers.EthernetTypeIPv4:
		return d.ipv4(data, out)
	case layers.EthernetTypeIPv6:
		return d.ipv6(data, out)
	}
	return ErrNotIP
}

func (d *Decoder) ipv4(data []byte, out *Decoded) error {
	if err := d.ip4.DecodeFromBytes(data, nf); err != nil {
		return ErrMalformed
	}
	ip := &d.ip4
	out.Src, _ = netip.AddrFromSlice(ip.SrcIP.To4())
	out.Dst, _ = netip.AddrFromSlice(ip.DstIP.To4())
	out.Proto = uint8(ip.Protocol)
	payload := ip.Payload
	wireLen := int(ip.Length) - int(ip.IHL)*4
	if ip.Flags&layers.IPv4MoreFragments != 0 || ip.FragOffset != 0 {
		if len(payload) < wireLen {
			return ErrMalformed // a truncated fragment cannot be reassembled
		}
		key := fragKey{src: out.Src, dst: out.Dst, id: uint32(ip.Id), proto: out.Proto}
		whole, ok := d.frag.add(key, out.TimeNanos, int(ip.FragOffset)*8, ip.Flags&layers.IPv4MoreFragments != 0, payload)
		if !ok {
			return ErrFragmentHeld
		}
		payload, wireLen = whole, len(whole)
	}
	return d.transport(out.Proto, payload, wireLen, out)
}

func (d *Decoder) ipv6(data []byte, out *Decoded) error {
	// Parsed by hand: the fixed header is trivial and every extension
	// header, hop-by-hop included, is walked below in one place.
	if len(data) < 40 || data[0]>>4 != 6 {
		return ErrMalformed
	}
	out.Src = netip.AddrFrom16([16]byte(data[8:24]))
	out.Dst = netip.AddrFrom16([16]byte(data[24:40]))
	next := data[6]
	payload := data[40:]
	wireLen := int(binary.BigEndian.Uint16(data[4:6]))
	if wireLen == 0 { // jumbogram or TSO: trust the capture
		wireLen = len(payload)
	} else if wireLen < len(payload) {
		payload = payload[:wireLen]
	}
	for i := 0; i < 8; i++ {
		switch next {
		case 0, 43, 60: // hop-by-hop, routing, destination options
			if len(payload) < 8 {
				return ErrMalformed
			}
			hl := (int(payload[1]) + 1) * 8
			if hl > len(payload) {
				return ErrMalformed
			}
			next, payload, wireLen = payload[0], payload[hl:], wireLen-hl
			continue
		case 51: // authentication header
			if len(payload) < 8 {
				return ErrMalformed
			}
			hl := (int(payload[1]) + 2) * 4
			if hl > len(payload) {
				return ErrMalformed
			}
			next, payload, wireLen = payload[0], payload[hl:], wireLen-hl
			continue
		case 44: // fragment
			if len(payload) < 8 {
				return ErrMalformed
			}
			off := int(binary.BigEndian.Uint16(payload[2:4]) &^ 7)
			more := payload[3]&1 != 0
			id := binary.BigEndian.Uint32(payload[4:8])
			nh := payload[0]
			frag := payload[8:]
			if len(frag) < wireLen-8 {
				return ErrMalformed
			}
			if off == 0 && !more { // atomic fragment
				next, payload, wireLen = nh, frag, wireLen-8
				continue
			}
			key := fragKey{src: out.Src, dst: out.Dst, id: id, proto: nh, v6: true}
			whole, ok := d.frag.add(key, out.TimeNanos, off, more, frag)
			if !ok {
				return ErrFragmentHeld
			}
			next, payload, wireLen = nh, whole, len(whole)
			continue
		}
		break
	}
	out.Proto = next
	return d.transport(next, payload, wireLen, out)
}

func (d *Decoder) transport(proto uint8, data []byte, wireLen int, out *Decoded) error {
	switch proto {
	case ProtoTCP:
		if err := d.tcp.DecodeFromBytes(data, nf); err != nil {
			return ErrMalformed
		}
		t := &d.tcp
		out.SrcPort, out.DstPort = uint16(t.SrcPort), uint16(t.DstPort)
		out.Seq, out.Ack = t.Seq, t.Ack
		out.TCPFlags = data[13]
		out.Payload = t.Payload
		out.PayloadLen = max(wireLen-int(t.DataOffset)*4, len(t.Payload))
	case ProtoUDP:
		if len(data) < 8 {
			return ErrMalformed
		}
		out.SrcPort = binary.BigEndian.Uint16(data[0:2])
		out.DstPort = binary.BigEndian.Uint16(data[2:4])
		ulen := int(binary.BigEndian.Uint16(data[4:6]))
		out.Payload = data[8:]
		if ulen >= 8 && ulen-8 < len(out.Payload) {
			out.Payload = out.Payload[:ulen-8]
		}
		out.PayloadLen = max(wireLen-8, len(out.Payload))
	case ProtoICMP, ProtoICMPv6:
		if len(data) >= 1 {
			out.ICMPType = data[0]
		}
		out.Payload = data
		out.PayloadLen = max(wireLen, len(data))
	default:
		out.Payload = data
		out.PayloadLen = max(wireLen, len(data))
	}
	return nil
}
