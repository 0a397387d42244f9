// Package flowtable tracks bidirectional flows keyed by the 5-tuple: who
// initiated, TCP state, packets and wire bytes per direction, first and last
// seen. It expires idle flows by per-state timeouts measured on packet time
// and bounds memory with a maximum flow count, evicting the least recently
// seen flow and counting every eviction.
//
// It does not reassemble streams or look at payloads; flows carry an App
// slot for the caller's per-flow state. Only netsense imports it.
package flowtable

import (
	"net/netip"

	"github.com/medshield/medshield/internal/netsense/packet"
)

// Key is the canonical 5-tuple: A is the lower endpoint, so both
// directions of a conversation share a key.
type Key struct {
	A, B  netip.AddrPort
	Proto uint8
}

// State is the TCP state of a flow as seen from the wire.
type State uint8

// TCP states.
const (
	StateNew         State = iota // non-TCP, or TCP without a SYN seen
	StateSynSent                  // client SYN only
	StateSynAck                   // server answered SYN-ACK
	StateEstablished              // handshake completed or data seen both ways
	StateClosing                  // one FIN seen
	StateClosed                   // both FINs, or RST
)

var stateNames = [...]string{"new", "syn_sent", "syn_ack", "established", "closing", "closed"}

func (s State) String() string { return stateNames[s] }

// Direction of a packet within its flow.
const (
	ToServer = 0 // from the initiator
	ToClient = 1
)

// Flow is one conversation.
type Flow struct {
	ID             uint64
	Key            Key
	Client, Server netip.AddrPort // initiator and responder
	Proto          uint8
	First, Last    int64 // packet times, Unix nanoseconds
	Packets        [2]uint64
	Bytes          [2]uint64 // on-wire bytes, from the original length
	PayloadBytes   [2]uint64 // transport payload bytes per the IP header
	State          State
	FirstFlags     uint8 // TCP flags of the first packet
	Flags          [2]uint8
	SynSeen        bool
	Rejected       bool // RST answered our SYN
	VLAN           uint16
	App            any // caller's per-flow state

	prev, next *Flow
}

// Limits and timeouts of a Table, in nanoseconds of packet time.
type Limits struct {
	MaxFlows       int
	TCPEstablished int64
	TCPHandshake   int64
	TCPClosed      int64
	UDP            int64
	Other          int64
}

// DefaultLimits are the documented defaults (see docs/sensor.md).
var DefaultLimits = Limits{
	MaxFlows:       262144,
	TCPEstablished: 3600e9,
	TCPHandshake:   30e9,
	TCPClosed:      10e9,
	UDP:            120e9,
	Other:          60e9,
}

// EndReason says why a flow left the table.
type EndReason uint8

// End reasons.
const (
	EndTimeout EndReason = iota
	EndEvicted
	EndShutdown
)

func (r EndReason) String() string { return [...]string{"timeout", "evicted", "shutdown"}[r] }

// Stats counts table activity.
type Stats struct {
	Flows, Active, Expired, Evicted uint64
}

// Table is the flow table; it is not safe for concurrent use.
type Table struct {
	lim   Limits
	m     map[Key]*Flow
	head  *Flow // least recently seen
	tail  *Flow // most recently seen
	onEnd func(*Flow, EndReason)
	stats Stats
	next  uint64
	sweep int64
}

// New returns a table that calls onEnd for every flow that leaves it.
func New(lim Limits, onEnd func(*Flow, EndReason)) *Table {
	if lim.MaxFlows <= 0 {
		lim.MaxFlows = DefaultLimits.MaxFlows
	}
	return &Table{lim: lim, m: make(map[Key]*Flow, min(lim.MaxFlows, 1<<16)), onEnd: onEnd}
}

// Stats returns the counters.
func (t *Table) Stats() Stats {
	s := t.stats
	s.Active = uint64(len(t.m))
	return s
}

func keyOf(p *packet.Decoded) (Key, bool) {
	a := netip.AddrPortFrom(p.Src, p.SrcPort)
	b := netip.AddrPortFrom(p.Dst, p.DstPort)
	if a.Compare(b) <= 0 {
		return Key{A: a, B: b, Proto: p.Proto}, false
	}
	return Key{A: b, B: a, Proto: p.Proto}, true
}

// Update finds or creates the flow of p, updates its counters and state,
// and returns it with the packet's direction.
func (t *Table) Update(p *packet.Decoded) (*Flow, int) {
	now := p.TimeNanos
	if now-t.sweep > 5e9 || now < t.sweep {
		t.Expire(now)
		t.sweep = now
	}
	k, _ := keyOf(p)
	f := t.m[k]
	if f == nil {
		if len(t.m) >= t.lim.MaxFlows {
			t.remove(t.head, EndEvicted)
		}
		t.next++
		f = &Flow{ID: t.next, Key: k, Proto: p.Proto, First: now, Last: now, VLAN: p.VLAN}
		f.Client = netip.AddrPortFrom(p.Src, p.SrcPort)
		f.Server = netip.AddrPortFrom(p.Dst, p.DstPort)
		if p.Proto == packet.ProtoTCP {
			f.FirstFlags = p.TCPFlags
			synAck := p.TCPFlags&(packet.SYN|packet.ACK) == packet.SYN|packet.ACK
			if synAck || p.TCPFlags&packet.SYN == 0 && serverSide(p.SrcPort, p.DstPort) {
				f.Client, f.Server = f.Server, f.Client
			}
		} else if serverSide(p.SrcPort, p.DstPort) {
			f.Client, f.Server = f.Server, f.Client
		}
		t.m[k] = f
		t.push(f)
		t.stats.Flows++
	} else {
		t.touch(f)
	}
	dir := ToServer
	if netip.AddrPortFrom(p.Src, p.SrcPort) != f.Client {
		dir = ToClient
	}
	if now > f.Last {
		f.Last = now
	}
	f.Packets[dir]++
	f.Bytes[dir] += uint64(p.WireLen)
	f.PayloadBytes[dir] += uint64(p.PayloadLen)
	if p.Proto == packet.ProtoTCP {
		t.tcpState(f, dir, p.TCPFlags, p.PayloadLen)
	}
	return f, dir
}

// serverSide guesses, for a flow picked up mid-stream, whether the source
// is the server: it has the well-known (lower, < 1024) port.
func serverSide(sport, dport uint16) bool {
	return sport < 1024 && dport >= 1024 || sport < dport && dport >= 49152
}

func (t *Table) tcpState(f *Flow, dir int, flags uint8, payload int) {
	f.Flags[dir] |= flags
	switch {
	case flags&packet.RST != 0:
		if f.State == StateSynSent && dir == ToClient {
			f.Rejected = true
		}
		f.State = StateClosed
	case flags&packet.SYN != 0 && flags&packet.ACK == 0:
		f.SynSeen = true
		if f.State == StateNew {
			f.State = StateSynSent
		}
	case flags&packet.SYN != 0:
		if f.State <= StateSynSent {
			f.State = StateSynAck
		}
	case flags&packet.FIN != 0:
		if f.Flags[ToServer]&packet.FIN != 0 && f.Flags[ToClient]&packet.FIN != 0 {
			f.State = StateClosed
		} else if f.State < StateClosing {
			f.State = StateClosing
		}
	default:
		if f.State == StateSynAck || f.State == StateNew && payload > 0 {
			f.State = StateEstablished
		}
	}
}

func (t *Table) timeout(f *Flow) int64 {
	switch f.Proto {
	case packet.ProtoTCP:
		switch f.State {
		case StateSynSent, StateSynAck:
			return t.lim.TCPHandshake
		case StateClosed:
			return t.lim.TCPClosed
		}
		return t.lim.TCPEstablished
	case packet.ProtoUDP:
		return t.lim.UDP
	}
	return t.lim.Other
}

// Expire ends flows idle longer than their timeout at packet time now.
// Flows are kept in last-seen order, so the walk stops at the first flow
// younger than the shortest timeout.
func (t *Table) Expire(now int64) {
	shortest := min(t.lim.TCPClosed, t.lim.TCPHandshake, t.lim.UDP, t.lim.Other, t.lim.TCPEstablished)
	for f := t.head; f != nil; {
		next := f.next
		idle := now - f.Last
		if idle < shortest {
			break
		}
		if idle > t.timeout(f) {
			t.remove(f, EndTimeout)
		}
		f = next
	}
}

// Flush ends every flow (end of a capture file or shutdown).
func (t *Table) Flush() {
	for t.head != nil {
		t.remove(t.head, EndShutdown)
	}
}

func (t *Table) remove(f *Flow, why EndReason) {
	delete(t.m, f.Key)
	t.unlink(f)
	switch why {
	case EndTimeout:
		t.stats.Expired++
	case EndEvicted:
		t.stats.Evicted++
	}
	if t.onEnd != nil {
		t.onEnd(f, why)
	}
}

func (t *Table) push(f *Flow) {
	f.prev, f.next = t.tail, nil
	if t.tail != nil {
		t.tail.next = f
	} else {
		t.head = f
	}
	t.tail = f
}

func (t *Table) unlink(f *Flow) {
	if f.prev != nil {
		f.prev.next = f.next
	} else {
		t.head = f.next
	}
	if f.next != nil {
		f.next.prev = f.prev
	} else {
		t.tail = f.prev
	}
	f.prev, f.next = nil, nil
}

func (t *Table) touch(f *Flow) {
	if t.tail == f {
		return
	}
	t.unlink(f)
	t.push(f)
}
