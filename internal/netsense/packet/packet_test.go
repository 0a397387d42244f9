package packet

import (
	"encoding/binary"
	"testing"

	"github.com/medshield/medshield/internal/netsense/capture"
	"github.com/medshield/medshield/internal/netsense/pcaptest"
)

func ipv4Header(src, dst [4]byte, proto uint8, id uint16, fragOff int, more bool, payload []byte) []byte {
	h := make([]byte, 20, 20+len(payload))
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:4], uint16(20+len(payload)))
	binary.BigEndian.PutUint16(h[4:6], id)
	fo := uint16(fragOff / 8)
	if more {
		fo |= 0x2000
	}
	binary.BigEndian.PutUint16(h[6:8], fo)
	h[8], h[9] = 64, proto
	copy(h[12:16], src[:])
	copy(h[16:20], dst[:])
	return append(h, payload...)
}

func udpDatagram(sport, dport uint16, payload []byte) []byte {
	u := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(u[0:2], sport)
	binary.BigEndian.PutUint16(u[2:4], dport)
	binary.BigEndian.PutUint16(u[4:6], uint16(8+len(payload)))
	return append(u, payload...)
}

func TestLinkTypes(t *testing.T) {
	udp := udpDatagram(5353, 53, []byte("hello"))
	ip := ipv4Header([4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}, ProtoUDP, 1, 0, false, udp)
	eth := append([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x81, 0, 0, 42, 0x08, 0x00}, ip...) // VLAN 42
	sll := append(make([]byte, 14), 0x08, 0x00)
	sll = append(sll, ip...)
	null := append([]byte{2, 0, 0, 0}, ip...)
	loop := append([]byte{0, 0, 0, 2}, ip...)
	tests := []struct {
		name string
		link uint32
		data []byte
		vlan uint16
	}{
		{"ethernet+vlan", capture.LinkEthernet, eth, 42},
		{"linux sll", capture.LinkSLL, sll, 0},
		{"bsd null", capture.LinkNull, null, 0},
		{"openbsd loop", capture.LinkLoop, loop, 0},
		{"raw", capture.LinkRaw, ip, 0},
	}
	d := NewDecoder()
	for _, tc := range tests {
		var out Decoded
		if err := d.Decode(capture.Packet{Data: tc.data, WireLen: len(tc.data), LinkType: tc.link}, &out); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if out.Src.String() != "10.0.0.1" || out.DstPort != 53 || string(out.Payload) != "hello" || out.VLAN != tc.vlan {
			t.Errorf("%s: got %+v", tc.name, out)
		}
	}
}

func TestIPv4FragmentsOutOfOrder(t *testing.T) {
	payload := make([]byte, 3000)
	for i := range payload {
		payload[i] = byte(i)
	}
	udp := udpDatagram(1, 2, payload)
	src, dst := [4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}
	frags := [][]byte{
		ipv4Header(src, dst, ProtoUDP, 7, 1480, true, udp[1480:2960]),
		ipv4Header(src, dst, ProtoUDP, 7, 2960, false, udp[2960:]),
		ipv4Header(src, dst, ProtoUDP, 7, 0, true, udp[:1480]),
	}
	d := NewDecoder()
	var out Decoded
	for i, f := range frags {
		err := d.Decode(capture.Packet{Data: f, WireLen: len(f), LinkType: capture.LinkRaw}, &out)
		if i < 2 && err != ErrFragmentHeld {
			t.Fatalf("fragment %d: err %v, want held", i, err)
		}
		if i == 2 && err != nil {
			t.Fatalf("last fragment: %v", err)
		}
	}
	if len(out.Payload) != 3000 || out.Payload[2999] != byte(2999%256) || out.DstPort != 2 {
		t.Fatalf("reassembled payload %d bytes, port %d", len(out.Payload), out.DstPort)
	}
	if done, dropped := d.FragStats(); done != 1 || dropped != 0 {
		t.Errorf("frag stats %d/%d", done, dropped)
	}
}

func TestFragmentLimitsDropInsteadOfGrowing(t *testing.T) {
	d := NewDecoder()
	d.frag.lim.MaxDatagrams = 10
	var out Decoded
	for id := 0; id < 50; id++ {
		f := ipv4Header([4]byte{1, 1, 1, 1}, [4]byte{2, 2, 2, 2}, ProtoUDP, uint16(id), 8, true, make([]byte, 8))
		_ = d.Decode(capture.Packet{Data: f, WireLen: len(f), LinkType: capture.LinkRaw}, &out)
	}
	if len(d.frag.m) != 10 {
		t.Errorf("held %d datagrams, want 10", len(d.frag.m))
	}
	if _, dropped := d.FragStats(); dropped != 40 {
		t.Errorf("dropped %d, want 40", dropped)
	}
}

func TestTruncatedCaptureKeepsWireLengths(t *testing.T) {
	c := pcaptest.NewConv(pcaptest.Base, "10.0.0.1", 40000, "203.0.113.1", 443)
	c.Send(true, make([]byte, 1400))
	p := c.Packets[3]
	p.Data = p.Data[:96]
	var out Decoded
	if err := NewDecoder().Decode(p, &out); err != nil {
		t.Fatal(err)
	}
	if out.PayloadLen != 1400 || len(out.Payload) != 96-54 || out.WireLen != 1454 {
		t.Errorf("payloadLen %d captured %d wire %d", out.PayloadLen, len(out.Payload), out.WireLen)
	}
}

func TestIPv6ExtensionHeaders(t *testing.T) {
	udp := udpDatagram(1000, 53, []byte("v6"))
	hbh := []byte{60, 0, 1, 4, 0, 0, 0, 0}  // next: destination options
	dopt := []byte{17, 0, 1, 4, 0, 0, 0, 0} // next: UDP
	pl := append(append(hbh, dopt...), udp...)
	ip := make([]byte, 40)
	ip[0] = 0x60
	binary.BigEndian.PutUint16(ip[4:6], uint16(len(pl)))
	ip[6], ip[7] = 0, 64
	ip[23], ip[39] = 1, 2
	ip = append(ip, pl...)
	var out Decoded
	if err := NewDecoder().Decode(capture.Packet{Data: ip, WireLen: len(ip), LinkType: capture.LinkRaw}, &out); err != nil {
		t.Fatal(err)
	}
	if out.Proto != ProtoUDP || out.DstPort != 53 || string(out.Payload) != "v6" || out.Dst.String() != "::2" {
		t.Errorf("got %+v", out)
	}
}

func FuzzDecode(f *testing.F) {
	c := pcaptest.NewConv(pcaptest.Base, "2001:db8::2", 40000, "2001:db8::1", 443)
	f.Add(uint8(1), c.Packets[0].Data)
	f.Add(uint8(101), ipv4Header([4]byte{1, 2, 3, 4}, [4]byte{5, 6, 7, 8}, 17, 1, 8, true, make([]byte, 16)))
	f.Add(uint8(113), make([]byte, 40))
	f.Add(uint8(0), []byte{2, 0, 0, 0, 0x45})
	links := []uint32{0, 1, 101, 108, 113, 276, 228, 229}
	f.Fuzz(func(t *testing.T, link uint8, data []byte) {
		d := NewDecoder()
		var out Decoded
		for i := 0; i < 3; i++ { // repeat to exercise the defragmenter
			_ = d.Decode(capture.Packet{Data: data, WireLen: len(data), LinkType: links[int(link)%len(links)]}, &out)
		}
	})
}

func BenchmarkDecodeTCP(b *testing.B) {
	c := pcaptest.NewConv(pcaptest.Base, "10.0.0.1", 40000, "203.0.113.1", 443)
	c.Send(true, make([]byte, 1400))
	p := c.Packets[3]
	d := NewDecoder()
	var out Decoded
	b.SetBytes(int64(len(p.Data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := d.Decode(p, &out); err != nil {
			b.Fatal(err)
		}
	}
}
