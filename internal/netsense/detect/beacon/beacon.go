// Package beacon detects command-and-control beaconing: connections from
// one internal host to one external host and port that recur at a steady
// interval. Regularity is scored with the median absolute deviation of the
// gaps relative to their median, which a few irregular connections do not
// move, so jittered beacons (±20 %) still score while noise does not.
package beacon

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/netsense/analysis"
	"github.com/medshield/medshield/internal/netsense/packet"
)

// Rule is the beaconing detection.
var Rule = &analysis.Rule{ID: "c2.beacon", SID: 9100601, Name: "C2 beaconing: periodic connections to an external host",
	Category: "A Network Trojan was Detected", Technique: "T1071", Severity: event.SeverityHigh}

type key struct {
	src netip.Addr
	dst netip.AddrPort
}

const (
	maxStarts = 64 // enough for the median of the recent gaps; bounds memory per pair
	maxKeys   = 1 << 16
)

// Detector keeps recent connection start times per (source, destination).
type Detector struct {
	starts map[key][]int64
}

// New returns the detector.
func New() *Detector { return &Detector{starts: map[key][]int64{}} }

func (*Detector) Name() string            { return "beacon" }
func (*Detector) Version() string         { return "1.0" }
func (*Detector) Rules() []*analysis.Rule { return []*analysis.Rule{Rule} }
func (*Detector) Wants() analysis.Kind    { return analysis.FlowStart }

func (d *Detector) Observe(env *analysis.Env, o *analysis.Observation) {
	f := o.Flow
	if f.Proto != packet.ProtoTCP || o.Flags&packet.SYN == 0 || o.Flags&packet.ACK != 0 {
		return
	}
	// Internal periodic traffic (monitoring, interface engines) is normal
	// in hospitals; beacons are about leaving the network.
	if !env.HomeNet.Contains(f.Client.Addr()) || !env.HomeNet.External(f.Server.Addr()) {
		return
	}
	k := key{f.Client.Addr(), f.Server}
	s, ok := d.starts[k]
	if !ok && len(d.starts) >= maxKeys {
		clear(d.starts)
	}
	s = append(s, o.Time)
	if len(s) > maxStarts {
		s = s[len(s)-maxStarts:]
	}
	d.starts[k] = s
	if len(s) >= env.Config.Beacon.MinConnections && len(s)%4 == 0 {
		d.score(env, k, s, o.Time, f.ID)
	}
}

// Flush scores every series at the end of input.
func (d *Detector) Flush(env *analysis.Env, now int64) {
	for k, s := range d.starts {
		if len(s) >= env.Config.Beacon.MinConnections {
			d.score(env, k, s, now, 0)
		}
	}
}

// Score returns the median gap and the jitter (MAD / median) of a series
// of start times; ok is false for fewer than three starts.
func Score(starts []int64) (median, jitter float64, ok bool) {
	if len(starts) < 3 {
		return 0, 0, false
	}
	gaps := make([]float64, 0, len(starts)-1)
	for i := 1; i < len(starts); i++ {
		gaps = append(gaps, float64(starts[i]-starts[i-1]))
	}
	slices.Sort(gaps)
	median = gaps[len(gaps)/2]
	if median <= 0 {
		return 0, 0, false
	}
	dev := make([]float64, len(gaps))
	for i, g := range gaps {
		dev[i] = g - median
		if dev[i] < 0 {
			dev[i] = -dev[i]
		}
	}
	slices.Sort(dev)
	return median, dev[len(dev)/2] / median, true
}

func (d *Detector) score(env *analysis.Env, k key, s []int64, now int64, flow uint64) {
	cfg := &env.Config.Beacon
	median, jitter, ok := Score(s)
	if !ok || median < float64(cfg.MinInterval.Nanos()) || jitter > cfg.MaxJitter || s[len(s)-1]-s[0] < cfg.MinSpan.Nanos() {
		return
	}
	env.Emit(analysis.Alert{Rule: Rule, Time: now, Src: netip.AddrPortFrom(k.src, 0), Dst: k.dst, Proto: packet.ProtoTCP, FlowID: flow,
		Message: fmt.Sprintf("%s: %d connections from %s to %s every %.0f s (jitter %.2f)", Rule.Name, len(s), k.src, k.dst, median/1e9, jitter),
		Key:     k.dst.String(),
		Evidence: map[string]any{"connections": len(s), "interval_s": median / 1e9, "jitter": jitter,
			"score": 1 - jitter/max(cfg.MaxJitter, 1e-9)}})
}
