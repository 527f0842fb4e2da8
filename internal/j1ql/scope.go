package j1ql

import (
	"fmt"
	"sort"
	"strings"
)

// aliasKind says what an alias names.
type aliasKind int

const (
	aliasNode  aliasKind = iota // an entity selector
	aliasEdge                   // a relationship of a traversal
	aliasGroup                  // an optional group: whichever entity is current
)

// aliasInfo is one name usable in WHERE, RETURN and ORDER BY.
type aliasInfo struct {
	kind    aliasKind
	id      int // node id, edge id, or group id
	negated bool
	negPos  int // when negated, the position of the negated traversal
	pos     int // where the alias is declared (the AS name, or the selector)
}

// node is a selector with its id; edge is a traversal with its id.
type node struct {
	id      int
	sel     *Selector
	negated bool
}

type edge struct {
	id      int
	trav    *Traversal
	negated bool
}

// scope holds the query's selectors, traversals and aliases.
type scope struct {
	src       string
	nodes     []*node
	edges     []*edge
	groups    map[*Optional]int
	nodeOf    map[*Selector]*node
	edgeOf    map[*Traversal]*edge
	aliases   map[string]*aliasInfo // explicit and default aliases
	verbAlias map[string]*aliasInfo // default relationship aliases, lower case
}

// analyze numbers the selectors and traversals and collects the aliases.
func analyze(src string, q *Query) (*scope, error) {
	s := &scope{
		src: src, groups: map[*Optional]int{}, nodeOf: map[*Selector]*node{}, edgeOf: map[*Traversal]*edge{},
		aliases: map[string]*aliasInfo{}, verbAlias: map[string]*aliasInfo{},
	}
	var errs ErrorList
	explicit := map[string]bool{}
	defWords := map[string][]*aliasInfo{}
	defVerbs := map[string][]*aliasInfo{}
	addAlias := func(id *Ident, info *aliasInfo) {
		if id == nil {
			return
		}
		if explicit[id.Name] {
			errs = append(errs, newError(src, id.Pos, "alias %s is declared twice", id.Name))
			return
		}
		explicit[id.Name] = true
		info.pos = id.Pos
		s.aliases[id.Name] = info
	}
	addNode := func(sel *Selector, negated bool, negPos int) {
		n := &node{id: len(s.nodes), sel: sel, negated: negated}
		s.nodes = append(s.nodes, n)
		s.nodeOf[sel] = n
		info := &aliasInfo{kind: aliasNode, id: n.id, negated: negated, negPos: negPos, pos: sel.Pos}
		addAlias(sel.Alias, info)
		if t := sel.Target; t.Kind == TargetWords && !t.Union && len(t.Words) == 1 && t.Smart == "" {
			defWords[t.Words[0].Name] = append(defWords[t.Words[0].Name], info)
		}
	}
	addNode(q.Start, false, 0)
	// negPos is the position of the outermost negated traversal, when
	// negated.
	var walk func(steps []Step, negated bool, negPos int)
	walk = func(steps []Step, negated bool, negPos int) {
		for _, st := range steps {
			switch st := st.(type) {
			case *Traversal:
				if st.Negated && !negated {
					negated, negPos = true, st.Pos
				}
				e := &edge{id: len(s.edges), trav: st, negated: negated}
				s.edges = append(s.edges, e)
				s.edgeOf[st] = e
				info := &aliasInfo{kind: aliasEdge, id: e.id, negated: negated, negPos: negPos, pos: st.Pos}
				addAlias(st.Alias, info)
				if len(st.Verbs) == 1 {
					v := strings.ToLower(st.Verbs[0])
					defVerbs[v] = append(defVerbs[v], info)
				}
				addNode(st.Target, negated, negPos)
			case *Optional:
				id := len(s.groups)
				s.groups[st] = id
				walk(st.Steps, negated, negPos)
				addAlias(st.Alias, &aliasInfo{kind: aliasGroup, id: id, negated: negated, negPos: negPos, pos: st.Pos})
			}
		}
	}
	walk(q.Steps, false, 0)
	for w, infos := range defWords {
		if len(infos) == 1 && !explicit[w] {
			s.aliases[w] = infos[0]
		}
	}
	for v, infos := range defVerbs {
		if len(infos) == 1 {
			s.verbAlias[v] = infos[0]
		}
	}
	return s, errs.sortAndDedupe().Err()
}

// lookup resolves an alias used at pos. An alias declared inside a
// negated traversal is an error: the negation keeps rows where no such
// path exists, so the alias never names an entity or relationship.
func (s *scope) lookup(name string, pos int, clause string) (*aliasInfo, error) {
	info := s.aliases[name]
	if info == nil {
		info = s.verbAlias[strings.ToLower(name)]
	}
	if info == nil {
		return nil, newError(s.src, pos, "unknown alias %s in %s; known aliases: %s", name, clause, s.aliasNames())
	}
	if info.negated {
		declLine, declCol := position(s.src, info.pos)
		negLine, negCol := position(s.src, info.negPos)
		return nil, newError(s.src, pos, "alias %s (declared at %d:%d) is inside the negated traversal at %d:%d, which matches no row, so %s cannot use it; use an alias outside the THAT ! step",
			name, declLine, declCol, negLine, negCol, clause)
	}
	return info, nil
}

func (s *scope) aliasNames() string {
	var names []string
	for n := range s.aliases {
		names = append(names, n)
	}
	for n := range s.verbAlias {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, ", ")
}

// branch is one linear reading of the query: the optional groups it
// traverses are expanded, the others skipped.
type branch struct {
	nodes  []int        // node ids along the path, first is the start
	edges  []int        // edges[i] joins nodes[i] and nodes[i+1]
	negs   []negation   // negated remainders, anchored at a node
	groups map[int]int  // group id → node id current after the group
	bound  map[int]bool // node ids present
	edgeOn map[int]bool // edge ids present
}

// negation is a negated path starting at node anchor.
type negation struct {
	anchor int
	steps  []Step // the first is the negated traversal
}

func (b *branch) clone() *branch {
	c := &branch{
		nodes: append([]int(nil), b.nodes...), edges: append([]int(nil), b.edges...),
		negs: append([]negation(nil), b.negs...), groups: map[int]int{}, bound: map[int]bool{}, edgeOn: map[int]bool{},
	}
	for k, v := range b.groups {
		c.groups[k] = v
	}
	for k, v := range b.bound {
		c.bound[k] = v
	}
	for k, v := range b.edgeOn {
		c.edgeOn[k] = v
	}
	return c
}

func (b *branch) current() int { return b.nodes[len(b.nodes)-1] }

// maxBranches bounds the expansion of optional groups.
const maxBranches = 64

// expand returns every branch of steps continuing b.
func (s *scope) expand(steps []Step, b *branch) ([]*branch, error) {
	if len(steps) == 0 {
		return []*branch{b}, nil
	}
	switch st := steps[0].(type) {
	case *Traversal:
		if st.Negated {
			b.negs = append(b.negs, negation{anchor: b.current(), steps: steps})
			return []*branch{b}, nil
		}
		e, n := s.edgeOf[st], s.nodeOf[st.Target]
		b.edges = append(b.edges, e.id)
		b.nodes = append(b.nodes, n.id)
		b.edgeOn[e.id], b.bound[n.id] = true, true
		return s.expand(steps[1:], b)
	case *Optional:
		gid := s.groups[st]
		skip := b.clone()
		skip.groups[gid] = skip.current()
		out, err := s.expand(steps[1:], skip)
		if err != nil {
			return nil, err
		}
		inner, err := s.expand(st.Steps, b.clone())
		if err != nil {
			return nil, err
		}
		for _, ib := range inner {
			ib.groups[gid] = ib.current()
			more, err := s.expand(steps[1:], ib)
			if err != nil {
				return nil, err
			}
			out = append(out, more...)
		}
		if len(out) > maxBranches {
			return nil, newError(s.src, st.Pos, "too many optional groups: the query expands to more than %d paths", maxBranches)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected step %T", steps[0])
}
