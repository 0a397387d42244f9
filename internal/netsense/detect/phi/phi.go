// Package phi detects patient data leaving the hospital in clear text:
// HL7 v2 messages with patient identification, DICOM associations carrying
// patient attributes, and HTTP requests whose URL or body contains
// personal identifiers (Chinese resident ID numbers with a valid GB 11643
// check digit, mainland mobile numbers, Luhn-valid bank cards), sent from
// a home network to an address outside it (requests from inside, and
// responses of internal web applications to outside clients). The same data between internal
// hosts is normal clinical traffic and is not reported.
package phi

import (
	"fmt"
	"strings"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/netsense/analysis"
	"github.com/medshield/medshield/internal/netsense/flowtable"
	"github.com/medshield/medshield/internal/netsense/proto"
	"github.com/medshield/medshield/internal/pii"
)

// Rules.
var (
	RuleHL7 = &analysis.Rule{ID: "phi.hl7-outbound", SID: 9100901, Name: "Patient data leaving the hospital: cleartext HL7 with patient identification",
		Category: "Potential Corporate Privacy Violation", Technique: "T1048.003", Severity: event.SeverityCritical}
	RuleDICOM = &analysis.Rule{ID: "phi.dicom-outbound", SID: 9100902, Name: "Patient data leaving the hospital: DICOM with patient attributes",
		Category: "Potential Corporate Privacy Violation", Technique: "T1048.003", Severity: event.SeverityCritical}
	RuleHTTP = &analysis.Rule{ID: "phi.http-outbound", SID: 9100903, Name: "Personal identifiers leaving the hospital in cleartext HTTP",
		Category: "Potential Corporate Privacy Violation", Technique: "T1048.003", Severity: event.SeverityHigh}
)

// Detector checks records sent from home networks to outside.
type Detector struct{}

// New returns the detector.
func New() *Detector { return &Detector{} }

func (*Detector) Name() string               { return "phi" }
func (*Detector) Version() string            { return "1.0" }
func (*Detector) Rules() []*analysis.Rule    { return []*analysis.Rule{RuleHL7, RuleDICOM, RuleHTTP} }
func (*Detector) Wants() analysis.Kind       { return analysis.Record }
func (*Detector) Flush(*analysis.Env, int64) {}

func (*Detector) Observe(env *analysis.Env, o *analysis.Observation) {
	f := o.Flow
	src, dst := f.Client, f.Server
	if o.Dir == flowtable.ToClient {
		src, dst = dst, src
	}
	if !env.HomeNet.Contains(src.Addr()) || !env.HomeNet.External(dst.Addr()) {
		return
	}
	min := env.Config.PHI.MinIdentifiers
	emit := func(r *analysis.Rule, msg string, ev map[string]any) {
		env.Emit(analysis.Alert{Rule: r, Time: o.Time, Src: src, Dst: dst, Proto: f.Proto, FlowID: f.ID, Message: msg, Evidence: ev})
	}
	switch r := o.Rec.(type) {
	case *proto.HL7:
		if !r.PatientName && r.PatientIDs == 0 && len(r.PII) < min {
			return
		}
		ev := summary(r.PII)
		ev["message_type"], ev["patient_name"], ev["patient_ids"] = r.MessageType, r.PatientName, r.PatientIDs
		if len(r.IDTypes) > 0 {
			ev["id_types"] = strings.Join(r.IDTypes, ",")
		}
		emit(RuleHL7, fmt.Sprintf("%s: %s from %s to %s", RuleHL7.Name, r.MessageType, src.Addr(), dst), ev)
	case *proto.DICOM:
		if len(r.PatientTags) == 0 {
			return
		}
		ev := summary(r.PII)
		ev["patient_tags"] = strings.Join(r.PatientTags, ",")
		emit(RuleDICOM, fmt.Sprintf("%s: %s from %s to %s", RuleDICOM.Name, strings.Join(r.PatientTags, ", "), src.Addr(), dst), ev)
	case *proto.HTTPRequest:
		if o.Dir != flowtable.ToServer {
			return
		}
		found := pii.Find([]byte(r.URI))
		if len(r.Body) > 0 && proto.Textual(r.ContentType) {
			found = append(found, pii.Find(r.Body)...)
		}
		if len(found) < min || len(found) == 0 {
			return
		}
		ev := summary(found)
		ev["method"], ev["host"] = r.Method, r.Host
		emit(RuleHTTP, fmt.Sprintf("%s: %s %s to %s (%s)", RuleHTTP.Name, r.Method, r.Host, dst, counts(found)), ev)
	case *proto.HTTPResponse:
		// An internal web application answering an outside client: the
		// response body is what leaves.
		if o.Dir != flowtable.ToClient || len(r.Body) == 0 || !proto.Textual(r.ContentType) {
			return
		}
		found := pii.Find(r.Body)
		if len(found) < min || len(found) == 0 {
			return
		}
		ev := summary(found)
		ev["status"], ev["content_type"] = r.Status, r.ContentType
		emit(RuleHTTP, fmt.Sprintf("%s: response %d from %s to %s (%s)", RuleHTTP.Name, r.Status, src, dst.Addr(), counts(found)), ev)
	}
}

// summary lists counts by kind and up to three masked samples; the full
// identifiers never enter an alert.
func summary(found []pii.Finding) map[string]any {
	ev := map[string]any{"identifiers": len(found)}
	if len(found) == 0 {
		return ev
	}
	ev["identifier_counts"] = counts(found)
	var samples []string
	for _, f := range found {
		if len(samples) < 3 {
			samples = append(samples, f.Kind.String()+":"+f.Masked)
		}
	}
	ev["masked_samples"] = strings.Join(samples, ",")
	return ev
}

func counts(found []pii.Finding) string {
	n := map[pii.Kind]int{}
	for _, f := range found {
		n[f.Kind]++
	}
	var parts []string
	for _, k := range []pii.Kind{pii.KindCNID, pii.KindMobile, pii.KindBankCard} {
		if n[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", k, n[k]))
		}
	}
	return strings.Join(parts, " ")
}
