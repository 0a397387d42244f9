package sigma

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/medshield/medshield/internal/sigma/syntax"
)

// corrRule is a compiled correlation rule.
type corrRule struct {
	rule *Rule
	spec *syntax.Correlation
	refs []*Rule
	// fields[i] are the event fields read for refs[i]: the group-by fields
	// (aliases resolved) and, last, the value field if any.
	fields [][]string
	// monotone conditions (only gt/gte on counts or sums) alert on sliding
	// windows as soon as they hold; others are judged on whole windows.
	monotone bool
}

func (rs *RuleSet) compileCorrelation(r *Rule) error {
	state := map[*Rule]int{}
	return rs.resolveCorrelation(r, state, 0)
}

// resolveCorrelation checks a correlation and the correlations it refers
// to (depth-first, rejecting cycles), compiling each once.
func (rs *RuleSet) resolveCorrelation(r *Rule, state map[*Rule]int, depth int) error {
	if depth > 16 {
		return errAt(r.Pos, syntax.CodeLimit, "correlation chain deeper than 16")
	}
	switch state[r] {
	case 1:
		return errAt(r.Pos, syntax.CodeCorrelation, "correlation %q is part of a reference cycle", r.Title)
	case 2:
		return nil
	}
	for _, cr := range rs.correlations {
		if cr.rule == r {
			return nil // compiled through an earlier chain
		}
	}
	state[r] = 1
	spec := r.Correlation
	cr := &corrRule{rule: r, spec: spec}
	for _, ref := range spec.Rules {
		t := rs.byID[ref]
		if t == nil {
			return errAt(spec.Pos, syntax.CodeCorrelation, "correlation refers to rule %q, which is not loaded", ref)
		}
		if t.Kind == syntax.KindCorrelation {
			if err := rs.resolveCorrelation(t, state, depth+1); err != nil {
				return errAt(spec.Pos, syntax.CodeCorrelation, "correlation refers to correlation %q, which is rejected: %v", ref, err)
			}
		} else if !rs.loaded(t) {
			return errAt(spec.Pos, syntax.CodeCorrelation, "correlation refers to rule %q, which was rejected", ref)
		}
		if !spec.Generate {
			t.CorrelationOnly = true
		}
		var fs []string
		for _, g := range spec.GroupBy {
			fs = append(fs, aliasField(spec, g, t))
		}
		if spec.Field != "" {
			fs = append(fs, aliasField(spec, spec.Field, t))
		}
		cr.refs = append(cr.refs, t)
		cr.fields = append(cr.fields, fs)
	}
	cr.monotone = true
	for _, c := range spec.Conds {
		if c.Op != "gt" && c.Op != "gte" {
			cr.monotone = false
		}
	}
	switch spec.Type {
	case "value_avg", "value_percentile", "temporal", "temporal_ordered":
		cr.monotone = false
	}
	state[r] = 2
	rs.correlations = append(rs.correlations, cr)
	return nil
}

func aliasField(spec *syntax.Correlation, field string, ref *Rule) string {
	if a, ok := spec.Aliases[field]; ok {
		for _, key := range []string{ref.Name, ref.ID} {
			if f, ok := a[key]; ok && key != "" {
				return f
			}
		}
	}
	return field
}

func (rs *RuleSet) loaded(r *Rule) bool {
	return r.index < len(rs.Rules) && rs.Rules[r.index] == r
}

// CorrelationAlert is one firing of a correlation rule.
type CorrelationAlert struct {
	Rule *Rule
	// GroupBy names the group fields; Group holds their values in order.
	GroupBy []string
	Group   []string
	// Value is what the condition judged: the event count, distinct value
	// count, sum, average or percentile; Events is how many events fed it.
	Value  float64
	Events int
	First  time.Time
	Last   time.Time
	// FirstRef and LastRef are the refs the caller passed with the first
	// and last events (for example file and record id).
	FirstRef, LastRef any
}

// GroupString renders the group as "Field=value, Field=value".
func (a *CorrelationAlert) GroupString() string {
	parts := make([]string, len(a.GroupBy))
	for i, g := range a.GroupBy {
		parts[i] = g + "=" + a.Group[i]
	}
	return strings.Join(parts, ", ")
}

// obs is one observation fed to a correlation.
type obs struct {
	ref    int // index in corrRule.refs
	t      time.Time
	fields []string
	value  string
	tag    any
}

// Correlator holds correlation state. Feed it with events in time order.
// It is not safe for concurrent use; one goroutine owns it.
type Correlator struct {
	rs     *RuleSet
	byRef  map[*Rule][]*corrRule
	groups map[*corrRule]map[string]*group
	out    []CorrelationAlert
	seen   int
}

// NewCorrelator returns empty correlation state for the rule set.
func (rs *RuleSet) NewCorrelator() *Correlator {
	c := &Correlator{rs: rs, byRef: map[*Rule][]*corrRule{}, groups: map[*corrRule]map[string]*group{}}
	for _, cr := range rs.correlations {
		for _, ref := range uniqueRules(cr.refs) {
			c.byRef[ref] = append(c.byRef[ref], cr)
		}
		c.groups[cr] = map[string]*group{}
	}
	return c
}

func uniqueRules(rs []*Rule) []*Rule {
	var out []*Rule
	for _, r := range rs {
		if !containsRule(out, r) {
			out = append(out, r)
		}
	}
	return out
}

func containsRule(rs []*Rule, r *Rule) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// Correlated reports whether any correlation refers to r, i.e. whether
// Observe needs r's matches.
func (c *Correlator) Correlated(r *Rule) bool { return len(c.byRef[r]) > 0 }

// Fields returns the event fields correlations read from r's events, so
// that a caller can keep only those (see Snapshot).
func (c *Correlator) Fields(r *Rule) []string {
	var out []string
	for _, cr := range c.byRef[r] {
		for i, ref := range cr.refs {
			if ref != r {
				continue
			}
			for _, f := range cr.fields[i] {
				out = append(out, f)
				for _, v := range r.vars {
					if m, ok := v.Fields[f]; ok {
						out = append(out, m)
					}
				}
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// Observe feeds one event's matches at time t, with an opaque ref for the
// alert (file and record, say). It returns the correlation alerts that
// completed; some complete only at Flush.
func (c *Correlator) Observe(ev Event, t time.Time, ms []Match, ref any) []CorrelationAlert {
	c.out = c.out[:0]
	for _, m := range ms {
		for _, cr := range c.byRef[m.Rule] {
			for i, r := range cr.refs {
				if r != m.Rule {
					continue
				}
				o := obs{ref: i, t: t, tag: ref}
				o.fields, o.value = extract(ev, r, cr.fields[i], cr.spec.Field != "")
				c.feed(cr, o)
			}
		}
	}
	c.seen++
	if c.seen%4096 == 0 {
		c.expire(t)
	}
	return append([]CorrelationAlert(nil), c.out...)
}

// Flush closes every open window (end of input) and returns what fired.
func (c *Correlator) Flush() []CorrelationAlert {
	c.out = c.out[:0]
	for _, cr := range c.rs.correlations {
		keys := make([]string, 0, len(c.groups[cr]))
		for k := range c.groups[cr] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			c.close(cr, c.groups[cr][k])
			delete(c.groups[cr], k)
		}
	}
	return append([]CorrelationAlert(nil), c.out...)
}

// expire closes groups idle for longer than their timespan, so that memory
// follows the number of active groups, not the length of the log.
func (c *Correlator) expire(now time.Time) {
	for cr, gs := range c.groups {
		for k, g := range gs {
			if now.Sub(g.last) > cr.spec.Timespan {
				c.close(cr, g)
				delete(gs, k)
			}
		}
	}
}

// extract reads the group-by (and value) fields of an event matched by
// rule r. A Sigma name the event lacks is looked up under the name a
// variant of r maps it to (Image is NewProcessName in Security 4688).
func extract(ev Event, r *Rule, fields []string, hasValue bool) ([]string, string) {
	out := make([]string, len(fields))
	for i, f := range fields {
		v, ok := ev.Get(f)
		for _, vr := range r.vars {
			if ok {
				break
			}
			if m, has := vr.Fields[f]; has {
				v, ok = ev.Get(m)
			}
		}
		if ok {
			ss, _ := toStrings(v, nil)
			out[i] = strings.Join(ss, ",")
		}
	}
	if hasValue && len(out) > 0 {
		return out[:len(out)-1], out[len(out)-1]
	}
	return out, ""
}

// emit records a finished alert and feeds it to correlations chained on
// this one.
func (c *Correlator) emit(cr *corrRule, a CorrelationAlert) {
	if !cr.rule.CorrelationOnly {
		c.out = append(c.out, a)
	}
}

// fire feeds the moment a correlation's condition holds to the
// correlations that refer to it (chaining).
func (c *Correlator) fire(cr *corrRule, g *group, t time.Time) {
	for _, outer := range c.byRef[cr.rule] {
		for i, r := range outer.refs {
			if r != cr.rule {
				continue
			}
			fields := make([]string, len(outer.fields[i]))
			for j, f := range outer.fields[i] {
				for k, gb := range cr.spec.GroupBy {
					if gb == f {
						fields[j] = g.key[k]
					}
				}
			}
			o := obs{ref: i, t: t, tag: g.lastTag}
			if outer.spec.Field != "" && len(fields) > 0 {
				o.fields, o.value = fields[:len(fields)-1], fields[len(fields)-1]
			} else {
				o.fields = fields
			}
			c.feed(outer, o)
		}
	}
}
