package mapper

import (
	"context"
	"fmt"
	"strings"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// maxLoggedInvalid bounds the warnings about invalid target descriptions
// per Resolve; Report.InvalidTargets has the count.
const maxLoggedInvalid = 10

// placeholder is a mapper-scope entity created or changed by this run.
type placeholder struct {
	t       *target
	created bool // not stored yet
}

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

// createPlaceholder makes the placeholder entity for a mapping's target
// description, or returns nil when the description is not a valid entity.
func (r *run) createPlaceholder(m *graph.MappedRelationship) *target {
	key := placeholderKey(m)
	if p, ok := r.pending[key]; ok {
		return p.t
	}
	if r.invalid[key] {
		return nil
	}
	props := m.TargetEntity.Properties.Clone()
	for _, n := range []string{"name", "displayName"} {
		if _, ok := props[n]; !ok {
			props[n] = key
		}
	}
	e := graph.Entity{Key: key, Type: m.TargetEntity.Type, Class: append([]string(nil), m.TargetEntity.Class...), Properties: props}
	if err := graph.ValidateEntity(&e); err != nil {
		r.invalid[key] = true
		r.report.InvalidTargets++
		if r.report.InvalidTargets <= maxLoggedInvalid {
			r.log.Warn("mapper: target description is not a valid entity; no placeholder created", "type", e.Type, "error", err)
		}
		return nil
	}
	t := &target{scope: store.MapperScope, key: key, typ: e.Type, classes: e.Class, props: props}
	r.pending[key] = &placeholder{t: t, created: true}
	r.targetTypes[t.typ] = true
	for id := range r.shapes {
		r.indexPlaceholder(t, id)
	}
	return t
}

// indexPlaceholder makes a new placeholder findable by the filters of a
// shape, including filters already resolved in this run.
func (r *run) indexPlaceholder(t *target, shape string) {
	for _, k := range entitySigs(shape, r.shapes[shape], t.typ, t.key, t.classes, t.value) {
		r.pendingIdx[k] = append(r.pendingIdx[k], t)
		if res, ok := r.sigs[k]; ok {
			res.placeholders = append(res.placeholders, t)
		}
	}
}

// fillPlaceholder merges a mapping's target description into the stored
// placeholder it resolved to, so several mappings fill out one entity.
func (r *run) fillPlaceholder(t *target, m *graph.MappedRelationship) {
	if t.key != placeholderKey(m) || t.typ != m.TargetEntity.Type {
		return
	}
	changed := false
	for k, v := range m.TargetEntity.Properties {
		if old, ok := t.props[k]; !ok || !graph.ValueEqual(old, v) {
			if t.props == nil {
				t.props = graph.Properties{}
			}
			t.props[k] = v
			changed = true
		}
	}
	if changed {
		if _, ok := r.pending[t.key]; !ok {
			r.pending[t.key] = &placeholder{t: t}
		}
	}
}

// flushPlaceholders stages every placeholder created or changed by the run.
func (r *run) flushPlaceholders(ctx context.Context) error {
	for _, key := range sortedKeys(r.pending) {
		p := r.pending[key]
		e := graph.Entity{Key: p.t.key, Type: p.t.typ, Class: p.t.classes, Properties: p.t.props}
		if !p.created {
			if err := graph.ValidateEntity(&e); err != nil {
				r.log.Warn("mapper: filled-out placeholder is not a valid entity; kept as it was", "target", key, "error", err)
				continue
			}
			r.report.PlaceholdersUpdated++
		} else {
			r.report.PlaceholdersCreated++
		}
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
