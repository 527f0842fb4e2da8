package mapper

import (
	"context"
	"fmt"
	"hash/maphash"
	"reflect"
	"strings"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// maxLoggedInvalid bounds the warnings about invalid target descriptions
// per Resolve; Report.InvalidTargets has the count.
const maxLoggedInvalid = 10

// placeholderKey returns the _key of the placeholder for a mapping's target
// description: its _key, or one built from the first filter's values.
func placeholderKey(m *graph.MappedRelationship) string {
	if m.TargetEntity.Key != "" {
		return m.TargetEntity.Key
	}
	var parts []string
	if len(m.TargetFilterKeys) > 0 {
		for _, n := range m.TargetFilterKeys[0] {
			v, _ := m.TargetValue(n)
			s, ok := v.(string)
			if !ok {
				b, _ := graph.MarshalValue(v)
				s = string(b)
			}
			parts = append(parts, n+"="+s)
		}
	}
	return "mapper:" + m.TargetEntity.Type + ":" + strings.Join(parts, ":")
}

// createPlaceholder makes and stages the placeholder entity for a mapping's
// target description, or returns nil when the description is not a valid
// entity. h is the description's descHash.
func (r *run) createPlaceholder(ctx context.Context, m *graph.MappedRelationship, h uint64) (*target, error) {
	key := placeholderKey(m)
	if t, ok := r.pending[key]; ok {
		return t, nil
	}
	if r.invalid[key] {
		return nil, nil
	}
	// The run keeps the key: copy it, as the description's strings may
	// share the memory of its whole decoded text.
	key = strings.Clone(key)
	e := graph.Entity{Key: key, Type: r.intern(m.TargetEntity.Type), Class: r.internClasses(m.TargetEntity.Class),
		Properties: withNames(m.TargetEntity.Properties, key)}
	if err := graph.ValidateEntity(&e); err != nil {
		r.invalid[key] = true
		r.report.InvalidTargets++
		if r.report.InvalidTargets <= maxLoggedInvalid {
			r.log.Warn("mapper: target description is not a valid entity; no placeholder created", "type", e.Type, "error", err)
		}
		return nil, nil
	}
	enc, err := e.Properties.AppendJSON(nil)
	if err != nil {
		return nil, fmt.Errorf("encode placeholder %s: %w", key, err)
	}
	t := &target{scope: store.MapperScope, key: key, typ: e.Type, classes: e.Class, enc: string(enc), merged: h, created: true}
	r.pending[key] = t
	r.targetTypes[t.typ] = true
	for id := range r.shapes {
		r.indexPlaceholder(t, id, e.Properties)
	}
	r.report.PlaceholdersCreated++
	return t, r.putEntity(ctx, e)
}

// withNames returns a description's properties with name and displayName
// defaulting to the placeholder's key: the description itself when it has
// both (it is only read), else a copy.
func withNames(desc graph.Properties, key string) graph.Properties {
	_, hasName := desc["name"]
	_, hasDisplayName := desc["displayName"]
	if hasName && hasDisplayName {
		return desc
	}
	props := desc.Clone()
	for _, n := range []string{"name", "displayName"} {
		if _, ok := props[n]; !ok {
			props[n] = key
		}
	}
	return props
}

// internClasses returns the run's copy of a class list, shared by every
// target with the same classes.
func (r *run) internClasses(classes []string) []string {
	id := strings.Join(classes, "\x00")
	if cls, ok := r.classLists[id]; ok {
		return cls
	}
	cls := make([]string, len(classes))
	for i, c := range classes {
		cls[i] = r.intern(c)
	}
	r.classLists[id] = cls
	return cls
}

// indexPlaceholder makes a placeholder created or changed in this run
// findable by the filters of a shape: filters already resolved get it in
// their result, the others when they are resolved.
func (r *run) indexPlaceholder(t *target, shape string, props graph.Properties) {
	value := func(n string) (any, bool) { v, ok := props[n]; return v, ok }
	for _, k := range entitySigs(shape, r.shapes[shape], t.typ, t.key, t.classes, value) {
		if res, ok := r.sigs[k]; ok {
			res.placeholders = append(res.placeholders, t)
		} else {
			r.pendingIdx[k] = append(r.pendingIdx[k], t)
		}
	}
}

// properties decodes every property of a placeholder from enc.
func (t *target) properties() (graph.Properties, error) {
	if t.enc == "" {
		return nil, fmt.Errorf("placeholder %s: properties not read", t.key)
	}
	var p graph.Properties
	if err := p.UnmarshalJSON([]byte(t.enc)); err != nil {
		return nil, fmt.Errorf("decode properties of placeholder %s: %w", t.key, err)
	}
	return p, nil
}

// descHashes hashes the target descriptions of one page of mappings.
// The store shares one decoded description between the mappings of a
// page that carry the same, so each distinct map is hashed once.
type descHashes struct {
	seed  maphash.Seed
	buf   []byte
	byMap map[uintptr]uint64 // by map pointer: the page keeps every map alive
}

func newDescHashes(seed maphash.Seed) *descHashes {
	return &descHashes{seed: seed, byMap: map[uintptr]uint64{}}
}

// of returns the hash of a description's JSON encoding; never 0, except
// for a description that cannot be encoded, which fillPlaceholder then
// always checks in full. Two descriptions with the same hash are taken to
// be equal: with 64-bit hashes a false match is vanishingly unlikely.
func (d *descHashes) of(desc graph.Properties) uint64 {
	ptr := reflect.ValueOf(desc).Pointer()
	if h, ok := d.byMap[ptr]; ok {
		return h
	}
	b, err := desc.AppendJSON(d.buf[:0])
	var h uint64
	if err == nil {
		d.buf = b
		h = max(maphash.Bytes(d.seed, b), 1)
	}
	d.byMap[ptr] = h
	return h
}

// fillable reports whether a mapping's target description is merged into
// placeholder t: t is the placeholder the description would create.
func fillable(t *target, m *graph.MappedRelationship, key string) bool {
	return t.key == key && t.typ == m.TargetEntity.Type
}

// fillPlaceholder merges a mapping's target description into a placeholder
// it resolved to, so several mappings fill out one entity. h is the
// description's descHash: the placeholder remembers the one merged last,
// so the same description again costs nothing. A placeholder the run
// created is staged again; a stored one is staged by flushPlaceholders.
func (r *run) fillPlaceholder(ctx context.Context, t *target, m *graph.MappedRelationship, h uint64) error {
	if !fillable(t, m, placeholderKey(m)) || (h != 0 && h == t.merged) {
		return nil
	}
	if t.enc == "" {
		if err := r.loadPlaceholders(ctx, []*target{t}); err != nil {
			return err
		}
	}
	props, err := t.properties()
	if err != nil {
		return err
	}
	t.merged = h
	if !mergeDescription(props, m.TargetEntity.Properties) {
		return nil
	}
	enc, err := props.AppendJSON(nil)
	if err != nil {
		return fmt.Errorf("encode placeholder %s: %w", t.key, err)
	}
	t.enc = string(enc)
	t.refreshValues(m.TargetEntity.Properties)
	if t.created {
		return r.putEntity(ctx, graph.Entity{Key: t.key, Type: t.typ, Class: t.classes, Properties: props})
	}
	t.changed = true
	if _, ok := r.pending[t.key]; !ok {
		r.pending[t.key] = t
	}
	return nil
}

// mergeDescription sets the properties of desc in props and reports
// whether that changed any.
func mergeDescription(props, desc graph.Properties) bool {
	changed := false
	for k, v := range desc {
		if old, ok := props[k]; !ok || !graph.ValueEqual(old, v) {
			props[k] = v
			changed = true
		}
	}
	return changed
}

// refreshValues updates the shape properties read with a stored
// placeholder after desc was merged into it. The values are copied: the
// strings of a decoded description share its text, which must not stay
// alive with the target.
func (t *target) refreshValues(desc graph.Properties) {
	for i, n := range t.names {
		if v, ok := desc[n]; ok {
			t.vals[i] = detach(v)
		}
	}
}

// detach copies the strings of a property value.
func detach(v any) any {
	switch x := v.(type) {
	case string:
		return strings.Clone(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = detach(e)
		}
		return out
	}
	return v
}

// prefetchPlaceholders reads, in a few queries, the properties of the
// stored placeholders that a page of mappings may fill, so that
// fillPlaceholder does not read them one at a time: those a mapping
// resolves to and would fill with a description not merged yet.
func (r *run) prefetchPlaceholders(ctx context.Context, recs []store.MappingRecord, per []recSigs, hashes *descHashes) error {
	var ts []*target
	seen := map[*target]bool{}
	for i := range recs {
		m := &recs[i].MappedRelationship
		if recs[i].Deleted {
			continue
		}
		found, placeholders := r.matches(per[i].filters, per[i].identity)
		if !placeholders || len(found) == 0 {
			continue
		}
		key, h := placeholderKey(m), hashes.of(m.TargetEntity.Properties)
		for _, t := range found {
			if t.enc == "" && !seen[t] && fillable(t, m, key) && (h == 0 || h != t.merged) {
				seen[t] = true
				ts = append(ts, t)
			}
		}
	}
	return r.loadPlaceholders(ctx, ts)
}

// loadPlaceholders reads the properties of stored placeholders into enc
// and lists them in r.loaded, for releaseLoaded.
func (r *run) loadPlaceholders(ctx context.Context, ts []*target) error {
	byID := map[int64][]*target{}
	var ids []any
	for _, t := range ts {
		if _, ok := byID[t.id]; !ok {
			ids = append(ids, t.id)
		}
		byID[t.id] = append(byID[t.id], t)
	}
	for _, c := range chunks(ids, chunkSize) {
		q := newQuery(r.d).sql("SELECT e.id, ").propsText("e").sql(" FROM entities e WHERE e.id IN ").in(c)
		err := r.st.Query(ctx, q.String(), q.args, func(row []any) error {
			enc := rowString(row[1])
			for _, t := range byID[rowInt(row[0])] {
				t.enc = enc
				r.loaded = append(r.loaded, t)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("read properties of placeholders: %w", err)
		}
	}
	return nil
}

// releaseLoaded forgets the properties read for the page in hand of the
// stored placeholders that no fill changed.
func (r *run) releaseLoaded() {
	for _, t := range r.loaded {
		if !t.changed {
			t.enc = ""
		}
	}
	r.loaded = r.loaded[:0]
}

// flushPlaceholders stages the stored placeholders that fills changed; a
// placeholder the run created was staged as it was made and filled.
func (r *run) flushPlaceholders(ctx context.Context) error {
	for _, key := range sortedKeys(r.pending) {
		t := r.pending[key]
		if t.created {
			continue
		}
		props, err := t.properties()
		if err != nil {
			return err
		}
		e := graph.Entity{Key: t.key, Type: t.typ, Class: t.classes, Properties: props}
		if err := graph.ValidateEntity(&e); err != nil {
			r.log.Warn("mapper: filled-out placeholder is not a valid entity; kept as it was", "target", key, "error", err)
			continue
		}
		r.report.PlaceholdersUpdated++
		if err := r.putEntity(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// collectGarbage deletes placeholders that may have lost their last
// relationship in this run and indeed have none left. After deleted
// mappings or changed targets, whose relationships the store may already
// have removed with their entities, every placeholder is checked.
func (r *run) collectGarbage(ctx context.Context) error {
	all := r.report.MappingsDeleted > 0 || r.report.TargetChanges > 0
	if len(r.gc) == 0 && !all {
		return nil
	}
	unreferenced := func(q *query) *query {
		return q.sql(" AND ").notDeleted("e").
			sql(" AND NOT EXISTS (SELECT 1 FROM relationships r WHERE r.from_id = e.id AND ").notDeleted("r").sql(")").
			sql(" AND NOT EXISTS (SELECT 1 FROM relationships r WHERE r.to_id = e.id AND ").notDeleted("r").sql(")")
	}
	var qs []*query
	if all {
		qs = append(qs, unreferenced(newQuery(r.d).sql("SELECT e.key FROM entities e WHERE e.scope = ").arg(store.MapperScope)))
	} else {
		var keys []any
		for _, k := range sortedKeys(r.gc) {
			keys = append(keys, k)
		}
		for _, c := range chunks(keys, chunkSize) {
			qs = append(qs, unreferenced(newQuery(r.d).sql("SELECT e.key FROM entities e WHERE e.scope = ").arg(store.MapperScope).
				sql(" AND e.key IN ").in(c)))
		}
	}
	var dead []string
	for _, q := range qs {
		err := r.st.Query(ctx, q.String(), q.args, func(row []any) error {
			dead = append(dead, rowString(row[0]))
			return nil
		})
		if err != nil {
			return fmt.Errorf("find unreferenced placeholders: %w", err)
		}
	}
	if len(dead) == 0 {
		return nil
	}
	for _, k := range dead {
		r.batch.Deletes = append(r.batch.Deletes, store.ObjectRef{Kind: store.KindEntity, Key: k})
		r.report.PlaceholdersDeleted++
		if err := r.maybeFlush(ctx); err != nil {
			return err
		}
	}
	if _, err := r.commit(ctx); err != nil {
		return fmt.Errorf("delete unreferenced placeholders: %w", err)
	}
	return nil
}
