package j1ql

import (
	"strconv"
	"strings"
	"time"
)

// maxErrors is how many errors Parse collects before it gives up.
const maxErrors = 10

// MaxLimit is the largest LIMIT a query may ask for.
const MaxLimit = 100000

// bailout unwinds the parser after too many errors; only Parse catches it.
type bailout struct{}

// parser is a recursive-descent parser with one token of lookahead.
type parser struct {
	src     string
	lex     *lexer
	tok     token
	prevEnd int // end offset of the last consumed token
	errs    ErrorList
	syncPos int // last position advance() synchronised at
	syncCnt int
}

// Parse parses one J1QL query. On error it returns a partial query and an
// ErrorList whose entries read "line:col: expected X, found Y".
func Parse(src string) (q *Query, err error) {
	p := &parser{src: src}
	p.lex = newLexer(src, p.errorf)
	p.next()
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(bailout); !ok {
				panic(r)
			}
		}
		p.errs = p.errs.sortAndDedupe()
		err = p.errs.Err()
	}()
	q = p.parseQuery()
	return q, nil
}

func (p *parser) next() {
	p.prevEnd = p.tok.end
	p.tok = p.lex.next()
}

// errorf records an error at pos, dropping a second one on the same line.
func (p *parser) errorf(pos int, format string, args ...any) {
	e := newError(p.src, pos, format, args...)
	if n := len(p.errs); n > 0 && p.errs[n-1].Line == e.Line {
		return
	}
	p.errs = append(p.errs, e)
	if len(p.errs) >= maxErrors {
		panic(bailout{})
	}
}

// errorExpected reports "expected what, found <current token>".
func (p *parser) errorExpected(what string) {
	if p.tok.kind == tIllegal {
		return // the lexer already said what is wrong
	}
	p.errorf(p.tok.pos, "expected %s, found %s", what, p.tok.describe())
}

// expect consumes a token of kind k, reporting an error if it is another
// kind; it advances either way so that parsing always makes progress.
func (p *parser) expect(k tokenKind, what string) token {
	t := p.tok
	if t.kind != k {
		p.errorExpected(what)
	}
	if t.kind != tEOF {
		p.next()
	}
	return t
}

func (p *parser) expectKeyword(kw string) {
	if !p.tok.isKeyword(kw) {
		p.errorExpected(`"` + kw + `"`)
		if p.tok.kind == tEOF || p.tok.isReserved() {
			return
		}
	}
	p.next()
}

// advance skips tokens up to the next clause keyword, guarding against
// looping at the same position.
func (p *parser) advance() {
	if p.tok.pos == p.syncPos {
		p.syncCnt++
		if p.syncCnt > 3 && p.tok.kind != tEOF {
			p.next()
		}
	} else {
		p.syncPos, p.syncCnt = p.tok.pos, 0
	}
	for p.tok.kind != tEOF {
		for _, kw := range [...]string{"THAT", "WHERE", "RETURN", "ORDER", "SKIP", "LIMIT"} {
			if p.tok.isKeyword(kw) && p.tok.pos != p.syncPos {
				p.syncPos = p.tok.pos
				return
			}
		}
		p.next()
	}
}

// Clause stages, in the order clauses must appear.
const (
	stageSteps = iota
	stageWhere
	stageReturn
	stageOrder
	stageSkip
	stageLimit
)

func (p *parser) parseQuery() *Query {
	q := &Query{Pos: p.tok.pos}
	switch {
	case p.tok.isKeyword("FIND"):
		p.next()
	case p.tok.kind == tString:
		// FIND may be left out before a full-text search.
	default:
		p.errorExpected(`"FIND"`)
		if !p.tok.isReserved() && p.tok.kind == tIdent {
			p.next()
		}
	}
	if p.tok.isKeyword("UNIQUE") {
		q.Unique = true
		p.next()
	}
	q.Start = p.parseSelector()
	stage := stageSteps
	for p.tok.kind != tEOF {
		t := p.tok
		switch {
		case (t.isKeyword("THAT") || t.kind == tLParen) && stage == stageSteps:
			q.Steps = append(q.Steps, p.parseStep())
		case t.isKeyword("WHERE") && stage < stageWhere:
			stage = stageWhere
			p.next()
			q.Where = p.parseOr()
		case t.isKeyword("RETURN") && stage < stageReturn:
			stage = stageReturn
			q.Return = p.parseReturn()
		case t.isKeyword("ORDER") && stage < stageOrder:
			stage = stageOrder
			p.next()
			p.expectKeyword("BY")
			q.OrderBy = p.parseOrderKeys()
		case t.isKeyword("SKIP") && stage < stageSkip:
			stage = stageSkip
			p.next()
			q.Skip, q.HasSkip = p.parseCount("SKIP", 0), true
		case t.isKeyword("LIMIT") && stage < stageLimit:
			stage = stageLimit
			p.next()
			q.Limit, q.HasLimit = p.parseCount("LIMIT", 1), true
		case t.isKeyword("WITH"):
			p.errorf(t.pos, "expected %s, found \"WITH\" (a WITH filter comes before the AS alias)", expectedAfter(stage))
			p.next()
			p.advance()
		default:
			p.errorExpected(expectedAfter(stage))
			p.next()
			p.advance()
		}
	}
	return q
}

// expectedAfter lists what may follow at a clause stage.
func expectedAfter(stage int) string {
	switch stage {
	case stageSteps:
		return `"THAT", "(", "WHERE", "RETURN", "ORDER BY", "LIMIT" or end of query`
	case stageWhere:
		return `"AND", "OR", "RETURN", "ORDER BY", "LIMIT" or end of query`
	case stageReturn:
		return `",", "ORDER BY", "LIMIT" or end of query`
	case stageOrder:
		return `",", "SKIP", "LIMIT" or end of query`
	}
	return "end of query"
}

// parseCount parses the integer of SKIP or LIMIT.
func (p *parser) parseCount(clause string, min int64) int64 {
	t := p.tok
	if t.kind != tNumber {
		p.errorExpected("a whole number after " + clause)
		return min
	}
	p.next()
	n, err := strconv.ParseInt(t.lit, 10, 64)
	if err != nil || n < min || n > MaxLimit && clause == "LIMIT" {
		p.errorf(t.pos, "%s must be a whole number between %d and %d, found %s", clause, min, MaxLimit, t.lit)
		return min
	}
	return n
}

func (p *parser) parseAlias() *Ident {
	t := p.tok
	if t.kind != tIdent || t.isReserved() {
		p.errorExpected("an alias name")
		if t.kind != tEOF && !t.isReserved() {
			p.next()
		}
		return nil
	}
	p.next()
	return &Ident{Pos: t.pos, Name: t.lit}
}

func (p *parser) parseSelector() *Selector {
	s := &Selector{Pos: p.tok.pos}
	t := &s.Target
	if p.tok.kind == tSmart {
		t.Smart = p.tok.lit
		p.next()
		switch {
		case p.tok.kind == tIdent && !p.tok.isReserved():
		case p.tok.kind == tLParen:
		default:
			t.Kind = TargetAny
			p.parseWithAndAlias(s)
			return s
		}
	}
	switch tok := p.tok; {
	case tok.kind == tStar && t.Smart == "":
		t.Kind = TargetAny
		p.next()
	case tok.kind == tString && t.Smart == "":
		t.Kind = TargetFullText
		t.Text = tok.lit
		p.next()
	case tok.kind == tLParen:
		p.next()
		t.Kind, t.Union = TargetWords, true
		for {
			t.Words = append(t.Words, p.parseWord())
			if p.tok.kind != tPipe {
				break
			}
			p.next()
		}
		p.expect(tRParen, `"|" or ")"`)
	case tok.kind == tIdent && !tok.isReserved():
		t.Kind = TargetWords
		t.Words = []Word{p.parseWord()}
	default:
		p.errorExpected(`a class, a type, "*" or "("`)
		t.Kind = TargetAny
		if tok.kind != tEOF && !tok.isReserved() {
			p.next()
		}
	}
	p.parseWithAndAlias(s)
	return s
}

func (p *parser) parseWithAndAlias(s *Selector) {
	if p.tok.isKeyword("WITH") {
		p.next()
		s.With = p.parseOr()
	}
	if p.tok.isKeyword("AS") {
		p.next()
		s.Alias = p.parseAlias()
	}
}

// parseWord parses a class or type name: upper-case first letter → class.
func (p *parser) parseWord() Word {
	t := p.tok
	if t.kind != tIdent || t.isReserved() {
		p.errorExpected("a class or type name")
		if t.kind != tEOF && t.kind != tRParen && !t.isReserved() {
			p.next()
		}
		return Word{Name: "?"}
	}
	p.next()
	return Word{Name: t.lit, Class: t.lit[0] >= 'A' && t.lit[0] <= 'Z'}
}

func (p *parser) parseStep() Step {
	if p.tok.kind == tLParen {
		return p.parseOptional()
	}
	return p.parseTraversal()
}

func (p *parser) parseOptional() *Optional {
	o := &Optional{Pos: p.tok.pos}
	p.next()
	for p.tok.isKeyword("THAT") || p.tok.kind == tLParen {
		o.Steps = append(o.Steps, p.parseStep())
	}
	if len(o.Steps) == 0 {
		p.errorExpected(`"THAT" to start an optional group`)
	}
	p.expect(tRParen, `"THAT" or ")"`)
	p.expect(tQuestion, `"?" after an optional group`)
	if p.tok.isKeyword("AS") {
		p.next()
		o.Alias = p.parseAlias()
	}
	return o
}

func (p *parser) parseTraversal() *Traversal {
	tr := &Traversal{Pos: p.tok.pos}
	p.next() // THAT
	if p.tok.kind == tBang {
		tr.Negated = true
		p.next()
	}
	if p.tok.kind == tLParen {
		p.next()
		tr.Union = true
		any := false
		for {
			v := p.parseVerb()
			if v == "" {
				any = true
			}
			tr.Verbs = append(tr.Verbs, v)
			if p.tok.kind != tPipe {
				break
			}
			p.next()
		}
		p.expect(tRParen, `"|" or ")"`)
		if any {
			tr.Verbs, tr.Union = nil, false
		}
	} else if v := p.parseVerb(); v != "" {
		tr.Verbs = []string{v}
	}
	switch p.tok.kind {
	case tOut:
		tr.Dir = Outgoing
		p.next()
	case tIn:
		tr.Dir = Incoming
		p.next()
	}
	if p.tok.isKeyword("AS") {
		p.next()
		tr.Alias = p.parseAlias()
	}
	tr.Target = p.parseSelector()
	return tr
}

// parseVerb parses a relationship verb; "" stands for RELATES TO.
func (p *parser) parseVerb() string {
	t := p.tok
	if t.isKeyword("RELATES") {
		p.next()
		p.expectKeyword("TO")
		return ""
	}
	if t.kind != tIdent || t.isReserved() {
		p.errorExpected("a relationship verb")
		if t.kind != tEOF && !t.isReserved() {
			p.next()
		}
		return "?"
	}
	p.next()
	if p.tok.isKeyword("TO") {
		p.next()
	}
	return strings.ToUpper(t.lit)
}

// Filters.

func (p *parser) parseOr() Expr {
	x := p.parseAnd()
	for p.tok.isKeyword("OR") {
		pos := p.tok.pos
		p.next()
		x = &Logical{Pos: pos, Op: "OR", X: x, Y: p.parseAnd()}
	}
	return x
}

func (p *parser) parseAnd() Expr {
	x := p.parseFactor()
	for p.tok.isKeyword("AND") {
		pos := p.tok.pos
		p.next()
		x = &Logical{Pos: pos, Op: "AND", X: x, Y: p.parseFactor()}
	}
	return x
}

func (p *parser) parseFactor() Expr {
	if p.tok.kind == tLParen {
		pos := p.tok.pos
		p.next()
		x := p.parseOr()
		p.expect(tRParen, `")"`)
		return &Paren{Pos: pos, X: x}
	}
	return p.parseComparison()
}

func (p *parser) parseComparison() Expr {
	c := &Comparison{Pos: p.tok.pos}
	c.Left = p.parseOperand()
	if !p.tok.kind.isComparison() {
		p.errorExpected("a comparison operator (= != > >= < <= ~= ^= $= !~= !^= !$=)")
		c.Op, c.Right = "=", &Literal{Pos: p.tok.pos, Kind: LitUndefined}
		return c
	}
	c.Op = p.tok.lit
	p.next()
	if p.tok.kind == tLParen {
		c.Right = p.parseValueSet()
	} else {
		c.Right = p.parseOperand()
	}
	return c
}

func (p *parser) parseValueSet() Expr {
	vs := &ValueSet{Pos: p.tok.pos}
	p.next()
	if p.tok.isKeyword("FIND") {
		p.errorf(p.tok.pos, "subqueries are not supported")
	}
	for {
		vs.Values = append(vs.Values, p.parseOperand())
		if !p.tok.isKeyword("OR") && !p.tok.isKeyword("AND") {
			break
		}
		op := strings.ToUpper(p.tok.lit)
		if vs.Op != "" && vs.Op != op {
			p.errorf(p.tok.pos, "a value set joins its values with OR or with AND, not both")
		}
		vs.Op = op
		p.next()
	}
	if vs.Op == "" {
		vs.Op = "OR"
	}
	p.expect(tRParen, `"OR", "AND" or ")"`)
	return vs
}

// parseOperand parses one side of a comparison: a literal, a date, a
// parameter or a property reference.
func (p *parser) parseOperand() Expr {
	t := p.tok
	switch t.kind {
	case tString:
		p.next()
		return &Literal{Pos: t.pos, Kind: LitString, Value: t.lit}
	case tNumber:
		return p.parseNumber(false)
	case tMinus:
		p.next()
		if p.tok.kind == tNumber {
			return p.parseNumber(true)
		}
		p.errorExpected("a number after \"-\"")
		return &Literal{Pos: t.pos, Kind: LitUndefined}
	case tRegex:
		p.next()
		return &Literal{Pos: t.pos, Kind: LitRegex, Value: t.lit, Text: t.aux}
	case tParam:
		p.next()
		return &Param{Pos: t.pos, Name: t.lit}
	case tIdent, tBracket:
		if lit := p.parseWordLiteral(); lit != nil {
			return lit
		}
		if t.isReserved() {
			break
		}
		r := p.parseRef()
		if len(r.Parts) == 1 && strings.EqualFold(r.Parts[0], "date") && p.tok.kind == tLParen && !r.Bracket {
			return p.parseDateISO(r.Pos)
		}
		if len(r.Parts) == 2 && strings.EqualFold(r.Parts[0], "date") && strings.EqualFold(r.Parts[1], "now") && !r.Bracket {
			return p.parseDateMath(r.Pos)
		}
		return r
	}
	p.errorExpected("a property or a value")
	if t.kind != tEOF && !t.isReserved() && t.kind != tRParen {
		p.next()
	}
	return &Literal{Pos: t.pos, Kind: LitUndefined}
}

// parseWordLiteral parses true, false and undefined, or returns nil.
func (p *parser) parseWordLiteral() Expr {
	t := p.tok
	if t.kind != tIdent {
		return nil
	}
	switch strings.ToLower(t.lit) {
	case "true", "false":
		p.next()
		return &Literal{Pos: t.pos, Kind: LitBool, Value: strings.EqualFold(t.lit, "true")}
	case "undefined":
		p.next()
		return &Literal{Pos: t.pos, Kind: LitUndefined}
	}
	return nil
}

func (p *parser) parseNumber(neg bool) Expr {
	t := p.tok
	p.next()
	text := t.lit
	if neg {
		text = "-" + text
	}
	if !strings.Contains(text, ".") {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return &Literal{Pos: t.pos, Kind: LitNumber, Value: n, Text: text}
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		p.errorf(t.pos, "bad number %s", text)
	}
	return &Literal{Pos: t.pos, Kind: LitNumber, Value: f, Text: text}
}

// parseRef parses name{.name}[.[bracket]] or a bracketed name, and alias.*.
func (p *parser) parseRef() *Ref {
	r := &Ref{Pos: p.tok.pos}
	if p.tok.kind == tBracket {
		r.Parts, r.Bracket = []string{p.tok.lit}, true
		p.next()
		return r
	}
	r.Parts = []string{p.tok.lit}
	p.next()
	for p.tok.kind == tDot {
		p.next()
		switch p.tok.kind {
		case tIdent:
			r.Parts = append(r.Parts, p.tok.lit)
			p.next()
			continue
		case tBracket:
			r.Parts = append(r.Parts, p.tok.lit)
			r.Bracket = true
			p.next()
		case tStar:
			r.Star = true
			p.next()
		default:
			p.errorExpected(`a property name, "[name]" or "*" after "."`)
		}
		break
	}
	return r
}

// dateUnits maps the accepted date-math units to their length.
var dateUnits = map[string]time.Duration{
	"hour": time.Hour, "hr": time.Hour, "hours": time.Hour, "hrs": time.Hour,
	"day": 24 * time.Hour, "days": 24 * time.Hour,
	"month": 30 * 24 * time.Hour, "mo": 30 * 24 * time.Hour, "months": 30 * 24 * time.Hour, "mos": 30 * 24 * time.Hour,
	"year": 365 * 24 * time.Hour, "yr": 365 * 24 * time.Hour, "years": 365 * 24 * time.Hour, "yrs": 365 * 24 * time.Hour,
}

func (p *parser) parseDateMath(pos int) Expr {
	d := &DateExpr{Pos: pos}
	if p.tok.kind != tMinus && p.tok.kind != tPlus {
		return d
	}
	d.Sign = 1
	if p.tok.kind == tMinus {
		d.Sign = -1
	}
	p.next()
	if p.tok.kind != tNumber {
		p.errorExpected("a number in date math")
		return d
	}
	d.Amount, _ = strconv.ParseFloat(p.tok.lit, 64)
	p.next()
	u := p.tok
	if u.kind != tIdent || dateUnits[strings.ToLower(u.lit)] == 0 {
		p.errorExpected("a date unit (hours, days, months or years)")
		return d
	}
	d.Unit = strings.ToLower(u.lit)
	p.next()
	return d
}

// isoLayouts are the forms date(…) accepts.
var isoLayouts = []string{
	"2006", "2006-01", "2006-01-02", "2006-01-02T15Z07:00", "2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15", "2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999",
}

// parseISODate parses the text of date(…); a missing zone means UTC.
func parseISODate(s string) (time.Time, bool) {
	for _, l := range isoLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func (p *parser) parseDateISO(pos int) Expr {
	// The current token is "(": the lexer stands just after it.
	text, at, ok := p.lex.rawUntil(')')
	p.tok = token{kind: tRParen, pos: at + len(text), end: at + len(text) + 1, lit: ")"}
	if !ok {
		p.errorf(at, "expected \")\" to close date(")
	}
	iso := strings.TrimSpace(text)
	if _, good := parseISODate(iso); !good {
		p.errorf(at, "bad date %q: expected date(YYYY), date(YYYY-MM-DD) or date(YYYY-MM-DDThh:mm:ssZ)", iso)
	}
	p.next()
	return &DateExpr{Pos: pos, ISO: iso}
}
