package mapper

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// identityShape is the filter that names an entity exactly.
var identityShape = []string{"_type", "_key"}

// target is an entity a mapping may point at. A run keeps one per
// distinct entity it looked up or created, so it holds only what lookups
// and placeholder fills need: never a placeholder's property map.
type target struct {
	id      int64 // 0 for a placeholder not stored yet
	scope   string
	key     string
	typ     string
	classes []string
	// names and vals hold the shape properties read with a stored entity:
	// vals[i] is the value of names[i], or absent.
	names []string
	vals  []any
	// The fields below concern placeholders (mapper scope) only; see
	// placeholder.go.
	//
	// enc is the JSON of every property of the placeholder: kept while
	// the run has created or changed it, read from the store only while a
	// page of mappings may fill it, "" otherwise.
	enc string
	// merged is the descHash of the target description last merged into
	// (or checked against) the placeholder; 0 when none was.
	merged uint64
	// created says the run made the placeholder (it is staged, not
	// stored); changed says a fill changed a stored one.
	created, changed bool
}

// absent marks a shape property that a stored entity does not have.
type absent struct{}

// value returns the value of a shape property read with the entity.
func (t *target) value(name string) (any, bool) {
	for i, n := range t.names {
		if n == name {
			if _, no := t.vals[i].(absent); no {
				return nil, false
			}
			return t.vals[i], true
		}
	}
	return nil, false
}

func (t *target) isPlaceholder() bool { return t.scope == store.MapperScope }

// sigResult is what one target filter resolved to.
type sigResult struct {
	real         []*target // matches outside the mapper scope
	placeholders []*target // matches in the mapper scope
}

func (s *sigResult) add(t *target) {
	if t.isPlaceholder() {
		s.placeholders = append(s.placeholders, t)
	} else {
		s.real = append(s.real, t)
	}
}

// sigReq asks for one target filter: a shape and the values of its names.
type sigReq struct {
	key   string
	shape string
	names []string
	vals  []any
}

func shapeID(names []string) string { return strings.Join(names, ",") }

func sigKey(shape string, vals []string) string { return shape + "\x00" + strings.Join(vals, "\x1f") }

// encodeValue renders a filter value for comparison, keeping its type so
// that 1 and "1" differ: a one-letter type tag, then the value.
func encodeValue(v any) string {
	switch x := v.(type) {
	case string:
		return "s" + x
	case int64:
		return "i" + strconv.FormatInt(x, 10)
	case float64:
		return "f" + strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		if x {
			return "bt"
		}
		return "bf"
	case nil:
		return "n"
	}
	b, err := graph.MarshalValue(v)
	if err != nil {
		return "x"
	}
	return "j" + string(b)
}

// addShape registers a filter shape and returns its id. A new shape makes
// the placeholders created or changed so far findable by its filters.
func (r *run) addShape(names []string) (string, error) {
	id := shapeID(names)
	if _, ok := r.shapes[id]; ok {
		return id, nil
	}
	r.shapes[id] = append([]string(nil), names...)
	r.shapeProps[id] = propertyNames(names)
	for _, t := range r.pending {
		props, err := t.properties()
		if err != nil {
			return "", err
		}
		r.indexPlaceholder(t, id, props)
	}
	return id, nil
}

// propertyNames returns the names of a shape that are properties, not
// _key, _type or _class.
func propertyNames(names []string) []string {
	var out []string
	for _, n := range names {
		if !strings.HasPrefix(n, "_") {
			out = append(out, n)
		}
	}
	return out
}

func (r *run) shapeList() [][]string {
	var out [][]string
	for _, id := range sortedKeys(r.shapes) {
		if id != shapeID(identityShape) {
			out = append(out, r.shapes[id])
		}
	}
	return out
}

// mappingSigs returns the filter requests of a mapping: one per target
// filter, then the identity of its target description (when it has one).
func (r *run) mappingSigs(m *graph.MappedRelationship) (filters []*sigReq, identity *sigReq, err error) {
	for _, names := range m.TargetFilterKeys {
		if len(names) == 0 {
			continue
		}
		id, err := r.addShape(names)
		if err != nil {
			return nil, nil, err
		}
		req := &sigReq{shape: id, names: names, vals: make([]any, len(names))}
		enc := make([]string, len(names))
		ok := true
		for i, n := range names {
			v, has := m.TargetValue(n)
			if !has {
				ok = false
				break
			}
			req.vals[i] = v
			enc[i] = encodeValue(v)
		}
		if !ok {
			continue
		}
		req.key = sigKey(id, enc)
		if r.filters != nil {
			r.filters.add(req.key)
		}
		if ci := indexOf(names, "_class"); ci >= 0 {
			r.filterClasses[rowString(req.vals[ci])] = true
		}
		filters = append(filters, req)
	}
	if m.TargetEntity.Type != "" && m.TargetEntity.Key != "" {
		id := shapeID(identityShape)
		identity = &sigReq{shape: id, names: identityShape, vals: []any{m.TargetEntity.Type, m.TargetEntity.Key},
			key: sigKey(id, []string{encodeValue(m.TargetEntity.Type), encodeValue(m.TargetEntity.Key)})}
		if r.filters != nil {
			r.filters.add(identity.key)
		}
	}
	return filters, identity, nil
}

// entitySigs returns the filter keys an entity matches under a shape; an
// entity with several classes matches a _class filter once per class.
func entitySigs(shape string, names []string, typ, key string, classes []string, value func(string) (any, bool)) []string {
	combos := [][]string{nil}
	for _, n := range names {
		var opts []string
		switch n {
		case "_key":
			opts = []string{encodeValue(key)}
		case "_type":
			opts = []string{encodeValue(typ)}
		case "_class":
			for _, c := range classes {
				opts = append(opts, encodeValue(c))
			}
		default:
			v, ok := value(n)
			if !ok {
				return nil
			}
			opts = []string{encodeValue(v)}
		}
		if len(opts) == 0 {
			return nil
		}
		next := make([][]string, 0, len(combos)*len(opts))
		for _, c := range combos {
			for _, o := range opts {
				next = append(next, append(append([]string(nil), c...), o))
			}
		}
		combos = next
	}
	out := make([]string, len(combos))
	for i, c := range combos {
		out[i] = sigKey(shape, c)
	}
	return out
}

// resolve looks up every request not resolved yet, in batches: one query
// per chunk of keys and scope for filters naming _key, one fetch of all
// entities of a _type or class for filters naming those, and IN lists on
// the first property otherwise.
func (r *run) resolve(ctx context.Context, reqs []*sigReq) error {
	want := map[string]*sigReq{}
	for _, q := range reqs {
		if q == nil {
			continue
		}
		if _, done := r.sigs[q.key]; done {
			continue
		}
		want[q.key] = q
	}
	if len(want) == 0 {
		return nil
	}
	found := map[string]*sigResult{}
	for k := range want {
		found[k] = &sigResult{}
	}
	byKey := map[string][]*sigReq{}
	byFetch := map[string][]*sigReq{}
	byProp := map[string][]*sigReq{}
	for _, q := range want {
		switch {
		case indexOf(q.names, "_key") >= 0:
			byKey[q.shape] = append(byKey[q.shape], q)
		case indexOf(q.names, "_type") >= 0:
			byFetch[q.shape+"\x00_type\x00"+rowString(q.vals[indexOf(q.names, "_type")])] = append(byFetch[q.shape+"\x00_type\x00"+rowString(q.vals[indexOf(q.names, "_type")])], q)
		case indexOf(q.names, "_class") >= 0:
			byFetch[q.shape+"\x00_class\x00"+rowString(q.vals[indexOf(q.names, "_class")])] = append(byFetch[q.shape+"\x00_class\x00"+rowString(q.vals[indexOf(q.names, "_class")])], q)
		default:
			byProp[q.shape] = append(byProp[q.shape], q)
		}
	}
	collect := func(shape string, ts []*target) {
		names := r.shapes[shape]
		for _, t := range ts {
			for _, k := range entitySigs(shape, names, t.typ, t.key, t.classes, t.value) {
				if res, ok := found[k]; ok {
					res.add(t)
				}
			}
		}
	}
	for _, shape := range sortedKeys(byKey) {
		ts, err := r.lookupByKey(ctx, shape, byKey[shape])
		if err != nil {
			return err
		}
		collect(shape, ts)
	}
	for _, g := range sortedKeys(byFetch) {
		parts := strings.SplitN(g, "\x00", 3)
		ts, err := r.fetchAll(ctx, parts[0], parts[1], parts[2])
		if err != nil {
			return err
		}
		collect(parts[0], ts)
	}
	for _, shape := range sortedKeys(byProp) {
		ts, err := r.lookupByProperty(ctx, shape, byProp[shape])
		if err != nil {
			return err
		}
		collect(shape, ts)
	}
	for k, res := range found {
		res.placeholders = append(res.placeholders, r.pendingIdx[k]...)
		delete(r.pendingIdx, k) // indexPlaceholder adds to res from now on
		sortTargets(res.real)
		sortTargets(res.placeholders)
		r.sigs[k] = res
		for _, t := range res.real {
			r.targetTypes[t.typ] = true
		}
	}
	r.report.TargetsResolved += int64(len(want))
	return nil
}

func sortTargets(ts []*target) {
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].scope != ts[j].scope {
			return ts[i].scope < ts[j].scope
		}
		return ts[i].key < ts[j].key
	})
}

func indexOf(names []string, n string) int {
	for i, x := range names {
		if x == n {
			return i
		}
	}
	return -1
}

// selectTargets starts a query returning target rows for a shape: id,
// scope, key, type, classes, then the shape's properties.
func (r *run) selectTargets(shape string) *query {
	q := newQuery(r.d).sql("SELECT e.id, e.scope, e.key, e.type, ").classesText("e")
	for _, n := range r.shapeProps[shape] {
		q.sql(", ")
		if r.d == store.Postgres {
			q.sql("(e.props -> " + pgString(n) + ")::text")
		} else {
			q.sql("e.props -> '$.\"" + n + "\"'")
		}
	}
	return q
}

// scanTargets runs q and decodes its target rows. Scopes, types and class
// lists are shared between the targets that repeat them.
func (r *run) scanTargets(ctx context.Context, shape string, q *query) ([]*target, error) {
	props := r.shapeProps[shape]
	var out []*target
	err := r.st.Query(ctx, q.String(), q.args, func(row []any) error {
		t := &target{id: rowInt(row[0]), scope: r.intern(rowString(row[1])), key: rowString(row[2]), typ: r.intern(rowString(row[3]))}
		classes, err := r.classList(rowString(row[4]))
		if err != nil {
			return fmt.Errorf("entity %s/%s: %w", t.scope, t.key, err)
		}
		t.classes = classes
		if len(props) > 0 {
			t.names, t.vals = props, make([]any, len(props))
		}
		for i, n := range props {
			t.vals[i] = absent{}
			raw := row[5+i]
			if raw == nil {
				continue
			}
			v, err := graph.UnmarshalValue([]byte(rowString(raw)))
			if err != nil {
				return fmt.Errorf("entity %s/%s property %s: %w", t.scope, t.key, n, err)
			}
			t.vals[i] = v
		}
		out = append(out, t)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("look up mapping targets (%s): %w", shape, err)
	}
	return out, nil
}

// intern returns the run's copy of a string that many targets repeat (a
// scope, a type or a class). The copy is made apart from s, which may share
// the memory of a larger decoded text.
func (r *run) intern(s string) string {
	if v, ok := r.strs[s]; ok {
		return v
	}
	s = strings.Clone(s)
	r.strs[s] = s
	return s
}

// classList returns the run's copy of the class list encoded as JSON
// text.
func (r *run) classList(text string) ([]string, error) {
	var cls []string
	if err := decodeClasses(text, &cls); err != nil {
		return nil, err
	}
	return r.internClasses(cls), nil
}

// lookupByKey finds entities by _key, one query per scope and chunk so the
// (scope, key) index serves every lookup.
func (r *run) lookupByKey(ctx context.Context, shape string, reqs []*sigReq) ([]*target, error) {
	scopes, err := r.entityScopes(ctx)
	if err != nil {
		return nil, err
	}
	ki := indexOf(r.shapes[shape], "_key")
	seen := map[string]bool{}
	var keys []any
	for _, q := range reqs {
		k := rowString(q.vals[ki])
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].(string) < keys[j].(string) })
	var out []*target
	for _, scope := range scopes {
		for _, c := range chunks(keys, chunkSize) {
			q := r.selectTargets(shape).sql(" FROM entities e WHERE e.scope = ").arg(scope).
				sql(" AND e.key IN ").in(c).sql(" AND ").notDeleted("e")
			ts, err := r.scanTargets(ctx, shape, q)
			if err != nil {
				return nil, err
			}
			out = append(out, ts...)
		}
	}
	return out, nil
}

// fetchAll returns every live entity of a _type or class, once per run.
func (r *run) fetchAll(ctx context.Context, shape, by, value string) ([]*target, error) {
	ck := shape + "\x00" + by + "\x00" + value
	if ts, ok := r.candidates[ck]; ok {
		return ts, nil
	}
	q := r.selectTargets(shape)
	if by == "_type" {
		q.sql(" FROM entities e WHERE e.type = ").arg(value).sql(" AND ").notDeleted("e")
	} else {
		q.sql(" FROM entity_classes c JOIN entities e ON e.id = c.entity_id WHERE c.class = ").arg(value).sql(" AND ").notDeleted("e")
	}
	ts, err := r.scanTargets(ctx, shape, q)
	if err != nil {
		return nil, err
	}
	r.candidates[ck] = ts
	return ts, nil
}

// lookupByProperty finds entities by the first property of a shape that
// names neither _key, _type nor _class.
func (r *run) lookupByProperty(ctx context.Context, shape string, reqs []*sigReq) ([]*target, error) {
	names := r.shapes[shape]
	first := names[0]
	seen := map[string]bool{}
	var vals []any
	for _, q := range reqs {
		v := q.vals[0]
		if k := encodeValue(v); !seen[k] {
			seen[k] = true
			vals = append(vals, v)
		}
	}
	var out []*target
	for _, c := range chunks(vals, chunkSize) {
		q := r.selectTargets(shape).sql(" FROM entities e WHERE ").prop("e", first).sql(" IN ").jsonIn(c).sql(" AND ").notDeleted("e")
		ts, err := r.scanTargets(ctx, shape, q)
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	return out, nil
}

// entityScopes returns the distinct scopes of stored entities, walking the
// (scope, key) index one scope at a time.
func (r *run) entityScopes(ctx context.Context) ([]string, error) {
	if r.scopes != nil {
		return r.scopes, nil
	}
	const q = `WITH RECURSIVE s(scope) AS (
		SELECT min(scope) FROM entities
		UNION ALL
		SELECT (SELECT min(e.scope) FROM entities e WHERE e.scope > s.scope) FROM s WHERE s.scope IS NOT NULL
	) SELECT scope FROM s WHERE scope IS NOT NULL`
	scopes := []string{}
	err := r.st.Query(ctx, q, nil, func(row []any) error {
		scopes = append(scopes, rowString(row[0]))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list entity scopes: %w", err)
	}
	r.scopes = scopes
	return scopes, nil
}

// decodeClasses decodes a JSON array of class names.
func decodeClasses(s string, out *[]string) error {
	if s == "" {
		return nil
	}
	v, err := graph.UnmarshalValue([]byte(s))
	if err != nil {
		return fmt.Errorf("decode _class: %w", err)
	}
	arr, ok := v.([]any)
	if !ok {
		if str, isStr := v.(string); isStr {
			*out = []string{str}
			return nil
		}
		return fmt.Errorf("decode _class: not an array")
	}
	for _, c := range arr {
		if str, ok := c.(string); ok {
			*out = append(*out, str)
		}
	}
	return nil
}
