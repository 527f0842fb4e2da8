package j1ql

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/qgraph/qgraph/internal/store"
)

// DefaultLimit is the page size when Options.Limit is zero.
const DefaultLimit = 250

// Options tune one execution.
type Options struct {
	// Limit is the page size; zero means DefaultLimit.
	Limit int
	// Cursor continues a previous result; "" starts at the first row.
	Cursor string
	// IncludeDeleted also matches soft-deleted entities and relationships.
	IncludeDeleted bool
	// Now is the time date.now stands for; zero means time.Now.
	Now time.Time
	// Variables are the values of ${name} and ${ param.name } parameters.
	Variables map[string]any
	// CountLimit bounds how far past the current page TotalCount counts;
	// beyond it the total is reported as an estimate (Result.Estimate).
	// Zero means DefaultCountLimit; a negative value counts exactly.
	CountLimit int
}

// DefaultCountLimit is how many rows past the current page are counted
// exactly when Options.CountLimit is zero.
const DefaultCountLimit = 10000

// Result types.
const (
	TypeList  = "list"
	TypeTable = "table"
	TypeTree  = "tree"
)

// colKind says how a table column's SQL value becomes a cell.
type colKind int

const (
	colValue  colKind = iota // JSON text
	colEntity                // an entity id: the cell is the entity object
	colEdge                  // a relationship id: the cell is the relationship object
	colStar                  // an entity id expanded to alias.<prop> cells
	colStarEdge
	colConst // a literal computed in Go
	colFloat // JSON text of a number always reported as a float (avg)
)

// column is one table column of the plan.
type column struct {
	name   string
	alias  string // for star columns: the alias written
	kind   colKind
	konst  any
	hidden bool // only for sorting
}

// Plan is a compiled query: SQL statements for one dialect and how to
// shape their rows.
type Plan struct {
	Type    string
	Dialect store.Dialect
	// Page lists the rows of a page; Execute fills in its LIMIT and OFFSET
	// arguments.
	Page frag
	// Count counts all rows (entities for lists, starting entities for
	// trees).
	Count frag
	// Edges lists the relationships of a tree page (same trailing
	// arguments as Page).
	Edges   frag
	columns []column
	// pageCounts is set when the page statement also returns the total
	// (count(*) OVER ()) as its last column: for sorted or aggregated
	// answers, which are computed in full anyway, this saves running the
	// query a second time.
	pageCounts bool
	branches   int
	query      *Query
	src        string
	skip       int64
	limit      int64 // 0: no LIMIT clause
}

// Compile plans a parsed query for a dialect.
func Compile(src string, q *Query, d store.Dialect, opts Options) (p *Plan, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("plan query: internal error: %v", r)
		}
	}()
	s, err := analyze(src, q)
	if err != nil {
		return nil, err
	}
	c := &compiler{d: newDialect(d), s: s, q: q, opts: opts}
	start := &branch{nodes: []int{0}, groups: map[int]int{}, bound: map[int]bool{0: true}, edgeOn: map[int]bool{}}
	branches, err := s.expand(q.Steps, start)
	if err != nil {
		return nil, err
	}
	p = &Plan{Dialect: d, branches: len(branches), query: q, src: src, skip: q.Skip}
	if q.HasLimit {
		p.limit = q.Limit
	}
	switch {
	case q.Return == nil:
		p.Type = TypeList
		err = c.planList(p, branches)
	case q.Return.Tree:
		p.Type = TypeTree
		err = c.planTree(p, branches)
	default:
		p.Type = TypeTable
		err = c.planTable(p, branches)
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Explain parses and plans src and describes the plan and its SQL.
func Explain(src string, d store.Dialect, opts Options) (string, error) {
	q, err := Parse(src)
	if err != nil {
		return "", err
	}
	p, err := Compile(src, q, d, opts)
	if err != nil {
		return "", err
	}
	return p.String(), nil
}

// String describes the plan: result type, paths, and SQL with arguments.
func (p *Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "query:   %s\n", p.query.String())
	fmt.Fprintf(&b, "result:  %s\n", p.Type)
	fmt.Fprintf(&b, "dialect: %s\n", p.Dialect)
	fmt.Fprintf(&b, "paths:   %d\n", p.branches)
	if p.Type == TypeTable {
		var names []string
		for _, c := range p.columns {
			if !c.hidden {
				names = append(names, c.name)
			}
		}
		fmt.Fprintf(&b, "columns: %s\n", strings.Join(names, ", "))
	}
	write := func(title string, f frag) {
		if f.s == "" {
			return
		}
		sql, args := finish(p.Dialect, f)
		fmt.Fprintf(&b, "\n%s:\n%s\n", title, sql)
		if len(args) > 0 {
			parts := make([]string, len(args))
			for i, a := range args {
				switch a.(type) {
				case pageLimit:
					parts[i] = fmt.Sprintf("%d=<page size>", i+1)
				case pageOffset:
					parts[i] = fmt.Sprintf("%d=<offset>", i+1)
				case countCap:
					parts[i] = fmt.Sprintf("%d=<count limit>", i+1)
				default:
					parts[i] = fmt.Sprintf("%d=%#v", i+1, a)
				}
			}
			fmt.Fprintf(&b, "args: %s\n", strings.Join(parts, " "))
		}
	}
	write("page SQL", p.Page)
	write("edges SQL", p.Edges)
	write("count SQL", p.Count)
	return b.String()
}

// entityCols are the columns read for an entity object.
func (c *compiler) entityCols(a string) string {
	if c.d.name() == store.Postgres {
		return a + ".id, " + a + ".key, " + a + ".type, " + a + ".classes::text, " + a + ".props::text, " + a + ".scope, " + a + ".version, " + a + ".begin_on, CASE WHEN " + a + ".deleted THEN 1 ELSE 0 END"
	}
	return a + ".id, " + a + ".key, " + a + ".type, " + a + ".classes, " + a + ".props, " + a + ".scope, " + a + ".version, " + a + ".begin_on, CASE WHEN " + a + ".deleted THEN 1 ELSE 0 END"
}

// edgeCols are the columns read for a relationship object.
func (c *compiler) edgeCols(a string) string {
	props := a + ".props"
	if c.d.name() == store.Postgres {
		props += "::text"
	}
	return a + ".id, " + a + ".key, " + a + ".type, " + a + ".class, " + props + ", " + a + ".scope, " + a + ".version, " + a + ".begin_on, CASE WHEN " + a + ".deleted THEN 1 ELSE 0 END, " +
		a + ".from_id, " + a + ".to_id, (SELECT key FROM entities WHERE id = " + a + ".from_id), (SELECT key FROM entities WHERE id = " + a + ".to_id)"
}

// branchSelect renders SELECT cols FROM path WHERE conds [AND where].
func (c *compiler) branchSelect(b *branch, cols []frag, joins ...frag) (frag, error) {
	from, conds, err := c.pathSQL(b, false)
	if err != nil {
		return frag{}, err
	}
	for _, j := range joins {
		from = sqlf("%s %s", from, j)
	}
	if c.q.Where != nil {
		w, err := c.filter(c.q.Where, &fctx{clause: "WHERE", b: b})
		if err != nil {
			return frag{}, err
		}
		conds = append(conds, w)
	}
	return sqlf("SELECT %s FROM %s WHERE %s", joinFrags(", ", cols), from, and(conds...)), nil
}

// pageLimit and pageOffset mark the arguments Execute fills in per page.
type (
	pageLimit  struct{}
	pageOffset struct{}
	countCap   struct{}
)

// capped wraps a statement listing rows so that it counts at most the
// count-cap marker's rows.
func capped(rows frag) frag {
	return sqlf("SELECT count(*) FROM (%s LIMIT %s) capped", rows, param(countCap{}))
}

var pageTail = sqlf(" LIMIT %s OFFSET %s", param(pageLimit{}), param(pageOffset{}))

// planList selects the starting entities directly and tests the rest of
// each path with a correlated EXISTS, so that a page stops as soon as it
// has enough entities.
func (c *compiler) planList(p *Plan, branches []*branch) error {
	start := nodeAlias(0)
	conds, err := c.selectorConds(c.q.Start, start)
	if err != nil {
		return err
	}
	var alts []frag
	for _, b := range branches {
		from, bconds, err := c.pathSQL(b, true)
		if err != nil {
			return err
		}
		if c.q.Where != nil {
			w, err := c.filter(c.q.Where, &fctx{clause: "WHERE", b: b})
			if err != nil {
				return err
			}
			bconds = append(bconds, w)
		}
		if len(b.edges) == 0 {
			alts = append(alts, and(bconds...))
			continue
		}
		alts = append(alts, sqlf("EXISTS (SELECT 1 FROM %s WHERE %s)", from, and(bconds...)))
	}
	conds = append(conds, or(alts...))
	where := and(conds...)
	var order []frag
	for _, k := range c.q.OrderBy {
		if len(k.Key.Parts) < 2 {
			return c.errorf(k.Key.Pos, "ORDER BY %s: a list result sorts by alias.property", k.Key.String())
		}
		info, err := c.s.lookup(k.Key.Parts[0], k.Key.Pos, "ORDER BY")
		if err != nil {
			return err
		}
		if info.kind != aliasNode || info.id != 0 {
			return c.errorf(k.Key.Pos, "ORDER BY %s: without RETURN, results are the first selector's entities, so sort keys must use its alias", k.Key.String())
		}
		o := c.propOperand(start, false, strings.Join(k.Key.Parts[1:], "."))
		order = append(order, c.sortTerms(o, k.Desc)...)
	}
	total := ""
	if len(order) > 0 {
		p.pageCounts, total = true, ", count(*) OVER ()"
	}
	order = append(order, raw(start+".id"))
	p.Page = sqlf("SELECT "+c.entityCols(start)+total+" FROM entities "+start+" WHERE %s ORDER BY %s%s", where, joinFrags(", ", order), pageTail)
	p.Count = capped(sqlf("SELECT 1 FROM entities "+start+" WHERE %s", where))
	return nil
}

// sortTerms renders the ORDER BY terms of one key: missing values last,
// then numbers, strings, booleans.
func (c *compiler) sortTerms(o operand, desc bool) []frag {
	keys := c.d.sortKeys(o)
	out := []frag{keys[0]}
	for _, k := range keys[1:] {
		if desc {
			k = sqlf("%s DESC", k)
		}
		out = append(out, k)
	}
	return out
}

func (c *compiler) planTree(p *Plan, branches []*branch) error {
	nodeSet, edgeSet := map[int]bool{}, map[int]bool{}
	for _, b := range branches {
		for _, n := range b.nodes {
			nodeSet[n] = true
		}
		for _, e := range b.edges {
			edgeSet[e] = true
		}
	}
	nodes, edges := sortedKeys(nodeSet), sortedKeys(edgeSet)
	var sel []frag
	for _, b := range branches {
		var cols []frag
		for _, n := range nodes {
			if n == b.nodes[0] || b.bound[n] {
				cols = append(cols, raw(nodeAlias(n)+".id AS "+nodeAlias(n)))
			} else {
				cols = append(cols, raw("NULL AS "+nodeAlias(n)))
			}
		}
		for _, e := range edges {
			if b.edgeOn[e] {
				cols = append(cols, raw(edgeAlias(e)+".id AS "+edgeAlias(e)))
			} else {
				cols = append(cols, raw("NULL AS "+edgeAlias(e)))
			}
		}
		f, err := c.branchSelect(b, cols)
		if err != nil {
			return err
		}
		sel = append(sel, f)
	}
	cte := sqlf("WITH b AS (%s), s AS (SELECT DISTINCT n0 FROM b ORDER BY n0 LIMIT %s OFFSET %s), k AS (SELECT * FROM b WHERE n0 IN (SELECT n0 FROM s)) ",
		joinFrags(" UNION ALL ", sel), param(pageLimit{}), param(pageOffset{}))
	var nu, eu []string
	for _, n := range nodes {
		nu = append(nu, "SELECT "+nodeAlias(n)+" FROM k")
	}
	for _, e := range edges {
		eu = append(eu, "SELECT "+edgeAlias(e)+" FROM k")
	}
	p.Page = sqlf("%sSELECT "+c.entityCols("e")+" FROM entities e WHERE e.id IN ("+strings.Join(nu, " UNION ")+") ORDER BY e.id", cte)
	if len(eu) > 0 {
		p.Edges = sqlf("%sSELECT "+c.edgeCols("r")+" FROM relationships r WHERE r.id IN ("+strings.Join(eu, " UNION ")+") ORDER BY r.id", cte)
	}
	p.Count = capped(sqlf("SELECT DISTINCT n0 FROM (%s) b", joinFrags(" UNION ALL ", sel)))
	return nil
}

func sortedKeys(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}
