package j1ql

import (
	"github.com/qgraph/qgraph/internal/store"
)

// operand is a value the SQL can inspect: a property of an entity or a
// relationship, a metadata column, or a JSON-text column of an inner
// query. It is kept abstract so each dialect renders it its own way.
type operand struct {
	null bool // the alias is not bound on this branch: the value is absent
	// sqlite: the value is json_extract(doc, path)
	doc, path frag
	// postgres: the value is the jsonb expression jv
	jv frag
	// scalarCol is a plain SQL column holding the value as a string (key,
	// type, scope, class of a relationship); "" otherwise.
	scalarCol string
	// classesOf is the entity alias when the operand is its _class.
	classesOf string
	// indexed is set for properties with an expression index, which are
	// scalars in qgraph's data model: comparisons skip the array reading
	// so that the index can be used.
	indexed bool
}

// dialect renders operands and predicates for one SQL engine.
type dialect interface {
	name() store.Dialect
	prop(obj, name string, indexed bool) operand
	jsonText(expr frag) operand            // a column that holds JSON text
	column(expr string, kind byte) operand // kind: 's' string, 'i' int, 'b' bool
	classes(alias string) operand
	null() operand

	raw(o operand) frag             // JSON text of the value, NULL when absent
	undefined(o operand) frag       // true when absent or null
	elems(o operand, e string) frag // FROM item with one row per element (a scalar is one element)
	elemStr(e string) frag
	elemNum(e string) frag
	elemBool(e string) frag
	num(o operand) frag   // numeric value or NULL
	text(o operand) frag  // text form for concatenation, '' when absent
	quote(expr frag) frag // typed SQL value → JSON text
	scalarEq(o operand, v any) frag
	scalarCmp(o operand, op string, v any) frag
	contains(x, y frag) frag
	startsWith(x frag, s string) frag
	endsWith(x frag, s string) frag
	regex(x frag, pattern string) frag
	collate() string
	sortKeys(o operand) []frag
	divide(x, y frag) frag
	pow(x, y frag) frag
}

// newDialect returns the renderer for d.
func newDialect(d store.Dialect) dialect {
	if d == store.Postgres {
		return pgDialect{}
	}
	return sqliteDialect{}
}

// indexedProps are the properties with expression indexes in both stores
// (docs/storage.md). They are scalars in qgraph's data model.
var indexedProps = map[string]bool{
	"qid": true, "open": true, "severity": true, "numericSeverity": true, "hostId": true, "name": true,
}
