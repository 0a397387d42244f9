// Package ms17010 detects MS17-010 exploitation over SMBv1: the
// EternalBlue pattern (a burst of Trans2 Secondary requests, with or after
// an oversized NT Trans request), the EternalRomance heap spray (a burst
// of SMB_COM_TRANSACTION requests) and the DoublePulsar implant check
// (Trans2 SESSION_SETUP) and its tell-tale reply, whose multiplex id is
// the request's plus 16.
package ms17010

import (
	"fmt"
	"net/netip"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/netsense/analysis"
	"github.com/medshield/medshield/internal/netsense/flowtable"
	"github.com/medshield/medshield/internal/netsense/proto"
)

// Rules.
var (
	RuleEternalBlue = &analysis.Rule{ID: "ms17-010.eternalblue", SID: 9100101, Name: "MS17-010 EternalBlue exploitation attempt (SMBv1 Trans2 Secondary groom)",
		Category: "Attempted Administrator Privilege Gain", Technique: "T1210", Severity: event.SeverityCritical}
	RuleEternalRomance = &analysis.Rule{ID: "ms17-010.eternalromance", SID: 9100102, Name: "MS17-010 EternalRomance heap spray (SMBv1 Transaction burst)",
		Category: "Attempted Administrator Privilege Gain", Technique: "T1210", Severity: event.SeverityCritical}
	RuleDPProbe = &analysis.Rule{ID: "ms17-010.doublepulsar-check", SID: 9100103, Name: "DoublePulsar implant check or MS17-010 scanner (Trans2 SESSION_SETUP)",
		Category: "Attempted Information Leak", Technique: "T1210", Severity: event.SeverityMedium}
	RuleDPImplant = &analysis.Rule{ID: "ms17-010.doublepulsar-implant", SID: 9100104, Name: "DoublePulsar implant present (Trans2 reply MID = request MID + 16)",
		Category: "A Network Trojan was Detected", Technique: "T1505", Severity: event.SeverityCritical}
)

type pair struct{ src, dst netip.Addr }

type counter struct {
	first int64
	n     int
}

func (c *counter) add(now, window int64) int {
	if c.n == 0 || now-c.first > window {
		c.first, c.n = now, 0
	}
	c.n++
	return c.n
}

type pairState struct {
	trans2sec counter
	trans     counter
	largeNT   uint32
	probeMIDs map[uint64]bool
}

// Detector tracks SMBv1 requests per attacker/victim pair.
type Detector struct {
	pairs map[pair]*pairState
}

// New returns the detector.
func New() *Detector { return &Detector{pairs: map[pair]*pairState{}} }

func (*Detector) Name() string    { return "ms17-010" }
func (*Detector) Version() string { return "1.0" }
func (*Detector) Rules() []*analysis.Rule {
	return []*analysis.Rule{RuleEternalBlue, RuleEternalRomance, RuleDPProbe, RuleDPImplant}
}
func (*Detector) Wants() analysis.Kind       { return analysis.Record }
func (*Detector) Flush(*analysis.Env, int64) {}

const maxPairs = 65536

func (d *Detector) state(f *flowtable.Flow) *pairState {
	k := pair{f.Client.Addr(), f.Server.Addr()}
	s := d.pairs[k]
	if s == nil {
		if len(d.pairs) >= maxPairs {
			clear(d.pairs)
		}
		s = &pairState{probeMIDs: map[uint64]bool{}}
		d.pairs[k] = s
	}
	return s
}

func (d *Detector) Observe(env *analysis.Env, o *analysis.Observation) {
	r, ok := o.Rec.(*proto.SMB)
	if !ok || r.Version != 1 {
		return
	}
	cfg := &env.Config.MS17010
	f := o.Flow
	s := d.state(f)
	alert := func(rule *analysis.Rule, msg string, ev map[string]any) {
		env.Emit(analysis.Alert{Rule: rule, Time: o.Time, Src: f.Client, Dst: f.Server, Proto: f.Proto, FlowID: f.ID,
			Message: msg, Evidence: ev})
	}
	if o.Dir == flowtable.ToServer && !r.Reply {
		switch r.Command {
		case proto.SMB1NTTrans:
			if r.TotalData >= cfg.NTTransLargeData {
				s.largeNT = r.TotalData
			}
		case proto.SMB1Trans2Second:
			n := s.trans2sec.add(o.Time, cfg.Window.Nanos())
			if n >= cfg.Trans2SecondaryCount || s.largeNT > 0 {
				alert(RuleEternalBlue, fmt.Sprintf("%s: %d Trans2 Secondary requests to %s within %s", RuleEternalBlue.Name, n, f.Server.Addr(), cfg.Window),
					map[string]any{"trans2_secondary": n, "nt_trans_total_data": s.largeNT})
			}
		case proto.SMB1Transaction:
			n := s.trans.add(o.Time, cfg.SprayWindow.Nanos())
			if n >= cfg.SprayCount {
				alert(RuleEternalRomance, fmt.Sprintf("%s: %d Transaction requests within %s", RuleEternalRomance.Name, n, cfg.SprayWindow),
					map[string]any{"transactions": n, "pipe": r.TransName})
			}
		case proto.SMB1Trans2:
			if r.Trans2Sub == proto.Trans2SessionSetup {
				if len(s.probeMIDs) < 1024 {
					s.probeMIDs[r.MID] = true
				}
				alert(RuleDPProbe, fmt.Sprintf("%s: MID %d, timeout %#x", RuleDPProbe.Name, r.MID, r.Timeout),
					map[string]any{"mid": r.MID, "timeout": r.Timeout})
			}
		}
		return
	}
	if o.Dir == flowtable.ToClient && r.Reply && r.Command == proto.SMB1Trans2 && r.MID >= 16 && s.probeMIDs[r.MID-16] {
		alert(RuleDPImplant, fmt.Sprintf("%s: request MID %d answered with MID %d, status %#08x", RuleDPImplant.Name, r.MID-16, r.MID, r.Status),
			map[string]any{"request_mid": r.MID - 16, "reply_mid": r.MID, "status": fmt.Sprintf("0x%08x", r.Status)})
	}
}
