package syntax

import (
	"fmt"
	"strings"
)

// maxExprDepth bounds expression nesting so hostile input cannot exhaust
// the stack.
const maxExprDepth = 256

// Parse parses one rule file. It returns the file (with the rules it could
// parse) and the syntax errors; one bad rule does not stop the others.
func Parse(fset *FileSet, name string, src []byte) (f *SourceFile, err error) {
	file := fset.AddFile(name, src)
	var errs ErrorList
	p := &parser{fset: fset, file: file, errs: &errs}
	p.toks = Scan(file, src, &errs, fset)
	f = &SourceFile{Name: name}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(bailout); !ok {
				panic(r)
			}
		}
		errs.RemoveMultiples()
		err = errs.Err()
	}()
	p.parseFile(f)
	return f, nil
}

type bailout struct{}

type parser struct {
	fset  *FileSet
	file  *File
	errs  *ErrorList
	toks  []Item
	i     int
	depth int
}

// ruleError aborts the current rule; parseFile resynchronises.
type ruleError struct{}

func (p *parser) tok() Token { return p.toks[p.i].Tok }
func (p *parser) cur() Item  { return p.toks[p.i] }
func (p *parser) peek(k int) Token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k].Tok
	}
	return EOF
}

func (p *parser) advance() Item {
	it := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return it
}

func (p *parser) errorAt(pos Pos, format string, args ...any) {
	p.errs.Add(p.fset.Position(pos), "syntax", format, args...)
	if len(*p.errs) > 200 {
		panic(bailout{})
	}
}

func (p *parser) describe(it Item) string {
	switch it.Tok {
	case IDENT:
		return fmt.Sprintf("identifier %q", it.Lit)
	case INT, FLOAT:
		return fmt.Sprintf("number %s", it.Lit)
	case TEXT:
		return "text string"
	case STRINGID:
		return fmt.Sprintf("$%s", it.Lit)
	}
	return fmt.Sprintf("%q", it.Tok.String())
}

func (p *parser) expect(t Token) Item {
	if p.tok() != t {
		p.errorAt(p.cur().Pos, "expected %q, found %s", t.String(), p.describe(p.cur()))
		panic(ruleError{})
	}
	return p.advance()
}

func (p *parser) parseFile(f *SourceFile) {
	for p.tok() != EOF {
		start := p.i
		func() {
			defer func() {
				if r := recover(); r != nil {
					if _, ok := r.(ruleError); !ok {
						panic(r)
					}
					p.sync(start)
				}
			}()
			switch p.tok() {
			case IMPORT:
				pos := p.advance().Pos
				f.Items = append(f.Items, &Import{Pos: pos, Module: p.expect(TEXT).Lit})
			case INCLUDE:
				pos := p.advance().Pos
				f.Items = append(f.Items, &Include{Pos: pos, Path: p.expect(TEXT).Lit})
			case RULE, GLOBAL, PRIVATE:
				f.Items = append(f.Items, p.parseRule())
			default:
				p.errorAt(p.cur().Pos, "expected rule, import or include, found %s", p.describe(p.cur()))
				panic(ruleError{})
			}
		}()
	}
}

// sync skips to the next token that can start a declaration.
func (p *parser) sync(start int) {
	if p.i == start {
		p.advance()
	}
	for p.tok() != EOF {
		t := p.tok()
		if t == IMPORT || t == INCLUDE || t == RULE && (p.i == 0 || p.toks[p.i-1].Tok != COLON) {
			// back up over global/private modifiers
			for p.i > 0 && (p.toks[p.i-1].Tok == GLOBAL || p.toks[p.i-1].Tok == PRIVATE) && p.i-1 > start {
				p.i--
			}
			return
		}
		p.advance()
	}
}

func (p *parser) parseRule() *Rule {
	r := &Rule{Pos: p.cur().Pos}
	for p.tok() == GLOBAL || p.tok() == PRIVATE {
		if p.advance().Tok == GLOBAL {
			r.Global = true
		} else {
			r.Private = true
		}
	}
	p.expect(RULE)
	id := p.expect(IDENT)
	r.Name = id.Lit
	r.Pos = id.Pos
	if p.tok() == COLON {
		p.advance()
		for p.tok() == IDENT {
			r.Tags = append(r.Tags, p.advance().Lit)
		}
		if len(r.Tags) == 0 {
			p.errorAt(p.cur().Pos, "expected tag after ':'")
			panic(ruleError{})
		}
	}
	p.expect(LBRACE)
	if p.tok() == META {
		p.advance()
		p.expect(COLON)
		for p.tok() == IDENT || p.tok().IsKeyword() && p.peek(1) == ASSIGN {
			r.Meta = append(r.Meta, p.parseMeta())
		}
	}
	if p.tok() == STRINGS {
		p.advance()
		p.expect(COLON)
		for p.tok() == STRINGID {
			r.Strings = append(r.Strings, p.parseString())
		}
		if len(r.Strings) == 0 {
			p.errorAt(p.cur().Pos, "expected string definition, found %s", p.describe(p.cur()))
			panic(ruleError{})
		}
	}
	r.CondPos = p.expect(CONDITION).Pos
	p.expect(COLON)
	r.Cond = p.parseExpr()
	p.expect(RBRACE)
	return r
}

func (p *parser) parseMeta() *Meta {
	key := p.advance()
	m := &Meta{Pos: key.Pos, Key: key.Lit}
	if key.Lit == "" {
		m.Key = key.Tok.String()
	}
	p.expect(ASSIGN)
	neg := false
	if p.tok() == SUB {
		p.advance()
		neg = true
	}
	v := p.advance()
	switch {
	case v.Tok == TEXT && !neg:
		m.Value = v.Lit
	case v.Tok == INT:
		if neg {
			m.Value = -v.I
		} else {
			m.Value = v.I
		}
	case (v.Tok == TRUE || v.Tok == FALSE) && !neg:
		m.Value = v.Tok == TRUE
	default:
		p.errorAt(v.Pos, "expected meta value, found %s", p.describe(v))
		panic(ruleError{})
	}
	return m
}

func (p *parser) parseString() *StringDef {
	id := p.advance()
	s := &StringDef{Pos: id.Pos, ID: id.Lit}
	if strings.HasSuffix(id.Lit, "*") {
		p.errorAt(id.Pos, "invalid string identifier $%s", id.Lit)
		panic(ruleError{})
	}
	p.expect(ASSIGN)
	v := p.advance()
	switch v.Tok {
	case TEXT:
		s.Kind = TextString
	case HEX:
		s.Kind = HexString
	case REGEX:
		s.Kind = RegexString
		s.Flags = v.Flags
	default:
		p.errorAt(v.Pos, "expected text, hex or regular expression after '=', found %s", p.describe(v))
		panic(ruleError{})
	}
	s.Value = v.Lit
	for {
		t := p.tok()
		switch t {
		case NOCASE, WIDE, ASCII, FULLWORD, PRIVATE:
			s.Mods = append(s.Mods, Modifier{Pos: p.advance().Pos, Tok: t})
		case XOR:
			m := Modifier{Pos: p.advance().Pos, Tok: t, XorMin: 0, XorMax: 255}
			if p.tok() == LPAREN {
				p.advance()
				m.HasArg = true
				lo := p.expect(INT)
				m.XorMin, m.XorMax = int(lo.I), int(lo.I)
				if p.tok() == SUB {
					p.advance()
					m.XorMax = int(p.expect(INT).I)
				}
				p.expect(RPAREN)
			}
			s.Mods = append(s.Mods, m)
		case BASE64, BASE64WIDE:
			m := Modifier{Pos: p.advance().Pos, Tok: t}
			if p.tok() == LPAREN {
				p.advance()
				m.HasArg = true
				m.Alphabet = p.expect(TEXT).Lit
				p.expect(RPAREN)
			}
			s.Mods = append(s.Mods, m)
		default:
			return s
		}
	}
}
