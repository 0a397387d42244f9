// Package netsense is medshield's network sensor: it reads packets from
// pcap/pcapng files or a live interface, tracks flows, reassembles TCP
// streams, dissects application protocols and runs the detectors listed in
// netsense/detect, producing alerts as internal/event.Event values and,
// optionally, Suricata-EVE-compatible JSON lines.
//
// Subpackages: capture (readers), packet (decoding, defragmentation),
// flowtable, reassembly, proto (dissectors), analysis (the detector
// contract and configuration), detect (the plugins). netsense does not
// ship events to the server (the caller does) and imports nothing from
// agent, server, store or console. cmd/medshield and tests import it.
package netsense

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/ioc"
	"github.com/medshield/medshield/internal/netsense/analysis"
	"github.com/medshield/medshield/internal/netsense/capture"
	"github.com/medshield/medshield/internal/netsense/flowtable"
	"github.com/medshield/medshield/internal/netsense/packet"
	"github.com/medshield/medshield/internal/netsense/proto"
	"github.com/medshield/medshield/internal/netsense/reassembly"
)

// Options configure a Sensor.
type Options struct {
	Config    *analysis.Config // nil means analysis.Defaults()
	IOC       *ioc.Set         // may be nil
	Detectors []analysis.Detector
	// EVE, when set, receives Suricata-EVE JSON lines (alerts, flows and
	// protocol records).
	EVE io.Writer
	// OnAlert, when set, receives every (de-duplicated) alert.
	OnAlert func(event.Event)
	// KeepAlerts is how many alerts Alerts() keeps (0 = DefaultKeepAlerts);
	// a long-running sensor delivers alerts through OnAlert and EVE, so
	// memory must not grow with them.
	KeepAlerts int
	Log        *slog.Logger
}

// Sensor analyses packets. It is single-threaded: call Packet from one
// goroutine (Run does).
type Sensor struct {
	cfg     *analysis.Config
	env     *analysis.Env
	dets    []analysis.Detector
	byKind  map[analysis.Kind][]analysis.Detector
	dec     *packet.Decoder
	flows   *flowtable.Table
	rlim    reassembly.Limits
	plim    proto.Limits
	eve     *eveWriter
	onAlert func(event.Event)
	log     *slog.Logger
	seen    map[string]int
	alerts  []event.Event
	keep    int
	supp    []suppression
	stats   Stats
	lastSec int64
	now     int64
	pd      packet.Decoded
}

const maxDedup = 1 << 16

// DefaultKeepAlerts bounds the alerts a sensor keeps in memory.
const DefaultKeepAlerts = 100000

// New builds a sensor.
func New(o Options) (*Sensor, error) {
	cfg := o.Config
	if cfg == nil {
		cfg = analysis.Defaults()
	}
	var home []netip.Prefix
	for _, s := range cfg.HomeNet {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("home network %q: %w", s, err)
		}
		home = append(home, p.Masked())
	}
	supp, err := compileSuppressions(cfg.Suppress)
	if err != nil {
		return nil, err
	}
	set := o.IOC
	if set == nil {
		set = ioc.NewSet()
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Sensor{cfg: cfg, dets: o.Detectors, byKind: map[analysis.Kind][]analysis.Detector{},
		dec: packet.NewDecoder(), onAlert: o.OnAlert, log: log.With("component", "netsense"), seen: map[string]int{}, keep: o.KeepAlerts}
	s.supp = supp
	if s.keep <= 0 {
		s.keep = DefaultKeepAlerts
	}
	s.stats.Apps = map[string]uint64{}
	s.stats.Rules = map[string]int{}
	s.stats.Decode = map[string]uint64{}
	s.env = &analysis.Env{Config: cfg, IOC: set, HomeNet: analysis.NewNetSet(home), Emit: s.emit}
	for _, k := range []analysis.Kind{analysis.FlowStart, analysis.FlowEnd, analysis.Record, analysis.Tick} {
		for _, d := range s.dets {
			if d.Wants()&k != 0 {
				s.byKind[k] = append(s.byKind[k], d)
			}
		}
	}
	lim := flowtable.DefaultLimits
	lim.MaxFlows = cfg.Flows.MaxFlows
	lim.TCPEstablished, lim.TCPHandshake = cfg.Flows.TCPEstablished.Nanos(), cfg.Flows.TCPHandshake.Nanos()
	lim.TCPClosed, lim.UDP = cfg.Flows.TCPClosed.Nanos(), cfg.Flows.UDP.Nanos()
	s.flows = flowtable.New(lim, s.flowEnd)
	s.rlim = reassembly.DefaultLimits
	s.rlim.Depth = uint64(cfg.Stream.Depth)
	s.plim = proto.Limits{HTTPBody: cfg.Stream.HTTPBody, HTTPHeaders: proto.DefaultLimits.HTTPHeaders, Message: cfg.Stream.MessageSize}
	if o.EVE != nil {
		s.eve = newEVE(o.EVE)
	}
	return s, nil
}

// Env returns the detectors' environment (for tests and tools).
func (s *Sensor) Env() *analysis.Env { return s.env }

// flowState is the sensor's per-flow state, kept in Flow.App.
type flowState struct {
	app     proto.App
	decided bool
	stream  proto.Stream
	rs      [2]*reassembly.Stream
	sinks   [2]sink
}

type sink struct {
	s   *Sensor
	f   *flowtable.Flow
	dir int
}

func (k *sink) Data(b []byte) { k.s.streamData(k.f, k.dir, b) }
func (k *sink) Gap(int) {
	if st := k.f.App.(*flowState); st.stream != nil {
		st.stream.Gap(k.dir)
	}
}

// Packet analyses one captured packet.
func (s *Sensor) Packet(p capture.Packet) {
	s.stats.Packets++
	s.stats.WireBytes += uint64(p.WireLen)
	s.stats.CapturedBytes += uint64(len(p.Data))
	if s.stats.First == 0 || p.TimeNanos < s.stats.First {
		s.stats.First = p.TimeNanos
	}
	if p.TimeNanos > s.stats.Last {
		s.stats.Last = p.TimeNanos
	}
	d := &s.pd
	if err := s.dec.Decode(p, d); err != nil {
		s.stats.Decode[reason(err)]++
		return
	}
	s.now = max(s.now, d.TimeNanos)
	if sec := d.TimeNanos / 1e9; sec > s.lastSec {
		s.lastSec = sec
		s.observe(analysis.Tick, &analysis.Observation{Kind: analysis.Tick, Time: s.now})
		if s.eve != nil {
			s.eve.flush() // live EVE readers should not wait for a full buffer
		}
	}
	before := s.flows.Stats().Flows
	f, dir := s.flows.Update(d)
	if s.flows.Stats().Flows != before {
		st := &flowState{}
		f.App = st
		s.observe(analysis.FlowStart, &analysis.Observation{Kind: analysis.FlowStart, Time: d.TimeNanos, Flow: f, Dir: dir, Flags: d.TCPFlags})
	}
	st := f.App.(*flowState)
	switch d.Proto {
	case packet.ProtoTCP:
		if st.decided && st.stream == nil {
			return // nothing to dissect on this flow
		}
		rs := st.rs[dir]
		if rs == nil {
			rs = reassembly.New(&s.rlim)
			st.rs[dir] = rs
			st.sinks[dir] = sink{s: s, f: f, dir: dir}
		}
		rs.Segment(d.Seq, d.TCPFlags&packet.SYN != 0, d.Payload, d.PayloadLen, &st.sinks[dir])
	case packet.ProtoUDP:
		if len(d.Payload) == 0 {
			return
		}
		if isDNSPort(f.Server.Port()) || isDNSPort(d.SrcPort) && isDNSPort(d.DstPort) {
			st.app, st.decided = proto.AppDNS, true
			if m, err := proto.ParseDNS(d.Payload); err == nil {
				s.record(f, dir, st.app, m)
			} else {
				s.stats.Decode["dns malformed"]++
			}
		}
	}
}

func isDNSPort(p uint16) bool { return p == 53 || p == 5353 || p == 5355 }

func reason(err error) string {
	switch {
	case errors.Is(err, packet.ErrNotIP):
		return "not ip"
	case errors.Is(err, packet.ErrLinkType):
		return "unsupported link type"
	case errors.Is(err, packet.ErrFragmentHeld):
		return "fragment held"
	}
	return "malformed"
}

func (s *Sensor) streamData(f *flowtable.Flow, dir int, b []byte) {
	st := f.App.(*flowState)
	if !st.decided {
		st.decided = true
		st.app = proto.Identify(dir, b, f.Server.Port())
		s.stats.Apps[appName(st.app)]++
		st.stream = proto.NewStream(st.app, &s.plim, func(dir int, r proto.Record) { s.record(f, dir, st.app, r) })
	}
	if st.stream != nil {
		st.stream.Data(dir, b)
	}
}

func appName(a proto.App) string {
	if a == proto.AppUnknown {
		return "unknown"
	}
	return string(a)
}

func (s *Sensor) record(f *flowtable.Flow, dir int, app proto.App, r proto.Record) {
	s.stats.Records++
	if s.eve != nil {
		s.eve.record(s.now, f, dir, r)
	}
	s.observe(analysis.Record, &analysis.Observation{Kind: analysis.Record, Time: s.now, Flow: f, Dir: dir, Rec: r, App: app})
}

func (s *Sensor) observe(k analysis.Kind, o *analysis.Observation) {
	for _, d := range s.byKind[k] {
		d.Observe(s.env, o)
	}
}

func (s *Sensor) flowEnd(f *flowtable.Flow, why flowtable.EndReason) {
	if st, ok := f.App.(*flowState); ok {
		for dir, rs := range st.rs {
			if rs != nil {
				rs.Flush(&st.sinks[dir])
			}
		}
		if e, ok := st.stream.(proto.Ender); ok {
			e.End()
		}
	}
	var app proto.App
	if st, ok := f.App.(*flowState); ok {
		app = st.app
	}
	if s.eve != nil {
		s.eve.flow(f, app, why)
	}
	s.observe(analysis.FlowEnd, &analysis.Observation{Kind: analysis.FlowEnd, Time: f.Last, Flow: f, App: app})
	f.App = nil
}

// Flush ends all flows and lets aggregating detectors report; call it at
// the end of input. The sensor can keep going afterwards.
func (s *Sensor) Flush() {
	s.flows.Flush()
	for _, d := range s.dets {
		d.Flush(s.env, s.now)
	}
	if s.eve != nil {
		s.eve.flush()
	}
}

// Run reads src to the end (or until ctx is cancelled) and analyses every
// packet. It does not call Flush.
func (s *Sensor) Run(ctx context.Context, src capture.Source) error {
	for i := 0; ; i++ {
		if i&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		p, err := src.Next()
		if err == io.EOF {
			return nil
		}
		if errors.Is(err, capture.ErrTimeout) {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		}
		if err != nil {
			return err
		}
		s.Packet(p)
	}
}

// Alerts returns the alerts emitted so far (at most Options.KeepAlerts;
// Stats().Alerts counts them all).
func (s *Sensor) Alerts() []event.Event { return s.alerts }

// Stats returns counters of the run so far.
func (s *Sensor) Stats() Stats {
	st := s.stats
	fs := s.flows.Stats()
	st.Flows, st.FlowsEvicted, st.FlowsExpired = fs.Flows, fs.Evicted, fs.Expired
	st.FragReassembled, st.FragDropped = s.dec.FragStats()
	return st
}
