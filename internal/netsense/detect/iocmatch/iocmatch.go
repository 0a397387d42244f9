// Package iocmatch matches flows and protocol records against the loaded
// indicators: IP and IP:port on every new flow, domains in DNS questions,
// HTTP Host, TLS SNI and mining-protocol parameters, URLs of HTTP
// requests, and JA3/JA4 fingerprints of TLS clients.
package iocmatch

import (
	"net"
	"net/netip"
	"strings"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/ioc"
	"github.com/medshield/medshield/internal/netsense/analysis"
	"github.com/medshield/medshield/internal/netsense/proto"
)

// Rules.
var (
	RuleIP     = &analysis.Rule{ID: "ioc.ip", SID: 9100001, Name: "Threat intelligence match: IP address", Category: "Threat Intelligence", Technique: "T1071", Severity: event.SeverityHigh}
	RuleIPPort = &analysis.Rule{ID: "ioc.ip-port", SID: 9100002, Name: "Threat intelligence match: IP and port", Category: "Threat Intelligence", Technique: "T1071", Severity: event.SeverityHigh}
	RuleDomain = &analysis.Rule{ID: "ioc.domain", SID: 9100003, Name: "Threat intelligence match: domain", Category: "Threat Intelligence", Technique: "T1071", Severity: event.SeverityHigh}
	RuleURL    = &analysis.Rule{ID: "ioc.url", SID: 9100004, Name: "Threat intelligence match: URL", Category: "Threat Intelligence", Technique: "T1071.001", Severity: event.SeverityHigh}
	RuleJA     = &analysis.Rule{ID: "ioc.tls-fingerprint", SID: 9100005, Name: "Threat intelligence match: TLS client fingerprint", Category: "Threat Intelligence", Technique: "T1071.001", Severity: event.SeverityHigh}
)

// Detector is the indicator matcher.
type Detector struct{}

// New returns the detector.
func New() *Detector { return &Detector{} }

func (*Detector) Name() string    { return "ioc" }
func (*Detector) Version() string { return "1.0" }
func (*Detector) Rules() []*analysis.Rule {
	return []*analysis.Rule{RuleIP, RuleIPPort, RuleDomain, RuleURL, RuleJA}
}
func (*Detector) Wants() analysis.Kind       { return analysis.FlowStart | analysis.Record }
func (*Detector) Flush(*analysis.Env, int64) {}

func (d *Detector) Observe(env *analysis.Env, o *analysis.Observation) {
	if env.IOC == nil || env.IOC.Len() == 0 {
		return
	}
	f := o.Flow
	switch o.Kind {
	case analysis.FlowStart:
		if m, ok := env.IOC.LookupIPPort(f.Server); ok {
			hit(env, o, RuleIPPort, m, "flow", f.Client, f.Server)
		}
		for _, ep := range []netip.AddrPort{f.Server, f.Client} {
			if m, ok := env.IOC.LookupIP(ep.Addr()); ok {
				hit(env, o, RuleIP, m, "flow", f.Client, f.Server)
			}
		}
	case analysis.Record:
		switch r := o.Rec.(type) {
		case *proto.DNS:
			if r.Response {
				return
			}
			for _, q := range r.Questions {
				domain(env, o, q.Name, "dns query")
			}
		case *proto.HTTPRequest:
			host := r.Host
			if h, _, err := net.SplitHostPort(host); err == nil {
				host = h
			}
			if a, err := netip.ParseAddr(host); err == nil {
				if m, ok := env.IOC.LookupIP(a); ok {
					hit(env, o, RuleIP, m, "http host", f.Client, f.Server)
				}
			} else if host != "" {
				domain(env, o, host, "http host")
			}
			uri := r.URI
			if !strings.Contains(uri, "://") {
				uri = "http://" + host + uri
			}
			if m, ok := env.IOC.LookupURL(uri); ok {
				hit(env, o, RuleURL, m, "http url", f.Client, f.Server)
			}
		case *proto.TLSClientHello:
			if r.SNI != "" {
				domain(env, o, r.SNI, "tls sni")
			}
			if m, ok := env.IOC.LookupJA3(r.JA3Hash); ok {
				hit(env, o, RuleJA, m, "ja3", f.Client, f.Server)
			}
			if m, ok := env.IOC.LookupJA4(r.JA4); ok {
				hit(env, o, RuleJA, m, "ja4", f.Client, f.Server)
			}
		case *proto.JSONRPC:
			for _, h := range r.Hosts {
				domain(env, o, h, "jsonrpc params")
			}
		}
	}
}

func domain(env *analysis.Env, o *analysis.Observation, name, where string) {
	if m, ok := env.IOC.LookupDomain(name); ok {
		a := alert(o, RuleDomain, m, where, o.Flow.Client, o.Flow.Server)
		a.Evidence["name"] = name
		env.Emit(a)
	}
}

func hit(env *analysis.Env, o *analysis.Observation, r *analysis.Rule, m ioc.Match, where string, src, dst netip.AddrPort) {
	env.Emit(alert(o, r, m, where, src, dst))
}

func alert(o *analysis.Observation, r *analysis.Rule, m ioc.Match, where string, src, dst netip.AddrPort) analysis.Alert {
	f := o.Flow
	msg := r.Name + ": " + m.Indicator + " (" + where + ")"
	if m.Threat != "" {
		msg += " — " + m.Threat
	}
	return analysis.Alert{Rule: r, Time: o.Time, Src: src, Dst: dst, Proto: f.Proto, FlowID: f.ID, Indicator: m.Indicator,
		Message: msg, Key: m.Indicator + "|" + where,
		Evidence: map[string]any{"seen_in": where, "indicator_kind": m.Kind.String(), "threat": m.Threat, "feed": m.Source}}
}
