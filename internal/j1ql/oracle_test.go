package j1ql_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/j1ql"
	"github.com/qgraph/qgraph/internal/store"
)

// The oracle is a naive in-memory evaluator of the J1QL semantics the
// engine documents. Random graphs and random queries must give the same
// answers through SQL as through the oracle.

type oEntity struct {
	key, typ string
	classes  []string
	props    map[string]any
}

type oRel struct {
	class    string
	from, to int
}

type oGraph struct {
	ents []oEntity
	rels []oRel
}

var (
	oTypes   = []string{"t_alpha", "t_beta", "t_gamma"}
	oClasses = []string{"Alpha", "Beta"}
	oVerbs   = []string{"HAS", "USES"}
	oWords   = []string{"red", "green", "blue", "redwood"}
)

func randomValue(r *rand.Rand, prop string) (any, bool) {
	if r.Intn(4) == 0 {
		return nil, false
	}
	switch prop {
	case "n":
		if r.Intn(5) == 0 {
			return float64(r.Intn(4)) + 0.5, true
		}
		return int64(r.Intn(4)), true
	case "s":
		if r.Intn(4) == 0 {
			return []any{oWords[r.Intn(len(oWords))], oWords[r.Intn(len(oWords))]}, true
		}
		return oWords[r.Intn(len(oWords))], true
	case "flag":
		return r.Intn(2) == 0, true
	}
	return nil, false
}

func randomGraph(r *rand.Rand) *oGraph {
	g := &oGraph{}
	n := 6 + r.Intn(8)
	for i := 0; i < n; i++ {
		e := oEntity{key: fmt.Sprintf("entity-%03d", i), typ: oTypes[r.Intn(len(oTypes))], props: map[string]any{}}
		e.classes = []string{oClasses[r.Intn(len(oClasses))]}
		if r.Intn(4) == 0 {
			e.classes = oClasses
		}
		for _, p := range []string{"n", "s", "flag"} {
			if v, ok := randomValue(r, p); ok {
				e.props[p] = v
			}
		}
		g.ents = append(g.ents, e)
	}
	seen := map[string]bool{}
	for i := 0; i < n*2; i++ {
		rl := oRel{class: oVerbs[r.Intn(len(oVerbs))], from: r.Intn(n), to: r.Intn(n)}
		k := fmt.Sprintf("%d|%s|%d", rl.from, rl.class, rl.to)
		if rl.from == rl.to || seen[k] {
			continue
		}
		seen[k] = true
		g.rels = append(g.rels, rl)
	}
	return g
}

func (g *oGraph) load(t testing.TB, st store.Store) {
	var ents []graph.Entity
	for _, e := range g.ents {
		p := graph.Properties{"name": e.key, "displayName": e.key}
		for k, v := range e.props {
			p[k] = v
		}
		ents = append(ents, graph.Entity{Key: e.key, Type: e.typ, Class: e.classes, Properties: p})
	}
	var rels []graph.Relationship
	for _, rl := range g.rels {
		from, to := g.ents[rl.from].key, g.ents[rl.to].key
		rels = append(rels, graph.Relationship{Key: graph.RelationshipKey(from, rl.class, to), Type: "t_" + strings.ToLower(rl.class), Class: rl.class, FromKey: from, ToKey: to})
	}
	syncGraph(t, st, testNow, ents, rels)
}

// Random queries.

func randomComparison(r *rand.Rand) string {
	switch r.Intn(9) {
	case 0:
		return fmt.Sprintf("n %s %d", []string{"=", "!=", ">", ">=", "<", "<="}[r.Intn(6)], r.Intn(4))
	case 1:
		return fmt.Sprintf("s %s '%s'", []string{"=", "!=", "~=", "^=", "$=", "!~=", "!^=", "!$="}[r.Intn(8)], []string{"red", "re", "en", "blue", "wood"}[r.Intn(5)])
	case 2:
		return fmt.Sprintf("flag %s %v", []string{"=", "!="}[r.Intn(2)], r.Intn(2) == 0)
	case 3:
		return fmt.Sprintf("%s %s undefined", []string{"n", "s", "flag"}[r.Intn(3)], []string{"=", "!="}[r.Intn(2)])
	case 4:
		return fmt.Sprintf("s %s ('red' %s 'green')", []string{"=", "!="}[r.Intn(2)], []string{"OR", "AND"}[r.Intn(2)])
	case 5:
		return fmt.Sprintf("_type = '%s'", oTypes[r.Intn(len(oTypes))])
	case 6:
		return fmt.Sprintf("_class %s '%s'", []string{"=", "!="}[r.Intn(2)], oClasses[r.Intn(len(oClasses))])
	case 7:
		return fmt.Sprintf("n = (%d OR %d)", r.Intn(4), r.Intn(4))
	}
	return fmt.Sprintf("n > %d.5", r.Intn(3))
}

func randomFilter(r *rand.Rand, depth int) string {
	if depth > 1 || r.Intn(3) > 0 {
		return randomComparison(r)
	}
	op := []string{"AND", "OR"}[r.Intn(2)]
	s := randomFilter(r, depth+1) + " " + op + " " + randomFilter(r, depth+1)
	if r.Intn(2) == 0 {
		return "(" + s + ")"
	}
	return s
}

func randomTarget(r *rand.Rand) string {
	switch r.Intn(4) {
	case 0:
		return "*"
	case 1:
		return oTypes[r.Intn(len(oTypes))]
	case 2:
		return oClasses[r.Intn(len(oClasses))]
	}
	return "(" + oTypes[r.Intn(len(oTypes))] + "|" + oClasses[r.Intn(len(oClasses))] + ")"
}

func randomSelector(r *rand.Rand, alias string) string {
	s := randomTarget(r)
	if r.Intn(2) == 0 {
		s += " WITH " + randomFilter(r, 0)
	}
	if alias != "" {
		s += " AS " + alias
	}
	return s
}

func randomStep(r *rand.Rand, alias string, allowNeg bool) string {
	verb := []string{"HAS", "USES", "RELATES TO", "(HAS|USES)"}[r.Intn(4)]
	neg := ""
	if allowNeg && r.Intn(4) == 0 {
		neg = "!"
		alias = ""
	}
	dir := []string{"", "", " >>", " <<"}[r.Intn(4)]
	return "THAT " + neg + verb + dir + " " + randomSelector(r, alias)
}

// randomQuery returns a query and the aliases it binds (a0 first).
func randomQuery(r *rand.Rand) (string, []string) {
	q := "FIND " + randomSelector(r, "a0")
	aliases := []string{"a0"}
	steps := r.Intn(3)
	for i := 1; i <= steps; i++ {
		alias := fmt.Sprintf("a%d", i)
		if r.Intn(4) == 0 {
			q += " (" + randomStep(r, alias, false) + ")?"
			aliases = append(aliases, alias)
			continue
		}
		st := randomStep(r, alias, true)
		q += " " + st
		if strings.HasPrefix(st, "THAT !") {
			break
		}
		aliases = append(aliases, alias)
	}
	return q, aliases
}

// Evaluation.

type binding map[string]int // alias → entity index, -1 when unbound

func elems(v any) []any {
	if a, ok := v.([]any); ok {
		return a
	}
	return []any{v}
}

func num(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func (g *oGraph) value(e int, prop string) (any, bool) {
	ent := g.ents[e]
	switch prop {
	case "_type":
		return ent.typ, true
	case "_class":
		out := make([]any, len(ent.classes))
		for i, c := range ent.classes {
			out[i] = c
		}
		return out, true
	}
	v, ok := ent.props[prop]
	return v, ok && v != nil
}

func litValue(l *j1ql.Literal) any { return l.Value }

func posMatch(op string, x, want any) bool {
	switch w := want.(type) {
	case string:
		s, ok := x.(string)
		if !ok {
			return false
		}
		switch op {
		case "=":
			return s == w
		case "~=":
			return strings.Contains(s, w)
		case "^=":
			return strings.HasPrefix(s, w)
		case "$=":
			return strings.HasSuffix(s, w)
		}
	case bool:
		b, ok := x.(bool)
		return ok && op == "=" && b == w
	default:
		a, ok1 := num(x)
		b, ok2 := num(w)
		if !ok1 || !ok2 {
			return false
		}
		switch op {
		case "=":
			return a == b
		case ">":
			return a > b
		case ">=":
			return a >= b
		case "<":
			return a < b
		case "<=":
			return a <= b
		}
	}
	return false
}

var negOps = map[string]string{"!=": "=", "!~=": "~=", "!^=": "^=", "!$=": "$="}

func (g *oGraph) compare(e int, c *j1ql.Comparison) bool {
	prop := strings.Join(c.Left.(*j1ql.Ref).Parts, ".")
	op, neg := c.Op, false
	if p, ok := negOps[op]; ok {
		op, neg = p, true
	}
	v, present := g.value(e, prop)
	var res bool
	one := func(l *j1ql.Literal) bool {
		if l.Kind == j1ql.LitUndefined {
			return !present
		}
		if !present {
			return false
		}
		for _, x := range elems(v) {
			if posMatch(op, x, litValue(l)) {
				return true
			}
		}
		return false
	}
	switch rhs := c.Right.(type) {
	case *j1ql.Literal:
		res = one(rhs)
	case *j1ql.ValueSet:
		res = rhs.Op == "AND"
		for _, x := range rhs.Values {
			ok := one(x.(*j1ql.Literal))
			if rhs.Op == "AND" {
				res = res && ok
			} else {
				res = res || ok
			}
		}
	}
	return res != neg
}

func (g *oGraph) filter(e int, f j1ql.Expr) bool {
	switch f := f.(type) {
	case *j1ql.Logical:
		if f.Op == "AND" {
			return g.filter(e, f.X) && g.filter(e, f.Y)
		}
		return g.filter(e, f.X) || g.filter(e, f.Y)
	case *j1ql.Paren:
		return g.filter(e, f.X)
	case *j1ql.Comparison:
		return g.compare(e, f)
	}
	panic(fmt.Sprintf("oracle: filter %T", f))
}

func (g *oGraph) matches(e int, s *j1ql.Selector) bool {
	ent := g.ents[e]
	if s.Target.Kind == j1ql.TargetWords {
		ok := false
		for _, w := range s.Target.Words {
			if !w.Class && w.Name == ent.typ {
				ok = true
			}
			for _, c := range ent.classes {
				if w.Class && w.Name == c {
					ok = true
				}
			}
		}
		if !ok {
			return false
		}
	}
	return s.With == nil || g.filter(e, s.With)
}

// neighbors lists the entities reachable from e over one traversal step.
func (g *oGraph) neighbors(e int, tr *j1ql.Traversal) []int {
	var out []int
	for _, rl := range g.rels {
		verbOK := len(tr.Verbs) == 0
		for _, v := range tr.Verbs {
			if v == rl.class {
				verbOK = true
			}
		}
		if !verbOK {
			continue
		}
		if rl.from == e && tr.Dir != j1ql.Incoming && g.matches(rl.to, tr.Target) {
			out = append(out, rl.to)
		}
		if rl.to == e && tr.Dir != j1ql.Outgoing && g.matches(rl.from, tr.Target) {
			out = append(out, rl.from)
		}
	}
	return out
}

func (b binding) with(alias string, e int) binding {
	c := binding{}
	for k, v := range b {
		c[k] = v
	}
	if alias != "" {
		c[alias] = e
	}
	return c
}

// walk extends binding b (current entity cur) over steps; fn receives
// every complete binding.
func (g *oGraph) walk(steps []j1ql.Step, cur int, b binding, fn func(binding)) {
	if len(steps) == 0 {
		fn(b)
		return
	}
	switch st := steps[0].(type) {
	case *j1ql.Traversal:
		if st.Negated {
			pos := *st
			pos.Negated = false
			found := false
			rest := append([]j1ql.Step{&pos}, steps[1:]...)
			g.walk(rest, cur, binding{}, func(binding) { found = true })
			if !found {
				fn(b)
			}
			return
		}
		alias := ""
		if st.Target.Alias != nil {
			alias = st.Target.Alias.Name
		}
		for _, n := range g.neighbors(cur, st) {
			g.walk(steps[1:], n, b.with(alias, n), fn)
		}
	case *j1ql.Optional:
		g.walk(steps[1:], cur, b, fn)
		g.walk(st.Steps, cur, b, func(inner binding) {
			// find the entity current after the group: the last alias bound
			last := cur
			for _, s := range st.Steps {
				if tr, ok := s.(*j1ql.Traversal); ok && tr.Target.Alias != nil && !tr.Negated {
					if v, ok := inner[tr.Target.Alias.Name]; ok {
						last = v
					}
				}
			}
			g.walk(steps[1:], last, inner, fn)
		})
	}
}

func (g *oGraph) bindings(q *j1ql.Query) []binding {
	var out []binding
	for e := range g.ents {
		if g.matches(e, q.Start) {
			g.walk(q.Steps, e, binding{"a0": e}, func(b binding) { out = append(out, b) })
		}
	}
	return out
}

func TestOracleRandomQueries(t *testing.T) {
	stores := []namedStore{{"sqlite", openSQLite(t)}}
	if pg := openPostgres(t); pg != nil {
		stores = append(stores, namedStore{"postgres", pg})
	}
	const graphs, queries = 4, 60
	ctx := context.Background()
	for gi := 0; gi < graphs; gi++ {
		r := rand.New(rand.NewSource(int64(gi + 1)))
		g := randomGraph(r)
		for _, s := range stores {
			g.load(t, s.st)
		}
		for qi := 0; qi < queries; qi++ {
			src, aliases := randomQuery(r)
			q, err := j1ql.Parse(src)
			if err != nil {
				t.Fatalf("random query %q does not parse: %v", src, err)
			}
			bs := g.bindings(q)
			// List result.
			want := map[string]bool{}
			for _, b := range bs {
				want[g.ents[b["a0"]].key] = true
			}
			wantList := sortedKeys(want)
			// Table result: a0.s grouped with count of the last alias.
			last := aliases[len(aliases)-1]
			tableSrc := src + " RETURN a0.s, count(" + last + ")"
			groups := map[string]map[int]bool{}
			for _, b := range bs {
				v, ok := g.value(b["a0"], "s")
				if !ok {
					v = nil
				}
				k, _ := json.Marshal(v)
				if groups[string(k)] == nil {
					groups[string(k)] = map[int]bool{}
				}
				if e, ok := b[last]; ok {
					groups[string(k)][e] = true
				}
			}
			var wantTable []string
			for k, ids := range groups {
				wantTable = append(wantTable, fmt.Sprintf(`{"a0.s":%s,"count(%s)":%d}`, k, last, len(ids)))
			}
			if len(groups) == 0 {
				wantTable = nil
			}
			sort.Strings(wantTable)
			for _, s := range stores {
				res, err := j1ql.Execute(ctx, s.st, src, j1ql.Options{Limit: 1000})
				if err != nil {
					t.Fatalf("%s: %s: %v", s.name, src, err)
				}
				if got := render(t, res, false); got != strings.Join(wantList, ",") {
					t.Errorf("graph %d, %s: %s\n got: %s\nwant: %s", gi, s.name, src, got, strings.Join(wantList, ","))
				}
				res, err = j1ql.Execute(ctx, s.st, tableSrc, j1ql.Options{Limit: 1000})
				if err != nil {
					t.Fatalf("%s: %s: %v", s.name, tableSrc, err)
				}
				if got := render(t, res, false); got != strings.Join(wantTable, "\n") {
					t.Errorf("graph %d, %s: %s\n got: %s\nwant: %s", gi, s.name, tableSrc, got, strings.Join(wantTable, "\n"))
				}
			}
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
