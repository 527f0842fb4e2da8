package mapper

import (
	"context"
	"fmt"
	"strings"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// changedEntity is an entity changed outside the mapper scope.
type changedEntity struct {
	scope, key, typ string
	old, new        graph.Properties
	classes         []string
}

// changedTargets reads the entity changes in (after, hi] of every _type a
// target may have and returns the target filters they may affect: the
// filters each changed entity matched before or matches now.
func (r *run) changedTargets(ctx context.Context, after, hi int64) (map[string]bool, error) {
	types, err := r.candidateTypes(ctx)
	if err != nil {
		return nil, err
	}
	var changed []*changedEntity
	for _, typ := range types {
		cursor := after
		for cursor < hi {
			cs, err := r.st.Changes(ctx, store.ChangeFilter{AfterSeq: cursor, Type: typ, Limit: r.m.opts.PageSize})
			if err != nil {
				return nil, fmt.Errorf("read changes of %s after seq %d: %w", typ, cursor, err)
			}
			for _, c := range cs {
				if c.Seq > hi {
					break
				}
				cursor = c.Seq
				if c.Kind != store.KindEntity || c.Scope == store.MapperScope {
					continue
				}
				changed = append(changed, &changedEntity{scope: c.Scope, key: c.Key, typ: c.Type, old: c.Old, new: c.New})
			}
			if len(cs) < r.m.opts.PageSize || (len(cs) > 0 && cs[len(cs)-1].Seq > hi) {
				break
			}
		}
	}
	r.report.TargetChanges += int64(len(changed))
	if len(changed) == 0 {
		return nil, nil
	}
	adopted, err := r.adopt(ctx, changed)
	if err != nil {
		return nil, err
	}
	if err := r.loadClasses(ctx, changed); err != nil {
		return nil, err
	}
	affected := map[string]bool{}
	for _, ce := range changed {
		for id, names := range r.shapes {
			for _, props := range []graph.Properties{ce.old, ce.new} {
				if props == nil && needsProps(names) {
					continue
				}
				value := func(n string) (any, bool) { v, ok := props[n]; return v, ok }
				for _, k := range entitySigs(id, names, ce.typ, ce.key, ce.classes, value) {
					if !adopted[k] && (r.filters == nil || r.filters.has(k)) {
						affected[k] = true
					}
				}
			}
		}
	}
	return affected, nil
}

func needsProps(names []string) bool {
	for _, n := range names {
		if !strings.HasPrefix(n, "_") {
			return true
		}
	}
	return false
}

// candidateTypes returns the _types whose changes can affect a mapping:
// those targets have had, those target descriptions name, and those of
// the entities carrying a class that a filter names.
func (r *run) candidateTypes(ctx context.Context) ([]string, error) {
	types := map[string]bool{}
	for t := range r.targetTypes {
		types[t] = true
	}
	if len(r.filterClasses) > 0 {
		q := newQuery(r.d).sql("SELECT DISTINCT e.type FROM entity_classes c JOIN entities e ON e.id = c.entity_id WHERE c.class IN ").
			in(anySlice(sortedKeys(r.filterClasses)))
		if err := r.st.Query(ctx, q.String(), q.args, func(row []any) error {
			types[rowString(row[0])] = true
			return nil
		}); err != nil {
			return nil, fmt.Errorf("read types of target classes: %w", err)
		}
	}
	return sortedKeys(types), nil
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// loadClasses reads the classes of changed entities (deleted ones too).
func (r *run) loadClasses(ctx context.Context, changed []*changedEntity) error {
	byScope := map[string][]any{}
	index := map[endpoint]*changedEntity{}
	for _, ce := range changed {
		e := endpoint{ce.scope, ce.key}
		if _, ok := index[e]; !ok {
			byScope[ce.scope] = append(byScope[ce.scope], ce.key)
		}
		index[e] = ce
	}
	for _, scope := range sortedKeys(byScope) {
		for _, c := range chunks(byScope[scope], chunkSize) {
			q := newQuery(r.d).sql("SELECT e.key, ").classesText("e").sql(" FROM entities e WHERE e.scope = ").arg(scope).sql(" AND e.key IN ").in(c)
			err := r.st.Query(ctx, q.String(), q.args, func(row []any) error {
				var cls []string
				if err := decodeClasses(rowString(row[1]), &cls); err != nil {
					return err
				}
				if ce := index[endpoint{scope, rowString(row[0])}]; ce != nil {
					ce.classes = cls
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("read classes of changed entities in %s: %w", scope, err)
			}
		}
	}
	for _, ce := range changed {
		ce.classes = index[endpoint{ce.scope, ce.key}].classes
	}
	return nil
}

// recheck re-resolves the stored mappings that use an affected filter,
// scanning the mappings handled before this run.
func (r *run) recheck(ctx context.Context, affected map[string]bool) error {
	if r.prev.MappingSeq == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The scan sees every stored mapping, so it rebuilds the filter set,
	// dropping the filters of deleted mappings.
	r.filters = newBloom()
	for p := range r.readMappingPages(ctx, 0, r.prev.MappingSeq, false) {
		if p.err != nil {
			return p.err
		}
		r.report.MappingsScanned += int64(len(p.recs))
		var hit []store.MappingRecord
		for _, rec := range p.recs {
			f, id, err := r.mappingSigs(&rec.MappedRelationship)
			if err != nil {
				return err
			}
			use := id != nil && affected[id.key]
			for _, q := range f {
				use = use || affected[q.key]
			}
			if use {
				hit = append(hit, rec)
			}
		}
		if len(hit) > 0 {
			r.report.MappingsRechecked += int64(len(hit))
			if err := r.processMappings(ctx, hit, true); err != nil {
				return err
			}
		}
	}
	return nil
}
