package sigma

import (
	"math"
	"sort"
	"strings"
	"time"

	"github.com/medshield/medshield/internal/sigma/syntax"
)

// group is the state of one correlation for one group-by key.
type group struct {
	key  []string
	last time.Time

	// window: the observations within the timespan (sliding) or since the
	// window start (tumbling).
	win      []obs
	distinct map[string]int // value -> occurrences in win
	sum      float64

	// an alert being extended (monotone conditions)
	firing   bool
	alert    CorrelationAlert
	alertSet map[string]bool // distinct values seen by the firing alert
	lastTag  any

	// temporal: latest time each ref was seen; ordered: chain start per step
	seenAt []time.Time
	chain  []time.Time
}

func (c *Correlator) feed(cr *corrRule, o obs) {
	key := strings.Join(o.fields, "\x00")
	gs := c.groups[cr]
	g := gs[key]
	if g == nil {
		g = &group{key: o.fields, distinct: map[string]int{}}
		gs[key] = g
	}
	g.last = o.t
	g.lastTag = o.tag
	switch cr.spec.Type {
	case "temporal", "temporal_ordered":
		c.temporal(cr, g, o)
	default:
		if cr.monotone {
			c.sliding(cr, g, o)
		} else {
			c.tumbling(cr, g, o)
		}
	}
}

func (g *group) push(o obs) {
	g.win = append(g.win, o)
	g.distinct[o.value]++
	g.sum += num(o.value)
}

func (g *group) evict(before time.Time) {
	i := 0
	for i < len(g.win) && g.win[i].t.Before(before) {
		o := g.win[i]
		if g.distinct[o.value]--; g.distinct[o.value] <= 0 {
			delete(g.distinct, o.value)
		}
		g.sum -= num(o.value)
		i++
	}
	if i > 0 {
		g.win = append(g.win[:0], g.win[i:]...)
	}
}

func (g *group) clear() {
	g.win = g.win[:0]
	g.distinct = map[string]int{}
	g.sum = 0
}

func num(s string) float64 {
	f, ok := parseNumber(s)
	if !ok {
		return 0
	}
	return f
}

// metric is the window's value for the correlation type.
func (g *group) metric(typ string) float64 {
	switch typ {
	case "value_count":
		n := len(g.distinct)
		if _, empty := g.distinct[""]; empty {
			n-- // events without the field do not count as a value
		}
		return float64(n)
	case "value_sum":
		return g.sum
	case "value_avg":
		if len(g.win) == 0 {
			return 0
		}
		return g.sum / float64(len(g.win))
	}
	return float64(len(g.win))
}

func (c *Correlator) newAlert(cr *corrRule, g *group) CorrelationAlert {
	return CorrelationAlert{Rule: cr.rule, GroupBy: cr.spec.GroupBy, Group: g.key,
		First: g.win[0].t, FirstRef: g.win[0].tag}
}

// sliding handles conditions that only grow with more events (gt, gte on
// counts and sums): the alert fires as soon as the window satisfies it and
// extends over the following events while the window still does, so a
// burst gives one alert with its full count.
func (c *Correlator) sliding(cr *corrRule, g *group, o obs) {
	g.evict(o.t.Add(-cr.spec.Timespan))
	g.push(o)
	holds := syntax.Holds(cr.spec.Conds, g.metric(cr.spec.Type))
	if g.firing {
		if holds {
			c.extend(cr, g, o)
			return
		}
		c.close(cr, g)
		g.clear()
		g.push(o)
		holds = syntax.Holds(cr.spec.Conds, g.metric(cr.spec.Type))
	}
	if holds {
		g.firing = true
		g.alert = c.newAlert(cr, g)
		g.alertSet = map[string]bool{}
		for _, w := range g.win {
			g.alert.Events++
			g.alertSet[w.value] = true
			g.alert.Value = alertValue(cr.spec.Type, g, w)
		}
		g.alert.Last, g.alert.LastRef = o.t, o.tag
		c.fire(cr, g, o.t)
	}
}

func (c *Correlator) extend(cr *corrRule, g *group, o obs) {
	g.alert.Events++
	g.alertSet[o.value] = true
	g.alert.Value = alertValue(cr.spec.Type, g, o)
	g.alert.Last, g.alert.LastRef = o.t, o.tag
}

func alertValue(typ string, g *group, o obs) float64 {
	switch typ {
	case "value_count":
		n := len(g.alertSet)
		if g.alertSet[""] {
			n--
		}
		return float64(n)
	case "value_sum":
		return g.alert.Value + num(o.value)
	}
	return float64(g.alert.Events)
}

// tumbling judges whole windows that start at a group's first event.
func (c *Correlator) tumbling(cr *corrRule, g *group, o obs) {
	if len(g.win) > 0 && o.t.Sub(g.win[0].t) > cr.spec.Timespan {
		c.judge(cr, g)
		g.clear()
	}
	g.push(o)
}

// judge evaluates a closed tumbling window.
func (c *Correlator) judge(cr *corrRule, g *group) {
	if len(g.win) == 0 {
		return
	}
	if cr.spec.Type == "value_percentile" {
		c.percentile(cr, g)
		return
	}
	v := g.metric(cr.spec.Type)
	if !syntax.Holds(cr.spec.Conds, v) {
		return
	}
	a := c.newAlert(cr, g)
	a.Value, a.Events = v, len(g.win)
	last := g.win[len(g.win)-1]
	a.Last, a.LastRef = last.t, last.tag
	c.fire(cr, g, last.t)
	c.emit(cr, a)
}

// percentile alerts for each value whose share of the window's events (in
// percent) satisfies the condition: "lte: 1" finds values seen in at most
// 1% of the group's events.
func (c *Correlator) percentile(cr *corrRule, g *group) {
	vals := make([]string, 0, len(g.distinct))
	for v := range g.distinct {
		vals = append(vals, v)
	}
	sort.Strings(vals)
	for _, v := range vals {
		share := 100 * float64(g.distinct[v]) / float64(len(g.win))
		share = math.Round(share*1000) / 1000
		if !syntax.Holds(cr.spec.Conds, share) {
			continue
		}
		a := c.newAlert(cr, g)
		a.GroupBy = append(append([]string(nil), cr.spec.GroupBy...), cr.spec.Field)
		a.Group = append(append([]string(nil), g.key...), v)
		a.Value, a.Events = share, g.distinct[v]
		last := g.win[len(g.win)-1]
		a.Last, a.LastRef = last.t, last.tag
		c.emit(cr, a)
	}
}

// close ends a group's open state at the end of input or idle expiry.
func (c *Correlator) close(cr *corrRule, g *group) {
	switch {
	case cr.spec.Type == "temporal" || cr.spec.Type == "temporal_ordered":
	case cr.monotone:
		if g.firing {
			g.firing = false
			c.emit(cr, g.alert)
		}
	default:
		c.judge(cr, g)
		g.clear()
	}
}

// temporal fires when every referred rule (or, with a condition, enough
// of them) was seen within the timespan; temporal_ordered also needs them
// in the order listed.
func (c *Correlator) temporal(cr *corrRule, g *group, o obs) {
	n := len(cr.refs)
	if g.seenAt == nil {
		g.seenAt = make([]time.Time, n)
		g.chain = make([]time.Time, n)
	}
	ts := cr.spec.Timespan
	fired := false
	var first time.Time
	count := 0
	if cr.spec.Type == "temporal" {
		g.seenAt[o.ref] = o.t
		first = o.t
		for _, t := range g.seenAt {
			if !t.IsZero() && o.t.Sub(t) <= ts {
				count++
				if t.Before(first) {
					first = t
				}
			}
		}
		if len(cr.spec.Conds) > 0 {
			fired = syntax.Holds(cr.spec.Conds, float64(count))
		} else {
			fired = count == n
		}
	} else {
		i := o.ref
		switch {
		case i == 0:
			g.chain[0] = o.t
		case !g.chain[i-1].IsZero() && o.t.Sub(g.chain[i-1]) <= ts:
			if g.chain[i].IsZero() || g.chain[i-1].After(g.chain[i]) {
				g.chain[i] = g.chain[i-1]
			}
		}
		if !g.chain[n-1].IsZero() && o.t.Sub(g.chain[n-1]) <= ts {
			fired, first, count = true, g.chain[n-1], n
		}
	}
	if !fired {
		return
	}
	a := CorrelationAlert{Rule: cr.rule, GroupBy: cr.spec.GroupBy, Group: g.key, Value: float64(count),
		Events: count, First: first, Last: o.t, FirstRef: o.tag, LastRef: o.tag}
	for i := range g.seenAt {
		g.seenAt[i], g.chain[i] = time.Time{}, time.Time{}
	}
	c.fire(cr, g, o.t)
	c.emit(cr, a)
}
