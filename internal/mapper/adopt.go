package mapper

import (
	"context"
	"fmt"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// adopt moves the relationships of every placeholder whose _type and _key
// arrived as a live entity of another scope to that entity, and queues the
// placeholder for deletion. It returns the identity filters it handled, so
// they need no scan of the stored mappings.
func (r *run) adopt(ctx context.Context, changed []*changedEntity) (map[string]bool, error) {
	last := map[endpoint]*changedEntity{}
	for _, ce := range changed {
		last[endpoint{ce.scope, ce.key}] = ce
	}
	byKey := map[string][]*changedEntity{}
	var keys []any
	for _, ce := range last {
		if ce.new == nil { // deleted
			continue
		}
		if _, ok := byKey[ce.key]; !ok {
			keys = append(keys, ce.key)
		}
		byKey[ce.key] = append(byKey[ce.key], ce)
	}
	type pair struct {
		phID int64
		ph   endpoint
		real *changedEntity
	}
	var pairs []pair
	for _, c := range chunks(keys, chunkSize) {
		q := newQuery(r.d).sql("SELECT e.id, e.key, e.type FROM entities e WHERE e.scope = ").arg(store.MapperScope).
			sql(" AND e.key IN ").in(c).sql(" AND ").notDeleted("e")
		err := r.st.Query(ctx, q.String(), q.args, func(row []any) error {
			key, typ := rowString(row[1]), rowString(row[2])
			for _, ce := range byKey[key] {
				if ce.typ == typ {
					pairs = append(pairs, pair{rowInt(row[0]), endpoint{store.MapperScope, key}, ce})
					return nil // the first scope in change order adopts
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("find adopted placeholders: %w", err)
		}
	}
	done := map[string]bool{}
	for _, p := range pairs {
		if err := r.moveRelationships(ctx, p.phID, p.ph, endpoint{p.real.scope, p.real.key}); err != nil {
			return nil, err
		}
		r.gc[p.ph.key] = true
		r.report.PlaceholdersAdopted++
		done[sigKey(shapeID(identityShape), []string{encodeValue(p.real.typ), encodeValue(p.real.key)})] = true
	}
	return done, nil
}

// moveRelationships re-points every live mapper relationship touching a
// placeholder at the entity that adopts it, keeping key, type, class and
// properties.
func (r *run) moveRelationships(ctx context.Context, phID int64, ph, to endpoint) error {
	for _, side := range []string{"from_id", "to_id"} {
		q := newQuery(r.d).sql("SELECT r.key, r.type, r.class, ").propsText("r").
			sql(", f.scope, f.key, o.scope, o.key FROM relationships r JOIN entities f ON f.id = r.from_id JOIN entities o ON o.id = r.to_id WHERE r."+side+" = ").
			arg(phID).sql(" AND ").relScope("r", store.MapperScope).sql(" AND ").notDeleted("r")
		var rels []graph.Relationship
		err := r.st.Query(ctx, q.String(), q.args, func(row []any) error {
			rel := graph.Relationship{Key: rowString(row[0]), Type: rowString(row[1]), Class: rowString(row[2]),
				FromScope: rowString(row[4]), FromKey: rowString(row[5]), ToScope: rowString(row[6]), ToKey: rowString(row[7])}
			if raw := rowString(row[3]); raw != "" && raw != "{}" {
				if err := rel.Properties.UnmarshalJSON([]byte(raw)); err != nil {
					return fmt.Errorf("relationship %s: %w", rel.Key, err)
				}
			}
			if rel.FromScope == ph.scope && rel.FromKey == ph.key {
				rel.FromScope, rel.FromKey = to.scope, to.key
			}
			if rel.ToScope == ph.scope && rel.ToKey == ph.key {
				rel.ToScope, rel.ToKey = to.scope, to.key
			}
			rels = append(rels, rel)
			return nil
		})
		if err != nil {
			return fmt.Errorf("read relationships of placeholder %s: %w", ph.key, err)
		}
		for _, rel := range rels {
			if err := r.putRel(ctx, rel); err != nil {
				return err
			}
		}
	}
	return nil
}
