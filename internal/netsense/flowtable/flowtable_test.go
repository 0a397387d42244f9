package flowtable

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/medshield/medshield/internal/netsense/packet"
)

func tcp(t int64, src string, sport uint16, dst string, dport uint16, flags uint8, wire, payload int) *packet.Decoded {
	return &packet.Decoded{TimeNanos: t, WireLen: wire, Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst),
		Proto: packet.ProtoTCP, SrcPort: sport, DstPort: dport, TCPFlags: flags, PayloadLen: payload}
}

func TestBidirectionalFlowAndTCPState(t *testing.T) {
	var ended []*Flow
	tab := New(DefaultLimits, func(f *Flow, _ EndReason) { ended = append(ended, f) })
	c, s := "10.0.0.1", "10.0.0.2"
	steps := []struct {
		p     *packet.Decoded
		dir   int
		state State
	}{
		{tcp(1, c, 40000, s, 445, packet.SYN, 60, 0), ToServer, StateSynSent},
		{tcp(2, s, 445, c, 40000, packet.SYN|packet.ACK, 60, 0), ToClient, StateSynAck},
		{tcp(3, c, 40000, s, 445, packet.ACK, 54, 0), ToServer, StateEstablished},
		{tcp(4, c, 40000, s, 445, packet.ACK|packet.PSH, 1514, 1460), ToServer, StateEstablished},
		{tcp(5, s, 445, c, 40000, packet.FIN|packet.ACK, 54, 0), ToClient, StateClosing},
		{tcp(6, c, 40000, s, 445, packet.FIN|packet.ACK, 54, 0), ToServer, StateClosed},
	}
	var f *Flow
	for i, st := range steps {
		var dir int
		f, dir = tab.Update(st.p)
		if dir != st.dir || f.State != st.state {
			t.Fatalf("step %d: dir %d state %v, want %d %v", i, dir, f.State, st.dir, st.state)
		}
	}
	if f.Client.String() != "10.0.0.1:40000" || f.Packets != [2]uint64{4, 2} || f.Bytes != [2]uint64{60 + 54 + 1514 + 54, 114} || f.PayloadBytes[ToServer] != 1460 {
		t.Fatalf("flow %+v", f)
	}
	tab.Expire(6 + DefaultLimits.TCPClosed + 1)
	if len(ended) != 1 || tab.Stats().Expired != 1 || tab.Stats().Active != 0 {
		t.Fatalf("ended %d, stats %+v", len(ended), tab.Stats())
	}
}

func TestMidStreamPickupGuessesServerByPort(t *testing.T) {
	tab := New(DefaultLimits, nil)
	f, dir := tab.Update(tcp(1, "192.0.2.1", 443, "10.0.0.5", 51000, packet.ACK, 1500, 1446))
	if f.Server.Port() != 443 || dir != ToClient {
		t.Fatalf("server %v dir %d", f.Server, dir)
	}
	// SYN-ACK first: the sender is the server.
	f, _ = tab.Update(tcp(1, "10.0.0.9", 8443, "10.0.0.5", 2000, packet.SYN|packet.ACK, 60, 0))
	if f.Server.Port() != 8443 {
		t.Fatalf("server %v", f.Server)
	}
}

func TestRejectedSyn(t *testing.T) {
	tab := New(DefaultLimits, nil)
	tab.Update(tcp(1, "10.0.0.1", 40000, "10.0.0.2", 23, packet.SYN, 60, 0))
	f, _ := tab.Update(tcp(2, "10.0.0.2", 23, "10.0.0.1", 40000, packet.RST|packet.ACK, 60, 0))
	if !f.Rejected || f.State != StateClosed {
		t.Fatalf("flow %+v", f)
	}
}

// TestSynFloodStaysWithinMaxFlows sends a SYN scan of a /16 through a table
// bounded to 1000 flows: the table never grows past the bound and every
// flow pushed out is counted.
func TestSynFloodStaysWithinMaxFlows(t *testing.T) {
	lim := DefaultLimits
	lim.MaxFlows = 1000
	ends := 0
	tab := New(lim, func(*Flow, EndReason) { ends++ })
	n := 0
	for a := 0; a < 256; a++ {
		for b := 0; b < 256; b++ {
			tab.Update(tcp(int64(n), "10.9.9.9", 40000, fmt.Sprintf("10.1.%d.%d", a, b), 445, packet.SYN, 60, 0))
			n++
			if len(tab.m) > lim.MaxFlows {
				t.Fatalf("table grew to %d", len(tab.m))
			}
		}
	}
	st := tab.Stats()
	if st.Flows != 65536 || st.Evicted != 65536-1000 || uint64(ends) != st.Evicted {
		t.Fatalf("stats %+v ends %d", st, ends)
	}
}
