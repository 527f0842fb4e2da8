package j1ql

import (
	"fmt"
	"strings"

	"github.com/qgraph/qgraph/internal/store"
)

// aggregates are the aggregate functions; rowFuncs the numeric row
// functions.
var (
	aggregates = map[string]bool{"count": true, "min": true, "max": true, "avg": true, "sum": true}
	rowFuncs   = map[string]bool{"abs": true, "sqrt": true, "ceil": true, "floor": true, "round": true}
)

// hasAggregate reports whether e calls an aggregate function.
func hasAggregate(e Expr) bool {
	switch e := e.(type) {
	case *Call:
		if aggregates[e.Name] {
			return true
		}
		for _, a := range e.Args {
			if hasAggregate(a) {
				return true
			}
		}
	case *Arith:
		return hasAggregate(e.X) || hasAggregate(e.Y)
	case *Paren:
		return hasAggregate(e.X)
	}
	return false
}

// projector builds the inner (per-path) columns of a table query for one
// branch and the outer expressions over them.
type projector struct {
	c     *compiler
	b     *branch
	inner []frag // inner columns, named c0, c1, …
	joins []frag // UNWIND joins
	keys  []frag // outer grouping keys
}

// add appends an inner column and returns its outer reference.
func (pr *projector) add(f frag) frag {
	name := fmt.Sprintf("c%d", len(pr.inner))
	pr.inner = append(pr.inner, sqlf("%s AS "+name, f))
	return raw("b." + name)
}

// aliasID returns the id of a whole alias on this branch (NULL if unbound).
func (pr *projector) aliasID(r *Ref) (frag, *aliasInfo, error) {
	info, err := pr.c.s.lookup(r.Parts[0], r.Pos, "RETURN")
	if err != nil {
		return frag{}, nil, err
	}
	alias, _, ok := pr.c.bind(info, pr.b)
	if !ok {
		return raw("NULL"), info, nil
	}
	return raw(alias + ".id"), info, nil
}

// value renders a non-aggregate expression as JSON text.
func (pr *projector) value(e Expr) (frag, error) {
	c := pr.c
	switch e := e.(type) {
	case *Ref:
		if len(e.Parts) < 2 || e.Star {
			return frag{}, c.errorf(e.Pos, "%s cannot be used inside an expression", e.String())
		}
		o, err := c.aliasProp(e, pr.b, "RETURN")
		if err != nil {
			return frag{}, err
		}
		return c.d.raw(o), nil
	case *Paren:
		return pr.value(e.X)
	case *Literal:
		return c.jsonLiteral(e)
	case *Call:
		switch {
		case e.Name == "coalesce":
			var args []frag
			for _, a := range e.Args {
				v, err := pr.value(a)
				if err != nil {
					return frag{}, err
				}
				args = append(args, v)
			}
			if len(args) == 0 {
				return frag{}, c.errorf(e.Pos, "coalesce needs at least one argument")
			}
			return sqlf("COALESCE(%s)", joinFrags(", ", args)), nil
		case e.Name == "concat":
			var args []frag
			for _, a := range e.Args {
				t, err := pr.text(a)
				if err != nil {
					return frag{}, err
				}
				args = append(args, t)
			}
			if len(args) == 0 {
				return frag{}, c.errorf(e.Pos, "concat needs at least one argument")
			}
			return c.d.quote(sqlf("(%s)", joinFrags(" || ", args))), nil
		case e.Name == "unwind":
			return pr.unwind(e)
		case rowFuncs[e.Name]:
		default:
			return frag{}, c.errorf(e.Pos, "function %s is not supported in RETURN", e.Name)
		}
	}
	n, err := pr.num(e)
	if err != nil {
		return frag{}, err
	}
	return c.d.quote(n), nil
}

// unwind joins one row per element of its argument and returns the
// element as JSON text.
func (pr *projector) unwind(e *Call) (frag, error) {
	c := pr.c
	if len(e.Args) != 1 {
		return frag{}, c.errorf(e.Pos, "unwind takes one argument")
	}
	r, ok := e.Args[0].(*Ref)
	if !ok || len(r.Parts) < 2 || r.Star {
		return frag{}, c.errorf(e.Pos, "unwind takes alias.property")
	}
	o, err := c.aliasProp(r, pr.b, "RETURN")
	if err != nil {
		return frag{}, err
	}
	u := fmt.Sprintf("u%d", len(pr.joins))
	if c.d.name() == store.Postgres {
		pr.joins = append(pr.joins, sqlf("CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(%s) = 'array' THEN %s WHEN %s IS NULL THEN '[]'::jsonb ELSE jsonb_build_array(%s) END) AS "+u+"(v)", o.jv, o.jv, o.jv, o.jv))
		return raw("(" + u + ".v)::text"), nil
	}
	pr.joins = append(pr.joins, sqlf("JOIN json_each(%s, %s) AS "+u, o.doc, o.path))
	return sqlf("(%s -> "+u+".fullkey)", o.doc), nil
}

// text renders an expression as text for concat.
func (pr *projector) text(e Expr) (frag, error) {
	switch e := e.(type) {
	case *Literal:
		if s, ok := e.Value.(string); ok {
			if pr.c.d.name() == store.Postgres {
				return sqlf("%s::text", param(s)), nil
			}
			return param(s), nil
		}
		return raw("''"), nil
	case *Ref:
		if len(e.Parts) >= 2 && !e.Star {
			o, err := pr.c.aliasProp(e, pr.b, "RETURN")
			if err != nil {
				return frag{}, err
			}
			return pr.c.d.text(o), nil
		}
	}
	v, err := pr.value(e)
	if err != nil {
		return frag{}, err
	}
	return pr.c.d.text(pr.c.d.jsonText(v)), nil
}

// num renders a numeric expression (arithmetic, row functions).
func (pr *projector) num(e Expr) (frag, error) {
	c := pr.c
	switch e := e.(type) {
	case *Ref:
		if len(e.Parts) < 2 || e.Star {
			return frag{}, c.errorf(e.Pos, "%s is not a number", e.String())
		}
		o, err := c.aliasProp(e, pr.b, "RETURN")
		if err != nil {
			return frag{}, err
		}
		return c.d.num(o), nil
	case *Literal:
		if e.Kind != LitNumber {
			return frag{}, c.errorf(e.Pos, "%s is not a number", e.String())
		}
		return c.numParam(e.Value), nil
	case *Paren:
		return pr.num(e.X)
	case *Arith:
		return pr.arith(e, pr.num)
	case *Call:
		if e.Name == "coalesce" {
			var args []frag
			for _, a := range e.Args {
				x, err := pr.num(a)
				if err != nil {
					return frag{}, err
				}
				args = append(args, x)
			}
			return sqlf("COALESCE(%s)", joinFrags(", ", args)), nil
		}
		if rowFuncs[e.Name] {
			if len(e.Args) != 1 {
				return frag{}, c.errorf(e.Pos, "%s takes one argument", e.Name)
			}
			x, err := pr.num(e.Args[0])
			if err != nil {
				return frag{}, err
			}
			return sqlf(e.Name+"(%s)", x), nil
		}
	}
	return frag{}, c.errorf(e.Position(), "%s is not a number", e.String())
}

// arith renders X op Y with sub rendering the operands.
func (pr *projector) arith(e *Arith, sub func(Expr) (frag, error)) (frag, error) {
	x, err := sub(e.X)
	if err != nil {
		return frag{}, err
	}
	y, err := sub(e.Y)
	if err != nil {
		return frag{}, err
	}
	switch e.Op {
	case "/":
		return pr.c.d.divide(x, y), nil
	case "^":
		return pr.c.d.pow(x, y), nil
	}
	return sqlf("(%s "+e.Op+" %s)", x, y), nil
}

// agg renders an expression with aggregates at the outer level.
func (pr *projector) agg(e Expr) (frag, error) {
	c := pr.c
	switch e := e.(type) {
	case *Paren:
		return pr.agg(e.X)
	case *Literal:
		if e.Kind == LitNumber {
			return c.numParam(e.Value), nil
		}
	case *Arith:
		return pr.arith(e, pr.agg)
	case *Call:
		if rowFuncs[e.Name] && len(e.Args) == 1 {
			x, err := pr.agg(e.Args[0])
			if err != nil {
				return frag{}, err
			}
			return sqlf(e.Name+"(%s)", x), nil
		}
		if !aggregates[e.Name] {
			break
		}
		if len(e.Args) != 1 {
			return frag{}, c.errorf(e.Pos, "%s takes one argument", e.Name)
		}
		arg := e.Args[0]
		if hasAggregate(arg) {
			return frag{}, c.errorf(e.Pos, "aggregates cannot be nested: %s", e.String())
		}
		if e.Name == "count" {
			if r, ok := arg.(*Ref); ok && len(r.Parts) == 1 && !r.Bracket {
				id, _, err := pr.aliasID(r)
				if err != nil {
					return frag{}, err
				}
				return sqlf("count(DISTINCT %s)", pr.add(id)), nil
			}
			v, err := pr.value(arg)
			if err != nil {
				return frag{}, err
			}
			return sqlf("count(DISTINCT %s)", pr.add(v)), nil
		}
		n, err := pr.num(arg)
		if err != nil {
			return frag{}, err
		}
		return sqlf(e.Name+"(%s)", pr.add(n)), nil
	}
	return frag{}, c.errorf(e.Position(), "%s mixes per-row values with aggregates; return it as its own item or inside an aggregate", e.String())
}

// tableShape is what every branch must agree on.
type tableShape struct {
	outer   []frag // outer expressions, one per column
	columns []column
	keys    []frag
}

// project builds the columns of branch b.
func (c *compiler) project(b *branch, extra []*Ref) (*projector, *tableShape, error) {
	pr := &projector{c: c, b: b}
	sh := &tableShape{}
	for _, it := range c.q.Return.Items {
		col := column{name: it.Name()}
		var outer frag
		switch e := it.Expr.(type) {
		case *Ref:
			if e.Star || len(e.Parts) == 1 && !e.Bracket {
				if e.Star && len(e.Parts) != 1 {
					return nil, nil, c.errorf(e.Pos, "%s: .* follows an alias", e.String())
				}
				id, info, err := pr.aliasID(e)
				if err != nil {
					return nil, nil, err
				}
				col.alias = e.Parts[0]
				switch {
				case e.Star && info.kind == aliasEdge:
					col.kind = colStarEdge
				case e.Star:
					col.kind = colStar
				case info.kind == aliasEdge:
					col.kind = colEdge
				default:
					col.kind = colEntity
				}
				outer = pr.add(id)
				sh.keys = append(sh.keys, outer)
				break
			}
			v, err := pr.value(e)
			if err != nil {
				return nil, nil, err
			}
			outer = pr.add(v)
			sh.keys = append(sh.keys, outer)
		case *Literal:
			col.kind, col.konst = colConst, e.Value
		default:
			if hasAggregate(e) {
				f, err := pr.agg(e)
				if err != nil {
					return nil, nil, err
				}
				outer = c.d.quote(f)
				if call, ok := e.(*Call); ok && call.Name == "avg" {
					col.kind = colFloat
				}
				break
			}
			v, err := pr.value(e)
			if err != nil {
				return nil, nil, err
			}
			outer = pr.add(v)
			sh.keys = append(sh.keys, outer)
		}
		sh.columns = append(sh.columns, col)
		sh.outer = append(sh.outer, outer)
	}
	for _, r := range extra {
		o, err := c.aliasProp(r, b, "ORDER BY")
		if err != nil {
			return nil, nil, err
		}
		outer := pr.add(c.d.raw(o))
		sh.columns = append(sh.columns, column{name: r.String(), hidden: true})
		sh.outer = append(sh.outer, outer)
	}
	return pr, sh, nil
}

func (c *compiler) planTable(p *Plan, branches []*branch) error {
	ret := c.q.Return
	withAgg := false
	for _, it := range ret.Items {
		if hasAggregate(it.Expr) {
			withAgg = true
		}
	}
	// Sort keys that are not RETURN columns become hidden columns.
	names := map[string]int{}
	for i, it := range ret.Items {
		names[it.Name()] = i
		if it.Text != "" {
			names[it.Text] = i
		}
		names[it.Expr.String()] = i
		if it.As != "" {
			names[it.As] = i
		}
	}
	var extra []*Ref
	orderCol := make([]int, len(c.q.OrderBy))
	for i, k := range c.q.OrderBy {
		key := k.Key.String()
		if k.Key.Quoted {
			key = k.Key.Name()
		}
		if j, ok := names[key]; ok {
			orderCol[i] = j
			continue
		}
		if len(k.Key.Parts) < 2 {
			return c.errorf(k.Key.Pos, "ORDER BY %s is not a RETURN output name or alias.property", k.Key.String())
		}
		if withAgg || c.q.Unique {
			return c.errorf(k.Key.Pos, "ORDER BY %s must be a RETURN column when RETURN has aggregates or UNIQUE", k.Key.String())
		}
		orderCol[i] = len(ret.Items) + len(extra)
		extra = append(extra, k.Key)
	}
	var inner []frag
	var shape *tableShape
	for _, b := range branches {
		pr, sh, err := c.project(b, extra)
		if err != nil {
			return err
		}
		if len(pr.inner) == 0 {
			pr.inner = append(pr.inner, raw("1 AS c0"))
		}
		f, err := c.branchSelect(b, pr.inner, pr.joins...)
		if err != nil {
			return err
		}
		inner = append(inner, f)
		if shape == nil {
			shape = sh
		}
	}
	var outs []frag
	for i, o := range shape.outer {
		if shape.columns[i].kind == colConst {
			outs = append(outs, raw(fmt.Sprintf("NULL AS k%d", i)))
			continue
		}
		outs = append(outs, sqlf(fmt.Sprintf("%%s AS k%d", i), o))
	}
	distinct := ""
	if c.q.Unique && !withAgg {
		distinct = "DISTINCT "
	}
	mid := sqlf("SELECT "+distinct+"%s FROM (%s) b", joinFrags(", ", outs), joinFrags(" UNION ALL ", inner))
	if withAgg && len(shape.keys) > 0 {
		mid = sqlf("%s GROUP BY %s", mid, joinFrags(", ", shape.keys))
	}
	outputs := map[string]operand{}
	for i, it := range ret.Items {
		if shape.columns[i].kind == colConst {
			continue
		}
		o := c.d.jsonText(raw(fmt.Sprintf("t.k%d", i)))
		outputs[it.Name()] = o
		if it.As != "" {
			outputs[it.As] = o
		}
		outputs[it.Expr.String()] = o
	}
	where := frag{}
	if ret.Having != nil {
		h, err := c.filter(ret.Having, &fctx{clause: "HAVING", outputs: outputs})
		if err != nil {
			return err
		}
		where = sqlf(" WHERE %s", h)
	}
	var order []frag
	for i, k := range c.q.OrderBy {
		j := orderCol[i]
		col := shape.columns[j]
		ref := fmt.Sprintf("t.k%d", j)
		switch col.kind {
		case colConst:
			continue
		case colValue, colFloat:
			order = append(order, c.sortTerms(c.d.jsonText(raw(ref)), k.Desc)...)
		default:
			if k.Desc {
				ref += " DESC"
			}
			order = append(order, raw(ref))
		}
	}
	if len(order) > 0 || withAgg || c.q.Unique {
		for i, col := range shape.columns {
			switch col.kind {
			case colConst:
			case colValue, colFloat:
				order = append(order, raw(fmt.Sprintf("t.k%d", i)+c.d.collate()))
			default:
				order = append(order, raw(fmt.Sprintf("t.k%d", i)))
			}
		}
	}
	orderBy := frag{}
	if len(order) > 0 {
		orderBy = sqlf(" ORDER BY %s", joinFrags(", ", order))
	}
	var sel []string
	for i := range shape.columns {
		sel = append(sel, fmt.Sprintf("t.k%d", i))
	}
	if len(order) > 0 {
		p.pageCounts = true
		sel = append(sel, "count(*) OVER ()")
	}
	p.Page = sqlf("SELECT "+strings.Join(sel, ", ")+" FROM (%s) t%s%s%s", mid, where, orderBy, pageTail)
	p.Count = capped(sqlf("SELECT 1 FROM (%s) t%s", mid, where))
	p.columns = shape.columns
	return nil
}

// jsonLiteral renders a literal as JSON text.
func (c *compiler) jsonLiteral(l *Literal) (frag, error) {
	pg := c.d.name() == store.Postgres
	switch v := l.Value.(type) {
	case string:
		if pg {
			return sqlf("(to_jsonb(%s::text))::text", param(v)), nil
		}
		return sqlf("json_quote(%s)", param(v)), nil
	case int64, float64:
		if pg {
			return sqlf("(to_jsonb(CAST(%s AS numeric)))::text", param(v)), nil
		}
		return sqlf("json_quote(%s)", param(v)), nil
	case bool:
		if v {
			return raw("'true'"), nil
		}
		return raw("'false'"), nil
	}
	return raw("NULL"), nil
}
