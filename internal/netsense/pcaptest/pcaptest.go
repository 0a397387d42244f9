// Package pcaptest crafts packets for netsense tests: Ethernet/IPv4/IPv6
// frames with TCP or UDP built with gopacket's serializer, and simple TCP
// conversations with consistent sequence numbers. Only tests import it.
package pcaptest

import (
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/medshield/medshield/internal/netsense/capture"
)

// Base is the default start time of crafted captures.
var Base = time.Date(2024, 1, 15, 8, 0, 0, 0, time.UTC)

var macA = net.HardwareAddr{2, 0, 0, 0, 0, 1}
var macB = net.HardwareAddr{2, 0, 0, 0, 0, 2}

// Frame serialises an Ethernet frame around an IP packet with the given
// transport layer and payload.
func Frame(t time.Time, src, dst string, transport gopacket.SerializableLayer, payload []byte) capture.Packet {
	s, d := netip.MustParseAddr(src), netip.MustParseAddr(dst)
	var ls []gopacket.SerializableLayer
	eth := &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeIPv4}
	var nl gopacket.NetworkLayer
	if s.Is4() {
		ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: s.AsSlice(), DstIP: d.AsSlice(), Protocol: proto(transport)}
		ls, nl = append(ls, eth, ip), ip
	} else {
		eth.EthernetType = layers.EthernetTypeIPv6
		ip := &layers.IPv6{Version: 6, HopLimit: 64, SrcIP: s.AsSlice(), DstIP: d.AsSlice(), NextHeader: proto(transport)}
		ls, nl = append(ls, eth, ip), ip
	}
	switch tl := transport.(type) {
	case *layers.TCP:
		_ = tl.SetNetworkLayerForChecksum(nl)
	case *layers.UDP:
		_ = tl.SetNetworkLayerForChecksum(nl)
	}
	ls = append(ls, transport, gopacket.Payload(payload))
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		panic(err)
	}
	data := append([]byte(nil), buf.Bytes()...)
	return capture.Packet{TimeNanos: t.UnixNano(), Data: data, WireLen: len(data), LinkType: capture.LinkEthernet}
}

func proto(l gopacket.SerializableLayer) layers.IPProtocol {
	switch l.(type) {
	case *layers.TCP:
		return layers.IPProtocolTCP
	case *layers.UDP:
		return layers.IPProtocolUDP
	}
	return layers.IPProtocolICMPv4
}

// UDP returns one UDP datagram.
func UDP(t time.Time, src string, sport uint16, dst string, dport uint16, payload []byte) capture.Packet {
	return Frame(t, src, dst, &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}, payload)
}

// TCP returns one TCP segment; flags use the packet package's bit values.
func TCP(t time.Time, src string, sport uint16, dst string, dport uint16, flags uint8, seq, ack uint32, payload []byte) capture.Packet {
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: seq, Ack: ack, Window: 64240,
		FIN: flags&0x01 != 0, SYN: flags&0x02 != 0, RST: flags&0x04 != 0, PSH: flags&0x08 != 0,
		ACK: flags&0x10 != 0, URG: flags&0x20 != 0}
	return Frame(t, src, dst, tcp, payload)
}

// Conv builds a TCP conversation: handshake, the given client and server
// messages alternating (client first; empty strings skip a turn), then FIN.
// Each message advances the clock by a millisecond.
type Conv struct {
	Client, Server string
	CPort, SPort   uint16
	Start          time.Time
	cseq, sseq     uint32
	now            time.Time
	Packets        []capture.Packet
}

// NewConv starts a conversation with a completed handshake.
func NewConv(start time.Time, client string, cport uint16, server string, sport uint16) *Conv {
	c := &Conv{Client: client, Server: server, CPort: cport, SPort: sport, Start: start, cseq: 1000, sseq: 5000, now: start}
	c.add(true, 0x02, nil)
	c.cseq++
	c.add(false, 0x12, nil)
	c.sseq++
	c.add(true, 0x10, nil)
	return c
}

func (c *Conv) add(fromClient bool, flags uint8, payload []byte) {
	c.now = c.now.Add(time.Millisecond)
	if fromClient {
		c.Packets = append(c.Packets, TCP(c.now, c.Client, c.CPort, c.Server, c.SPort, flags, c.cseq, c.sseq, payload))
		c.cseq += uint32(len(payload))
	} else {
		c.Packets = append(c.Packets, TCP(c.now, c.Server, c.SPort, c.Client, c.CPort, flags, c.sseq, c.cseq, payload))
		c.sseq += uint32(len(payload))
	}
}

// Send adds a data segment from the client (true) or the server.
func (c *Conv) Send(fromClient bool, payload []byte) *Conv {
	c.add(fromClient, 0x18, payload)
	return c
}

// Close adds FIN/ACK exchanges and returns the packets.
func (c *Conv) Close() []capture.Packet {
	c.add(true, 0x11, nil)
	c.cseq++
	c.add(false, 0x11, nil)
	c.sseq++
	c.add(true, 0x10, nil)
	return c.Packets
}

// WritePcap writes packets as a classic little-endian microsecond pcap
// with the Ethernet link type.
func WritePcap(w io.Writer, pkts []capture.Packet) error {
	h := make([]byte, 24)
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], 262144)
	binary.LittleEndian.PutUint32(h[20:], capture.LinkEthernet)
	if _, err := w.Write(h); err != nil {
		return err
	}
	rec := make([]byte, 16)
	for _, p := range pkts {
		binary.LittleEndian.PutUint32(rec[0:], uint32(p.TimeNanos/1e9))
		binary.LittleEndian.PutUint32(rec[4:], uint32(p.TimeNanos%1e9/1e3))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(p.Data)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(p.WireLen))
		if _, err := w.Write(rec); err != nil {
			return err
		}
		if _, err := w.Write(p.Data); err != nil {
			return err
		}
	}
	return nil
}
