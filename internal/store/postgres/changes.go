package postgres

import (
	"context"
	"fmt"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// propsAt is an SQL expression giving the properties of version `version`
// of the object a change-log row c names.
func propsAt(version string) string {
	at := func(versions, current string) string {
		return `COALESCE((SELECT v.props FROM ` + versions + ` v WHERE v.id = c.object_id AND v.version = ` + version + `),
		(SELECT v.props FROM ` + current + ` v WHERE v.id = c.object_id AND v.version = ` + version + `))`
	}
	return `CASE c.kind WHEN 'entity' THEN ` + at("entity_versions", "entities") + `
		WHEN 'relationship' THEN ` + at("relationship_versions", "relationships") + `
		ELSE ` + at("mapping_versions", "mappings") + ` END`
}

// Changes returns change-log entries with Seq greater than f.AfterSeq,
// oldest first. Old holds the properties before an update or a deletion,
// New those after a creation or an update.
func (db *DB) Changes(ctx context.Context, f store.ChangeFilter) ([]store.Change, error) {
	var w whereBuilder
	w.add("c.seq > " + w.arg(f.AfterSeq))
	if f.Scope != "" {
		w.add("c.scope = " + w.arg(f.Scope))
	}
	if f.Type != "" {
		w.add("c.type = " + w.arg(f.Type))
	}
	sql := `SELECT c.seq, c.scope, c.kind, c.key, c.type, c.op, c.job_id, c.at,
	CASE WHEN c.op IN ('updated', 'deleted') THEN ` + propsAt("c.version - 1") + ` END,
	CASE WHEN c.op <> 'deleted' THEN ` + propsAt("c.version") + ` END
FROM changes c` + w.sql() + ` ORDER BY c.seq`
	if f.Limit > 0 {
		sql += " LIMIT " + w.arg(f.Limit)
	}
	rows, err := db.pool.Query(ctx, sql, w.args...)
	if err != nil {
		return nil, fmt.Errorf("read change log: %w", err)
	}
	defer rows.Close()
	var out []store.Change
	for rows.Next() {
		var ch store.Change
		var kind, op string
		var at int64
		var oldProps, newProps []byte
		if err := rows.Scan(&ch.Seq, &ch.Scope, &kind, &ch.Key, &ch.Type, &op, &ch.JobID, &at, &oldProps, &newProps); err != nil {
			return nil, fmt.Errorf("read change log: %w", err)
		}
		ch.Kind, ch.Op, ch.At = store.ObjectKind(kind), store.ChangeOp(op), fromMillis(at)
		if ch.Old, err = decodeProps(oldProps); err != nil {
			return nil, fmt.Errorf("read change log entry %d: old: %w", ch.Seq, err)
		}
		if ch.New, err = decodeProps(newProps); err != nil {
			return nil, fmt.Errorf("read change log entry %d: new: %w", ch.Seq, err)
		}
		out = append(out, ch)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read change log: %w", err)
	}
	return out, nil
}

// ListMappings returns stored mapped relationships with Seq greater than
// f.AfterSeq, ordered by Seq.
func (db *DB) ListMappings(ctx context.Context, f store.MappingFilter) ([]store.MappingRecord, error) {
	var w whereBuilder
	w.add("m.seq > " + w.arg(f.AfterSeq))
	if f.Scope != "" {
		w.add("m.scope = " + w.arg(f.Scope))
	}
	if !f.IncludeDeleted {
		w.add("NOT m.deleted")
	}
	sql := `SELECT m.id, m.scope, m.key, m.type, m.class, m.spec, m.props, m.version, m.begin_on, m.deleted, m.job_id, m.seq
FROM mappings m` + w.sql() + ` ORDER BY m.seq`
	if f.Limit > 0 {
		sql += " LIMIT " + w.arg(f.Limit)
	}
	rows, err := db.pool.Query(ctx, sql, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list mappings: %w", err)
	}
	defer rows.Close()
	var out []store.MappingRecord
	for rows.Next() {
		var m store.MappingRecord
		var spec, props []byte
		var begin int64
		var class string
		if err := rows.Scan(&m.ID, &m.Scope, &m.Key, &m.Type, &class, &spec, &props, &m.Version, &begin, &m.Deleted, &m.JobID, &m.Seq); err != nil {
			return nil, fmt.Errorf("list mappings: %w", err)
		}
		m.Class = class
		m.BeginOn = fromMillis(begin)
		if err := decodeMapping(spec, &m.MappedRelationship); err != nil {
			return nil, fmt.Errorf("list mappings: %w", err)
		}
		var p graph.Properties
		if p, err = decodeProps(props); err != nil {
			return nil, fmt.Errorf("list mappings: mapping %s: %w", m.Key, err)
		}
		m.Properties = p
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list mappings: %w", err)
	}
	return out, nil
}
