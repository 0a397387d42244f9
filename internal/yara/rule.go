package yara

import (
	"fmt"
	"strings"

	"github.com/medshield/medshield/internal/yara/syntax"
)

// Rule is a compiled rule.
type Rule struct {
	Name      string
	Namespace string
	Tags      []string
	Meta      []Meta
	Global    bool
	Private   bool

	index      int
	strs       []int // indexes of the rule's own strings in Rules.strings
	cond       evalFn
	needsMatch bool // false whenever none of strs matched
}

// Meta is one metadata entry; Value is a string, int64 or bool.
type Meta struct {
	Key   string
	Value any
}

// compileError aborts the compilation of one rule.
type compileError struct {
	pos  syntax.Pos
	code string
	msg  string
}

// ruleCtx is the state of compiling one rule's condition.
type ruleCtx struct {
	c       *Compiler
	rule    *Rule
	ns      *nsInfo
	scope   *fileScope
	base    int               // global index of the rule's first string
	strs    []*String         // the rule's strings and chain parts
	byID    map[string]int    // string id -> index in strs (top-level strings only)
	order   []string          // ids in declaration order, for wildcards
	used    []bool            // per top-level string: referenced by the condition
	vars    []map[string]lvar // loop variable scopes
	nvars   int
	inForOf bool
	loops   int
	natoms  int // atoms YARA would add for the strings (warnings.go)
}

type lvar struct {
	slot int
	typ  ctype
}

func (rc *ruleCtx) fail(pos syntax.Pos, code, format string, args ...any) {
	panic(&compileError{pos: pos, code: code, msg: fmt.Sprintf(format, args...)})
}

func (c *Compiler) compileRule(d *syntax.Rule, nsi *nsInfo, scope *fileScope) {
	defer func() {
		if r := recover(); r != nil {
			ce, ok := r.(*compileError)
			if !ok {
				panic(r)
			}
			c.errs.Add(c.fset.Position(ce.pos), ce.code, "rule %q: %s", d.Name, ce.msg)
		}
	}()
	rc := &ruleCtx{c: c, ns: nsi, scope: scope, byID: map[string]int{}, base: len(c.rs.strings)}
	if _, dup := nsi.rules[d.Name]; dup {
		rc.fail(d.Pos, "duplicate-rule", "duplicated identifier %q", d.Name)
	}
	if _, isMod := c.mods[d.Name]; isMod && scope.imports[d.Name] {
		rc.fail(d.Pos, "duplicate-rule", "rule name %q is the name of an imported module", d.Name)
	}
	for _, w := range nsi.wildcards {
		if strings.HasPrefix(d.Name, w) {
			rc.fail(d.Pos, "wildcard-conflict", "rule name %q matches the wildcard %s* used before", d.Name, w)
		}
	}
	r := &Rule{Name: d.Name, Namespace: nsi.name, Tags: d.Tags, Global: d.Global, Private: d.Private}
	seenTag := map[string]bool{}
	for _, t := range d.Tags {
		if seenTag[t] {
			rc.fail(d.Pos, "duplicate-tag", "duplicated tag %q", t)
		}
		seenTag[t] = true
	}
	for _, m := range d.Meta {
		r.Meta = append(r.Meta, Meta{Key: m.Key, Value: m.Value})
	}
	rc.rule = r
	anon := 0
	for _, sd := range d.Strings {
		id := sd.ID
		if id == "" {
			id = fmt.Sprintf("\x00anon%d", anon) // anonymous: only reachable through sets
			anon++
		} else if _, dup := rc.byID[id]; dup {
			rc.fail(sd.Pos, "duplicate-string", "duplicated string identifier $%s", id)
		}
		idx := rc.addString(sd, id)
		rc.byID[id] = idx
		rc.order = append(rc.order, id)
	}
	rc.used = make([]bool, len(rc.strs))
	r.cond = rc.boolExpr(d.Cond)
	rc.warnRuleAtoms(d.Pos)
	for _, id := range rc.order {
		i := rc.byID[id]
		if !rc.used[i] {
			name := "$" + id
			if strings.HasPrefix(id, "\x00") {
				name = "anonymous string"
			}
			rc.fail(rc.strs[i].pos, "unreferenced-string", "unreferenced string %s", name)
		}
	}
	// Commit: nothing of the rule is visible before this point.
	r.index = len(c.rs.rules)
	for _, id := range rc.order {
		r.strs = append(r.strs, rc.base+rc.byID[id])
	}
	r.needsMatch = len(r.strs) > 0 && needsMatch(d.Cond)
	for _, s := range rc.strs {
		s.rule = r.index
		c.rs.strings = append(c.rs.strings, s)
	}
	c.rs.rules = append(c.rs.rules, r)
	nsi.rules[r.Name] = r
}

// addString compiles a string definition (and its chain parts) and returns
// its index in rc.strs.
func (rc *ruleCtx) addString(sd *syntax.StringDef, id string) int {
	s, err := compileString(sd, id)
	if err != nil {
		rc.fail(sd.Pos, "invalid-string", "string $%s: %v", strings.TrimPrefix(id, "\x00"), err)
	}
	rc.warnString(sd, s)
	idx := len(rc.strs)
	rc.strs = append(rc.strs, s)
	for _, p := range s.parts {
		p.parent = rc.base + idx
		p.partOf = true
		rc.strs = append(rc.strs, p)
	}
	return idx
}

// stringsMatching resolves a string set item ($a, $a*, $*) to indexes in
// rc.strs, marking them used.
func (rc *ruleCtx) stringsMatching(it syntax.SetItem) []int {
	var out []int
	for _, id := range rc.order {
		if id == it.Name || it.Wildcard && strings.HasPrefix(id, it.Name) && !(it.Name != "" && strings.HasPrefix(id, "\x00")) {
			i := rc.byID[id]
			rc.used[i] = true
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		rc.fail(it.Pos, "undefined-string", "undefined string identifier $%s", it.Name+map[bool]string{true: "*"}[it.Wildcard])
	}
	return out
}

func (rc *ruleCtx) allStrings(pos syntax.Pos) []int {
	if len(rc.order) == 0 {
		rc.fail(pos, "undefined-string", "'them' used in a rule without strings")
	}
	var out []int
	for _, id := range rc.order {
		i := rc.byID[id]
		rc.used[i] = true
		out = append(out, i)
	}
	return out
}

func (rc *ruleCtx) stringRef(pos syntax.Pos, id string) int {
	if id == "" {
		if !rc.inForOf {
			rc.fail(pos, "undefined-string", "'$' used outside a for ... of loop")
		}
		return -1
	}
	i, ok := rc.byID[id]
	if !ok {
		rc.fail(pos, "undefined-string", "undefined string identifier $%s", id)
	}
	rc.used[i] = true
	return rc.base + i
}
