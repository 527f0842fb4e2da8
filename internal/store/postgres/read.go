package postgres

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// entityColumns are the columns scanEntity reads, from alias e.
const entityColumns = `e.id, e.scope, e.key, e.type, e.classes, e.props, e.version, e.begin_on, 0::bigint, e.deleted, e.job_id`

// entityVersionColumns are the same columns read from entity_versions.
const entityVersionColumns = `v.id, v.scope, v.key, v.type, v.classes, v.props, v.version, v.begin_on, v.end_on, v.deleted, v.job_id`

// scanEntity reads one row of entityColumns.
func scanEntity(row pgx.Row, out *store.EntityRecord) error {
	var classes, props []byte
	var begin, end int64
	if err := row.Scan(&out.ID, &out.Scope, &out.Key, &out.Type, &classes, &props,
		&out.Version, &begin, &end, &out.Deleted, &out.JobID); err != nil {
		return err
	}
	return finishEntity(out, classes, props, begin, end)
}

func finishEntity(out *store.EntityRecord, classes, props []byte, begin, end int64) error {
	var err error
	if out.Class, err = decodeStrings(classes); err != nil {
		return fmt.Errorf("entity %s: classes: %w", out.Key, err)
	}
	if out.Properties, err = decodeProps(props); err != nil {
		return fmt.Errorf("entity %s: %w", out.Key, err)
	}
	out.BeginOn, out.EndOn = fromMillis(begin), fromMillis(end)
	return nil
}

// relationshipColumns are the columns scanRelationship reads, from alias r
// joined with its endpoints f and t.
const relationshipColumns = `r.id, r.scope, r.key, r.type, r.class, r.from_id, r.to_id, f.scope, f.key, t.scope, t.key,
	r.props, r.version, r.begin_on, 0::bigint, r.deleted, r.job_id`

// scanRelationship reads one row of relationshipColumns.
func scanRelationship(row pgx.Row, out *store.RelationshipRecord) error {
	var props []byte
	var begin, end int64
	if err := row.Scan(&out.ID, &out.Scope, &out.Key, &out.Type, &out.Class, &out.FromID, &out.ToID,
		&out.FromScope, &out.FromKey, &out.ToScope, &out.ToKey,
		&props, &out.Version, &begin, &end, &out.Deleted, &out.JobID); err != nil {
		return err
	}
	// Endpoints in the relationship's own scope are reported without one,
	// as graph.Relationship writes them.
	if out.FromScope == out.Scope {
		out.FromScope = ""
	}
	if out.ToScope == out.Scope {
		out.ToScope = ""
	}
	var err error
	if out.Properties, err = decodeProps(props); err != nil {
		return fmt.Errorf("relationship %s: %w", out.Key, err)
	}
	out.BeginOn, out.EndOn = fromMillis(begin), fromMillis(end)
	return nil
}

// GetEntity returns the current version of an entity, deleted or not, or
// an error wrapping store.ErrNotFound.
func (db *DB) GetEntity(ctx context.Context, scope, key string) (*store.EntityRecord, error) {
	var rec store.EntityRecord
	err := scanEntity(db.pool.QueryRow(ctx, `SELECT `+entityColumns+` FROM entities e WHERE e.scope = $1 AND e.key = $2`, scope, key), &rec)
	if isNoRows(err) {
		return nil, fmt.Errorf("get entity %s in %s: %w", key, scope, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get entity %s in %s: %w", key, scope, err)
	}
	return &rec, nil
}

// GetRelationship returns the current version of a relationship, deleted
// or not, or an error wrapping store.ErrNotFound.
func (db *DB) GetRelationship(ctx context.Context, scope, key string) (*store.RelationshipRecord, error) {
	var rec store.RelationshipRecord
	err := scanRelationship(db.pool.QueryRow(ctx, `SELECT `+relationshipColumns+`
		FROM relationships r JOIN entities f ON f.id = r.from_id JOIN entities t ON t.id = r.to_id
		WHERE r.scope = $1 AND r.key = $2`, scope, key), &rec)
	if isNoRows(err) {
		return nil, fmt.Errorf("get relationship %s in %s: %w", key, scope, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get relationship %s in %s: %w", key, scope, err)
	}
	return &rec, nil
}

// whereBuilder collects SQL conditions with numbered arguments.
type whereBuilder struct {
	conds []string
	args  []any
}

// arg adds a value and returns its placeholder.
func (w *whereBuilder) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

func (w *whereBuilder) add(cond string) { w.conds = append(w.conds, cond) }

func (w *whereBuilder) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// plainName matches property names safe to write as SQL literals.
var plainName = regexp.MustCompile(`^[A-Za-z0-9_. -]+$`)

// ListEntities returns the entities matching f, ordered by id. Property
// filters compare typed values: an int64 1 does not match a float64 1.0.
func (db *DB) ListEntities(ctx context.Context, f store.EntityFilter) ([]store.EntityRecord, error) {
	var w whereBuilder
	if f.Scope != "" {
		w.add("e.scope = " + w.arg(f.Scope))
	}
	if f.Type != "" {
		w.add("e.type = " + w.arg(f.Type))
	}
	if f.Class != "" {
		w.add("EXISTS (SELECT 1 FROM entity_classes ec WHERE ec.entity_id = e.id AND ec.class = " + w.arg(f.Class) + ")")
	}
	for _, name := range sortedKeys(f.Properties) {
		v, err := graph.Normalize(f.Properties[name])
		if err != nil {
			return nil, fmt.Errorf("list entities: filter on %q: %w", name, err)
		}
		enc, err := encodeValue(v)
		if err != nil {
			return nil, fmt.Errorf("list entities: filter on %q: %w", name, err)
		}
		if err := checkText(name); err != nil {
			return nil, fmt.Errorf("list entities: filter name %q %w", name, err)
		}
		// A plain name is written as a literal so that the expression
		// indexes on (props -> 'qid') and the like match.
		n := "'" + name + "'"
		if !plainName.MatchString(name) {
			n = w.arg(name) + "::text"
		}
		val := w.arg(string(enc))
		// jsonb equality finds the candidates (through an expression index
		// for the common properties); the text comparison makes the match
		// exact and typed (jsonb keeps "1.0" and "1" apart as text).
		w.add(fmt.Sprintf("e.props -> %s = %s::jsonb AND (e.props -> %s)::text = (%s::jsonb)::text", n, val, n, val))
	}
	if !f.IncludeDeleted {
		w.add("NOT e.deleted")
	}
	if f.AfterID > 0 {
		w.add("e.id > " + w.arg(f.AfterID))
	}
	sql := `SELECT ` + entityColumns + ` FROM entities e` + w.sql() + ` ORDER BY e.id`
	if f.Limit > 0 {
		sql += " LIMIT " + w.arg(f.Limit)
	}
	rows, err := db.pool.Query(ctx, sql, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list entities: %w", err)
	}
	defer rows.Close()
	var out []store.EntityRecord
	for rows.Next() {
		var rec store.EntityRecord
		if err := scanEntity(rows, &rec); err != nil {
			return nil, fmt.Errorf("list entities: %w", err)
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list entities: %w", err)
	}
	return out, nil
}

// Neighbors returns the relationships touching an entity, with the entity
// at their other end, ordered by relationship id.
func (db *DB) Neighbors(ctx context.Context, scope, key string, f store.NeighborFilter) ([]store.Neighbor, error) {
	var id int64
	err := db.pool.QueryRow(ctx, `SELECT id FROM entities WHERE scope = $1 AND key = $2`, scope, key).Scan(&id)
	if isNoRows(err) {
		return nil, fmt.Errorf("neighbors of %s in %s: %w", key, scope, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("neighbors of %s in %s: %w", key, scope, err)
	}
	var w whereBuilder
	idArg := w.arg(id)
	live := ""
	if !f.IncludeDeleted {
		live = " AND NOT r.deleted"
	}
	typ := ""
	if f.RelationshipType != "" {
		typ = " AND r.type = " + w.arg(f.RelationshipType)
	}
	sql := `SELECT ` + relationshipColumns + `, ` + entityColumns + `
FROM (SELECT * FROM relationships r WHERE r.from_id = ` + idArg + live + typ + `
      UNION ALL
      SELECT * FROM relationships r WHERE r.to_id = ` + idArg + ` AND r.from_id <> ` + idArg + live + typ + `) r
JOIN entities f ON f.id = r.from_id
JOIN entities t ON t.id = r.to_id
JOIN entities e ON e.id = CASE WHEN r.from_id = ` + idArg + ` THEN r.to_id ELSE r.from_id END
ORDER BY r.id`
	rows, err := db.pool.Query(ctx, sql, w.args...)
	if err != nil {
		return nil, fmt.Errorf("neighbors of %s in %s: %w", key, scope, err)
	}
	defer rows.Close()
	var out []store.Neighbor
	for rows.Next() {
		var n store.Neighbor
		r, e := &n.Relationship, &n.Entity
		var rprops, eclasses, eprops []byte
		var rbegin, rend, ebegin, eend int64
		if err := rows.Scan(&r.ID, &r.Scope, &r.Key, &r.Type, &r.Class, &r.FromID, &r.ToID,
			&r.FromScope, &r.FromKey, &r.ToScope, &r.ToKey,
			&rprops, &r.Version, &rbegin, &rend, &r.Deleted, &r.JobID,
			&e.ID, &e.Scope, &e.Key, &e.Type, &eclasses, &eprops, &e.Version, &ebegin, &eend, &e.Deleted, &e.JobID); err != nil {
			return nil, fmt.Errorf("neighbors of %s in %s: %w", key, scope, err)
		}
		if r.FromScope == r.Scope {
			r.FromScope = ""
		}
		if r.ToScope == r.Scope {
			r.ToScope = ""
		}
		if r.Properties, err = decodeProps(rprops); err != nil {
			return nil, fmt.Errorf("neighbors of %s in %s: relationship %s: %w", key, scope, r.Key, err)
		}
		r.BeginOn, r.EndOn = fromMillis(rbegin), fromMillis(rend)
		if err := finishEntity(e, eclasses, eprops, ebegin, eend); err != nil {
			return nil, fmt.Errorf("neighbors of %s in %s: %w", key, scope, err)
		}
		n.Outgoing = r.FromID == id
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("neighbors of %s in %s: %w", key, scope, err)
	}
	return out, nil
}

// EntityHistory returns every version of an entity, oldest first, or an
// error wrapping store.ErrNotFound.
func (db *DB) EntityHistory(ctx context.Context, scope, key string) ([]store.EntityRecord, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+entityVersionColumns+` FROM entity_versions v
		WHERE v.id = (SELECT id FROM entities WHERE scope = $1 AND key = $2)
		UNION ALL
		SELECT `+entityColumns+` FROM entities e WHERE e.scope = $1 AND e.key = $2
		ORDER BY 7`, scope, key)
	if err != nil {
		return nil, fmt.Errorf("history of entity %s in %s: %w", key, scope, err)
	}
	defer rows.Close()
	var out []store.EntityRecord
	for rows.Next() {
		var rec store.EntityRecord
		if err := scanEntity(rows, &rec); err != nil {
			return nil, fmt.Errorf("history of entity %s in %s: %w", key, scope, err)
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history of entity %s in %s: %w", key, scope, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("history of entity %s in %s: %w", key, scope, store.ErrNotFound)
	}
	return out, nil
}

// Counts returns the number of live entities and live relationships per
// _type.
func (db *DB) Counts(ctx context.Context) (entities, relationships map[string]int64, err error) {
	count := func(table string) (map[string]int64, error) {
		rows, err := db.pool.Query(ctx, `SELECT type, count(*) FROM `+table+` WHERE NOT deleted GROUP BY type`)
		if err != nil {
			return nil, fmt.Errorf("count %s: %w", table, err)
		}
		out := map[string]int64{}
		var typ string
		var n int64
		_, err = pgx.ForEachRow(rows, []any{&typ, &n}, func() error {
			out[typ] = n
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("count %s: %w", table, err)
		}
		return out, nil
	}
	if entities, err = count("entities"); err != nil {
		return nil, nil, err
	}
	if relationships, err = count("relationships"); err != nil {
		return nil, nil, err
	}
	return entities, relationships, nil
}
