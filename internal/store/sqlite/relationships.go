package sqlite

import (
	"context"
	"fmt"

	"github.com/qgraph/qgraph/internal/store"
)

// Relationship merge statements, run after the entities are merged so that
// endpoints resolve against the new state. temp.rel_ends holds the resolved
// endpoint ids of each staged relationship (NULL when missing or deleted:
// the relationship is dangling). Endpoints resolve through the covering
// index of live entities, which the planner would not pick over the UNIQUE
// (scope, key) index by itself.
const (
	resolveEnds = `INSERT INTO temp.rel_ends (key, from_id, to_id)
		SELECT s.key,
		  (SELECT e.id FROM entities e INDEXED BY entities_live_key
		   WHERE e.scope = CASE s.from_scope WHEN '' THEN :scope ELSE s.from_scope END AND e.key = s.from_key AND NOT e.deleted),
		  (SELECT e.id FROM entities e INDEXED BY entities_live_key
		   WHERE e.scope = CASE s.to_scope WHEN '' THEN :scope ELSE s.to_scope END AND e.key = s.to_key AND NOT e.deleted)
		FROM temp.stage_relationships s`
	// goneUnseenRels collects, in Replace mode, the live relationships of
	// the scope that the job did not produce (except partial types) or
	// produced dangling.
	goneUnseenRels = `INSERT OR IGNORE INTO temp.gone_rels (id)
		SELECT r.id FROM relationships r LEFT JOIN temp.rel_ends x ON x.key = r.key
		WHERE r.scope = :scope AND NOT r.deleted
		  AND CASE WHEN x.key IS NULL THEN r.type NOT IN (SELECT type FROM temp.partial_types)
		           ELSE x.from_id IS NULL OR x.to_id IS NULL END`
	// goneNamedRels collects, in Merge mode, the live relationships named in
	// Deletes or produced dangling.
	goneNamedRels = `INSERT OR IGNORE INTO temp.gone_rels (id)
		SELECT r.id FROM temp.stage_deletes d CROSS JOIN relationships r ON r.scope = :scope AND r.key = d.key
		WHERE d.kind = 'relationship' AND NOT r.deleted
		UNION
		SELECT r.id FROM temp.rel_ends x CROSS JOIN relationships r ON r.scope = :scope AND r.key = x.key
		WHERE (x.from_id IS NULL OR x.to_id IS NULL) AND NOT r.deleted`
	archiveGoneRels = `INSERT INTO relationship_versions (relationship_id, version, type, class, from_id, to_id, props, begin_on, end_on, deleted, job_id)
		SELECT r.id, r.version, r.type, r.class, r.from_id, r.to_id, r.props, r.begin_on, :now, r.deleted, r.job_id
		FROM temp.gone_rels g CROSS JOIN relationships r ON r.id = g.id`
	deleteGoneRels = `UPDATE relationships SET version = version + 1, begin_on = :now, deleted = 1, job_id = :job
		WHERE id IN (SELECT id FROM temp.gone_rels)`
	logGoneRels = `INSERT INTO changes (scope, kind, key, type, op, object_id, version, job_id, at)
		SELECT r.scope, 'relationship', r.key, r.type, 'deleted', r.id, r.version, :job, :now
		FROM temp.gone_rels g CROSS JOIN relationships r ON r.id = g.id ORDER BY r.scope, r.key`

	findChangedRels = `INSERT INTO temp.changed (id, key, was_deleted, classes_changed)
		SELECT r.id, r.key, r.deleted, 0
		FROM temp.stage_relationships s
		CROSS JOIN temp.rel_ends x ON x.key = s.key
		CROSS JOIN relationships r ON r.scope = :scope AND r.key = s.key
		WHERE x.from_id IS NOT NULL AND x.to_id IS NOT NULL
		  AND (r.deleted OR r.type <> s.type OR r.class <> s.class OR r.props <> s.props
		       OR r.from_id <> x.from_id OR r.to_id <> x.to_id)`
	archiveChangedRels = `INSERT INTO relationship_versions (relationship_id, version, type, class, from_id, to_id, props, begin_on, end_on, deleted, job_id)
		SELECT r.id, r.version, r.type, r.class, r.from_id, r.to_id, r.props, r.begin_on, :now, r.deleted, r.job_id
		FROM temp.changed c CROSS JOIN relationships r ON r.id = c.id`
	updateChangedRels = `UPDATE relationships
		SET (type, class, props) = (SELECT s.type, s.class, s.props FROM temp.stage_relationships s WHERE s.key = relationships.key),
		    (from_id, to_id) = (SELECT x.from_id, x.to_id FROM temp.rel_ends x WHERE x.key = relationships.key),
		    version = version + 1, begin_on = :now, deleted = 0, job_id = :job
		WHERE id IN (SELECT id FROM temp.changed)`
	logChangedRels = `INSERT INTO changes (scope, kind, key, type, op, object_id, version, job_id, at)
		SELECT :scope, 'relationship', r.key, r.type, CASE WHEN c.was_deleted THEN 'created' ELSE 'updated' END,
		       r.id, r.version, :job, :now
		FROM temp.changed c CROSS JOIN relationships r ON r.id = c.id ORDER BY r.key`

	insertNewRels = `INSERT INTO relationships (scope, key, type, class, from_id, to_id, props, version, begin_on, deleted, job_id)
		SELECT :scope, s.key, s.type, s.class, x.from_id, x.to_id, s.props, 1, :now, 0, :job
		FROM temp.stage_relationships s CROSS JOIN temp.rel_ends x ON x.key = s.key
		WHERE x.from_id IS NOT NULL AND x.to_id IS NOT NULL
		  AND NOT EXISTS (SELECT 1 FROM relationships r WHERE r.scope = :scope AND r.key = s.key)
		ORDER BY s.key`
	logNewRels = `INSERT INTO changes (scope, kind, key, type, op, object_id, version, job_id, at)
		SELECT :scope, 'relationship', r.key, r.type, 'created', r.id, 1, :job, :now
		FROM relationships r WHERE r.id > :max ORDER BY r.id`
)

// mergeRelationships resolves endpoints, deletes what goes, updates what
// changed and creates what is new; dangling relationships are counted and
// not stored.
func (c *committer) mergeRelationships(ctx context.Context) error {
	if err := c.run(ctx, "reset work tables", `DELETE FROM temp.rel_ends`, `DELETE FROM temp.changed`, `DELETE FROM temp.gone_rels`); err != nil {
		return err
	}
	if err := c.run(ctx, "resolve endpoints", resolveEnds); err != nil {
		return err
	}
	if err := c.collectDangling(ctx); err != nil {
		return err
	}
	collect := goneUnseenRels
	if c.s.p.Mode != store.Replace {
		collect = goneNamedRels
	}
	if err := c.run(ctx, "find relationships to delete", collect); err != nil {
		return err
	}
	if err := c.deleteGoneRelationships(ctx); err != nil {
		return err
	}
	n, err := c.exec(ctx, "find changed relationships", findChangedRels)
	if err != nil {
		return err
	}
	if n > 0 {
		if err := c.run(ctx, "update relationships", archiveChangedRels, updateChangedRels, logChangedRels); err != nil {
			return err
		}
	}
	var maxID int64
	if err := c.conn.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM relationships`).Scan(&maxID); err != nil {
		return fmt.Errorf("read largest relationship id: %w", err)
	}
	n, err = c.exec(ctx, "create relationships", insertNewRels)
	if err != nil {
		return err
	}
	if n > 0 {
		if _, err := c.exec(ctx, "create relationships", logNewRels, namedMax(maxID)); err != nil {
			return err
		}
	}
	return nil
}

// deleteGoneRelationships soft-deletes the relationships in
// temp.gone_rels and empties it.
func (c *committer) deleteGoneRelationships(ctx context.Context) error {
	return c.run(ctx, "delete relationships", archiveGoneRels, deleteGoneRels, logGoneRels, `DELETE FROM temp.gone_rels`)
}

// collectDangling counts the staged relationships with a missing endpoint
// and lists the first of them.
func (c *committer) collectDangling(ctx context.Context) error {
	const dangling = `FROM temp.rel_ends WHERE from_id IS NULL OR to_id IS NULL`
	if err := c.conn.QueryRowContext(ctx, `SELECT count(*) `+dangling).Scan(&c.res.DanglingCount); err != nil {
		return fmt.Errorf("count dangling relationships: %w", err)
	}
	if c.res.DanglingCount == 0 {
		return nil
	}
	rows, err := c.conn.QueryContext(ctx, `SELECT key `+dangling+` ORDER BY key LIMIT ?`, maxDangling)
	if err != nil {
		return fmt.Errorf("list dangling relationships: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return fmt.Errorf("list dangling relationships: %w", err)
		}
		c.res.Dangling = append(c.res.Dangling, k)
	}
	return rows.Err()
}
