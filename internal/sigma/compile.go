package sigma

import (
	"fmt"
	"path"
	"strings"

	"github.com/medshield/medshield/internal/sigma/syntax"
)

// compileError is a rule rejection with its position and code.
type compileError struct {
	pos  syntax.Pos
	code string
	msg  string
}

func (e *compileError) Error() string { return e.msg }

func errAt(pos syntax.Pos, code, format string, args ...any) *compileError {
	return &compileError{pos: pos, code: code, msg: fmt.Sprintf(format, args...)}
}

// symbols interns event field names to dense ids for the evaluator.
type symbols struct {
	ids   map[string]int
	names []string
}

func (s *symbols) id(name string) int {
	if id, ok := s.ids[name]; ok {
		return id
	}
	if s.ids == nil {
		s.ids = map[string]int{}
	}
	id := len(s.names)
	s.ids[name] = id
	s.names = append(s.names, name)
	return id
}

// compiler turns a detection into a condition tree for one log source
// variant (its field mapping).
type compiler struct {
	syms         *symbols
	fieldMap     map[string]string
	placeholders map[string][]string
	used         map[string]syntax.Pos // event field names the rule reads
}

func (c *compiler) field(name string, pos syntax.Pos) int {
	if m, ok := c.fieldMap[name]; ok {
		name = m
	}
	if c.used != nil {
		if _, seen := c.used[name]; !seen {
			c.used[name] = pos
		}
	}
	return c.syms.id(name)
}

// detection compiles the selections and the condition(s).
func (c *compiler) detection(d *syntax.Detection) (node, error) {
	sels := map[string]node{}
	for _, s := range d.Selections {
		n, err := c.selection(s)
		if err != nil {
			return nil, err
		}
		sels[s.Name] = n
	}
	if len(d.Conditions) == 0 {
		return nil, errAt(d.Pos, syntax.CodeStructure, "detection has no condition")
	}
	var ors orNode
	for _, cond := range d.Conditions {
		if cond.Expr == nil {
			return nil, errAt(cond.Pos, syntax.CodeCondition, "condition %q does not parse", cond.Text)
		}
		n, err := c.expr(cond.Expr, d, sels, cond.Pos)
		if err != nil {
			return nil, err
		}
		ors = append(ors, n)
	}
	if len(ors) == 1 {
		return ors[0], nil
	}
	return ors, nil
}

func (c *compiler) expr(e syntax.Expr, d *syntax.Detection, sels map[string]node, pos syntax.Pos) (node, error) {
	switch x := e.(type) {
	case *syntax.Ident:
		n, ok := sels[x.Name]
		if !ok {
			return nil, errAt(pos, syntax.CodeCondition, "condition refers to %q, which is not a search identifier of this rule", x.Name)
		}
		return n, nil
	case *syntax.Not:
		n, err := c.expr(x.X, d, sels, pos)
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	case *syntax.And, *syntax.Or:
		var xs []syntax.Expr
		if a, ok := x.(*syntax.And); ok {
			xs = a.Xs
		} else {
			xs = x.(*syntax.Or).Xs
		}
		ns := make([]node, 0, len(xs))
		for _, sub := range xs {
			n, err := c.expr(sub, d, sels, pos)
			if err != nil {
				return nil, err
			}
			ns = append(ns, n)
		}
		if _, ok := x.(*syntax.And); ok {
			return andNode(ns), nil
		}
		return orNode(ns), nil
	case *syntax.Of:
		var ns []node
		for _, s := range d.Selections {
			if x.Pattern == "" {
				if strings.HasPrefix(s.Name, "_") {
					continue // "them" skips identifiers starting with _
				}
			} else if ok, _ := path.Match(x.Pattern, s.Name); !ok {
				continue
			}
			ns = append(ns, sels[s.Name])
		}
		if len(ns) == 0 {
			return nil, errAt(pos, syntax.CodeCondition, "%q matches no search identifier", x.String())
		}
		switch {
		case x.Count == 0:
			return andNode(ns), nil
		case x.Count == 1:
			return orNode(ns), nil
		case x.Count > len(ns):
			return constNode(false), nil
		}
		return &countNode{n: x.Count, xs: ns}, nil
	}
	return nil, errAt(pos, syntax.CodeCondition, "unsupported condition element %T", e)
}

// countNode is "N of pattern" for N > 1.
type countNode struct {
	n  int
	xs []node
}

func (n *countNode) eval(c *evalCtx) bool {
	hits := 0
	for _, x := range n.xs {
		if x.eval(c) {
			hits++
			if hits >= n.n {
				return true
			}
		}
	}
	return false
}

func (c *compiler) selection(s *syntax.Selection) (node, error) {
	groups := make([]node, 0, len(s.Groups))
	for _, g := range s.Groups {
		tests := make(andNode, 0, len(g))
		for _, fs := range g {
			t, err := c.fieldTest(fs)
			if err != nil {
				return nil, err
			}
			tests = append(tests, t)
		}
		if len(tests) == 1 {
			groups = append(groups, tests[0])
		} else {
			groups = append(groups, tests)
		}
	}
	if len(groups) == 1 {
		return groups[0], nil // one group: skip a layer of calls
	}
	return &selNode{name: s.Name, groups: groups}, nil
}

// fieldTest compiles one "Field|mods: values" entry.
func (c *compiler) fieldTest(fs *syntax.FieldSpec) (node, error) {
	m, err := parseMods(fs.Modifiers)
	if err != nil {
		return nil, errAt(fs.Pos, syntax.CodeModifier, "%s: %v", fieldLabel(fs), err)
	}
	keyword := fs.Field == ""
	if keyword && (m.exists || m.fieldref || m.cidr || m.cmp != "" || m.neq) {
		return nil, errAt(fs.Pos, syntax.CodeModifier, "keyword search cannot use %s", strings.Join(m.names, "|"))
	}
	field := -1
	if !keyword {
		field = c.field(fs.Field, fs.Pos)
	}
	// null, alone
	if len(fs.Values) == 1 && fs.Values[0].Kind == syntax.Null && !m.exists {
		if len(fs.Modifiers) > 0 && !(len(fs.Modifiers) == 1 && m.neq) {
			return nil, errAt(fs.Pos, syntax.CodeValue, "%s: null cannot take modifiers", fieldLabel(fs))
		}
		if keyword {
			return nil, errAt(fs.Pos, syntax.CodeValue, "a keyword cannot be null")
		}
		var n node = &nullTest{field: field}
		if m.neq {
			n = notNode{n}
		}
		return n, nil
	}
	switch {
	case m.exists:
		if len(fs.Values) != 1 || fs.Values[0].Kind != syntax.Bool && fs.Values[0].Text != "true" && fs.Values[0].Text != "false" {
			return nil, errAt(fs.Pos, syntax.CodeValue, "%s: exists takes true or false", fieldLabel(fs))
		}
		return &existsTest{field: field, want: strings.EqualFold(fs.Values[0].Text, "true")}, nil
	case m.re:
		t := &reTest{field: field, all: m.all}
		for _, v := range fs.Values {
			re, err := compileRegex(v.Text, m.reFlags)
			if err != nil {
				return nil, errAt(v.Pos, syntax.CodeRegex, "%s: %v", fieldLabel(fs), err)
			}
			t.res = append(t.res, re)
			lit := ""
			if m.reFlags == "" || !strings.Contains(m.reFlags, "i") {
				lit = requiredLiteral(v.Text)
			}
			t.lits = append(t.lits, lit)
		}
		return t, nil
	case m.cidr:
		t := &cidrTest{field: field}
		for _, v := range fs.Values {
			p, err := parsePrefix(v.Text)
			if err != nil {
				return nil, errAt(v.Pos, syntax.CodeValue, "%s: %q is not a CIDR range", fieldLabel(fs), v.Text)
			}
			t.prefixes = append(t.prefixes, p)
		}
		return c.maybeNeq(t, m), nil
	case m.cmp != "" || m.part != "":
		op := m.cmp
		if op == "" {
			op = "eq"
		}
		t := &numTest{field: field, op: op, all: m.all, part: m.part}
		for _, v := range fs.Values {
			f, err := parseFloat(v.Text)
			if err != nil {
				return nil, errAt(v.Pos, syntax.CodeValue, "%s: %q is not a number", fieldLabel(fs), v.Text)
			}
			t.vals = append(t.vals, f)
		}
		return c.maybeNeq(t, m), nil
	case m.fieldref:
		op := opEq
		switch {
		case m.wrap1 && m.wrap2:
			op = opContains
		case m.wrap1:
			op = opSuffix
		case m.wrap2:
			op = opPrefix
		}
		var ors orNode
		for _, v := range fs.Values {
			ors = append(ors, &fieldrefTest{field: field, other: c.field(v.Text, v.Pos), op: op, cased: m.cased})
		}
		var n node = ors
		if len(ors) == 1 {
			n = ors[0]
		} else if m.all {
			n = andNode(ors)
		}
		return c.maybeNeq(n, m), nil
	}
	groups, err := c.stringMatchers(fs, m)
	if err != nil {
		return nil, err
	}
	v := viewFolded
	switch {
	case m.cased && m.windash:
		v = viewDashRaw
	case m.cased:
		v = viewRaw
	case m.windash:
		v = viewDash
	}
	mk := func(ms []strMatcher, all bool) node {
		if keyword {
			return &keywordTest{view: v, all: all, ms: ms}
		}
		return newStrTest(field, v, all, ms)
	}
	single := true
	var flat []strMatcher
	for _, g := range groups {
		single = single && len(g) == 1
		flat = append(flat, g...)
	}
	if !m.all || single {
		return c.maybeNeq(mk(flat, m.all), m), nil
	}
	and := make(andNode, len(groups))
	for i, g := range groups {
		and[i] = mk(g, false)
	}
	return c.maybeNeq(and, m), nil
}

// maybeNeq negates a test for the neq modifier: the field must differ from
// every value.
func (c *compiler) maybeNeq(n node, m mods) node {
	if m.neq {
		return notNode{n}
	}
	return n
}

func fieldLabel(fs *syntax.FieldSpec) string {
	k := fs.Field
	if len(fs.Modifiers) > 0 {
		k += "|" + strings.Join(fs.Modifiers, "|")
	}
	if k == "" {
		return "keywords"
	}
	return "field " + k
}

// stringMatchers builds the string patterns of a value list: placeholders,
// then encodings in chain order, then wildcards and case folding. Each
// value as written gives one group of alternatives (expansions, base64
// offsets); "all" needs every group, any alternative within it.
func (c *compiler) stringMatchers(fs *syntax.FieldSpec, m mods) ([][]strMatcher, error) {
	groups, err := valueTexts(fs, m, c.placeholders)
	if err != nil {
		return nil, errAt(fs.Pos, syntax.CodePlaceholder, "%s: %v", fieldLabel(fs), err)
	}
	out := make([][]strMatcher, 0, len(groups))
	total := 0
	for gi, texts := range groups {
		var pats []pattern
		for _, t := range texts {
			if fs.Values[gi].Kind == syntax.String {
				pats = append(pats, parsePattern(t))
			} else {
				pats = append(pats, literal(t))
			}
		}
		if len(m.encoders) > 0 {
			var enc []pattern
			for _, p := range pats {
				s, ok := p.plain()
				if !ok {
					return nil, errAt(fs.Pos, syntax.CodeValue, "%s: cannot encode a value with wildcards (%s)", fieldLabel(fs), m.encoders[0])
				}
				vals := []string{s}
				for _, e := range m.encoders {
					vals = encode(e, vals)
				}
				for _, v := range vals {
					enc = append(enc, literal(v))
				}
			}
			pats = enc
		}
		if total += len(pats); total > MaxExpansions {
			return nil, errAt(fs.Pos, syntax.CodeLimit, "%s: %d values, more than the limit of %d", fieldLabel(fs), total, MaxExpansions)
		}
		ms := make([]strMatcher, 0, len(pats))
		for _, p := range pats {
			p = p.wrap(m.wrap1, m.wrap2)
			if !m.cased {
				p = p.mapLit(fold)
			}
			if m.windash {
				p = p.mapLit(dashFold)
			}
			if fs.Field == "" && len(p) == 1 && p[0].wild == 0 {
				// A plain keyword is searched as a substring of the values.
				p = p.wrap(true, true)
			}
			ms = append(ms, newStrMatcher(p))
		}
		out = append(out, ms)
	}
	return out, nil
}
