package j1ql

import (
	"regexp"
	"strings"
	"time"
)

// fctx is what a filter is compiled against.
type fctx struct {
	clause   string  // "WITH", "WHERE" or "HAVING"
	self     string  // WITH: the alias of the filtered object
	selfEdge bool    // WITH on a relationship (not reachable from J1QL today)
	b        *branch // WHERE: alias bindings of the branch
	outputs  map[string]operand
}

// regexValue is a regex literal ready for SQL.
type regexValue struct {
	pattern string
	flags   string
}

// undefinedValue stands for the literal undefined.
type undefinedValue struct{}

// positiveOps maps negated operators to their positive form.
var positiveOps = map[string]string{"!=": "=", "!~=": "~=", "!^=": "^=", "!$=": "$="}

// flipped is the operator to use when the two sides are swapped.
var flipped = map[string]string{"=": "=", "!=": "!=", ">": "<", "<": ">", ">=": "<=", "<=": ">="}

// filter compiles a WITH, WHERE or HAVING expression.
func (c *compiler) filter(e Expr, ctx *fctx) (frag, error) {
	switch e := e.(type) {
	case *Logical:
		x, err := c.filter(e.X, ctx)
		if err != nil {
			return frag{}, err
		}
		y, err := c.filter(e.Y, ctx)
		if err != nil {
			return frag{}, err
		}
		if e.Op == "AND" {
			return sqlf("(%s AND %s)", x, y), nil
		}
		return sqlf("(%s OR %s)", x, y), nil
	case *Paren:
		return c.filter(e.X, ctx)
	case *Comparison:
		return c.comparison(e, ctx)
	}
	return frag{}, c.errorf(e.Position(), "expected a comparison in %s, found %s", ctx.clause, e.String())
}

// isValue reports whether e is a value rather than a reference.
func isValue(e Expr) bool {
	switch e.(type) {
	case *Ref:
		return false
	}
	return true
}

func (c *compiler) comparison(cmp *Comparison, ctx *fctx) (frag, error) {
	left, right, op := cmp.Left, cmp.Right, cmp.Op
	if isValue(left) {
		if isValue(right) {
			return frag{}, c.errorf(cmp.Pos, "comparison %s has no property on either side", cmp.String())
		}
		f, ok := flipped[op]
		if !ok {
			return frag{}, c.errorf(cmp.Pos, "operator %s needs the property on its left: %s", op, cmp.String())
		}
		left, right, op = right, left, f
	}
	lo, err := c.operand(left.(*Ref), ctx)
	if err != nil {
		return frag{}, err
	}
	pos, negated := op, false
	if p, ok := positiveOps[op]; ok {
		pos, negated = p, true
	}
	var f frag
	switch r := right.(type) {
	case *Ref:
		ro, err := c.operand(r, ctx)
		if err != nil {
			return frag{}, err
		}
		f, err = c.crossPred(lo, pos, ro, cmp.Pos)
		if err != nil {
			return frag{}, err
		}
	case *ValueSet:
		var fs []frag
		for _, v := range r.Values {
			p, err := c.valuePred(lo, pos, v)
			if err != nil {
				return frag{}, err
			}
			fs = append(fs, p)
		}
		if r.Op == "AND" {
			f = and(fs...)
		} else {
			f = or(fs...)
		}
	default:
		f, err = c.valuePred(lo, pos, right)
		if err != nil {
			return frag{}, err
		}
	}
	if negated {
		return sqlf("NOT COALESCE(%s, FALSE)", f), nil
	}
	return f, nil
}

// value evaluates a literal, date or parameter.
func (c *compiler) value(e Expr) (any, error) {
	switch e := e.(type) {
	case *Literal:
		switch e.Kind {
		case LitUndefined:
			return undefinedValue{}, nil
		case LitRegex:
			return regexValue{pattern: e.Value.(string), flags: e.Text}, nil
		}
		return e.Value, nil
	case *DateExpr:
		return c.dateValue(e)
	case *Param:
		name := strings.TrimPrefix(e.Name, "param.")
		v, ok := c.opts.Variables[e.Name]
		if !ok {
			v, ok = c.opts.Variables[name]
		}
		if !ok {
			return nil, c.errorf(e.Pos, "no value for parameter ${%s}", e.Name)
		}
		switch v.(type) {
		case string, int64, float64, bool, []any:
			return v, nil
		case int:
			return int64(v.(int)), nil
		}
		return nil, c.errorf(e.Pos, "parameter ${%s} has a value of unsupported type %T", e.Name, v)
	}
	return nil, c.errorf(e.Position(), "expected a value, found %s", e.String())
}

// dateValue evaluates a date expression to epoch milliseconds.
func (c *compiler) dateValue(d *DateExpr) (any, error) {
	if d.ISO != "" {
		t, ok := parseISODate(d.ISO)
		if !ok {
			return nil, c.errorf(d.Pos, "bad date %q", d.ISO)
		}
		return t.UnixMilli(), nil
	}
	now := c.opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	ms := now.UnixMilli()
	if d.Sign != 0 {
		unit, ok := dateUnits[d.Unit]
		if !ok {
			return nil, c.errorf(d.Pos, "bad date unit %q", d.Unit)
		}
		ms += int64(float64(d.Sign) * d.Amount * float64(unit.Milliseconds()))
	}
	return ms, nil
}

// valuePred compiles "operand op value" for a positive operator.
func (c *compiler) valuePred(o operand, op string, e Expr) (frag, error) {
	v, err := c.value(e)
	if err != nil {
		return frag{}, err
	}
	if list, ok := v.([]any); ok {
		var fs []frag
		for _, x := range list {
			p, err := c.literalPred(o, op, x, e.Position())
			if err != nil {
				return frag{}, err
			}
			fs = append(fs, p)
		}
		if len(fs) == 0 {
			return raw("1=0"), nil
		}
		return or(fs...), nil
	}
	return c.literalPred(o, op, v, e.Position())
}

func (c *compiler) literalPred(o operand, op string, v any, pos int) (frag, error) {
	d := c.d
	if _, ok := v.(undefinedValue); ok {
		if op != "=" {
			return frag{}, c.errorf(pos, "undefined can only be compared with = or !=")
		}
		return d.undefined(o), nil
	}
	if o.null {
		return raw("1=0"), nil
	}
	e := c.elemAlias()
	exists := func(pred frag) frag {
		return sqlf("EXISTS (SELECT 1 FROM %s WHERE %s)", d.elems(o, e), pred)
	}
	switch x := v.(type) {
	case regexValue:
		p := x.pattern
		switch op {
		case "=", "~=":
		case "^=":
			p = "^(?:" + p + ")"
		case "$=":
			p = "(?:" + p + ")$"
		default:
			return frag{}, c.errorf(pos, "operator %s cannot take a regular expression", op)
		}
		for _, f := range x.flags {
			if f != 'i' {
				return frag{}, c.errorf(pos, "unknown regular expression flag %q (only i is supported)", f)
			}
			p = "(?i)" + p
		}
		if _, err := regexp.Compile(p); err != nil {
			return frag{}, c.errorf(pos, "bad regular expression /%s/: %v", x.pattern, err)
		}
		if d.name() == "postgres" && strings.HasPrefix(p, "(?i)") {
			return exists(sqlf("%s ~* %s::text", d.elemStr(e), param(strings.TrimPrefix(p, "(?i)")))), nil
		}
		return exists(d.regex(d.elemStr(e), p)), nil
	case string:
		switch op {
		case "~=":
			return exists(d.contains(d.elemStr(e), param(x))), nil
		case "^=":
			return exists(d.startsWith(d.elemStr(e), x)), nil
		case "$=":
			return exists(d.endsWith(d.elemStr(e), x)), nil
		case "=":
			switch {
			case o.scalarCol != "":
				return d.scalarEq(o, x), nil
			case o.classesOf != "":
				return sqlf(o.classesOf+".id IN (SELECT entity_id FROM entity_classes WHERE class = %s)", param(x)), nil
			case o.indexed || d.name() == "postgres":
				return d.scalarEq(o, x), nil
			}
			return exists(sqlf("%s = %s", d.elemStr(e), param(x))), nil
		}
		if o.scalarCol != "" {
			return sqlf(o.scalarCol+d.collate()+" "+op+" %s", param(x)), nil
		}
		return exists(sqlf("%s"+d.collate()+" "+op+" %s", d.elemStr(e), param(x))), nil
	case int64, float64:
		switch op {
		case "~=", "^=", "$=":
			return frag{}, c.errorf(pos, "operator %s needs a string or a regular expression, found number %v", op, x)
		case "=":
			if o.indexed || d.name() == "postgres" {
				return d.scalarEq(o, x), nil
			}
			return exists(sqlf("%s = %s", d.elemNum(e), c.numParam(x))), nil
		}
		if o.indexed {
			return d.scalarCmp(o, op, x), nil
		}
		return exists(sqlf("%s "+op+" %s", d.elemNum(e), c.numParam(x))), nil
	case bool:
		if op != "=" {
			return frag{}, c.errorf(pos, "operator %s cannot compare booleans", op)
		}
		if o.indexed || d.name() == "postgres" {
			return d.scalarEq(o, x), nil
		}
		n := int64(0)
		if x {
			n = 1
		}
		return exists(sqlf("%s = %s", d.elemBool(e), param(n))), nil
	}
	return frag{}, c.errorf(pos, "cannot compare with a value of type %T", v)
}

// numParam binds a number so both dialects know its type.
func (c *compiler) numParam(v any) frag {
	if c.d.name() == "postgres" {
		return sqlf("CAST(%s AS numeric)", param(v))
	}
	return param(v)
}

// crossPred compiles "a op b" between two properties: true when some
// element of a and some element of b satisfy op with the same type.
func (c *compiler) crossPred(a operand, op string, b operand, pos int) (frag, error) {
	if a.null || b.null {
		return raw("1=0"), nil
	}
	d := c.d
	ea, eb := c.elemAlias(), c.elemAlias()
	sa, sb := d.elemStr(ea), d.elemStr(eb)
	var pred frag
	switch op {
	case "=":
		pred = or(sqlf("%s = %s", sa, sb), sqlf("%s = %s", d.elemNum(ea), d.elemNum(eb)), sqlf("%s = %s", d.elemBool(ea), d.elemBool(eb)))
	case "<", ">", "<=", ">=":
		pred = or(sqlf("%s"+d.collate()+" "+op+" %s", sa, sb), sqlf("%s "+op+" %s", d.elemNum(ea), d.elemNum(eb)))
	case "~=":
		pred = d.contains(sa, sb)
	case "^=":
		if d.name() == "postgres" {
			pred = sqlf("starts_with(%s, %s)", sa, sb)
		} else {
			pred = sqlf("substr(%s, 1, length(%s)) = %s", sa, sb, sb)
		}
	case "$=":
		if d.name() == "postgres" {
			pred = sqlf("right(%s, char_length(%s)) = %s", sa, sb, sb)
		} else {
			pred = sqlf("(length(%s) = 0 OR substr(%s, -length(%s)) = %s)", sb, sa, sb, sb)
		}
	default:
		return frag{}, c.errorf(pos, "operator %s cannot compare two properties", op)
	}
	return sqlf("EXISTS (SELECT 1 FROM %s, %s WHERE %s)", d.elems(a, ea), d.elems(b, eb), pred), nil
}

// operand resolves a reference in a filter.
func (c *compiler) operand(r *Ref, ctx *fctx) (operand, error) {
	if r.Star {
		return operand{}, c.errorf(r.Pos, "%s cannot be compared", r.String())
	}
	switch ctx.clause {
	case "WITH":
		return c.propOperand(ctx.self, ctx.selfEdge, strings.Join(r.Parts, ".")), nil
	case "HAVING":
		name := strings.Join(r.Parts, ".")
		if o, ok := ctx.outputs[name]; ok {
			return o, nil
		}
		return operand{}, c.errorf(r.Pos, "HAVING refers to %s, which is not a RETURN output name", name)
	}
	if len(r.Parts) < 2 {
		return operand{}, c.errorf(r.Pos, "%s needs alias.property, found %s", ctx.clause, r.String())
	}
	return c.aliasProp(r, ctx.b, ctx.clause)
}

// aliasProp resolves alias.property on branch b.
func (c *compiler) aliasProp(r *Ref, b *branch, clause string) (operand, error) {
	info, err := c.s.lookup(r.Parts[0], r.Pos, clause)
	if err != nil {
		return operand{}, err
	}
	alias, isEdge, ok := c.bind(info, b)
	if !ok {
		return c.d.null(), nil
	}
	return c.propOperand(alias, isEdge, strings.Join(r.Parts[1:], ".")), nil
}

// bind returns the SQL alias an alias stands for on branch b; ok is false
// when it is not bound there (a skipped optional group).
func (c *compiler) bind(info *aliasInfo, b *branch) (alias string, isEdge, ok bool) {
	if info.negated {
		return "", false, false // declared inside a negated path (lookup refuses it): never bound
	}
	switch info.kind {
	case aliasEdge:
		return edgeAlias(info.id), true, b.edgeOn[info.id]
	case aliasGroup:
		n, ok := b.groups[info.id]
		return nodeAlias(n), false, ok
	}
	return nodeAlias(info.id), false, info.id == b.nodes[0] || b.bound[info.id]
}

// propOperand maps a property name of an entity or relationship alias to
// a column (metadata) or a JSON property.
func (c *compiler) propOperand(alias string, isEdge bool, name string) operand {
	d := c.d
	switch name {
	case "_key":
		return d.column(alias+".key", 's')
	case "_type":
		return d.column(alias+".type", 's')
	case "_scope":
		return d.column(alias+".scope", 's')
	case "_id":
		return d.column("CAST("+alias+".id AS TEXT)", 's')
	case "_version":
		return d.column(alias+".version", 'i')
	case "_beginOn":
		return d.column(alias+".begin_on", 'i')
	case "_deleted":
		return d.column(alias+".deleted", 'b')
	case "_class":
		if isEdge {
			return d.column(alias+".class", 's')
		}
		return d.classes(alias)
	}
	if isEdge {
		switch name {
		case "_fromEntityKey":
			return d.column("(SELECT key FROM entities WHERE id = "+alias+".from_id)", 's')
		case "_toEntityKey":
			return d.column("(SELECT key FROM entities WHERE id = "+alias+".to_id)", 's')
		}
	}
	return d.prop(alias, name, indexedProps[name] && !isEdge)
}
