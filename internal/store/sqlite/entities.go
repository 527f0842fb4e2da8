package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/qgraph/qgraph/internal/store"
)

// namedMax is the :max parameter: the largest id before an insert.
func namedMax(id int64) any { return sql.Named("max", id) }

// Entity merge statements. They run in order inside the commit's
// transaction; temp.gone and temp.changed are work tables.
const (
	// goneUnseenEntities collects, in Replace mode, the live entities of the
	// scope that the job did not produce, except those of partial types.
	goneUnseenEntities = `INSERT INTO temp.gone (id)
		SELECT e.id FROM entities e
		WHERE e.scope = :scope AND NOT e.deleted
		  AND NOT EXISTS (SELECT 1 FROM temp.stage_entities s WHERE s.key = e.key)
		  AND e.type NOT IN (SELECT type FROM temp.partial_types)`
	// goneNamedEntities collects, in Merge mode, the live entities that the
	// batches named in Deletes.
	goneNamedEntities = `INSERT INTO temp.gone (id)
		SELECT e.id FROM temp.stage_deletes d CROSS JOIN entities e ON e.scope = :scope AND e.key = d.key
		WHERE d.kind = 'entity' AND NOT e.deleted`
	archiveGoneEntities = `INSERT INTO entity_versions (entity_id, version, type, classes, props, begin_on, end_on, deleted, job_id)
		SELECT e.id, e.version, e.type, e.classes, e.props, e.begin_on, :now, e.deleted, e.job_id
		FROM temp.gone g CROSS JOIN entities e ON e.id = g.id`
	deleteGoneEntities = `UPDATE entities SET version = version + 1, begin_on = :now, deleted = 1, job_id = :job
		WHERE id IN (SELECT id FROM temp.gone)`
	logGoneEntities = `INSERT INTO changes (scope, kind, key, type, op, object_id, version, job_id, at)
		SELECT e.scope, 'entity', e.key, e.type, 'deleted', e.id, e.version, :job, :now
		FROM temp.gone g CROSS JOIN entities e ON e.id = g.id ORDER BY e.key`
	// cascadeGone collects the live relationships, of any scope, touching a
	// deleted entity.
	cascadeGone = `INSERT OR IGNORE INTO temp.gone_rels (id)
		SELECT r.id FROM temp.gone g CROSS JOIN relationships r ON r.from_id = g.id WHERE NOT r.deleted
		UNION
		SELECT r.id FROM temp.gone g CROSS JOIN relationships r ON r.to_id = g.id WHERE NOT r.deleted`

	// findChangedEntities collects the staged entities whose stored version
	// is deleted or differs in type, classes or properties.
	findChangedEntities = `INSERT INTO temp.changed (id, key, was_deleted, classes_changed)
		SELECT e.id, e.key, e.deleted, e.classes <> s.classes
		FROM temp.stage_entities s CROSS JOIN entities e ON e.scope = :scope AND e.key = s.key
		WHERE e.deleted OR e.type <> s.type OR e.classes <> s.classes OR e.props <> s.props`
	archiveChangedEntities = `INSERT INTO entity_versions (entity_id, version, type, classes, props, begin_on, end_on, deleted, job_id)
		SELECT e.id, e.version, e.type, e.classes, e.props, e.begin_on, :now, e.deleted, e.job_id
		FROM temp.changed c CROSS JOIN entities e ON e.id = c.id`
	updateChangedEntities = `UPDATE entities
		SET (type, classes, props) = (SELECT s.type, s.classes, s.props FROM temp.stage_entities s WHERE s.key = entities.key),
		    version = version + 1, begin_on = :now, deleted = 0, job_id = :job
		WHERE id IN (SELECT id FROM temp.changed)`
	dropChangedClasses = `DELETE FROM entity_classes
		WHERE entity_id IN (SELECT id FROM temp.changed WHERE classes_changed)`
	addChangedClasses = `INSERT OR IGNORE INTO entity_classes (entity_id, class)
		SELECT c.id, j.value FROM temp.changed c CROSS JOIN entities e ON e.id = c.id, json_each(e.classes) j
		WHERE c.classes_changed`
	logChangedEntities = `INSERT INTO changes (scope, kind, key, type, op, object_id, version, job_id, at)
		SELECT :scope, 'entity', e.key, e.type, CASE WHEN c.was_deleted THEN 'created' ELSE 'updated' END,
		       e.id, e.version, :job, :now
		FROM temp.changed c CROSS JOIN entities e ON e.id = c.id ORDER BY e.key`

	// insertNewEntities creates the staged entities the scope does not
	// have; their ids are all above :max, the largest id before.
	insertNewEntities = `INSERT INTO entities (scope, key, type, classes, props, version, begin_on, deleted, job_id)
		SELECT :scope, s.key, s.type, s.classes, s.props, 1, :now, 0, :job
		FROM temp.stage_entities s
		WHERE NOT EXISTS (SELECT 1 FROM entities e WHERE e.scope = :scope AND e.key = s.key)
		ORDER BY s.key`
	addNewClasses = `INSERT OR IGNORE INTO entity_classes (entity_id, class)
		SELECT e.id, j.value FROM entities e, json_each(e.classes) j WHERE e.id > :max`
	logNewEntities = `INSERT INTO changes (scope, kind, key, type, op, object_id, version, job_id, at)
		SELECT :scope, 'entity', e.key, e.type, 'created', e.id, 1, :job, :now
		FROM entities e WHERE e.id > :max ORDER BY e.id`
)

// mergeEntities deletes what goes (unseen in Replace mode, named in Merge
// mode) with the relationships touching it, then updates changed entities
// and creates new ones.
func (c *committer) mergeEntities(ctx context.Context) error {
	if err := c.run(ctx, "reset work table", `DELETE FROM temp.gone`, `DELETE FROM temp.changed`); err != nil {
		return err
	}
	collect := goneUnseenEntities
	if c.s.p.Mode != store.Replace {
		collect = goneNamedEntities
	}
	n, err := c.exec(ctx, "find entities to delete", collect)
	if err != nil {
		return err
	}
	if n > 0 {
		if err := c.run(ctx, "delete entities", archiveGoneEntities, deleteGoneEntities, logGoneEntities); err != nil {
			return err
		}
		if err := c.run(ctx, "find relationships of deleted entities", `DELETE FROM temp.gone_rels`, cascadeGone); err != nil {
			return err
		}
		if err := c.deleteGoneRelationships(ctx); err != nil {
			return err
		}
	}

	n, err = c.exec(ctx, "find changed entities", findChangedEntities)
	if err != nil {
		return err
	}
	if n > 0 {
		if err := c.run(ctx, "update entities", archiveChangedEntities, updateChangedEntities,
			dropChangedClasses, addChangedClasses, logChangedEntities); err != nil {
			return err
		}
	}

	var maxID int64
	if err := c.conn.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM entities`).Scan(&maxID); err != nil {
		return fmt.Errorf("read largest entity id: %w", err)
	}
	n, err = c.exec(ctx, "create entities", insertNewEntities)
	if err != nil {
		return err
	}
	if n > 0 {
		for _, q := range []string{addNewClasses, logNewEntities} {
			if _, err := c.exec(ctx, "create entities", q, namedMax(maxID)); err != nil {
				return err
			}
		}
	}
	return nil
}
