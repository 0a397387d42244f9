package syntax

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Detection is a rule's detection section: named search identifiers and the
// condition(s), which are linked with OR when there are several.
type Detection struct {
	Selections []*Selection // in file order
	ByName     map[string]*Selection
	Conditions []*Condition
	Pos        Pos
}

// Condition is one parsed condition expression.
type Condition struct {
	Text string
	Expr Expr // nil when the text did not parse
	Pos  Pos
}

// Selection is one search identifier: an OR of AND-groups of field tests.
// A plain map is one group; a list of maps is several; a list of plain
// values is one group holding one keyword test.
type Selection struct {
	Name   string
	Pos    Pos
	Groups [][]*FieldSpec
}

// FieldSpec is one "Field|mod1|mod2: values" entry. Field is "" for keyword
// tests (values searched in the whole event).
type FieldSpec struct {
	Field     string
	Modifiers []string
	Values    []Value
	Pos       Pos
}

// ValueKind is the YAML type of a rule value.
type ValueKind int

const (
	// String is a string value (wildcards and escapes still to be read).
	String ValueKind = iota
	// Number is an integer or float as written.
	Number
	// Bool is true or false.
	Bool
	// Null is YAML null / ~ / empty.
	Null
)

// Value is one value of a field test, as written in the rule.
type Value struct {
	Kind ValueKind
	Text string
	Pos  Pos
}

func (p *docParser) detection(n *yaml.Node) *Detection {
	d := &Detection{ByName: map[string]*Selection{}, Pos: p.pos(n)}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, CodeStructure, "detection must be a mapping, found %s", kindName(n))
		return d
	}
	var cond *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], p.resolve(n.Content[i+1])
		if v == nil {
			continue
		}
		switch k.Value {
		case "condition":
			cond = v
			continue
		case "timeframe":
			p.errorf(k, CodeObsolete, "detection timeframe belongs to Sigma 1 aggregations; use a correlation rule")
			continue
		}
		s := p.selection(k.Value, k, v)
		if s == nil {
			continue
		}
		if _, dup := d.ByName[s.Name]; dup {
			p.errorf(k, CodeStructure, "search identifier %q defined twice", s.Name)
			continue
		}
		d.ByName[s.Name] = s
		d.Selections = append(d.Selections, s)
	}
	if cond == nil {
		p.errorf(n, CodeStructure, "detection has no condition")
		return d
	}
	var texts []*yaml.Node
	switch cond.Kind {
	case yaml.ScalarNode:
		texts = []*yaml.Node{cond}
	case yaml.SequenceNode:
		for _, c := range cond.Content {
			if c = p.resolve(c); c != nil {
				texts = append(texts, c)
			}
		}
	default:
		p.errorf(cond, CodeStructure, "condition must be a string or a list of strings, found %s", kindName(cond))
		return d
	}
	if len(texts) == 0 {
		p.errorf(cond, CodeStructure, "condition is empty")
	}
	for _, t := range texts {
		if t.Kind != yaml.ScalarNode {
			p.errorf(t, CodeStructure, "condition must be a string, found %s", kindName(t))
			continue
		}
		c := &Condition{Text: t.Value, Pos: p.pos(t)}
		expr, err := ParseCondition(t.Value)
		if err != nil {
			pos := c.Pos
			var ce *ConditionError
			if asCondErr(err, &ce) && t.Style == 0 && !strings.Contains(t.Value, "\n") {
				pos.Col += ce.Offset // plain scalars map offsets to columns directly
			}
			p.diags = append(p.diags, Diagnostic{Code: conditionCode(err), Pos: pos, RuleID: p.doc.ID, Title: p.doc.Title,
				Message: fmt.Sprintf("condition %q: %v", clip(t.Value, 80), err)})
		} else {
			c.Expr = expr
		}
		d.Conditions = append(d.Conditions, c)
	}
	return d
}

func conditionCode(err error) string {
	var ce *ConditionError
	if asCondErr(err, &ce) && ce.Obsolete {
		return CodeObsolete
	}
	return CodeCondition
}

func asCondErr(err error, out **ConditionError) bool {
	ce, ok := err.(*ConditionError)
	if ok {
		*out = ce
	}
	return ok
}

func (p *docParser) selection(name string, k, v *yaml.Node) *Selection {
	s := &Selection{Name: name, Pos: p.pos(k)}
	switch v.Kind {
	case yaml.MappingNode:
		g := p.fieldMap(v)
		if g == nil {
			return nil
		}
		s.Groups = [][]*FieldSpec{g}
	case yaml.SequenceNode:
		var kw *FieldSpec
		for _, item := range v.Content {
			item = p.resolve(item)
			if item == nil {
				continue
			}
			switch item.Kind {
			case yaml.MappingNode:
				g := p.fieldMap(item)
				if g == nil {
					return nil
				}
				s.Groups = append(s.Groups, g)
			case yaml.ScalarNode:
				if kw == nil {
					kw = &FieldSpec{Pos: p.pos(item)}
					s.Groups = append(s.Groups, []*FieldSpec{kw})
				}
				kw.Values = append(kw.Values, p.value(item))
			default:
				p.errorf(item, CodeStructure, "search identifier %q: list items must be values or maps, found %s", name, kindName(item))
				return nil
			}
		}
		if len(s.Groups) == 0 {
			p.errorf(v, CodeStructure, "search identifier %q is an empty list", name)
			return nil
		}
	case yaml.ScalarNode:
		// A single keyword written as a plain string.
		s.Groups = [][]*FieldSpec{{{Pos: p.pos(v), Values: []Value{p.value(v)}}}}
	default:
		p.errorf(v, CodeStructure, "search identifier %q must be a map or a list, found %s", name, kindName(v))
		return nil
	}
	return s
}

// fieldMap reads one AND-group "field|mods: value(s)".
func (p *docParser) fieldMap(n *yaml.Node) []*FieldSpec {
	var out []*FieldSpec
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], p.resolve(n.Content[i+1])
		if v == nil {
			return nil
		}
		parts := strings.Split(k.Value, "|")
		fs := &FieldSpec{Field: parts[0], Modifiers: parts[1:], Pos: p.pos(k)}
		switch v.Kind {
		case yaml.ScalarNode:
			fs.Values = []Value{p.value(v)}
		case yaml.SequenceNode:
			if len(v.Content) > MaxValuesPerKey {
				p.errorf(v, CodeLimit, "field %q has %d values, more than the limit of %d", k.Value, len(v.Content), MaxValuesPerKey)
				return nil
			}
			for _, c := range v.Content {
				c = p.resolve(c)
				if c == nil {
					return nil
				}
				if c.Kind != yaml.ScalarNode {
					p.errorf(c, CodeValue, "field %q: values must be scalars, found %s", k.Value, kindName(c))
					return nil
				}
				fs.Values = append(fs.Values, p.value(c))
			}
			if len(fs.Values) == 0 {
				p.errorf(v, CodeValue, "field %q has an empty list of values", k.Value)
				return nil
			}
		default:
			p.errorf(v, CodeValue, "field %q: value must be a scalar or a list, found %s", k.Value, kindName(v))
			return nil
		}
		out = append(out, fs)
	}
	if len(out) == 0 {
		p.errorf(n, CodeStructure, "empty map in detection")
		return nil
	}
	return out
}

func (p *docParser) value(n *yaml.Node) Value {
	v := Value{Text: n.Value, Pos: p.pos(n)}
	switch n.Tag {
	case "!!null":
		v.Kind = Null
	case "!!int", "!!float":
		v.Kind = Number
	case "!!bool":
		v.Kind = Bool
	default:
		v.Kind = String
	}
	return v
}
