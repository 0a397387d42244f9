// Package smbv1 reports SMBv1 in use on a TCP session as a hygiene
// finding: the protocol WannaCry and NotPetya spread over should be off.
// A session counts when the server answers in SMBv1 or the client goes on
// past the negotiation in SMBv1 (which it only does if the server agreed).
package smbv1

import (
	"strings"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/netsense/analysis"
	"github.com/medshield/medshield/internal/netsense/proto"
)

// Rule is the hygiene finding.
var Rule = &analysis.Rule{ID: "smb.v1-in-use", SID: 9100201, Name: "SMBv1 in use (insecure protocol version)",
	Category: "Potential Corporate Privacy Violation", Technique: "T1210", Severity: event.SeverityLow}

// Detector reports SMBv1 sessions.
type Detector struct{}

// New returns the detector.
func New() *Detector { return &Detector{} }

func (*Detector) Name() string               { return "smbv1" }
func (*Detector) Version() string            { return "1.0" }
func (*Detector) Rules() []*analysis.Rule    { return []*analysis.Rule{Rule} }
func (*Detector) Wants() analysis.Kind       { return analysis.Record }
func (*Detector) Flush(*analysis.Env, int64) {}

func (*Detector) Observe(env *analysis.Env, o *analysis.Observation) {
	r, ok := o.Rec.(*proto.SMB)
	if !ok || r.Version != 1 || !env.Config.SMBv1.Enabled {
		return
	}
	if !r.Reply && r.Command == proto.SMB1Negotiate {
		return // offering SMBv1 dialects alone is not using SMBv1
	}
	f := o.Flow
	ev := map[string]any{"command": r.Command}
	if len(r.Dialects) > 0 {
		ev["dialects"] = strings.Join(r.Dialects, ", ")
	}
	env.Emit(analysis.Alert{Rule: Rule, Time: o.Time, Src: f.Client, Dst: f.Server, Proto: f.Proto, FlowID: f.ID,
		Message: "SMBv1 in use between " + f.Client.Addr().String() + " and " + f.Server.String(), Evidence: ev})
}
