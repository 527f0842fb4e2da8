package j1ql

import (
	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// pgDialect renders SQL for PostgreSQL (jsonb).
type pgDialect struct{}

func (pgDialect) name() store.Dialect { return store.Postgres }

func (pgDialect) prop(obj, name string, indexed bool) operand {
	k := raw(sqlString(name))
	if !safeName(name) {
		k = sqlf("%s::text", param(name))
	}
	return operand{jv: sqlf("("+obj+".props -> %s)", k), indexed: indexed}
}

func (pgDialect) jsonText(expr frag) operand { return operand{jv: sqlf("(%s)::jsonb", expr)} }

func (pgDialect) column(expr string, kind byte) operand {
	o := operand{jv: raw("to_jsonb(" + expr + ")")}
	if kind == 's' {
		o.scalarCol = expr
	}
	return o
}

func (pgDialect) classes(alias string) operand {
	return operand{jv: raw(alias + ".classes"), classesOf: alias}
}

func (pgDialect) null() operand { return operand{null: true, jv: raw("NULL::jsonb")} }

func (pgDialect) raw(o operand) frag {
	if o.null {
		return raw("NULL::text")
	}
	return sqlf("NULLIF((%s)::text, 'null')", o.jv)
}

func (pgDialect) undefined(o operand) frag {
	if o.null {
		return raw("1=1")
	}
	return sqlf("COALESCE(jsonb_typeof(%s), 'null') = 'null'", o.jv)
}

func (pgDialect) elems(o operand, e string) frag {
	return sqlf("jsonb_array_elements(CASE WHEN jsonb_typeof(%s) = 'array' THEN %s ELSE jsonb_build_array(%s) END) AS "+e+"(v)", o.jv, o.jv, o.jv)
}

func (pgDialect) elemStr(e string) frag {
	return raw("(CASE WHEN jsonb_typeof(" + e + ".v) = 'string' THEN " + e + ".v #>> '{}' END)")
}

func (pgDialect) elemNum(e string) frag {
	return raw("(CASE WHEN jsonb_typeof(" + e + ".v) = 'number' THEN (" + e + ".v)::numeric END)")
}

func (pgDialect) elemBool(e string) frag {
	return raw("(CASE WHEN jsonb_typeof(" + e + ".v) = 'boolean' THEN (CASE WHEN " + e + ".v = 'true'::jsonb THEN 1 ELSE 0 END) END)")
}

func (pgDialect) num(o operand) frag {
	if o.null {
		return raw("NULL::numeric")
	}
	return sqlf("(CASE WHEN jsonb_typeof(%s) = 'number' THEN (%s)::numeric END)", o.jv, o.jv)
}

func (pgDialect) text(o operand) frag {
	if o.null {
		return raw("''")
	}
	return sqlf("COALESCE(CASE WHEN jsonb_typeof(%s) = 'null' THEN '' ELSE %s #>> '{}' END, '')", o.jv, o.jv)
}

func (pgDialect) quote(expr frag) frag { return sqlf("(to_jsonb(%s))::text", expr) }

// jsonParam binds v as JSON text cast to jsonb.
func jsonParam(v any) frag {
	b, err := graph.MarshalValue(v)
	if err != nil {
		b = []byte("null")
	}
	return sqlf("%s::jsonb", param(string(b)))
}

func (d pgDialect) scalarEq(o operand, v any) frag {
	if o.scalarCol != "" {
		return sqlf(o.scalarCol+" = %s", param(v))
	}
	if o.indexed {
		return sqlf("%s = %s", o.jv, jsonParam(v))
	}
	return sqlf("%s @> %s", o.jv, jsonParam(v))
}

func (pgDialect) scalarCmp(o operand, op string, v any) frag {
	if o.scalarCol != "" {
		return sqlf(o.scalarCol+" "+op+" %s", param(v))
	}
	t := "number"
	switch v.(type) {
	case string:
		t = "string"
	case bool:
		t = "boolean"
	}
	return sqlf("(%s "+op+" %s AND jsonb_typeof(%s) = '"+t+"')", o.jv, jsonParam(v), o.jv)
}

func (pgDialect) contains(x, y frag) frag { return sqlf("strpos(%s, %s) > 0", x, y) }

func (pgDialect) startsWith(x frag, s string) frag {
	if s == "" {
		return sqlf("%s IS NOT NULL", x)
	}
	return sqlf("starts_with(%s, %s::text)", x, param(s))
}

func (pgDialect) endsWith(x frag, s string) frag {
	if s == "" {
		return sqlf("%s IS NOT NULL", x)
	}
	return sqlf("right(%s, char_length(%s::text)) = %s::text", x, param(s), param(s))
}

func (pgDialect) regex(x frag, pattern string) frag { return sqlf("%s ~ %s::text", x, param(pattern)) }

func (pgDialect) collate() string { return ` COLLATE "C"` }

func (pgDialect) sortKeys(o operand) []frag {
	v := o.jv
	return []frag{
		sqlf("(COALESCE(jsonb_typeof(%s), 'null') = 'null')", v),
		sqlf("(CASE jsonb_typeof(%s) WHEN 'number' THEN 0 WHEN 'string' THEN 1 WHEN 'boolean' THEN 2 ELSE 3 END)", v),
		sqlf("(CASE WHEN jsonb_typeof(%s) = 'number' THEN (%s)::numeric END)", v, v),
		sqlf(`(CASE WHEN jsonb_typeof(%s) <> 'number' THEN %s #>> '{}' END) COLLATE "C"`, v, v),
	}
}

func (pgDialect) divide(x, y frag) frag { return sqlf("((%s)::numeric / NULLIF(%s, 0))", x, y) }
func (pgDialect) pow(x, y frag) frag    { return sqlf("power(%s, %s)", x, y) }
