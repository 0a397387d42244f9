// Package exfil reports large transfers leaving the home networks (per
// internal host and external destination, counted in on-wire bytes so that
// snaplen-truncated captures count right) and sizeable sessions to ports
// that backdoors and C2 frameworks use by default (Metasploit's 4444, ...).
package exfil

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/netsense/analysis"
)

// Rules.
var (
	RuleLarge = &analysis.Rule{ID: "exfil.large-outbound", SID: 9100701, Name: "Large outbound transfer to an external host",
		Category: "Potential Corporate Privacy Violation", Technique: "T1048", Severity: event.SeverityMedium}
	RuleC2Port = &analysis.Rule{ID: "c2.suspicious-port", SID: 9100702, Name: "Session on a default backdoor/C2 port",
		Category: "A Network Trojan was Detected", Technique: "T1571", Severity: event.SeverityMedium}
)

type pair struct{ src, dst netip.Addr }

// Detector sums outbound bytes per pair at flow end.
type Detector struct {
	sent     map[pair]uint64
	reported map[pair]bool
}

// New returns the detector.
func New() *Detector { return &Detector{sent: map[pair]uint64{}, reported: map[pair]bool{}} }

func (*Detector) Name() string               { return "exfil" }
func (*Detector) Version() string            { return "1.0" }
func (*Detector) Rules() []*analysis.Rule    { return []*analysis.Rule{RuleLarge, RuleC2Port} }
func (*Detector) Wants() analysis.Kind       { return analysis.FlowEnd }
func (*Detector) Flush(*analysis.Env, int64) {}

func (d *Detector) Observe(env *analysis.Env, o *analysis.Observation) {
	f := o.Flow
	emit := func(r *analysis.Rule, msg string, ev map[string]any) {
		env.Emit(analysis.Alert{Rule: r, Time: o.Time, Src: f.Client, Dst: f.Server, Proto: f.Proto, FlowID: f.ID, Message: msg, Evidence: ev})
	}
	total := f.Bytes[0] + f.Bytes[1]
	if slices.Contains(env.Config.C2Ports.Ports, int(f.Server.Port())) && int64(total) >= env.Config.C2Ports.MinBytes {
		emit(RuleC2Port, fmt.Sprintf("%s: %s to %s, %d bytes (%d to client)", RuleC2Port.Name, f.Client.Addr(), f.Server, total, f.Bytes[1]),
			map[string]any{"port": f.Server.Port(), "bytes_toserver": f.Bytes[0], "bytes_toclient": f.Bytes[1]})
	}
	if !env.HomeNet.Contains(f.Client.Addr()) || !env.HomeNet.External(f.Server.Addr()) {
		return
	}
	k := pair{f.Client.Addr(), f.Server.Addr()}
	if _, ok := d.sent[k]; !ok && len(d.sent) >= 1<<16 {
		clear(d.sent)
	}
	d.sent[k] += f.Bytes[0]
	if n := d.sent[k]; int64(n) >= env.Config.Exfil.Bytes && !d.reported[k] {
		if len(d.reported) >= 1<<16 {
			clear(d.reported)
		}
		d.reported[k] = true
		emit(RuleLarge, fmt.Sprintf("%s: %s sent %.1f MiB to %s", RuleLarge.Name, k.src, float64(n)/(1<<20), f.Server),
			map[string]any{"bytes_out": n, "threshold": env.Config.Exfil.Bytes})
	}
}
