package j1ql

import (
	"strings"
	"unicode/utf8"
)

// lexer turns query text into tokens, one at a time. It never stops: a bad
// character becomes a tIllegal token and an error reported through errf.
type lexer struct {
	src  string
	off  int
	prev token // last token returned, used to tell a regex from a division
	errf func(pos int, format string, args ...any)
}

func newLexer(src string, errf func(pos int, format string, args ...any)) *lexer {
	return &lexer{src: src, errf: errf}
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// skipSpace skips whitespace and /* comments */.
func (l *lexer) skipSpace() {
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			l.off++
		case c == '/' && l.off+1 < len(l.src) && l.src[l.off+1] == '*':
			end := strings.Index(l.src[l.off+2:], "*/")
			if end < 0 {
				l.errf(l.off, "comment not terminated")
				l.off = len(l.src)
				return
			}
			l.off += 2 + end + 2
		default:
			return
		}
	}
}

// regexAllowed reports whether a '/' here starts a regex: only where a
// value is expected (after a comparison, an opening parenthesis or AND/OR).
func (l *lexer) regexAllowed() bool {
	p := l.prev
	return p.kind.isComparison() || p.kind == tLParen || p.isKeyword("OR") || p.isKeyword("AND")
}

// next returns the next token.
func (l *lexer) next() token {
	t := l.scan()
	l.prev = t
	return t
}

func (l *lexer) scan() token {
	l.skipSpace()
	start := l.off
	if l.off >= len(l.src) {
		return token{kind: tEOF, pos: start, end: start}
	}
	c := l.src[l.off]
	mk := func(k tokenKind, n int) token {
		l.off += n
		return token{kind: k, pos: start, end: l.off, lit: l.src[start:l.off]}
	}
	peek := func(i int) byte {
		if l.off+i < len(l.src) {
			return l.src[l.off+i]
		}
		return 0
	}
	switch {
	case isLetter(c):
		for l.off < len(l.src) && (isLetter(l.src[l.off]) || isDigit(l.src[l.off])) {
			l.off++
		}
		return token{kind: tIdent, pos: start, end: l.off, lit: l.src[start:l.off]}
	case isDigit(c):
		for l.off < len(l.src) && isDigit(l.src[l.off]) {
			l.off++
		}
		if peek(0) == '.' && isDigit(peek(1)) {
			l.off++
			for l.off < len(l.src) && isDigit(l.src[l.off]) {
				l.off++
			}
		}
		return token{kind: tNumber, pos: start, end: l.off, lit: l.src[start:l.off]}
	case c == '\'' || c == '"':
		return l.scanString(c)
	case c == '[':
		end := strings.IndexByte(l.src[l.off+1:], ']')
		if end < 0 {
			l.errf(start, "bracketed name not terminated: expected \"]\"")
			l.off = len(l.src)
			return token{kind: tIllegal, pos: start, end: l.off, lit: l.src[start:]}
		}
		l.off += end + 2
		return token{kind: tBracket, pos: start, end: l.off, lit: l.src[start+1 : l.off-1]}
	case c == '$' && peek(1) == '{':
		end := strings.IndexByte(l.src[l.off:], '}')
		if end < 0 {
			l.errf(start, "parameter not terminated: expected \"}\"")
			l.off = len(l.src)
			return token{kind: tIllegal, pos: start, end: l.off, lit: l.src[start:]}
		}
		l.off += end + 1
		return token{kind: tParam, pos: start, end: l.off, lit: strings.TrimSpace(l.src[start+2 : l.off-1])}
	case c == '{' && peek(1) == '{':
		end := strings.Index(l.src[l.off:], "}}")
		n := len(l.src) - l.off
		if end >= 0 {
			n = end + 2
		}
		t := mk(tIllegal, n)
		l.errf(start, "placeholder %s must be substituted before the query runs", t.lit)
		return t
	case c == '#' && isLetter(peek(1)):
		l.off++
		for l.off < len(l.src) && (isLetter(l.src[l.off]) || isDigit(l.src[l.off])) {
			l.off++
		}
		return token{kind: tSmart, pos: start, end: l.off, lit: l.src[start+1 : l.off]}
	case c == '/' && l.regexAllowed():
		return l.scanRegex()
	}
	switch c {
	case '=':
		return mk(tEq, 1)
	case '!':
		switch {
		case peek(1) == '=':
			return mk(tNeq, 2)
		case peek(1) == '~' && peek(2) == '=':
			return mk(tNotContains, 3)
		case peek(1) == '^' && peek(2) == '=':
			return mk(tNotStarts, 3)
		case peek(1) == '$' && peek(2) == '=':
			return mk(tNotEnds, 3)
		}
		return mk(tBang, 1)
	case '>':
		switch peek(1) {
		case '=':
			return mk(tGte, 2)
		case '>':
			return mk(tOut, 2)
		}
		return mk(tGt, 1)
	case '<':
		switch peek(1) {
		case '=':
			return mk(tLte, 2)
		case '<':
			return mk(tIn, 2)
		}
		return mk(tLt, 1)
	case '~':
		if peek(1) == '=' {
			return mk(tContains, 2)
		}
	case '^':
		if peek(1) == '=' {
			return mk(tStarts, 2)
		}
		return mk(tCaret, 1)
	case '$':
		if peek(1) == '=' {
			return mk(tEnds, 2)
		}
	case '+':
		return mk(tPlus, 1)
	case '-':
		return mk(tMinus, 1)
	case '*':
		return mk(tStar, 1)
	case '/':
		return mk(tSlash, 1)
	case '(':
		return mk(tLParen, 1)
	case ')':
		return mk(tRParen, 1)
	case '|':
		return mk(tPipe, 1)
	case ',':
		return mk(tComma, 1)
	case '.':
		return mk(tDot, 1)
	case '?':
		return mk(tQuestion, 1)
	}
	r, size := utf8.DecodeRuneInString(l.src[l.off:])
	t := mk(tIllegal, size)
	switch r {
	case '“', '”', '‘', '’':
		l.errf(start, "typographic quote %q: use ' or \"", r)
	default:
		l.errf(start, "unexpected character %q", r)
	}
	return t
}

// scanString scans a quoted string; \', \" and \\ are escapes.
func (l *lexer) scanString(q byte) token {
	start := l.off
	l.off++
	var b strings.Builder
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == q:
			l.off++
			return token{kind: tString, pos: start, end: l.off, lit: b.String()}
		case c == '\\' && l.off+1 < len(l.src):
			b.WriteByte(l.src[l.off+1])
			l.off += 2
		default:
			b.WriteByte(c)
			l.off++
		}
	}
	l.errf(start, "string not terminated: expected %c", q)
	return token{kind: tString, pos: start, end: l.off, lit: b.String()}
}

// scanRegex scans /re/flags; \/ escapes a slash inside.
func (l *lexer) scanRegex() token {
	start := l.off
	l.off++
	var b strings.Builder
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == '/':
			l.off++
			fs := l.off
			for l.off < len(l.src) && isLetter(l.src[l.off]) {
				l.off++
			}
			return token{kind: tRegex, pos: start, end: l.off, lit: b.String(), aux: l.src[fs:l.off]}
		case c == '\\' && l.off+1 < len(l.src) && l.src[l.off+1] == '/':
			b.WriteByte('/')
			l.off += 2
		case c == '\n':
			l.errf(start, "regular expression not terminated: expected \"/\"")
			return token{kind: tIllegal, pos: start, end: l.off, lit: l.src[start:l.off]}
		default:
			b.WriteByte(c)
			l.off++
		}
	}
	l.errf(start, "regular expression not terminated: expected \"/\"")
	return token{kind: tIllegal, pos: start, end: l.off, lit: l.src[start:l.off]}
}

// rawUntil returns the source text from the current offset up to (not
// including) the next stop byte, and moves past it. It is used for the
// unquoted ISO text of date(…). ok is false when stop never occurs.
func (l *lexer) rawUntil(stop byte) (text string, pos int, ok bool) {
	pos = l.off
	i := strings.IndexByte(l.src[l.off:], stop)
	if i < 0 {
		l.off = len(l.src)
		return l.src[pos:], pos, false
	}
	l.off += i + 1
	l.prev = token{kind: tRParen}
	return l.src[pos : pos+i], pos, true
}

// quoteString renders s as a single-quoted J1QL string.
func quoteString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}
