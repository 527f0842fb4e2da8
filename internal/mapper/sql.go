package mapper

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// chunkSize bounds the number of values bound in one IN list.
const chunkSize = 400

// query builds one SQL statement for a dialect, numbering placeholders as
// the dialect wants and keeping the bound arguments.
type query struct {
	d    store.Dialect
	sb   strings.Builder
	args []any
}

func newQuery(d store.Dialect) *query { return &query{d: d} }

// sql appends literal SQL text.
func (q *query) sql(s string) *query {
	q.sb.WriteString(s)
	return q
}

// arg binds v and appends its placeholder.
func (q *query) arg(v any) *query {
	q.args = append(q.args, v)
	if q.d == store.Postgres {
		q.sb.WriteString("$" + strconv.Itoa(len(q.args)))
	} else {
		q.sb.WriteString("?")
	}
	return q
}

// in appends "(p1, p2, …)" binding vals.
func (q *query) in(vals []any) *query {
	q.sb.WriteString("(")
	for i, v := range vals {
		if i > 0 {
			q.sb.WriteString(", ")
		}
		q.arg(v)
	}
	q.sb.WriteString(")")
	return q
}

// jsonIn appends "(p1, p2, …)" of JSON values to compare with a property
// expression: typed values in SQLite, jsonb literals in PostgreSQL.
func (q *query) jsonIn(vals []any) *query {
	if q.d != store.Postgres {
		sqlVals := make([]any, len(vals))
		for i, v := range vals {
			if b, ok := v.(bool); ok {
				if b {
					v = int64(1)
				} else {
					v = int64(0)
				}
			}
			sqlVals[i] = v
		}
		return q.in(sqlVals)
	}
	q.sb.WriteString("(")
	for i, v := range vals {
		if i > 0 {
			q.sb.WriteString(", ")
		}
		b, err := graph.MarshalValue(v)
		if err != nil {
			b = []byte("null")
		}
		q.arg(string(b))
		q.sb.WriteString("::jsonb")
	}
	q.sb.WriteString(")")
	return q
}

// prop appends the expression of property name of alias for comparison
// (and index use): json_extract in SQLite, -> in PostgreSQL.
func (q *query) prop(alias, name string) *query {
	if q.d == store.Postgres {
		return q.sql("(" + alias + ".props -> " + pgString(name) + ")")
	}
	return q.sql("json_extract(" + alias + ".props, '$.\"" + name + "\"')")
}

// propsText appends an expression returning the whole props document as
// JSON text.
func (q *query) propsText(alias string) *query {
	if q.d == store.Postgres {
		return q.sql(alias + ".props::text")
	}
	return q.sql(alias + ".props")
}

// classesText appends an expression returning _class as JSON text.
func (q *query) classesText(alias string) *query {
	if q.d == store.Postgres {
		return q.sql(alias + ".classes::text")
	}
	return q.sql(alias + ".classes")
}

// relScope appends "alias.scope = <scope>" for a relationship that was
// found through an endpoint index. In SQLite the column is written +scope so
// that the planner does not trade the endpoint index for the (scope, key)
// one and walk every relationship of the scope.
func (q *query) relScope(alias, scope string) *query {
	if q.d == store.Postgres {
		q.sql(alias + ".scope = ")
	} else {
		q.sql("+" + alias + ".scope = ")
	}
	return q.arg(scope)
}

// notDeleted appends the live-row condition in the form the partial
// indexes use.
func (q *query) notDeleted(alias string) *query {
	return q.sql("NOT " + alias + ".deleted")
}

// String returns the SQL text built so far.
func (q *query) String() string { return q.sb.String() }

// pgString quotes s as a PostgreSQL string literal. Property names are
// validated and cannot hold quotes, but quoting stays correct regardless.
func pgString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// chunks splits vals into slices of at most n.
func chunks[T any](vals []T, n int) [][]T {
	var out [][]T
	for len(vals) > n {
		out = append(out, vals[:n])
		vals = vals[n:]
	}
	if len(vals) > 0 {
		out = append(out, vals)
	}
	return out
}

// Row value conversions: store.Query hands over int64, float64, string or
// nil.

func rowString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

func rowInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case float64:
		return int64(x)
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}
