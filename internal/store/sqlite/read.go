package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// entitySelect reads entities as EntityRecords (current versions).
const entitySelect = `SELECT e.id, e.scope, e.key, e.type, e.classes, e.props, e.version, e.begin_on, 0, e.deleted, e.job_id FROM entities e`

// scanEntity decodes one row of entitySelect (or of the same columns from
// entity_versions).
func scanEntity(s scanner) (store.EntityRecord, error) {
	var (
		r              store.EntityRecord
		classes, props string
		begin, end     int64
	)
	if err := s.Scan(&r.ID, &r.Scope, &r.Key, &r.Type, &classes, &props, &r.Version, &begin, &end, &r.Deleted, &r.JobID); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(classes), &r.Class); err != nil {
		return r, fmt.Errorf("decode classes of entity %s: %w", r.Key, err)
	}
	if err := r.Properties.UnmarshalJSON([]byte(props)); err != nil {
		return r, fmt.Errorf("decode properties of entity %s: %w", r.Key, err)
	}
	r.BeginOn, r.EndOn = fromMillis(begin), fromMillis(end)
	return r, nil
}

// GetEntity returns the current version of an entity, deleted or not, or
// store.ErrNotFound.
func (db *DB) GetEntity(ctx context.Context, scope, key string) (*store.EntityRecord, error) {
	r, err := scanEntity(db.reader.QueryRowContext(ctx, entitySelect+` WHERE e.scope = ? AND e.key = ?`, scope, key))
	if isNoRows(err) {
		return nil, fmt.Errorf("get entity %s in %s: %w", key, scope, store.ErrNotFound)
	}
	if err != nil {
		return nil, db.wrap(fmt.Sprintf("get entity %s in %s", key, scope), err)
	}
	return &r, nil
}

// EntityHistory returns every version of an entity, oldest first, or
// store.ErrNotFound.
func (db *DB) EntityHistory(ctx context.Context, scope, key string) ([]store.EntityRecord, error) {
	op := fmt.Sprintf("read history of entity %s in %s", key, scope)
	rows, err := db.reader.QueryContext(ctx, `
		SELECT e.id, e.scope, e.key, v.type, v.classes, v.props, v.version, v.begin_on, v.end_on, v.deleted, v.job_id
		FROM entities e JOIN entity_versions v ON v.entity_id = e.id
		WHERE e.scope = ? AND e.key = ?
		UNION ALL
		SELECT e.id, e.scope, e.key, e.type, e.classes, e.props, e.version, e.begin_on, 0, e.deleted, e.job_id
		FROM entities e WHERE e.scope = ? AND e.key = ?
		ORDER BY 7`, scope, key, scope, key)
	if err != nil {
		return nil, db.wrap(op, err)
	}
	defer rows.Close()
	var out []store.EntityRecord
	for rows.Next() {
		r, err := scanEntity(rows)
		if err != nil {
			return nil, db.wrap(op, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap(op, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return out, nil
}

// ListEntities returns entities matching f, ordered by id. Property
// filters compare typed values: an int64 1 does not match a float64 1.
func (db *DB) ListEntities(ctx context.Context, f store.EntityFilter) ([]store.EntityRecord, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if f.Scope != "" {
		add("e.scope = ?", f.Scope)
	}
	if f.Type != "" {
		add("e.type = ?", f.Type)
	}
	if f.Class != "" {
		add("e.id IN (SELECT entity_id FROM entity_classes WHERE class = ?)", f.Class)
	}
	if !f.IncludeDeleted {
		add("NOT e.deleted")
	}
	if f.AfterID > 0 {
		add("e.id > ?", f.AfterID)
	}
	names := make([]string, 0, len(f.Properties))
	for name := range f.Properties {
		names = append(names, name)
	}
	for _, name := range names {
		cond, a, err := propertyCondition(name, f.Properties[name])
		if err != nil {
			return nil, fmt.Errorf("list entities: filter on %q: %w", name, err)
		}
		add(cond, a...)
	}
	q := entitySelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY e.id"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := db.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap("list entities", err)
	}
	defer rows.Close()
	var out []store.EntityRecord
	for rows.Next() {
		r, err := scanEntity(rows)
		if err != nil {
			return nil, db.wrap("list entities", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap("list entities", err)
	}
	return out, nil
}

// propertyCondition builds a typed equality test of one property.
func propertyCondition(name string, v any) (string, []any, error) {
	n, err := graph.Normalize(v)
	if err != nil {
		return "", nil, err
	}
	path := jsonPath(name)
	switch x := n.(type) {
	case nil:
		return "json_type(e.props, ?) = 'null'", []any{path}, nil
	case bool:
		if x {
			return "json_type(e.props, ?) = 'true'", []any{path}, nil
		}
		return "json_type(e.props, ?) = 'false'", []any{path}, nil
	case int64:
		return "(json_type(e.props, ?) = 'integer' AND json_extract(e.props, ?) = ?)", []any{path, path, x}, nil
	case float64:
		return "(json_type(e.props, ?) = 'real' AND json_extract(e.props, ?) = ?)", []any{path, path, x}, nil
	case string:
		return "(json_type(e.props, ?) = 'text' AND json_extract(e.props, ?) = ?)", []any{path, path, x}, nil
	case []any:
		enc, err := graph.MarshalValue(x)
		if err != nil {
			return "", nil, err
		}
		return "(json_type(e.props, ?) = 'array' AND json_extract(e.props, ?) = json(?))", []any{path, path, string(enc)}, nil
	default:
		return "", nil, fmt.Errorf("unsupported value type %T", v)
	}
}

// jsonPath quotes a property name as a SQLite JSON path.
func jsonPath(name string) string {
	return `$."` + strings.ReplaceAll(name, `"`, `\"`) + `"`
}

// relSelect reads relationships with their endpoints' scopes and keys.
const relSelect = `SELECT r.id, r.scope, r.key, r.type, r.class, r.props, r.version, r.begin_on, r.deleted, r.job_id,
	r.from_id, f.scope, f.key, r.to_id, t.scope, t.key
	FROM relationships r JOIN entities f ON f.id = r.from_id JOIN entities t ON t.id = r.to_id`

func scanRelationship(s scanner) (store.RelationshipRecord, error) {
	var (
		r                                  store.RelationshipRecord
		props                              string
		begin                              int64
		fromScope, fromKey, toScope, toKey string
	)
	err := s.Scan(&r.ID, &r.Scope, &r.Key, &r.Type, &r.Class, &props, &r.Version, &begin, &r.Deleted, &r.JobID,
		&r.FromID, &fromScope, &fromKey, &r.ToID, &toScope, &toKey)
	if err != nil {
		return r, err
	}
	if err := r.Properties.UnmarshalJSON([]byte(props)); err != nil {
		return r, fmt.Errorf("decode properties of relationship %s: %w", r.Key, err)
	}
	r.BeginOn = fromMillis(begin)
	r.FromKey, r.ToKey = fromKey, toKey
	if fromScope != r.Scope {
		r.FromScope = fromScope
	}
	if toScope != r.Scope {
		r.ToScope = toScope
	}
	return r, nil
}

// GetRelationship returns the current version of a relationship, or
// store.ErrNotFound.
func (db *DB) GetRelationship(ctx context.Context, scope, key string) (*store.RelationshipRecord, error) {
	r, err := scanRelationship(db.reader.QueryRowContext(ctx, relSelect+` WHERE r.scope = ? AND r.key = ?`, scope, key))
	if isNoRows(err) {
		return nil, fmt.Errorf("get relationship %s in %s: %w", key, scope, store.ErrNotFound)
	}
	if err != nil {
		return nil, db.wrap(fmt.Sprintf("get relationship %s in %s", key, scope), err)
	}
	return &r, nil
}

// Neighbors returns the relationships touching an entity with the entity
// at their other end, ordered by relationship id; store.ErrNotFound when
// the entity does not exist.
func (db *DB) Neighbors(ctx context.Context, scope, key string, f store.NeighborFilter) ([]store.Neighbor, error) {
	op := fmt.Sprintf("read neighbors of entity %s in %s", key, scope)
	var id int64
	err := db.reader.QueryRowContext(ctx, `SELECT id FROM entities WHERE scope = ? AND key = ?`, scope, key).Scan(&id)
	if isNoRows(err) {
		return nil, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	if err != nil {
		return nil, db.wrap(op, err)
	}
	cond := ""
	if !f.IncludeDeleted {
		cond += " AND NOT r.deleted"
	}
	args := []any{id}
	if f.RelationshipType != "" {
		cond += " AND r.type = ?"
		args = append(args, f.RelationshipType)
	}
	args = append(args, args...)
	// Two index lookups rather than one OR, which SQLite may plan as a scan.
	q := `SELECT * FROM (` + relSelect + ` WHERE r.from_id = ?` + cond + ` UNION ` +
		relSelect + ` WHERE r.to_id = ?` + cond + `) ORDER BY 1`
	rows, err := db.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap(op, err)
	}
	var out []store.Neighbor
	for rows.Next() {
		r, err := scanRelationship(rows)
		if err != nil {
			rows.Close()
			return nil, db.wrap(op, err)
		}
		out = append(out, store.Neighbor{Relationship: r, Outgoing: r.FromID == id})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, db.wrap(op, err)
	}
	for i := range out {
		other := out[i].Relationship.ToID
		if !out[i].Outgoing {
			other = out[i].Relationship.FromID
		}
		e, err := scanEntity(db.reader.QueryRowContext(ctx, entitySelect+` WHERE e.id = ?`, other))
		if err != nil {
			return nil, db.wrap(op, err)
		}
		out[i].Entity = e
	}
	return out, nil
}

// ListMappings returns mapped relationships with Seq above f.AfterSeq,
// ordered by Seq. Records of one target share its decoded description
// (filter keys, target entity), with each other and with later calls:
// callers must not modify them.
func (db *DB) ListMappings(ctx context.Context, f store.MappingFilter) ([]store.MappingRecord, error) {
	q := `SELECT m.id, m.scope, m.key, m.type, m.class, m.source_key, m.body, m.target, m.version, m.begin_on, m.deleted, m.job_id, m.seq
		FROM mappings m WHERE m.seq > ?`
	args := []any{f.AfterSeq}
	if f.Scope != "" {
		q += " AND m.scope = ?"
		args = append(args, f.Scope)
	}
	if !f.IncludeDeleted {
		q += " AND NOT m.deleted"
	}
	q += " ORDER BY m.seq"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := db.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap("list mappings", err)
	}
	defer rows.Close()
	// The rows are read first and decoded after, once their target
	// descriptions have been read, each once, in a query of their own.
	type stored struct {
		sourceKey sql.NullString
		body      string
		targetID  sql.NullInt64
	}
	var (
		out  []store.MappingRecord
		raw  []stored
		want = map[int64]bool{} // descriptions to read
		// targets starts with the descriptions decoded by earlier calls.
		targets = targetCache{db: db, current: map[int64]*mappingBody{}}
	)
	for rows.Next() {
		var (
			m     store.MappingRecord
			r     stored
			begin int64
		)
		if err := rows.Scan(&m.ID, &m.Scope, &m.Key, &m.Type, &m.Class, &r.sourceKey, &r.body, &r.targetID, &m.Version, &begin, &m.Deleted, &m.JobID, &m.Seq); err != nil {
			return nil, db.wrap("list mappings", err)
		}
		m.BeginOn = fromMillis(begin)
		if id := r.targetID.Int64; r.targetID.Valid && !want[id] {
			if _, ok := targets.current[id]; !ok {
				if t, ok := db.targets.get(id); ok && r.sourceKey.Valid {
					targets.current[id] = t
				} else {
					want[id] = true
				}
			}
		}
		out = append(out, m)
		raw = append(raw, r)
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap("list mappings", err)
	}
	rows.Close()
	if targets.descs, err = db.mappingTargets(ctx, want); err != nil {
		return nil, err
	}
	for i := range out {
		m, r := &out[i], raw[i]
		if err := targets.decode(r.sourceKey, r.body, r.targetID, &m.MappedRelationship); err != nil {
			return nil, fmt.Errorf("list mappings: mapping %s/%s: %w", m.Scope, m.Key, err)
		}
	}
	return out, nil
}

// mappingTargets reads the stored target descriptions with the given ids.
func (db *DB) mappingTargets(ctx context.Context, ids map[int64]bool) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	all := make([]any, 0, len(ids))
	for id := range ids {
		all = append(all, id)
	}
	const chunk = 500
	for start := 0; start < len(all); start += chunk {
		part := all[start:min(start+chunk, len(all))]
		q := `SELECT id, props FROM mapping_targets WHERE id IN (?` + strings.Repeat(", ?", len(part)-1) + `)`
		rows, err := db.reader.QueryContext(ctx, q, part...)
		if err != nil {
			return nil, db.wrap("read mapping target descriptions", err)
		}
		for rows.Next() {
			var (
				id   int64
				desc string
			)
			if err := rows.Scan(&id, &desc); err != nil {
				rows.Close()
				return nil, db.wrap("read mapping target descriptions", err)
			}
			out[id] = desc
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, db.wrap("read mapping target descriptions", err)
		}
	}
	return out, nil
}

// targetCache decodes stored mappings, decoding each target description
// once; the mappings of one target share the decoded parts.
type targetCache struct {
	db      *DB                    // keeps what is decoded for later calls
	descs   map[int64]string       // stored text of the descriptions, by id
	current map[int64]*mappingBody // decoded, of mappings written since migration 005
	legacy  map[int64]graph.Properties
}

// decode fills m from a stored row: source key, body and target id.
func (c *targetCache) decode(sourceKey sql.NullString, body string, targetID sql.NullInt64, m *graph.MappedRelationship) error {
	if !targetID.Valid {
		return decodeMapping(body, nil, m)
	}
	id := targetID.Int64
	if t, ok := c.current[id]; ok && sourceKey.Valid {
		return fillMapping(sourceKey.String, body, t, m)
	}
	desc, ok := c.descs[id]
	if !ok {
		return fmt.Errorf("target description %d is missing", id)
	}
	if sourceKey.Valid {
		t, err := decodeTarget(desc)
		if err != nil {
			return fmt.Errorf("target description %d: %w", id, err)
		}
		c.current[id] = t
		c.db.targets.put(id, t)
		return fillMapping(sourceKey.String, body, t, m)
	}
	props, ok := c.legacy[id]
	if !ok {
		if err := props.UnmarshalJSON([]byte(desc)); err != nil {
			return fmt.Errorf("target description %d: %w", id, err)
		}
		if c.legacy == nil {
			c.legacy = map[int64]graph.Properties{}
		}
		c.legacy[id] = props
	}
	return decodeMapping(body, props, m)
}

// Counts returns the number of live entities and relationships per _type.
func (db *DB) Counts(ctx context.Context) (map[string]int64, map[string]int64, error) {
	ents, err := db.countByType(ctx, `SELECT type, count(*) FROM entities WHERE NOT deleted GROUP BY type`)
	if err != nil {
		return nil, nil, db.wrap("count entities", err)
	}
	rels, err := db.countByType(ctx, `SELECT type, count(*) FROM relationships WHERE NOT deleted GROUP BY type`)
	if err != nil {
		return nil, nil, db.wrap("count relationships", err)
	}
	return ents, rels, nil
}

func (db *DB) countByType(ctx context.Context, q string) (map[string]int64, error) {
	rows, err := db.reader.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var (
			t string
			n int64
		)
		if err := rows.Scan(&t, &n); err != nil {
			return nil, err
		}
		out[t] = n
	}
	return out, rows.Err()
}

// Query runs a read-only statement on a query-only connection and hands
// each row to fn as int64, float64, string or nil values ([]byte becomes
// string).
func (db *DB) Query(ctx context.Context, q string, args []any, fn func(row []any) error) error {
	rows, err := db.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return db.wrap("run query", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return db.wrap("run query", err)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return db.wrap("run query", err)
		}
		out := make([]any, len(vals))
		for i, v := range vals {
			out[i] = queryValue(v)
		}
		if err := fn(out); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return db.wrap("run query", err)
	}
	return nil
}

// queryValue converts a driver value to int64, float64, string or nil.
func queryValue(v any) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case sql.RawBytes:
		return string(x)
	default:
		return v
	}
}
