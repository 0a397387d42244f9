// Package scan detects port scans (each alert fires once, when its
// threshold is crossed within the window) from connection attempts: vertical (one
// source, one target, many ports), horizontal (one source, one port, many
// targets, with a lower threshold for administrative ports such as 445,
// 3389 and 5985, where a fan-out is lateral movement) and stealth probes
// (TCP NULL, FIN and XMAS packets that open no connection).
package scan

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/netsense/analysis"
	"github.com/medshield/medshield/internal/netsense/packet"
)

// Rules.
var (
	RuleVertical = &analysis.Rule{ID: "scan.vertical", SID: 9100401, Name: "Port scan: many ports on one host",
		Category: "Detection of a Network Scan", Technique: "T1046", Severity: event.SeverityMedium}
	RuleHorizontal = &analysis.Rule{ID: "scan.horizontal", SID: 9100402, Name: "Port scan: one port on many hosts",
		Category: "Detection of a Network Scan", Technique: "T1046", Severity: event.SeverityMedium}
	RuleFanout = &analysis.Rule{ID: "lateral.fanout", SID: 9100403, Name: "Lateral movement: administrative port fan-out to many hosts",
		Category: "Detection of a Network Scan", Technique: "T1021", Severity: event.SeverityHigh}
	RuleStealth = &analysis.Rule{ID: "scan.stealth", SID: 9100404, Name: "Stealth scan probe (TCP NULL/FIN/XMAS)",
		Category: "Detection of a Network Scan", Technique: "T1046", Severity: event.SeverityMedium}
)

type window struct {
	first int64
	set   map[uint64]struct{}
}

func (w *window) add(now, span int64, v uint64) int {
	if w.set == nil || now-w.first > span {
		w.first, w.set = now, map[uint64]struct{}{}
	}
	if len(w.set) < 1<<16 {
		w.set[v] = struct{}{}
	}
	return len(w.set)
}

type hostPair struct{ src, dst netip.Addr }
type srcPort struct {
	src  netip.Addr
	port uint16
}

// Detector keeps per-source windows of distinct ports and hosts.
type Detector struct {
	vertical   map[hostPair]*window
	horizontal map[srcPort]*window
}

// New returns the detector.
func New() *Detector {
	return &Detector{vertical: map[hostPair]*window{}, horizontal: map[srcPort]*window{}}
}

func (*Detector) Name() string    { return "scan" }
func (*Detector) Version() string { return "1.0" }
func (*Detector) Rules() []*analysis.Rule {
	return []*analysis.Rule{RuleVertical, RuleHorizontal, RuleFanout, RuleStealth}
}
func (*Detector) Wants() analysis.Kind       { return analysis.FlowStart }
func (*Detector) Flush(*analysis.Env, int64) {}

// maxTracked bounds each map: a scan of a /16 must not grow memory.
const maxTracked = 1 << 16

func (d *Detector) Observe(env *analysis.Env, o *analysis.Observation) {
	f := o.Flow
	if f.Proto != packet.ProtoTCP {
		return
	}
	cfg := &env.Config.Scan
	fl := o.Flags
	src, dst := f.Client, f.Server
	emit := func(r *analysis.Rule, msg, key string, ev map[string]any) {
		env.Emit(analysis.Alert{Rule: r, Time: o.Time, Src: src, Dst: dst, Proto: f.Proto, FlowID: f.ID, Message: msg, Key: key, Evidence: ev})
	}
	if cfg.Stealth && fl&(packet.SYN|packet.ACK|packet.RST) == 0 {
		kind := ""
		switch {
		case fl == 0:
			kind = "NULL"
		case fl == packet.FIN:
			kind = "FIN"
		case fl&(packet.FIN|packet.PSH|packet.URG) == packet.FIN|packet.PSH|packet.URG:
			kind = "XMAS"
		}
		if kind != "" {
			emit(RuleStealth, fmt.Sprintf("TCP %s scan probe from %s to %s", kind, src.Addr(), dst), kind, map[string]any{"probe": kind, "flags": fl})
		}
		return
	}
	if fl&packet.SYN == 0 || fl&packet.ACK != 0 {
		return
	}
	span := cfg.Window.Nanos()
	hp := hostPair{src.Addr(), dst.Addr()}
	v := d.vertical[hp]
	if v == nil {
		if len(d.vertical) >= maxTracked {
			clear(d.vertical)
		}
		v = &window{}
		d.vertical[hp] = v
	}
	if n := v.add(o.Time, span, uint64(dst.Port())); n == cfg.VerticalPorts {
		emit(RuleVertical, fmt.Sprintf("%s: %s probed %d ports on %s within %s", RuleVertical.Name, src.Addr(), n, dst.Addr(), cfg.Window), "",
			map[string]any{"distinct_ports": n})
	}
	sp := srcPort{src.Addr(), dst.Port()}
	h := d.horizontal[sp]
	if h == nil {
		if len(d.horizontal) >= maxTracked {
			clear(d.horizontal)
		}
		h = &window{}
		d.horizontal[sp] = h
	}
	b := dst.Addr().As16()
	key := uint64(b[8])<<56 | uint64(b[9])<<48 | uint64(b[10])<<40 | uint64(b[11])<<32 | uint64(b[12])<<24 | uint64(b[13])<<16 | uint64(b[14])<<8 | uint64(b[15])
	n := h.add(o.Time, span, key)
	admin := slices.Contains(cfg.AdminPorts, int(dst.Port()))
	portKey := fmt.Sprint(dst.Port())
	switch {
	case admin && n == cfg.AdminFanoutHosts:
		emit(RuleFanout, fmt.Sprintf("%s: %s reached port %d on %d hosts within %s", RuleFanout.Name, src.Addr(), dst.Port(), n, cfg.Window), portKey,
			map[string]any{"port": dst.Port(), "distinct_hosts": n})
	case !admin && n == cfg.HorizontalHosts:
		emit(RuleHorizontal, fmt.Sprintf("%s: %s probed port %d on %d hosts within %s", RuleHorizontal.Name, src.Addr(), dst.Port(), n, cfg.Window), portKey,
			map[string]any{"port": dst.Port(), "distinct_hosts": n})
	}
}
