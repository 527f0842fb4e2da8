package j1ql

import (
	"strconv"
	"strings"

	"github.com/qgraph/qgraph/internal/store"
)

// frag is a piece of SQL with "?" placeholders and their arguments, in
// order. Fragments compose into statements; values never enter the text.
type frag struct {
	s string
	a []any
}

// raw is a fragment without arguments.
func raw(s string) frag { return frag{s: s} }

// param is a single bound value.
func param(v any) frag { return frag{s: "?", a: []any{v}} }

// sqlf formats a fragment: each %s in format is replaced by the next part,
// which is a frag or a string (spliced as-is: only for SQL the planner
// wrote itself, never for values).
func sqlf(format string, parts ...any) frag {
	var b strings.Builder
	var args []any
	i := 0
	for {
		j := strings.Index(format, "%s")
		if j < 0 {
			b.WriteString(format)
			break
		}
		b.WriteString(format[:j])
		format = format[j+2:]
		switch p := parts[i].(type) {
		case frag:
			b.WriteString(p.s)
			args = append(args, p.a...)
		case string:
			b.WriteString(p)
		default:
			panic("sqlf: part is neither frag nor string")
		}
		i++
	}
	return frag{s: b.String(), a: args}
}

// joinFrags joins fragments with sep.
func joinFrags(sep string, fs []frag) frag {
	var b strings.Builder
	var args []any
	for i, f := range fs {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(f.s)
		args = append(args, f.a...)
	}
	return frag{s: b.String(), a: args}
}

// and joins conditions with AND; no conditions means TRUE.
func and(fs ...frag) frag {
	var keep []frag
	for _, f := range fs {
		if f.s != "" {
			keep = append(keep, f)
		}
	}
	switch len(keep) {
	case 0:
		return raw("1=1")
	case 1:
		return keep[0]
	}
	return sqlf("(%s)", joinFrags(" AND ", keep))
}

// or joins conditions with OR.
func or(fs ...frag) frag {
	if len(fs) == 1 {
		return fs[0]
	}
	return sqlf("(%s)", joinFrags(" OR ", fs))
}

// sqlString quotes s as an SQL string literal. It is used only for JSON
// paths built from property names (so that expression indexes match),
// never for values.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// safeName reports whether a property name can be spliced into a JSON path
// literal; other names are bound as parameters.
func safeName(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == '"' || r == '\\' || r == '\'' || r == 0x7f {
			return false
		}
	}
	return true
}

// finish renders f for a dialect: PostgreSQL placeholders become $1, $2 …
// (question marks inside string literals are left alone).
func finish(d store.Dialect, f frag) (string, []any) {
	if d != store.Postgres {
		return f.s, f.a
	}
	var b strings.Builder
	n := 0
	inStr := false
	for i := 0; i < len(f.s); i++ {
		c := f.s[i]
		switch {
		case c == '\'':
			inStr = !inStr
			b.WriteByte(c)
		case c == '?' && !inStr:
			n++
			b.WriteString("$" + strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), f.a
}
