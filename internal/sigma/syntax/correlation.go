package syntax

import (
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Correlation is a correlation rule's correlation section.
type Correlation struct {
	Type     string // event_count, value_count, temporal, temporal_ordered, value_sum, value_avg, value_percentile
	Rules    []string
	GroupBy  []string
	Timespan time.Duration
	Field    string                       // value_* types
	Conds    []CountCond                  // linked with AND
	Aliases  map[string]map[string]string // alias -> rule name -> field
	Generate bool
	Pos      Pos
}

// CountCond is one "gte: 10" criterion of a correlation condition.
type CountCond struct {
	Op    string // gt, gte, lt, lte, eq, neq
	Value float64
}

// Holds reports whether x satisfies every criterion.
func Holds(conds []CountCond, x float64) bool {
	for _, c := range conds {
		ok := false
		switch c.Op {
		case "gt":
			ok = x > c.Value
		case "gte":
			ok = x >= c.Value
		case "lt":
			ok = x < c.Value
		case "lte":
			ok = x <= c.Value
		case "eq":
			ok = x == c.Value
		case "neq":
			ok = x != c.Value
		}
		if !ok {
			return false
		}
	}
	return true
}

// CorrelationTypes lists the types of the specification (v2.1.0).
var correlationTypes = map[string]bool{
	"event_count": true, "value_count": true, "temporal": true, "temporal_ordered": true,
	"value_sum": true, "value_avg": true, "value_percentile": true,
}

func (p *docParser) correlation(n *yaml.Node) *Correlation {
	c := &Correlation{Pos: p.pos(n)}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, CodeCorrelation, "correlation must be a mapping, found %s", kindName(n))
		return nil
	}
	ok := true
	var condNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], p.resolve(n.Content[i+1])
		if v == nil {
			return nil
		}
		switch k.Value {
		case "type":
			c.Type = v.Value
			if !correlationTypes[c.Type] {
				p.errorf(v, CodeCorrelation, "unknown correlation type %q", v.Value)
				ok = false
			}
		case "rules":
			if v.Kind == yaml.ScalarNode {
				c.Rules = []string{v.Value}
			} else {
				c.Rules = p.scalars(v)
			}
		case "group-by":
			if v.Kind == yaml.ScalarNode {
				c.GroupBy = []string{v.Value}
			} else {
				c.GroupBy = p.scalars(v)
			}
		case "timespan", "timeframe":
			d, err := ParseTimespan(v.Value)
			if err != nil {
				p.errorf(v, CodeCorrelation, "timespan %q: %v", v.Value, err)
				ok = false
			}
			c.Timespan = d
		case "condition":
			condNode = v
		case "aliases":
			c.Aliases = p.aliases(v)
		case "generate":
			c.Generate = v.Value == "true"
		}
	}
	if condNode != nil {
		if condNode.Kind != yaml.MappingNode {
			p.errorf(condNode, CodeCorrelation, "correlation condition must be a mapping like {gte: 10}, found %s", kindName(condNode))
			ok = false
		} else {
			for i := 0; i+1 < len(condNode.Content); i += 2 {
				k, v := condNode.Content[i], p.resolve(condNode.Content[i+1])
				if v == nil || v.Kind != yaml.ScalarNode {
					p.errorf(k, CodeCorrelation, "correlation condition %q must be a scalar", k.Value)
					ok = false
					continue
				}
				switch k.Value {
				case "field":
					c.Field = v.Value
				case "gt", "gte", "lt", "lte", "eq", "neq":
					f, err := strconv.ParseFloat(v.Value, 64)
					if err != nil {
						p.errorf(v, CodeCorrelation, "correlation condition %s: %q is not a number", k.Value, v.Value)
						ok = false
						continue
					}
					c.Conds = append(c.Conds, CountCond{Op: k.Value, Value: f})
				default:
					p.errorf(k, CodeCorrelation, "unknown correlation condition operator %q", k.Value)
					ok = false
				}
			}
		}
	}
	switch {
	case c.Type == "":
		p.errorf(n, CodeCorrelation, "correlation has no type")
		ok = false
	case len(c.Rules) == 0:
		p.errorf(n, CodeCorrelation, "correlation has no rules")
		ok = false
	case c.Timespan <= 0 && ok:
		p.errorf(n, CodeCorrelation, "correlation has no timespan")
		ok = false
	}
	temporal := c.Type == "temporal" || c.Type == "temporal_ordered"
	if ok && !temporal && len(c.Conds) == 0 {
		p.errorf(n, CodeCorrelation, "%s correlation needs a condition", c.Type)
		ok = false
	}
	if ok && strings.HasPrefix(c.Type, "value_") && c.Field == "" {
		p.errorf(n, CodeCorrelation, "%s correlation needs condition.field", c.Type)
		ok = false
	}
	if !ok {
		return nil
	}
	return c
}

func (p *docParser) aliases(n *yaml.Node) map[string]map[string]string {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, CodeCorrelation, "aliases must be a mapping, found %s", kindName(n))
		return nil
	}
	out := map[string]map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		alias, v := n.Content[i].Value, p.resolve(n.Content[i+1])
		if v == nil || v.Kind != yaml.MappingNode {
			p.errorf(n.Content[i], CodeCorrelation, "alias %q must map rule names to fields", alias)
			continue
		}
		m := map[string]string{}
		for j := 0; j+1 < len(v.Content); j += 2 {
			m[v.Content[j].Value] = v.Content[j+1].Value
		}
		out[alias] = m
	}
	return out
}

// ParseTimespan parses "30s", "5m", "1h", "2d" (and "1w", "1M" for months
// of 30 days, "1y" of 365 days, which some tools accept).
func ParseTimespan(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 {
		return 0, errBadTimespan
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n <= 0 || n > 1e6 {
		return 0, errBadTimespan
	}
	var unit time.Duration
	switch s[len(s)-1] {
	case 's':
		unit = time.Second
	case 'm':
		unit = time.Minute
	case 'h':
		unit = time.Hour
	case 'd':
		unit = 24 * time.Hour
	case 'w':
		unit = 7 * 24 * time.Hour
	case 'M':
		unit = 30 * 24 * time.Hour
	case 'y':
		unit = 365 * 24 * time.Hour
	default:
		return 0, errBadTimespan
	}
	return time.Duration(n) * unit, nil
}

type timespanError struct{}

func (timespanError) Error() string { return "want a number and a unit s, m, h or d (e.g. 5m)" }

var errBadTimespan = timespanError{}

// Filter is a meta-filter's filter section.
type Filter struct {
	Rules     []string
	Detection *Detection
	Pos       Pos
}

func (p *docParser) filter(n *yaml.Node) *Filter {
	f := &Filter{Pos: p.pos(n)}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, CodeFilter, "filter must be a mapping, found %s", kindName(n))
		return nil
	}
	det := &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], p.resolve(n.Content[i+1])
		if k.Value == "rules" && v != nil {
			if v.Kind == yaml.ScalarNode {
				f.Rules = []string{v.Value}
			} else {
				f.Rules = p.scalars(v)
			}
			continue
		}
		det.Content = append(det.Content, n.Content[i], n.Content[i+1])
	}
	if len(f.Rules) == 0 {
		p.errorf(n, CodeFilter, "filter has no rules to apply to")
		return nil
	}
	f.Detection = p.detection(det)
	return f
}
