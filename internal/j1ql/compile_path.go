package j1ql

import (
	"fmt"
	"strings"

	"github.com/qgraph/qgraph/internal/store"
)

// compiler turns an analysed query into SQL for one dialect.
type compiler struct {
	d    dialect
	s    *scope
	q    *Query
	opts Options
	tmp  int // counter for element aliases
}

func nodeAlias(id int) string { return fmt.Sprintf("n%d", id) }
func edgeAlias(id int) string { return fmt.Sprintf("r%d", id) }

func (c *compiler) errorf(pos int, format string, args ...any) error {
	return newError(c.s.src, pos, format, args...)
}

// elemAlias returns a fresh alias for a json_each / jsonb_array_elements row.
func (c *compiler) elemAlias() string {
	c.tmp++
	return fmt.Sprintf("j%d", c.tmp)
}

// deletedCond excludes soft-deleted rows unless the options ask for them.
func (c *compiler) deletedCond(alias string) frag {
	if c.opts.IncludeDeleted {
		return frag{}
	}
	return raw("NOT " + alias + ".deleted")
}

// pathSQL renders the joins and conditions of branch b. When anchored,
// the first node is an outer query's alias and is not joined again.
func (c *compiler) pathSQL(b *branch, anchored bool) (from frag, conds []frag, err error) {
	var parts []frag
	if !anchored {
		n0 := b.nodes[0]
		parts = append(parts, raw("entities "+nodeAlias(n0)))
		cs, err := c.selectorConds(c.s.nodes[n0].sel, nodeAlias(n0))
		if err != nil {
			return frag{}, nil, err
		}
		conds = append(conds, cs...)
	}
	for i, eid := range b.edges {
		prev, next := nodeAlias(b.nodes[i]), nodeAlias(b.nodes[i+1])
		tr := c.s.edges[eid].trav
		r := edgeAlias(eid)
		ec, err := c.edgeConds(tr, r)
		if err != nil {
			return frag{}, nil, err
		}
		rlink, link := c.link(prev, r, next, tr.Dir)
		ec = append(ec, rlink)
		nc, err := c.selectorConds(tr.Target, next)
		if err != nil {
			return frag{}, nil, err
		}
		if i == 0 && anchored {
			parts = append(parts, raw("relationships "+r))
			parts = append(parts, sqlf("JOIN entities "+next+" ON %s", link))
			conds = append(conds, ec...)
		} else {
			parts = append(parts, sqlf("JOIN relationships "+r+" ON %s", and(ec...)))
			parts = append(parts, sqlf("JOIN entities "+next+" ON %s", link))
		}
		conds = append(conds, nc...)
	}
	for _, ng := range b.negs {
		f, err := c.negationSQL(ng)
		if err != nil {
			return frag{}, nil, err
		}
		conds = append(conds, f)
	}
	return joinFrags(" ", parts), conds, nil
}

// link joins relationship r to the entities prev and next: rlink ties r to
// prev (so that the from_id / to_id indexes drive the join), link ties
// next to r.
func (c *compiler) link(prev, r, next string, dir Direction) (rlink, link frag) {
	switch dir {
	case Outgoing:
		return raw(r + ".from_id = " + prev + ".id"), raw(next + ".id = " + r + ".to_id")
	case Incoming:
		return raw(r + ".to_id = " + prev + ".id"), raw(next + ".id = " + r + ".from_id")
	}
	// The deleted test is repeated inside each arm so that SQLite can use
	// the partial indexes (WHERE NOT deleted) for the OR.
	live := ""
	if !c.opts.IncludeDeleted {
		live = " AND NOT " + r + ".deleted"
	}
	return raw("((" + r + ".from_id = " + prev + ".id" + live + ") OR (" + r + ".to_id = " + prev + ".id" + live + "))"),
		raw(next + ".id = (CASE WHEN " + r + ".from_id = " + prev + ".id THEN " + r + ".to_id ELSE " + r + ".from_id END)")
}

// negationSQL renders NOT EXISTS for every reading of a negated path.
func (c *compiler) negationSQL(ng negation) (frag, error) {
	first := ng.steps[0].(*Traversal)
	e, n := c.s.edgeOf[first], c.s.nodeOf[first.Target]
	b := &branch{nodes: []int{ng.anchor, n.id}, edges: []int{e.id}, groups: map[int]int{}, bound: map[int]bool{n.id: true}, edgeOn: map[int]bool{e.id: true}}
	subs, err := c.s.expand(ng.steps[1:], b)
	if err != nil {
		return frag{}, err
	}
	var out []frag
	for _, sb := range subs {
		from, conds, err := c.pathSQL(sb, true)
		if err != nil {
			return frag{}, err
		}
		out = append(out, sqlf("NOT EXISTS (SELECT 1 FROM %s WHERE %s)", from, and(conds...)))
	}
	return and(out...), nil
}

// edgeConds filters a traversed relationship by its verbs.
func (c *compiler) edgeConds(tr *Traversal, r string) ([]frag, error) {
	conds := []frag{c.deletedCond(r)}
	// In SQLite the class test is kept off indexes (unary +): an automatic
	// index on class is never better than following from_id / to_id.
	plus := "+"
	if c.d.name() == store.Postgres {
		plus = ""
	}
	if len(tr.Verbs) == 1 {
		conds = append(conds, sqlf(plus+r+".class = %s", param(tr.Verbs[0])))
	} else if len(tr.Verbs) > 1 {
		ps := make([]frag, len(tr.Verbs))
		for i, v := range tr.Verbs {
			ps[i] = param(v)
		}
		conds = append(conds, sqlf(plus+r+".class IN (%s)", joinFrags(", ", ps)))
	}
	return conds, nil
}

// selectorConds filters the entity alias by a selector's target and WITH.
func (c *compiler) selectorConds(sel *Selector, alias string) ([]frag, error) {
	conds := []frag{c.deletedCond(alias)}
	t := sel.Target
	switch t.Kind {
	case TargetWords:
		var types, classes []frag
		for _, w := range t.Words {
			if w.Class {
				classes = append(classes, param(w.Name))
			} else {
				types = append(types, param(w.Name))
			}
		}
		var alts []frag
		if len(types) == 1 {
			alts = append(alts, sqlf(alias+".type = %s", types[0]))
		} else if len(types) > 1 {
			alts = append(alts, sqlf(alias+".type IN (%s)", joinFrags(", ", types)))
		}
		if len(classes) == 1 {
			alts = append(alts, sqlf(alias+".id IN (SELECT entity_id FROM entity_classes WHERE class = %s)", classes[0]))
		} else if len(classes) > 1 {
			alts = append(alts, sqlf(alias+".id IN (SELECT entity_id FROM entity_classes WHERE class IN (%s))", joinFrags(", ", classes)))
		}
		conds = append(conds, or(alts...))
	case TargetFullText:
		for _, tok := range strings.Fields(strings.ToLower(t.Text)) {
			doc := raw("lower(" + alias + ".key || ' ' || " + alias + ".type || ' ' || " + alias + ".classes || ' ' || " + alias + ".props)")
			if c.d.name() == "postgres" {
				doc = raw("lower(" + alias + ".key || ' ' || " + alias + ".type || ' ' || " + alias + ".classes::text || ' ' || " + alias + ".props::text)")
			}
			conds = append(conds, c.d.contains(doc, param(tok)))
		}
	}
	if t.Smart != "" {
		f, err := c.filter(smartFilter(t.Smart, sel.Pos), &fctx{self: alias, clause: "WITH"})
		if err != nil {
			return nil, err
		}
		conds = append(conds, f)
	}
	if sel.With != nil {
		f, err := c.filter(sel.With, &fctx{self: alias, clause: "WITH"})
		if err != nil {
			return nil, err
		}
		conds = append(conds, f)
	}
	return conds, nil
}

// criticalAsset is the default definition of #CriticalAsset.
const criticalAsset = `_class = ('Application' or 'CodeRepo' or 'DataStore' or 'Function' or 'Host' or 'Logs') and (tag.Production = true and classification = 'critical') or tags = 'CriticalAsset'`

// smartFilter expands a smart class to a WITH filter.
func smartFilter(name string, pos int) Expr {
	if name == "CriticalAsset" {
		q, err := Parse("FIND * WITH " + criticalAsset)
		if err == nil {
			return q.Start.With
		}
	}
	return &Logical{Pos: pos, Op: "OR",
		X: &Comparison{Pos: pos, Op: "=", Left: &Ref{Pos: pos, Parts: []string{"tags"}}, Right: &Literal{Pos: pos, Kind: LitString, Value: name}},
		Y: &Comparison{Pos: pos, Op: "=", Left: &Ref{Pos: pos, Parts: []string{"tag." + name}}, Right: &Literal{Pos: pos, Kind: LitBool, Value: true}},
	}
}
