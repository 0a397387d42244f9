// Package dnstunnel detects DNS tunnelling, DNS exfiltration and DGA
// behaviour. Tunnels: per client and zone (the registered domain), queries
// with long high-entropy labels or non-printable bytes, NULL queries, and
// volumes of TXT/NULL queries. DGA: bursts of NXDOMAIN answers for
// distinct names (reverse look-ups excluded).
package dnstunnel

import (
	"fmt"
	"math"
	"net/netip"
	"strings"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/netsense/analysis"
	"github.com/medshield/medshield/internal/netsense/proto"
)

// Rules.
var (
	RuleTunnel = &analysis.Rule{ID: "dns.tunnel", SID: 9100801, Name: "DNS tunnelling or exfiltration",
		Category: "Potentially Bad Traffic", Technique: "T1071.004", Severity: event.SeverityHigh}
	RuleDGA = &analysis.Rule{ID: "dns.dga", SID: 9100802, Name: "DGA-like burst of NXDOMAIN answers",
		Category: "A Network Trojan was Detected", Technique: "T1568.002", Severity: event.SeverityHigh}
)

type zoneKey struct {
	client netip.Addr
	zone   string
}

type zoneState struct {
	first      int64
	suspicious int
	txtQueries int
	queries    int
}

type clientState struct {
	first   int64
	answers int
	nxNames map[string]struct{}
	samples []string
}

// Detector keeps windows per (client, zone) and per client.
type Detector struct {
	zones   map[zoneKey]*zoneState
	clients map[netip.Addr]*clientState
}

// New returns the detector.
func New() *Detector {
	return &Detector{zones: map[zoneKey]*zoneState{}, clients: map[netip.Addr]*clientState{}}
}

func (*Detector) Name() string               { return "dns-tunnel" }
func (*Detector) Version() string            { return "1.0" }
func (*Detector) Rules() []*analysis.Rule    { return []*analysis.Rule{RuleTunnel, RuleDGA} }
func (*Detector) Wants() analysis.Kind       { return analysis.Record }
func (*Detector) Flush(*analysis.Env, int64) {}

const maxTracked = 1 << 16

// Zone returns the registered domain of a name: the last two labels, or
// three under common second-level public suffixes (com.cn, co.uk, ...).
func Zone(name string) string {
	name = strings.TrimSuffix(name, ".")
	labels := strings.Split(name, ".")
	n := 2
	if len(labels) >= 3 {
		sld := labels[len(labels)-2]
		if len(labels[len(labels)-1]) == 2 {
			switch sld {
			case "com", "net", "org", "gov", "edu", "ac", "co", "or", "ne", "go", "mil":
				n = 3
			}
		}
	}
	if len(labels) <= n {
		return name
	}
	return strings.Join(labels[len(labels)-n:], ".")
}

// Entropy is the Shannon entropy of s in bits per character.
func Entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / float64(len(s))
			h -= p * math.Log2(p)
		}
	}
	return h
}

func ignored(name string) bool {
	return name == "" || name == "." || strings.HasSuffix(name, ".arpa") || strings.HasSuffix(name, ".local") ||
		strings.HasSuffix(name, ".localdomain") || !strings.Contains(name, ".")
}

func (d *Detector) Observe(env *analysis.Env, o *analysis.Observation) {
	m, ok := o.Rec.(*proto.DNS)
	if !ok || len(m.Questions) == 0 || m.Opcode != 0 {
		return
	}
	if m.Response {
		d.response(env, o, m)
		return
	}
	cfg := &env.Config.DNS
	f := o.Flow
	q := m.Questions[0]
	if ignored(q.Name) {
		return
	}
	zone := Zone(q.Name)
	sub := strings.TrimSuffix(strings.TrimSuffix(q.Name, zone), ".")
	flat := strings.ReplaceAll(sub, ".", "")
	longest := 0
	for _, l := range strings.Split(sub, ".") {
		longest = max(longest, len(l))
	}
	ent := Entropy(flat)
	raw := strings.Contains(sub, `\`) // non-printable bytes in labels (iodine raw mode)
	strong := raw || len(sub) >= cfg.LongSubdomain && ent >= cfg.MinEntropy
	suspicious := strong || longest >= cfg.LongLabel && ent >= cfg.MinEntropy || q.Type == proto.TypeNULL
	k := zoneKey{f.Client.Addr(), zone}
	z := d.zones[k]
	if z == nil || o.Time-z.first > cfg.Window.Nanos() {
		if z == nil && len(d.zones) >= maxTracked {
			clear(d.zones)
		}
		z = &zoneState{first: o.Time}
		d.zones[k] = z
	}
	z.queries++
	if suspicious {
		z.suspicious++
	}
	if q.Type == proto.TypeTXT || q.Type == proto.TypeNULL {
		// Repeats count too: C2 over TXT polls the same name again and again.
		z.txtQueries++
	}
	reason := ""
	switch {
	case strong:
		reason = "long encoded query name"
		if raw {
			reason = "non-printable bytes in query name"
		}
	case z.suspicious >= cfg.SuspiciousPerZone:
		reason = fmt.Sprintf("%d queries with long high-entropy labels or NULL type", z.suspicious)
	case z.txtQueries >= cfg.TXTPerZone:
		reason = fmt.Sprintf("%d TXT/NULL queries", z.txtQueries)
	}
	if reason == "" {
		return
	}
	sample := q.Name
	if len(sample) > 100 {
		sample = sample[:100] + "…"
	}
	env.Emit(analysis.Alert{Rule: RuleTunnel, Time: o.Time, Src: f.Client, Dst: f.Server, Proto: f.Proto, FlowID: f.ID, Key: zone,
		Indicator: zone,
		Message:   fmt.Sprintf("%s: %s via %s (%s)", RuleTunnel.Name, zone, f.Server.Addr(), reason),
		Evidence: map[string]any{"zone": zone, "reason": reason, "sample_query": sample, "query_type": proto.TypeName(q.Type),
			"entropy": math.Round(ent*100) / 100, "queries": z.queries}})
}

func (d *Detector) response(env *analysis.Env, o *analysis.Observation, m *proto.DNS) {
	q := m.Questions[0]
	if ignored(q.Name) || q.Type == proto.TypePTR {
		return
	}
	cfg := &env.Config.DNS
	f := o.Flow
	c := d.clients[f.Client.Addr()]
	if c == nil || o.Time-c.first > cfg.Window.Nanos() {
		if c == nil && len(d.clients) >= maxTracked {
			clear(d.clients)
		}
		c = &clientState{first: o.Time, nxNames: map[string]struct{}{}}
		d.clients[f.Client.Addr()] = c
	}
	c.answers++
	if m.RCode != 3 {
		return
	}
	// Distinct names are only needed up to the threshold (and a little
	// beyond for the ratio), which bounds memory per client.
	if _, seen := c.nxNames[q.Name]; seen || len(c.nxNames) >= max(4*cfg.NXDomainCount, 64) {
		return
	}
	c.nxNames[q.Name] = struct{}{}
	if len(c.samples) < 5 {
		c.samples = append(c.samples, q.Name)
	}
	nx := len(c.nxNames)
	if nx >= cfg.NXDomainCount && float64(nx)/float64(c.answers) >= cfg.NXDomainRatio {
		env.Emit(analysis.Alert{Rule: RuleDGA, Time: o.Time, Src: f.Client, Dst: f.Server, Proto: f.Proto, FlowID: f.ID,
			Message:  fmt.Sprintf("%s: %s got NXDOMAIN for %d distinct names out of %d answers", RuleDGA.Name, f.Client.Addr(), nx, c.answers),
			Evidence: map[string]any{"nxdomain_names": nx, "answers": c.answers, "samples": strings.Join(c.samples, ",")}})
	}
}
