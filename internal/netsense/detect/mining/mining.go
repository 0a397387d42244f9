// Package mining detects cryptocurrency mining: Stratum logins
// (mining.subscribe/authorize), the XMRig/xmr-stak "login" dialect and
// Ethereum getwork (eth_submitLogin, eth_getWork, eth_submitHashrate) on
// any port, raw or inside HTTP bodies, and look-ups of known pool domains.
// Monero and Bitcoin peer-to-peer traffic is a policy finding, not mining.
package mining

import (
	"strings"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/netsense/analysis"
	"github.com/medshield/medshield/internal/netsense/proto"
)

// Rules.
var (
	RuleStratum = &analysis.Rule{ID: "mining.stratum-login", SID: 9100301, Name: "Cryptomining: Stratum login (mining.subscribe/authorize)",
		Category: "Crypto Currency Mining Activity Detected", Technique: "T1496", Severity: event.SeverityHigh}
	RuleXMRig = &analysis.Rule{ID: "mining.xmrig-login", SID: 9100302, Name: "Cryptomining: XMRig-style JSON-RPC login",
		Category: "Crypto Currency Mining Activity Detected", Technique: "T1496", Severity: event.SeverityHigh}
	RuleGetwork = &analysis.Rule{ID: "mining.getwork", SID: 9100303, Name: "Cryptomining: Ethereum getwork JSON-RPC",
		Category: "Crypto Currency Mining Activity Detected", Technique: "T1496", Severity: event.SeverityHigh}
	RulePool = &analysis.Rule{ID: "mining.pool-domain", SID: 9100304, Name: "Cryptomining: mining pool domain contacted",
		Category: "Crypto Currency Mining Activity Detected", Technique: "T1496", Severity: event.SeverityMedium}
	RuleP2P = &analysis.Rule{ID: "policy.crypto-p2p", SID: 9100305, Name: "Policy: cryptocurrency peer-to-peer node traffic",
		Category: "Potential Corporate Privacy Violation", Technique: "", Severity: event.SeverityLow}
)

// Detector finds mining.
type Detector struct{}

// New returns the detector.
func New() *Detector { return &Detector{} }

func (*Detector) Name() string    { return "mining" }
func (*Detector) Version() string { return "1.0" }
func (*Detector) Rules() []*analysis.Rule {
	return []*analysis.Rule{RuleStratum, RuleXMRig, RuleGetwork, RulePool, RuleP2P}
}
func (*Detector) Wants() analysis.Kind       { return analysis.Record }
func (*Detector) Flush(*analysis.Env, int64) {}

func (d *Detector) Observe(env *analysis.Env, o *analysis.Observation) {
	f := o.Flow
	emit := func(r *analysis.Rule, msg string, ev map[string]any) {
		env.Emit(analysis.Alert{Rule: r, Time: o.Time, Src: f.Client, Dst: f.Server, Proto: f.Proto, FlowID: f.ID, Message: msg, Evidence: ev})
	}
	switch r := o.Rec.(type) {
	case *proto.JSONRPC:
		d.jsonrpc(r, emit)
	case *proto.HTTPRequest:
		if len(r.Body) > 0 && r.Body[0] == '{' {
			if j, ok := proto.ParseJSONRPC(r.Body); ok {
				d.jsonrpc(j, emit)
			}
		}
		pool(env, r.Host, "http host", emit)
	case *proto.DNS:
		if !r.Response {
			for _, q := range r.Questions {
				pool(env, q.Name, "dns query", emit)
			}
		}
	case *proto.TLSClientHello:
		pool(env, r.SNI, "tls sni", emit)
	case *proto.CryptoP2P:
		if env.Config.Mining.ReportP2P {
			emit(RuleP2P, RuleP2P.Name+": "+r.Coin, map[string]any{"coin": r.Coin})
		}
	}
}

func (d *Detector) jsonrpc(r *proto.JSONRPC, emit func(*analysis.Rule, string, map[string]any)) {
	if !proto.MiningMethod(r.Method) {
		return
	}
	ev := map[string]any{"method": r.Method}
	if r.Agent != "" {
		ev["agent"] = r.Agent
	}
	if len(r.Algo) > 0 {
		ev["algo"] = strings.Join(r.Algo, ",")
	}
	if len(r.Hosts) > 0 {
		ev["pool_hosts"] = strings.Join(r.Hosts, ",")
	}
	switch r.Method {
	case "mining.subscribe", "mining.authorize", "mining.submit", "mining.notify", "mining.extranonce.subscribe", "mining.configure", "mining.set_difficulty":
		emit(RuleStratum, RuleStratum.Name+": "+r.Method, ev)
	case "login", "submit", "job", "keepalived":
		// "job" and "submit" also exist in other JSON-RPC APIs; only a
		// login, or messages carrying miner fields, identify XMRig.
		if r.Method == "login" && (r.Login != "" || r.Agent != "") {
			emit(RuleXMRig, RuleXMRig.Name+" (agent "+r.Agent+")", ev)
		}
	default:
		emit(RuleGetwork, RuleGetwork.Name+": "+r.Method, ev)
	}
}

func pool(env *analysis.Env, name, where string, emit func(*analysis.Rule, string, map[string]any)) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if name == "" {
		return
	}
	for _, p := range env.Config.Mining.PoolDomains {
		if name == p || strings.HasSuffix(name, "."+p) {
			emit(RulePool, RulePool.Name+": "+name+" ("+where+")", map[string]any{"name": name, "seen_in": where})
			return
		}
	}
}
