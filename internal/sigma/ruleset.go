package sigma

import (
	"sort"
	"strings"
	"sync"

	"github.com/medshield/medshield/internal/sigma/syntax"
)

// Rule is a loaded detection or correlation rule with the metadata alerts
// carry (the Detection Rule License requires the author in alerts).
type Rule struct {
	ID, Name, Title, Level, Status, Author, Description string
	Tags, References, FalsePositives                    []string
	Logsource                                           syntax.Logsource
	Kind                                                syntax.Kind
	Pos                                                 syntax.Pos

	// CorrelationOnly is set on rules that a correlation refers to without
	// generate: true; they feed correlations but raise no alert alone.
	CorrelationOnly bool
	// Correlation is the parsed correlation section (Kind == KindCorrelation).
	Correlation *syntax.Correlation

	index    int // load order, for deterministic output
	variants []string
	vars     []*Variant // the variants compiled for, for field renames
}

// Variants names the logsource variants the rule was compiled for.
func (r *Rule) Variants() []string { return r.variants }

// Match is one rule matching one event.
type Match struct {
	Rule *Rule
}

// compiled is a rule compiled for one logsource variant.
type compiled struct {
	rule      *Rule
	cond      node
	providers []string // lower-case; empty means any
	variant   *Variant
	id        int32 // index in RuleSet.all
	gated     bool  // skipped unless the prefilter activates it
}

// Stats counts what a load produced.
type Stats struct {
	Files       int `json:"files"`
	Documents   int `json:"documents"`
	Loaded      int `json:"loaded"`       // detection rules compiled
	Correlation int `json:"correlations"` // correlation rules compiled
	Filters     int `json:"filters"`      // meta-filters applied
	Rejected    int `json:"rejected"`     // documents rejected with a reason
	Unrouted    int `json:"unrouted"`     // rules of unmapped products (run on events without a channel)
}

// RuleSet is a compiled, immutable set of rules. It is safe for concurrent
// use.
type RuleSet struct {
	Rules   []*Rule // detection and correlation rules, in load order
	Stats   Stats
	mapping *Mapping
	syms    symbols

	byKey     map[routeKey][]*compiled
	anyRouted []*compiled // product-only variants: every routed event
	generic   []*compiled // unrouted products: events without a channel
	byID      map[string]*Rule

	correlations []*corrRule
	pool         sync.Pool
	all          []*compiled // every compiled variant, by id
	pf           prefilter
	// gate ids parallel to the routing lists (id when gated, else -1),
	// so the candidate loop reads a dense array before touching a rule
	gateKey     map[routeKey][]int32
	gateAny     []int32
	gateGeneric []int32
}

// Mapping returns the logsource mapping the set was compiled with.
func (rs *RuleSet) Mapping() *Mapping { return rs.mapping }

// Rule returns a rule by id or name.
func (rs *RuleSet) Rule(idOrName string) *Rule { return rs.byID[idOrName] }

// Match returns the rules that match ev, in load order. Rules marked
// CorrelationOnly are included (the correlator needs them); callers that
// raise alerts skip them.
func (rs *RuleSet) Match(ev Event) []Match {
	c, _ := rs.pool.Get().(*evalCtx)
	if c == nil {
		c = &evalCtx{}
	}
	out := rs.match(c, ev, nil)
	c.ev = nil
	rs.pool.Put(c)
	return out
}

// Matcher evaluates events for one goroutine without pool traffic; hunt
// workers each own one.
type Matcher struct {
	rs  *RuleSet
	ctx evalCtx
	buf []Match
}

// NewMatcher returns a Matcher for one goroutine.
func (rs *RuleSet) NewMatcher() *Matcher { return &Matcher{rs: rs} }

// Match is RuleSet.Match reusing the Matcher's buffers: the result is valid
// until the next call.
func (m *Matcher) Match(ev Event) []Match {
	m.buf = m.rs.match(&m.ctx, ev, m.buf[:0])
	return m.buf
}

func (rs *RuleSet) match(c *evalCtx, ev Event, out []Match) []Match {
	c.reset(ev, len(rs.syms.names))
	c.names = rs.syms.names
	m := rs.mapping
	var chain [3][]*compiled
	var gates [3][]int32
	channel := strings.ToLower(scalar(ev, m.ChannelField))
	if channel == "" {
		chain[0], gates[0] = rs.generic, rs.gateGeneric
	} else {
		eid := scalar(ev, m.EventIDField)
		k := routeKey{channel: channel, eventID: eid}
		chain[0], gates[0] = rs.byKey[k], rs.gateKey[k]
		if eid != "" {
			k = routeKey{channel: channel}
			chain[1], gates[1] = rs.byKey[k], rs.gateKey[k]
		}
		chain[2], gates[2] = rs.anyRouted, rs.gateAny
	}
	provider := ""
	start := len(out)
	if len(c.active) < len(rs.all) {
		c.active = make([]uint32, len(rs.all))
	}
	activated := false
	for li, list := range chain {
		gate := gates[li]
		for j, cr := range list {
			if id := gate[j]; id >= 0 {
				if !activated {
					rs.pf.activate(c)
					activated = true
				}
				if c.active[id] != c.gen {
					continue // no needle of its necessary condition is in the event
				}
			}
			if len(cr.providers) > 0 {
				if provider == "" {
					provider = strings.ToLower(scalar(ev, m.ProviderField))
				}
				if !contains(cr.providers, provider) {
					continue
				}
			}
			if cr.cond.eval(c) {
				out = append(out, Match{Rule: cr.rule})
			}
		}
	}
	res := out[start:]
	if len(res) > 1 {
		sort.Slice(res, func(i, j int) bool { return res[i].Rule.index < res[j].Rule.index })
		// A rule with two variants on the same event counts once.
		w := 1
		for i := 1; i < len(res); i++ {
			if res[i].Rule != res[w-1].Rule {
				res[w] = res[i]
				w++
			}
		}
		out = out[:start+w]
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Candidates returns how many compiled rule variants an event with this
// channel and event id meets (for tests and benchmarks of the pre-index).
func (rs *RuleSet) Candidates(channel, eventID string) int {
	ch := strings.ToLower(channel)
	return len(rs.byKey[routeKey{ch, eventID}]) + len(rs.byKey[routeKey{channel: ch}]) + len(rs.anyRouted)
}

// Index is the rule's position in load order (RuleSet.Rules).
func (r *Rule) Index() int { return r.index }

// scalar returns a single-valued field as a string ("" when absent or a
// list).
func scalar(ev Event, field string) string {
	v, ok := ev.Get(field)
	if !ok {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	var buf [1]string
	if ss, _ := toStrings(v, buf[:0]); len(ss) == 1 {
		return ss[0]
	}
	return ""
}
