// Package reassembly puts one direction of a TCP connection back in order:
// it trims retransmissions and overlaps, holds a bounded number of
// out-of-order segments, reports gaps (lost or snaplen-truncated data) and
// stops after a per-stream depth, as Suricata's stream.reassembly.depth.
//
// It keeps no global state; the caller owns one Stream per direction.
// Only netsense imports it.
package reassembly

// Limits bound each stream.
type Limits struct {
	Depth      uint64 // bytes delivered per direction; the rest is ignored
	MaxPending int    // out-of-order segments held
	MaxHeld    int    // bytes held out of order
}

// DefaultLimits are the documented defaults.
var DefaultLimits = Limits{Depth: 1 << 20, MaxPending: 64, MaxHeld: 256 << 10}

// Sink receives a stream's bytes in order.
type Sink interface {
	Data(b []byte)
	// Gap says n bytes are missing before the next Data.
	Gap(n int)
}

type segment struct {
	seq  uint32
	data []byte
	wire int // payload length on the wire (> len(data) when truncated)
}

// Stream is one direction of a connection.
type Stream struct {
	lim       *Limits
	init      bool
	next      uint32
	delivered uint64
	pending   []segment
	held      int
	Gaps      int
	Done      bool // depth reached; further data is ignored
}

// New returns a stream with limits l (shared, not copied).
func New(l *Limits) *Stream { return &Stream{lim: l} }

// diff is the signed distance from b to a in sequence space.
func diff(a, b uint32) int32 { return int32(a - b) }

// Segment adds one segment. syn marks a SYN (its sequence number is the
// ISN, data starts at ISN+1). payload is what was captured; wire is the
// payload length per the IP header.
func (s *Stream) Segment(seq uint32, syn bool, payload []byte, wire int, sink Sink) {
	if syn {
		if !s.init {
			s.init, s.next = true, seq+1
		}
		return
	}
	if s.Done || wire == 0 {
		return
	}
	if !s.init {
		s.init, s.next = true, seq
	}
	if d := diff(seq, s.next); d > 0 {
		s.hold(seq, payload, wire, sink)
		return
	}
	s.deliver(seq, payload, wire, sink)
	s.drain(sink)
}

func (s *Stream) deliver(seq uint32, payload []byte, wire int, sink Sink) {
	// trim what we already have (retransmission or overlap)
	skip := int(diff(s.next, seq))
	if skip >= wire {
		return
	}
	if skip > 0 {
		wire -= skip
		if skip >= len(payload) {
			payload = nil
		} else {
			payload = payload[skip:]
		}
	}
	if room := s.lim.Depth - s.delivered; uint64(wire) > room {
		wire = int(room)
		if len(payload) > wire {
			payload = payload[:wire]
		}
	}
	if len(payload) > 0 {
		sink.Data(payload)
	}
	if missing := wire - len(payload); missing > 0 {
		s.Gaps++
		sink.Gap(missing)
	}
	s.next += uint32(wire)
	s.delivered += uint64(wire)
	if s.delivered >= s.lim.Depth {
		s.Done = true
		s.pending, s.held = nil, 0
	}
}

func (s *Stream) hold(seq uint32, payload []byte, wire int, sink Sink) {
	if len(s.pending) >= s.lim.MaxPending || s.held+len(payload) > s.lim.MaxHeld {
		// Give up waiting: skip to the earliest held segment.
		s.skipToPending(sink)
		if diff(seq, s.next) <= 0 {
			s.deliver(seq, payload, wire, sink)
			s.drain(sink)
			return
		}
	}
	s.pending = append(s.pending, segment{seq, append([]byte(nil), payload...), wire})
	s.held += len(payload)
}

func (s *Stream) skipToPending(sink Sink) {
	if len(s.pending) == 0 {
		return
	}
	first := 0
	for i := range s.pending {
		if diff(s.pending[i].seq, s.pending[first].seq) < 0 {
			first = i
		}
	}
	if gap := diff(s.pending[first].seq, s.next); gap > 0 {
		s.Gaps++
		sink.Gap(int(gap))
		s.next = s.pending[first].seq
	}
	s.drain(sink)
}

// drain delivers held segments that are now in order.
func (s *Stream) drain(sink Sink) {
	for progress := true; progress && len(s.pending) > 0 && !s.Done; {
		progress = false
		for i := 0; i < len(s.pending); i++ {
			sg := s.pending[i]
			if diff(sg.seq, s.next) <= 0 {
				s.pending = append(s.pending[:i], s.pending[i+1:]...)
				s.held -= len(sg.data)
				s.deliver(sg.seq, sg.data, sg.wire, sink)
				progress = true
				i--
			}
		}
	}
}

// Flush delivers whatever is held, reporting the holes as gaps (end of flow).
func (s *Stream) Flush(sink Sink) {
	for len(s.pending) > 0 && !s.Done {
		s.skipToPending(sink)
	}
}
