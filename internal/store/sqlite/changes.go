package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// Changes returns change-log entries with Seq above f.AfterSeq, oldest
// first. Old and New are read from the versions the entry points at.
func (db *DB) Changes(ctx context.Context, f store.ChangeFilter) ([]store.Change, error) {
	q := `SELECT seq, scope, kind, key, type, op, object_id, version, job_id, at FROM changes WHERE seq > ?`
	args := []any{f.AfterSeq}
	if f.Scope != "" {
		q += " AND scope = ?"
		args = append(args, f.Scope)
	}
	if f.Type != "" {
		q += " AND type = ?"
		args = append(args, f.Type)
	}
	q += " ORDER BY seq"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	tx, err := db.reader.BeginTx(ctx, nil)
	if err != nil {
		return nil, db.wrap("read changes", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap("read changes", err)
	}
	type ref struct {
		id, version int64
	}
	var (
		out  []store.Change
		refs []ref
	)
	for rows.Next() {
		var (
			c           store.Change
			kind, op    string
			id, version int64
			at          int64
		)
		if err := rows.Scan(&c.Seq, &c.Scope, &kind, &c.Key, &c.Type, &op, &id, &version, &c.JobID, &at); err != nil {
			rows.Close()
			return nil, db.wrap("read changes", err)
		}
		c.Kind, c.Op, c.At = store.ObjectKind(kind), store.ChangeOp(op), fromMillis(at)
		out = append(out, c)
		refs = append(refs, ref{id, version})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, db.wrap("read changes", err)
	}
	for i := range out {
		c := &out[i]
		r := refs[i]
		var err error
		switch c.Op {
		case store.Created:
			c.New, err = propsAt(ctx, tx, c.Kind, r.id, r.version)
		case store.Updated:
			if c.Old, err = propsAt(ctx, tx, c.Kind, r.id, r.version-1); err == nil {
				c.New, err = propsAt(ctx, tx, c.Kind, r.id, r.version)
			}
		case store.Deleted:
			c.Old, err = propsAt(ctx, tx, c.Kind, r.id, r.version)
		}
		if err != nil {
			return nil, db.wrap(fmt.Sprintf("read change %d of %s %s", c.Seq, c.Kind, c.Key), err)
		}
	}
	return out, nil
}

// propsAt returns the properties of version v of an entity or
// relationship.
func propsAt(ctx context.Context, tx *sql.Tx, kind store.ObjectKind, id, v int64) (graph.Properties, error) {
	var q string
	switch kind {
	case store.KindEntity:
		q = `SELECT props FROM entities WHERE id = ? AND version = ?
			UNION ALL SELECT props FROM entity_versions WHERE entity_id = ? AND version = ?`
	case store.KindRelationship:
		q = `SELECT props FROM relationships WHERE id = ? AND version = ?
			UNION ALL SELECT props FROM relationship_versions WHERE relationship_id = ? AND version = ?`
	default:
		return nil, fmt.Errorf("no properties for kind %q", kind)
	}
	var props string
	if err := tx.QueryRowContext(ctx, q, id, v, id, v).Scan(&props); err != nil {
		return nil, fmt.Errorf("version %d: %w", v, err)
	}
	var p graph.Properties
	if err := p.UnmarshalJSON([]byte(props)); err != nil {
		return nil, err
	}
	return p, nil
}
