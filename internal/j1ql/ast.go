package j1ql

import (
	"strconv"
	"strings"
)

// Query is a parsed J1QL query.
type Query struct {
	Pos      int
	Unique   bool
	Start    *Selector
	Steps    []Step // *Traversal or *Optional, in order
	Where    Expr   // nil when absent
	Return   *Return
	OrderBy  []OrderKey
	Skip     int64 // 0 when absent
	Limit    int64 // 0 when absent
	HasSkip  bool
	HasLimit bool
}

// Selector picks entities: a target, an optional WITH filter and an alias.
type Selector struct {
	Pos    int
	Target Target
	With   Expr   // nil when absent
	Alias  *Ident // nil when absent
}

// TargetKind says what a target matches.
type TargetKind int

// The target kinds.
const (
	TargetAny      TargetKind = iota // *
	TargetWords                      // a class, a type, or a union (A|b)
	TargetFullText                   // "search terms"
)

// Word is a class or type name in a target; Class is true when it starts
// with an upper-case letter.
type Word struct {
	Name  string
	Class bool
}

// Target is what a selector matches before its WITH filter.
type Target struct {
	Kind  TargetKind
	Words []Word
	Union bool   // written in parentheses
	Text  string // full-text terms
	Smart string // #Name prefix, "" when absent
}

// Ident is a name with its position.
type Ident struct {
	Pos  int
	Name string
}

// Step is a traversal or an optional group.
type Step interface {
	Node
	step()
}

// Direction constrains the orientation of a traversed relationship.
type Direction int

// The directions.
const (
	Either   Direction = iota
	Outgoing           // >> : the left entity is the relationship's source
	Incoming           // << : the right entity is the source
)

// Traversal is THAT [!] verbs [>>|<<] [AS alias] selector.
type Traversal struct {
	Pos     int
	Negated bool
	Verbs   []string // upper-cased; empty means RELATES TO (any)
	Union   bool
	Dir     Direction
	Alias   *Ident
	Target  *Selector
}

// Optional is an optional group "( steps )? [AS alias]".
type Optional struct {
	Pos   int
	Steps []Step
	Alias *Ident
}

func (*Traversal) step() {}
func (*Optional) step()  {}

// Expr is a filter or value expression.
type Expr interface {
	Node
	expr()
}

// Node is any AST node; String prints it back as J1QL.
type Node interface {
	String() string
	Position() int
}

// Logical is X AND Y or X OR Y.
type Logical struct {
	Pos  int
	Op   string // "AND" or "OR"
	X, Y Expr
}

// Paren is a parenthesised expression.
type Paren struct {
	Pos int
	X   Expr
}

// Comparison is Left Op Right, Op one of the twelve comparison operators.
type Comparison struct {
	Pos   int
	Op    string
	Left  Expr
	Right Expr
}

// Ref is a dotted name: a property in WITH ("tag.Production"), or alias
// and property in WHERE and RETURN. Parts holds the dotted pieces; Bracket
// is set when the last piece was written in brackets.
type Ref struct {
	Pos     int
	Parts   []string
	Bracket bool
	Star    bool // alias.*
	Quoted  bool // an ORDER BY key written as a string: 'Open Findings'
}

// LitKind classifies a literal.
type LitKind int

// The literal kinds.
const (
	LitString LitKind = iota
	LitNumber
	LitBool
	LitUndefined
	LitRegex
)

// Literal is a string, number, boolean, undefined or regex value.
type Literal struct {
	Pos   int
	Kind  LitKind
	Value any    // string, int64, float64, bool, nil
	Text  string // source text of numbers; regex flags for regexes
}

// DateExpr is date.now [± N unit] or date(ISO).
type DateExpr struct {
	Pos    int
	ISO    string // set for date(…)
	Sign   int    // +1, -1, or 0 when no offset
	Amount float64
	Unit   string
}

// Param is ${name} or ${ param.name }.
type Param struct {
	Pos  int
	Name string
}

// ValueSet is the shorthand ('a' OR 'b') / ('a' AND 'b').
type ValueSet struct {
	Pos    int
	Op     string // "OR" or "AND"
	Values []Expr
}

// Arith is X op Y with op one of + - * / ^.
type Arith struct {
	Pos  int
	Op   string
	X, Y Expr
}

// Call is a function call such as count(f) or coalesce(a, b).
type Call struct {
	Pos  int
	Name string // lower case
	Args []Expr
}

func (*Logical) expr()    {}
func (*Paren) expr()      {}
func (*Comparison) expr() {}
func (*Ref) expr()        {}
func (*Literal) expr()    {}
func (*DateExpr) expr()   {}
func (*Param) expr()      {}
func (*ValueSet) expr()   {}
func (*Arith) expr()      {}
func (*Call) expr()       {}

// Return is the RETURN clause.
type Return struct {
	Pos    int
	Tree   bool
	Items  []ReturnItem
	Having Expr
}

// ReturnItem is one projected value with its output name.
type ReturnItem struct {
	Expr   Expr
	As     string // "" when absent
	Quoted bool   // AS was a quoted string
	Text   string // the item's source text, spaces collapsed
}

// Name returns the output column name: the AS name, else the item's text.
func (it ReturnItem) Name() string {
	if it.As != "" || it.Quoted {
		return it.As
	}
	if it.Text != "" {
		return it.Text
	}
	return it.Expr.String()
}

// OrderKey is one ORDER BY key.
type OrderKey struct {
	Key  *Ref
	Desc bool
}

// Position methods.

func (n *Query) Position() int      { return n.Pos }
func (n *Selector) Position() int   { return n.Pos }
func (n *Traversal) Position() int  { return n.Pos }
func (n *Optional) Position() int   { return n.Pos }
func (n *Logical) Position() int    { return n.Pos }
func (n *Paren) Position() int      { return n.Pos }
func (n *Comparison) Position() int { return n.Pos }
func (n *Ref) Position() int        { return n.Pos }
func (n *Literal) Position() int    { return n.Pos }
func (n *DateExpr) Position() int   { return n.Pos }
func (n *Param) Position() int      { return n.Pos }
func (n *ValueSet) Position() int   { return n.Pos }
func (n *Arith) Position() int      { return n.Pos }
func (n *Call) Position() int       { return n.Pos }

// String methods print canonical J1QL that parses back to the same tree.

func (n *Query) String() string {
	var b strings.Builder
	b.WriteString("FIND ")
	if n.Unique {
		b.WriteString("UNIQUE ")
	}
	b.WriteString(n.Start.String())
	for _, s := range n.Steps {
		b.WriteString(" " + s.String())
	}
	if n.Where != nil {
		b.WriteString(" WHERE " + n.Where.String())
	}
	if n.Return != nil {
		b.WriteString(" RETURN ")
		if n.Return.Tree {
			b.WriteString("TREE")
		}
		for i, it := range n.Return.Items {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(it.Expr.String())
			if it.As != "" || it.Quoted {
				if it.Quoted || !isPlainName(it.As) {
					b.WriteString(" AS " + quoteString(it.As))
				} else {
					b.WriteString(" AS " + it.As)
				}
			}
		}
		if n.Return.Having != nil {
			b.WriteString(" HAVING " + n.Return.Having.String())
		}
	}
	for i, k := range n.OrderBy {
		if i == 0 {
			b.WriteString(" ORDER BY ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(k.Key.String())
		if k.Desc {
			b.WriteString(" DESC")
		}
	}
	if n.HasSkip {
		b.WriteString(" SKIP " + strconv.FormatInt(n.Skip, 10))
	}
	if n.HasLimit {
		b.WriteString(" LIMIT " + strconv.FormatInt(n.Limit, 10))
	}
	return b.String()
}

func (n *Selector) String() string {
	var b strings.Builder
	t := n.Target
	if t.Smart != "" {
		b.WriteString("#" + t.Smart)
		if t.Kind != TargetAny {
			b.WriteString(" ")
		}
	}
	switch t.Kind {
	case TargetAny:
		if t.Smart == "" {
			b.WriteString("*")
		}
	case TargetFullText:
		b.WriteString(quoteString(t.Text))
	case TargetWords:
		if t.Union {
			b.WriteString("(")
		}
		for i, w := range t.Words {
			if i > 0 {
				b.WriteString("|")
			}
			b.WriteString(w.Name)
		}
		if t.Union {
			b.WriteString(")")
		}
	}
	if n.With != nil {
		b.WriteString(" WITH " + n.With.String())
	}
	if n.Alias != nil {
		b.WriteString(" AS " + n.Alias.Name)
	}
	return b.String()
}

func (n *Traversal) String() string {
	var b strings.Builder
	b.WriteString("THAT ")
	if n.Negated {
		b.WriteString("!")
	}
	verb := func(v string) string {
		if v == "" {
			return "RELATES TO"
		}
		return v
	}
	switch {
	case len(n.Verbs) == 0:
		b.WriteString("RELATES TO")
	case n.Union:
		b.WriteString("(")
		for i, v := range n.Verbs {
			if i > 0 {
				b.WriteString("|")
			}
			b.WriteString(verb(v))
		}
		b.WriteString(")")
	default:
		b.WriteString(verb(n.Verbs[0]))
	}
	switch n.Dir {
	case Outgoing:
		b.WriteString(" >>")
	case Incoming:
		b.WriteString(" <<")
	}
	if n.Alias != nil {
		b.WriteString(" AS " + n.Alias.Name)
	}
	b.WriteString(" " + n.Target.String())
	return b.String()
}

func (n *Optional) String() string {
	parts := make([]string, len(n.Steps))
	for i, s := range n.Steps {
		parts[i] = s.String()
	}
	s := "(" + strings.Join(parts, " ") + ")?"
	if n.Alias != nil {
		s += " AS " + n.Alias.Name
	}
	return s
}

func (n *Logical) String() string { return n.X.String() + " " + n.Op + " " + n.Y.String() }
func (n *Paren) String() string   { return "(" + n.X.String() + ")" }
func (n *Comparison) String() string {
	return n.Left.String() + " " + n.Op + " " + n.Right.String()
}

func (n *Ref) String() string {
	if n.Quoted && len(n.Parts) == 1 {
		return quoteString(n.Parts[0])
	}
	var b strings.Builder
	for i, p := range n.Parts {
		if i > 0 {
			b.WriteString(".")
		}
		if i == len(n.Parts)-1 && n.Bracket {
			b.WriteString("[" + p + "]")
		} else {
			b.WriteString(p)
		}
	}
	if n.Star {
		b.WriteString(".*")
	}
	return b.String()
}

func (n *Literal) String() string {
	switch n.Kind {
	case LitString:
		return quoteString(n.Value.(string))
	case LitNumber:
		return n.Text
	case LitBool:
		return strconv.FormatBool(n.Value.(bool))
	case LitUndefined:
		return "undefined"
	case LitRegex:
		return "/" + strings.ReplaceAll(n.Value.(string), "/", `\/`) + "/" + n.Text
	}
	return "?"
}

func (n *DateExpr) String() string {
	if n.ISO != "" {
		return "date(" + n.ISO + ")"
	}
	if n.Sign == 0 {
		return "date.now"
	}
	op := " - "
	if n.Sign > 0 {
		op = " + "
	}
	return "date.now" + op + strconv.FormatFloat(n.Amount, 'f', -1, 64) + " " + n.Unit
}

func (n *Param) String() string { return "${" + n.Name + "}" }

func (n *ValueSet) String() string {
	parts := make([]string, len(n.Values))
	for i, v := range n.Values {
		parts[i] = v.String()
	}
	return "(" + strings.Join(parts, " "+n.Op+" ") + ")"
}

func (n *Arith) String() string { return n.X.String() + " " + n.Op + " " + n.Y.String() }

func (n *Call) String() string {
	parts := make([]string, len(n.Args))
	for i, a := range n.Args {
		parts[i] = a.String()
	}
	return n.Name + "(" + strings.Join(parts, ", ") + ")"
}

// Name returns the dotted name without quotes or brackets.
func (n *Ref) Name() string { return strings.Join(n.Parts, ".") }

// isPlainName reports whether s can be written as an unquoted identifier.
func isPlainName(s string) bool {
	if s == "" || !isLetter(s[0]) || keywords[strings.ToUpper(s)] {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) && !isDigit(s[i]) {
			return false
		}
	}
	return true
}
