package syntax

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxConditionDepth bounds the nesting of a condition (parentheses and
// negations); deeper conditions are rejected rather than risking the stack.
const MaxConditionDepth = 64

// MaxConditionLength bounds a condition's text.
const MaxConditionLength = 8192

// Expr is a node of a parsed condition.
type Expr interface {
	String() string
	exprNode()
}

// Ident references one search identifier.
type Ident struct {
	Name   string
	Offset int
}

// Not negates X.
type Not struct{ X Expr }

// And is true when all of Xs are.
type And struct{ Xs []Expr }

// Or is true when any of Xs is.
type Or struct{ Xs []Expr }

// Of is "N of pattern", "all of pattern", "N of them" or "all of them".
// Count is 0 for "all". Pattern is "" for "them".
type Of struct {
	Count   int
	Pattern string
	Offset  int
}

func (*Ident) exprNode() {}
func (*Not) exprNode()   {}
func (*And) exprNode()   {}
func (*Or) exprNode()    {}
func (*Of) exprNode()    {}

func (e *Ident) String() string { return e.Name }
func (e *Not) String() string {
	switch e.X.(type) {
	case *And, *Or:
		return "not (" + e.X.String() + ")"
	}
	return "not " + e.X.String()
}
func (e *And) String() string { return join(e.Xs, " and ") }
func (e *Or) String() string  { return join(e.Xs, " or ") }
func (e *Of) String() string {
	n := "all"
	if e.Count > 0 {
		n = strconv.Itoa(e.Count)
	}
	p := e.Pattern
	if p == "" {
		p = "them"
	}
	return n + " of " + p
}

func join(xs []Expr, sep string) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = x.String()
		switch x.(type) {
		case *And, *Or:
			parts[i] = "(" + parts[i] + ")"
		}
	}
	return strings.Join(parts, sep)
}

// ConditionError is a condition syntax error at a byte offset of the text.
type ConditionError struct {
	Offset   int
	Msg      string
	Obsolete bool // a Sigma 1 construct (aggregation pipe, near)
}

func (e *ConditionError) Error() string { return fmt.Sprintf("at offset %d: %s", e.Offset, e.Msg) }

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tNumber
	tLParen
	tRParen
	tAnd
	tOr
	tNot
	tOf
	tAll
	tThem
	tPipe
)

type token struct {
	kind tokKind
	text string
	off  int
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of condition"
	case tLParen:
		return `"("`
	case tRParen:
		return `")"`
	}
	return strconv.Quote(t.text)
}

func lex(s string) []token {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			toks = append(toks, token{tLParen, "(", i})
			i++
		case c == ')':
			toks = append(toks, token{tRParen, ")", i})
			i++
		case c == '|':
			toks = append(toks, token{tPipe, "|", i})
			i++
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r()|", rune(s[j])) {
				j++
			}
			w := s[i:j]
			k := tIdent
			switch strings.ToLower(w) {
			case "and":
				k = tAnd
			case "or":
				k = tOr
			case "not":
				k = tNot
			case "of":
				k = tOf
			case "all":
				k = tAll
			case "them":
				k = tThem
			default:
				if _, err := strconv.Atoi(w); err == nil {
					k = tNumber
				}
			}
			toks = append(toks, token{k, w, i})
			i = j
		}
	}
	return append(toks, token{tEOF, "", len(s)})
}

type condParser struct {
	toks  []token
	i     int
	depth int
}

// ParseCondition parses a condition expression. It returns a
// *ConditionError on bad input and never panics.
func ParseCondition(s string) (Expr, error) {
	if len(s) > MaxConditionLength {
		return nil, &ConditionError{Msg: fmt.Sprintf("condition is longer than %d bytes", MaxConditionLength)}
	}
	p := &condParser{toks: lex(s)}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		if t.kind == tPipe {
			return nil, &ConditionError{Offset: t.off, Obsolete: true,
				Msg: "aggregation pipes (| count() ...) are Sigma 1 syntax; express this as a correlation rule"}
		}
		return nil, p.unexpected(t, "and, or, or end of condition")
	}
	return e, nil
}

func (p *condParser) peek() token { return p.toks[p.i] }
func (p *condParser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *condParser) unexpected(t token, want string) error {
	return &ConditionError{Offset: t.off, Msg: fmt.Sprintf("expected %s, found %s", want, t.describe())}
}

func (p *condParser) enter(t token) error {
	p.depth++
	if p.depth > MaxConditionDepth {
		return &ConditionError{Offset: t.off, Msg: fmt.Sprintf("condition nested more than %d deep", MaxConditionDepth)}
	}
	return nil
}

func (p *condParser) or() (Expr, error) {
	x, err := p.and()
	if err != nil {
		return nil, err
	}
	xs := []Expr{x}
	for p.peek().kind == tOr {
		p.next()
		y, err := p.and()
		if err != nil {
			return nil, err
		}
		xs = append(xs, y)
	}
	if len(xs) == 1 {
		return x, nil
	}
	return &Or{Xs: xs}, nil
}

func (p *condParser) and() (Expr, error) {
	x, err := p.not()
	if err != nil {
		return nil, err
	}
	xs := []Expr{x}
	for p.peek().kind == tAnd {
		p.next()
		y, err := p.not()
		if err != nil {
			return nil, err
		}
		xs = append(xs, y)
	}
	if len(xs) == 1 {
		return x, nil
	}
	return &And{Xs: xs}, nil
}

func (p *condParser) not() (Expr, error) {
	if t := p.peek(); t.kind == tNot {
		p.next()
		if err := p.enter(t); err != nil {
			return nil, err
		}
		x, err := p.not()
		p.depth--
		if err != nil {
			return nil, err
		}
		return &Not{X: x}, nil
	}
	return p.primary()
}

func (p *condParser) primary() (Expr, error) {
	t := p.next()
	switch t.kind {
	case tLParen:
		if err := p.enter(t); err != nil {
			return nil, err
		}
		x, err := p.or()
		p.depth--
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, p.unexpected(c, `")"`)
		}
		return x, nil
	case tIdent:
		if strings.EqualFold(t.text, "near") {
			return nil, &ConditionError{Offset: t.off, Obsolete: true, Msg: "near is Sigma 1 syntax; use a temporal correlation rule"}
		}
		return &Ident{Name: t.text, Offset: t.off}, nil
	case tNumber, tAll:
		count := 0
		if t.kind == tNumber {
			count, _ = strconv.Atoi(t.text)
			if count < 1 {
				return nil, &ConditionError{Offset: t.off, Msg: fmt.Sprintf("%q of: the count must be at least 1", t.text)}
			}
		}
		if o := p.next(); o.kind != tOf {
			return nil, p.unexpected(o, `"of"`)
		}
		tgt := p.next()
		switch tgt.kind {
		case tThem:
			return &Of{Count: count, Offset: t.off}, nil
		case tIdent:
			return &Of{Count: count, Pattern: tgt.text, Offset: t.off}, nil
		}
		return nil, p.unexpected(tgt, "a search identifier pattern or them")
	case tPipe:
		return nil, &ConditionError{Offset: t.off, Obsolete: true,
			Msg: "aggregation pipes (| count() ...) are Sigma 1 syntax; express this as a correlation rule"}
	}
	return nil, p.unexpected(t, "a search identifier, not, N of, all of, or (")
}
