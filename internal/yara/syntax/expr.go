package syntax

// Expression grammar, lowest precedence first (as in YARA's grammar):
//   or; and; not, defined; == != contains ... matches; < <= > >=;
//   |; ^; &; << >>; + -; * \ %; unary - and ~.
// `of`, `at` and `in` take arithmetic operands.

func (p *parser) enter() {
	p.depth++
	if p.depth > maxExprDepth {
		p.errorAt(p.cur().Pos, "expression nested too deeply")
		panic(ruleError{})
	}
}

func (p *parser) leave() { p.depth-- }

func (p *parser) parseExpr() Expr {
	p.enter()
	defer p.leave()
	x := p.parseAnd()
	for p.tok() == OR {
		pos := p.advance().Pos
		x = &Binary{Pos: pos, Op: OR, X: x, Y: p.parseAnd()}
	}
	return x
}

func (p *parser) parseAnd() Expr {
	x := p.parseNot()
	for p.tok() == AND {
		pos := p.advance().Pos
		x = &Binary{Pos: pos, Op: AND, X: x, Y: p.parseNot()}
	}
	return x
}

func (p *parser) parseNot() Expr {
	if p.tok() == NOT || p.tok() == DEFINED {
		p.enter()
		defer p.leave()
		it := p.advance()
		return &Unary{Pos: it.Pos, Op: it.Tok, X: p.parseNot()}
	}
	return p.parseEquality()
}

func isEqualityOp(t Token) bool {
	switch t {
	case EQ, NEQ, CONTAINS, ICONTAINS, STARTSWITH, ISTARTSWITH, ENDSWITH, IENDSWITH, IEQUALS, MATCHES:
		return true
	}
	return false
}

func (p *parser) parseEquality() Expr {
	x := p.parseRelational()
	for isEqualityOp(p.tok()) {
		it := p.advance()
		x = &Binary{Pos: it.Pos, Op: it.Tok, X: x, Y: p.parseRelational()}
	}
	return x
}

func (p *parser) parseRelational() Expr {
	x := p.parseOperand()
	for p.tok() == LT || p.tok() == LE || p.tok() == GT || p.tok() == GE {
		it := p.advance()
		x = &Binary{Pos: it.Pos, Op: it.Tok, X: x, Y: p.parseOperand()}
	}
	return x
}

// parseOperand parses an arithmetic expression, then a trailing `of`.
func (p *parser) parseOperand() Expr {
	if t := p.tok(); (t == ALL || t == ANY || t == NONE) && p.peek(1) == OF {
		it := p.advance()
		return p.parseOf(&Quant{Pos: it.Pos, Tok: t})
	}
	x := p.parseBinary(0)
	if p.tok() == OF {
		return p.parseOf(&Quant{Pos: x.Position(), X: x})
	}
	if p.tok() == MOD && p.peek(1) == OF {
		p.advance()
		return p.parseOf(&Quant{Pos: x.Position(), X: x, Percent: true})
	}
	return x
}

var binLevels = [][]Token{
	{OR_BIT}, {XOR_BIT}, {AND_BIT}, {SHL, SHR}, {ADD, SUB}, {MUL, DIV, MOD},
}

func (p *parser) parseBinary(level int) Expr {
	if level == len(binLevels) {
		return p.parseUnary()
	}
	p.enter()
	defer p.leave()
	x := p.parseBinary(level + 1)
	for {
		t := p.tok()
		found := false
		for _, op := range binLevels[level] {
			if t == op {
				found = true
			}
		}
		if !found || t == MOD && p.peek(1) == OF {
			return x
		}
		it := p.advance()
		x = &Binary{Pos: it.Pos, Op: t, X: x, Y: p.parseBinary(level + 1)}
	}
}

func (p *parser) parseUnary() Expr {
	if p.tok() == SUB || p.tok() == NOT_BIT {
		p.enter()
		defer p.leave()
		it := p.advance()
		return &Unary{Pos: it.Pos, Op: it.Tok, X: p.parseUnary()}
	}
	return p.parsePostfix(p.parsePrimary())
}

func (p *parser) parsePostfix(x Expr) Expr {
	for {
		switch p.tok() {
		case DOT:
			p.advance()
			id := p.expect(IDENT)
			x = &Member{Pos: id.Pos, X: x, Name: id.Lit}
		case LBRACK:
			pos := p.advance().Pos
			idx := p.parseExpr()
			p.expect(RBRACK)
			x = &Index{Pos: pos, X: x, Index: idx}
		case LPAREN:
			pos := p.advance().Pos
			c := &Call{Pos: pos, Fun: x}
			for p.tok() != RPAREN {
				c.Args = append(c.Args, p.parseExpr())
				if p.tok() != COMMA {
					break
				}
				p.advance()
			}
			p.expect(RPAREN)
			x = c
		default:
			return x
		}
	}
}

func (p *parser) parsePrimary() Expr {
	it := p.cur()
	switch it.Tok {
	case INT:
		p.advance()
		return &IntLit{Pos: it.Pos, V: it.I}
	case FLOAT:
		p.advance()
		return &FloatLit{Pos: it.Pos, V: it.F}
	case TEXT:
		p.advance()
		return &TextLit{Pos: it.Pos, V: it.Lit}
	case REGEX:
		p.advance()
		return &RegexLit{Pos: it.Pos, Src: it.Lit, Flags: it.Flags}
	case TRUE, FALSE:
		p.advance()
		return &BoolLit{Pos: it.Pos, V: it.Tok == TRUE}
	case FILESIZE, ENTRYPOINT:
		p.advance()
		return &Keyword{Pos: it.Pos, Tok: it.Tok}
	case IDENT:
		p.advance()
		return &Ident{Pos: it.Pos, Name: it.Lit}
	case LPAREN:
		p.advance()
		x := p.parseExpr()
		p.expect(RPAREN)
		return x
	case STRINGID:
		p.advance()
		if len(it.Lit) > 0 && it.Lit[len(it.Lit)-1] == '*' {
			p.errorAt(it.Pos, "wildcard string identifier $%s not allowed here", it.Lit)
			panic(ruleError{})
		}
		r := &StrRef{Pos: it.Pos, ID: it.Lit}
		if p.tok() == AT {
			p.advance()
			r.At = p.parseBinary(0)
		} else if p.tok() == IN {
			p.advance()
			r.In = p.parseRange()
		}
		return r
	case STRCOUNT:
		p.advance()
		c := &StrCount{Pos: it.Pos, ID: it.Lit}
		if p.tok() == IN {
			p.advance()
			c.In = p.parseRange()
		}
		return c
	case STROFFSET, STRLENGTH:
		p.advance()
		var idx Expr
		if p.tok() == LBRACK {
			p.advance()
			idx = p.parseExpr()
			p.expect(RBRACK)
		}
		if it.Tok == STROFFSET {
			return &StrOffset{Pos: it.Pos, ID: it.Lit, Index: idx}
		}
		return &StrLength{Pos: it.Pos, ID: it.Lit, Index: idx}
	case FOR:
		return p.parseFor()
	}
	p.errorAt(it.Pos, "unexpected %s in condition", p.describe(it))
	panic(ruleError{})
}

func (p *parser) parseRange() *Range {
	pos := p.expect(LPAREN).Pos
	lo := p.parseBinary(0)
	p.expect(DOTDOT)
	hi := p.parseBinary(0)
	p.expect(RPAREN)
	return &Range{Pos: pos, Lo: lo, Hi: hi}
}

func (p *parser) parseOf(q *Quant) Expr {
	pos := p.expect(OF).Pos
	o := &Of{Pos: pos, Quant: q}
	if p.tok() == THEM {
		p.advance()
		o.Them = true
	} else {
		p.expect(LPAREN)
		if p.tok() == STRINGID {
			o.Strings = p.parseSetItems(STRINGID)
		} else {
			o.Rules = p.parseSetItems(IDENT)
		}
		p.expect(RPAREN)
	}
	if o.Rules == nil {
		if p.tok() == AT {
			p.advance()
			o.At = p.parseBinary(0)
		} else if p.tok() == IN {
			p.advance()
			o.In = p.parseRange()
		}
	}
	return o
}

func (p *parser) parseSetItems(kind Token) []SetItem {
	var items []SetItem
	for {
		it := p.expect(kind)
		name := it.Lit
		wild := false
		if kind == STRINGID && len(name) > 0 && name[len(name)-1] == '*' {
			name, wild = name[:len(name)-1], true
		}
		if kind == IDENT && p.tok() == MUL {
			p.advance()
			wild = true
		}
		items = append(items, SetItem{Pos: it.Pos, Name: name, Wildcard: wild})
		if p.tok() != COMMA {
			return items
		}
		p.advance()
	}
}

func (p *parser) parseFor() Expr {
	p.enter()
	defer p.leave()
	pos := p.advance().Pos
	f := &For{Pos: pos}
	switch p.tok() {
	case ALL, ANY, NONE:
		it := p.advance()
		f.Quant = &Quant{Pos: it.Pos, Tok: it.Tok}
	default:
		x := p.parseBinary(0)
		f.Quant = &Quant{Pos: x.Position(), X: x}
		if p.tok() == MOD {
			p.advance()
			f.Quant.Percent = true
		}
	}
	if p.tok() == OF {
		p.advance()
		f.IsOf = true
		if p.tok() == THEM {
			p.advance()
			f.Them = true
		} else {
			p.expect(LPAREN)
			f.Strings = p.parseSetItems(STRINGID)
			p.expect(RPAREN)
		}
	} else {
		for {
			f.Vars = append(f.Vars, p.expect(IDENT).Lit)
			if p.tok() != COMMA {
				break
			}
			p.advance()
		}
		p.expect(IN)
		if p.tok() == LPAREN {
			lp := p.advance().Pos
			first := p.parseBinary(0)
			if p.tok() == DOTDOT {
				p.advance()
				hi := p.parseBinary(0)
				f.Range = &Range{Pos: lp, Lo: first, Hi: hi}
			} else {
				f.List = []Expr{first}
				for p.tok() == COMMA {
					p.advance()
					f.List = append(f.List, p.parseBinary(0))
				}
			}
			p.expect(RPAREN)
		} else {
			f.Iter = p.parsePostfix(p.parsePrimary())
		}
	}
	p.expect(COLON)
	p.expect(LPAREN)
	f.Body = p.parseExpr()
	p.expect(RPAREN)
	return f
}
