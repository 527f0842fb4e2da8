package j1ql

import "strings"

// RETURN, ORDER BY.

func (p *parser) parseReturn() *Return {
	r := &Return{Pos: p.tok.pos}
	p.next()
	if p.tok.isKeyword("TREE") {
		r.Tree = true
		p.next()
		return r
	}
	for {
		start := p.tok.pos
		it := ReturnItem{Expr: p.parseExpr()}
		it.Text = strings.Join(strings.Fields(p.src[start:max(start, p.prevEnd)]), " ")
		if p.tok.isKeyword("AS") {
			p.next()
			switch t := p.tok; t.kind {
			case tString:
				it.As, it.Quoted = t.lit, true
				p.next()
			case tIdent:
				it.As = t.lit
				p.next()
			default:
				p.errorExpected("an output name")
			}
		}
		r.Items = append(r.Items, it)
		if p.tok.kind != tComma {
			break
		}
		p.next()
	}
	if p.tok.isKeyword("HAVING") {
		p.next()
		r.Having = p.parseOr()
	}
	return r
}

func (p *parser) parseOrderKeys() []OrderKey {
	var keys []OrderKey
	for {
		var ref *Ref
		switch p.tok.kind {
		case tIdent, tBracket:
			ref = p.parseRef()
		case tString:
			ref = &Ref{Pos: p.tok.pos, Parts: []string{p.tok.lit}, Quoted: true}
			p.next()
		default:
			p.errorExpected("a sort key")
			return keys
		}
		k := OrderKey{Key: ref}
		switch {
		case p.tok.isKeyword("DESC"):
			k.Desc = true
			p.next()
		case p.tok.isKeyword("ASC"):
			p.next()
		}
		keys = append(keys, k)
		if p.tok.kind != tComma {
			return keys
		}
		p.next()
	}
}

// Arithmetic expressions of RETURN.

func (p *parser) parseExpr() Expr {
	x := p.parseTerm()
	for p.tok.kind == tPlus || p.tok.kind == tMinus {
		op := p.tok
		p.next()
		x = &Arith{Pos: op.pos, Op: op.lit, X: x, Y: p.parseTerm()}
	}
	return x
}

func (p *parser) parseTerm() Expr {
	x := p.parsePower()
	for p.tok.kind == tStar || p.tok.kind == tSlash {
		op := p.tok
		p.next()
		x = &Arith{Pos: op.pos, Op: op.lit, X: x, Y: p.parsePower()}
	}
	return x
}

func (p *parser) parsePower() Expr {
	x := p.parseAtom()
	if p.tok.kind == tCaret {
		op := p.tok
		p.next()
		x = &Arith{Pos: op.pos, Op: "^", X: x, Y: p.parseAtom()}
	}
	return x
}

func (p *parser) parseAtom() Expr {
	t := p.tok
	switch t.kind {
	case tNumber:
		return p.parseNumber(false)
	case tMinus:
		p.next()
		if p.tok.kind == tNumber {
			return p.parseNumber(true)
		}
		return &Arith{Pos: t.pos, Op: "-", X: &Literal{Pos: t.pos, Kind: LitNumber, Value: int64(0), Text: "0"}, Y: p.parseAtom()}
	case tString:
		p.next()
		return &Literal{Pos: t.pos, Kind: LitString, Value: t.lit}
	case tLParen:
		p.next()
		x := p.parseExpr()
		p.expect(tRParen, `")"`)
		return &Paren{Pos: t.pos, X: x}
	case tIdent, tBracket:
		if lit := p.parseWordLiteral(); lit != nil {
			return lit
		}
		if t.kind == tIdent && t.isReserved() {
			break
		}
		r := p.parseRef()
		if len(r.Parts) == 1 && !r.Bracket && !r.Star && p.tok.kind == tLParen {
			return p.parseCall(r)
		}
		return r
	}
	p.errorExpected("a value to return")
	if t.kind != tEOF && !t.isReserved() {
		p.next()
	}
	return &Literal{Pos: t.pos, Kind: LitUndefined}
}

func (p *parser) parseCall(name *Ref) Expr {
	c := &Call{Pos: name.Pos, Name: strings.ToLower(name.Parts[0])}
	p.next() // (
	if p.tok.kind != tRParen {
		for {
			c.Args = append(c.Args, p.parseExpr())
			if p.tok.kind != tComma {
				break
			}
			p.next()
		}
	}
	p.expect(tRParen, `"," or ")"`)
	return c
}
