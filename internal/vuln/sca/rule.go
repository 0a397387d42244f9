package sca

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Rule is one parsed rule: [not ]TYPE:TARGET[ -> PART[ -> PART]].
type Rule struct {
	Raw    string
	Negate bool
	Type   byte // 'f', 'd', 'p', 'c', 'r'
	Target string
	// Parts after the target: for f/c/p the content expression; for d the
	// file-name expression and optional content; for r the value name and
	// optional content.
	Parts []string
	exprs []*Expr // parsed content expressions for Parts (nil where literal names)
}

// Expr is a content expression: terms joined by &&, all of which must
// hold on one line.
type Expr struct {
	Terms []Term
}

// Term is one [!]r:REGEX, [!]n:REGEX compare OP NUMBER, or [!]literal.
type Term struct {
	Negate bool
	Kind   byte // 'r' regex, 'n' numeric, 'l' literal
	Text   string
	Re     *regexp.Regexp
	ReErr  error // compile error: the rule is not applicable
	Op     string
	Value  float64
}

// ParseRule parses a rule string, expanding variables.
func ParseRule(raw string, vars map[string]string) (*Rule, error) {
	s, err := expandVars(strings.TrimSpace(raw), vars)
	if err != nil {
		return nil, err
	}
	r := &Rule{Raw: raw}
	if rest, ok := strings.CutPrefix(s, "not "); ok {
		r.Negate = true
		s = strings.TrimSpace(rest)
	}
	if len(s) < 3 || s[1] != ':' {
		return nil, fmt.Errorf("rule %q: expected TYPE:target with TYPE one of f d p c r", raw)
	}
	r.Type = s[0]
	switch r.Type {
	case 'f', 'd', 'p', 'c', 'r':
	default:
		return nil, fmt.Errorf("rule %q: unknown rule type %q (want f, d, p, c or r)", raw, string(r.Type))
	}
	parts := strings.Split(s[2:], " -> ")
	r.Target = strings.TrimSpace(parts[0])
	if r.Target == "" {
		return nil, fmt.Errorf("rule %q: empty target", raw)
	}
	for _, p := range parts[1:] {
		r.Parts = append(r.Parts, strings.TrimSpace(p))
	}
	// c: takes a second expression too (used in the wild as a line filter
	// followed by a test; both must hold on one output line).
	max := map[byte]int{'f': 1, 'd': 2, 'p': 0, 'c': 2, 'r': 2}[r.Type]
	if len(r.Parts) > max {
		return nil, fmt.Errorf("rule %q: %c: takes at most %d '->' parts, got %d", raw, r.Type, max, len(r.Parts))
	}
	r.exprs = make([]*Expr, len(r.Parts))
	for i, p := range r.Parts {
		if r.Type == 'r' && i == 0 {
			continue // a value name, not an expression
		}
		e, err := ParseExpr(p)
		if err != nil {
			return nil, fmt.Errorf("rule %q: %v", raw, err)
		}
		r.exprs[i] = e
	}
	return r, nil
}

// ParseExpr parses a content expression.
func ParseExpr(s string) (*Expr, error) {
	e := &Expr{}
	for _, t := range strings.Split(s, " && ") {
		t = strings.TrimSpace(t)
		var term Term
		if strings.HasPrefix(t, "!") {
			term.Negate = true
			t = t[1:]
		}
		switch {
		case strings.HasPrefix(t, "r:"):
			term.Kind, term.Text = 'r', t[2:]
			term.Re, term.ReErr = regexp.Compile(term.Text)
		case strings.HasPrefix(t, "n:"):
			body := t[2:]
			i := strings.LastIndex(body, " compare ")
			if i < 0 {
				return nil, fmt.Errorf("numeric term %q: expected 'n:REGEX compare OP NUMBER'", t)
			}
			term.Kind, term.Text = 'n', body[:i]
			fields := strings.Fields(body[i+len(" compare "):])
			if len(fields) != 2 {
				return nil, fmt.Errorf("numeric term %q: expected 'compare OP NUMBER'", t)
			}
			switch fields[0] {
			case "<", "<=", "==", "!=", ">=", ">":
			default:
				return nil, fmt.Errorf("numeric term %q: unknown operator %q", t, fields[0])
			}
			v, err := strconv.ParseFloat(fields[1], 64)
			if err != nil {
				return nil, fmt.Errorf("numeric term %q: %q is not a number", t, fields[1])
			}
			term.Op, term.Value = fields[0], v
			term.Re, term.ReErr = regexp.Compile(term.Text)
			if term.ReErr == nil && term.Re.NumSubexp() < 1 {
				term.ReErr = fmt.Errorf("numeric regex %q has no capture group", term.Text)
			}
		default:
			term.Kind, term.Text = 'l', t
		}
		e.Terms = append(e.Terms, term)
	}
	return e, nil
}

// compileErr returns the first regex error of the expression.
func (e *Expr) compileErr() error {
	for _, t := range e.Terms {
		if t.ReErr != nil {
			return fmt.Errorf("regex %q: %v", t.Text, t.ReErr)
		}
	}
	return nil
}

// Match reports whether all terms hold on line. foldLiteral makes literal
// comparison case-insensitive (registry data).
func (e *Expr) Match(line string, foldLiteral bool) bool {
	for _, t := range e.Terms {
		var ok bool
		switch t.Kind {
		case 'r':
			ok = t.Re.MatchString(line)
		case 'l':
			if foldLiteral {
				ok = strings.EqualFold(strings.TrimSpace(line), t.Text)
			} else {
				ok = line == t.Text
			}
		case 'n':
			m := t.Re.FindStringSubmatch(line)
			if m != nil {
				v, err := strconv.ParseFloat(m[1], 64)
				ok = err == nil && compare(v, t.Op, t.Value)
			}
		}
		if ok == t.Negate {
			return false
		}
	}
	return true
}

func compare(a float64, op string, b float64) bool {
	switch op {
	case "<":
		return a < b
	case "<=":
		return a <= b
	case "==":
		return a == b
	case "!=":
		return a != b
	case ">=":
		return a >= b
	case ">":
		return a > b
	}
	return false
}
