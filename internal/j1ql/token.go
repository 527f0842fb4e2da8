package j1ql

import "strings"

// tokenKind classifies a lexical token.
type tokenKind int

// The token kinds.
const (
	tEOF         tokenKind = iota
	tIllegal               // a character or sequence that is not J1QL
	tIdent                 // name, keyword, verb, alias
	tString                // '…' or "…" (lit holds the unquoted value)
	tNumber                // 5, 0.6
	tRegex                 // /re/flags (lit holds re, flags in aux)
	tBracket               // [any name] (lit holds the name)
	tParam                 // ${ name } (lit holds the trimmed name)
	tSmart                 // #Name (lit holds Name)
	tEq                    // =
	tNeq                   // !=
	tGt                    // >
	tGte                   // >=
	tLt                    // <
	tLte                   // <=
	tContains              // ~=
	tStarts                // ^=
	tEnds                  // $=
	tNotContains           // !~=
	tNotStarts             // !^=
	tNotEnds               // !$=
	tPlus                  // +
	tMinus                 // -
	tStar                  // *
	tSlash                 // /
	tCaret                 // ^
	tLParen                // (
	tRParen                // )
	tPipe                  // |
	tComma                 // ,
	tDot                   // .
	tBang                  // !
	tOut                   // >>
	tIn                    // <<
	tQuestion              // ?
)

var tokenNames = [...]string{
	tEOF: "end of query", tIllegal: "illegal", tIdent: "name", tString: "string", tNumber: "number",
	tRegex: "regex", tBracket: "bracketed name", tParam: "parameter", tSmart: "smart class",
	tEq: "=", tNeq: "!=", tGt: ">", tGte: ">=", tLt: "<", tLte: "<=", tContains: "~=", tStarts: "^=",
	tEnds: "$=", tNotContains: "!~=", tNotStarts: "!^=", tNotEnds: "!$=", tPlus: "+", tMinus: "-",
	tStar: "*", tSlash: "/", tCaret: "^", tLParen: "(", tRParen: ")", tPipe: "|", tComma: ",",
	tDot: ".", tBang: "!", tOut: ">>", tIn: "<<", tQuestion: "?",
}

func (k tokenKind) String() string { return tokenNames[k] }

// isComparison reports whether k is one of the twelve comparison operators.
func (k tokenKind) isComparison() bool { return k >= tEq && k <= tNotEnds }

// token is one lexical token: its kind, byte offsets and literal text.
type token struct {
	kind tokenKind
	pos  int    // offset of the first byte
	end  int    // offset after the last byte
	lit  string // source text, or the decoded value for strings, names and regexes
	aux  string // regex flags
}

// keywords are the reserved words of J1QL, matched case-insensitively.
var keywords = map[string]bool{
	"FIND": true, "WITH": true, "THAT": true, "AS": true, "WHERE": true, "RETURN": true, "TREE": true,
	"ORDER": true, "BY": true, "ASC": true, "DESC": true, "SKIP": true, "LIMIT": true, "UNIQUE": true,
	"AND": true, "OR": true, "RELATES": true, "TO": true, "HAVING": true,
}

// isKeyword reports whether t is the keyword kw (given in upper case).
func (t token) isKeyword(kw string) bool { return t.kind == tIdent && strings.EqualFold(t.lit, kw) }

// isReserved reports whether t is an identifier that is a keyword.
func (t token) isReserved() bool { return t.kind == tIdent && keywords[strings.ToUpper(t.lit)] }

// describe renders t for "found X" in error messages.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of query"
	case tString:
		return "string " + quoteString(t.lit)
	case tIllegal:
		return quoteString(t.lit)
	case tRegex:
		return `"/` + t.lit + "/" + t.aux + `"`
	case tBracket:
		return `"[` + t.lit + `]"`
	case tParam:
		return `"${` + t.lit + `}"`
	case tSmart:
		return `"#` + t.lit + `"`
	}
	return `"` + t.lit + `"`
}
