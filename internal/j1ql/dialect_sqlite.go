package j1ql

import (
	"unicode/utf8"

	"github.com/qgraph/qgraph/internal/store"
)

// sqliteDialect renders SQL for the embedded store (SQLite JSON1).
type sqliteDialect struct{}

func (sqliteDialect) name() store.Dialect { return store.SQLite }

func (sqliteDialect) prop(obj, name string, indexed bool) operand {
	path := `$."` + name + `"`
	p := raw(sqlString(path))
	if !safeName(name) {
		p = param(path)
	}
	return operand{doc: raw(obj + ".props"), path: p, indexed: indexed}
}

func (sqliteDialect) jsonText(expr frag) operand { return operand{doc: expr, path: raw("'$'")} }

func (d sqliteDialect) column(expr string, kind byte) operand {
	switch kind {
	case 'b':
		return operand{doc: raw("(CASE WHEN " + expr + " THEN 'true' ELSE 'false' END)"), path: raw("'$'")}
	case 'i':
		return operand{doc: raw("json_quote(" + expr + ")"), path: raw("'$'")}
	}
	return operand{doc: raw("json_quote(" + expr + ")"), path: raw("'$'"), scalarCol: expr}
}

func (sqliteDialect) classes(alias string) operand {
	return operand{doc: raw(alias + ".classes"), path: raw("'$'"), classesOf: alias}
}

func (sqliteDialect) null() operand { return operand{null: true, doc: raw("NULL"), path: raw("'$'")} }

func (sqliteDialect) raw(o operand) frag {
	if o.null {
		return raw("NULL")
	}
	return sqlf("NULLIF(%s -> %s, 'null')", o.doc, o.path)
}

func (sqliteDialect) undefined(o operand) frag {
	if o.null {
		return raw("1=1")
	}
	return sqlf("COALESCE(json_type(%s, %s), 'null') = 'null'", o.doc, o.path)
}

func (sqliteDialect) elems(o operand, e string) frag {
	return sqlf("json_each(%s, %s) AS "+e, o.doc, o.path)
}

func (sqliteDialect) elemStr(e string) frag {
	return raw("(CASE WHEN " + e + ".type = 'text' THEN " + e + ".value END)")
}

func (sqliteDialect) elemNum(e string) frag {
	return raw("(CASE WHEN " + e + ".type IN ('integer', 'real') THEN " + e + ".value END)")
}

func (sqliteDialect) elemBool(e string) frag {
	return raw("(CASE " + e + ".type WHEN 'true' THEN 1 WHEN 'false' THEN 0 END)")
}

func (sqliteDialect) num(o operand) frag {
	if o.null {
		return raw("NULL")
	}
	return sqlf("(CASE WHEN json_type(%s, %s) IN ('integer', 'real') THEN json_extract(%s, %s) END)", o.doc, o.path, o.doc, o.path)
}

func (sqliteDialect) text(o operand) frag {
	if o.null {
		return raw("''")
	}
	return sqlf("COALESCE(CASE json_type(%s, %s) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN '' ELSE CAST(json_extract(%s, %s) AS TEXT) END, '')", o.doc, o.path, o.doc, o.path)
}

func (sqliteDialect) quote(expr frag) frag { return sqlf("json_quote(%s)", expr) }

func sqliteBind(v any) (frag, string) {
	switch x := v.(type) {
	case bool:
		if x {
			return param(int64(1)), "'true'"
		}
		return param(int64(0)), "'false'"
	case string:
		return param(x), "'text'"
	}
	return param(v), "'integer', 'real'"
}

func (d sqliteDialect) scalarEq(o operand, v any) frag { return d.scalarCmp(o, "=", v) }

func (sqliteDialect) scalarCmp(o operand, op string, v any) frag {
	if o.scalarCol != "" {
		return sqlf(o.scalarCol+" "+op+" %s", param(v))
	}
	p, types := sqliteBind(v)
	return sqlf("(json_extract(%s, %s) "+op+" %s AND json_type(%s, %s) IN ("+types+"))", o.doc, o.path, p, o.doc, o.path)
}

func (sqliteDialect) contains(x, y frag) frag { return sqlf("instr(%s, %s) > 0", x, y) }

func (sqliteDialect) startsWith(x frag, s string) frag {
	if s == "" {
		return sqlf("%s IS NOT NULL", x)
	}
	return sqlf("substr(%s, 1, %s) = %s", x, param(int64(utf8.RuneCountInString(s))), param(s))
}

func (sqliteDialect) endsWith(x frag, s string) frag {
	if s == "" {
		return sqlf("%s IS NOT NULL", x)
	}
	return sqlf("substr(%s, %s) = %s", x, param(-int64(utf8.RuneCountInString(s))), param(s))
}

// regex needs a regexp(pattern, text) function registered in the store.
func (sqliteDialect) regex(x frag, pattern string) frag {
	return sqlf("regexp(%s, %s)", param(pattern), x)
}

func (sqliteDialect) collate() string { return "" }

func (sqliteDialect) sortKeys(o operand) []frag {
	return []frag{
		sqlf("(COALESCE(json_type(%s, %s), 'null') = 'null')", o.doc, o.path),
		sqlf("(CASE json_type(%s, %s) WHEN 'integer' THEN 0 WHEN 'real' THEN 0 WHEN 'text' THEN 1 WHEN 'true' THEN 2 WHEN 'false' THEN 2 ELSE 3 END)", o.doc, o.path),
		sqlf("json_extract(%s, %s)", o.doc, o.path),
	}
}

func (sqliteDialect) divide(x, y frag) frag { return sqlf("(CAST(%s AS REAL) / %s)", x, y) }
func (sqliteDialect) pow(x, y frag) frag    { return sqlf("pow(%s, %s)", x, y) }
