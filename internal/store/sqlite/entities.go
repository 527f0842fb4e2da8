package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/qgraph/qgraph/internal/store"
)

const (
	entityColumns    = `id, key, type, classes, props, version, deleted`
	stagedEntitySQL  = `SELECT key, type, classes, props FROM stage_entities ORDER BY key`
	storedEntitySQL  = `SELECT ` + entityColumns + ` FROM entities WHERE scope = ? ORDER BY key`
	entityByKeySQL   = `SELECT ` + entityColumns + ` FROM entities WHERE scope = ? AND key = ?`
	insertEntitySQL  = `INSERT INTO entities (scope, key, type, classes, props, version, begin_on, deleted, job_id) VALUES (?, ?, ?, ?, ?, 1, ?, 0, ?)`
	archiveEntitySQL = `INSERT INTO entity_versions (entity_id, version, type, classes, props, begin_on, end_on, deleted, job_id)
		SELECT id, version, type, classes, props, begin_on, ?, deleted, job_id FROM entities WHERE id = ?`
	updateEntitySQL = `UPDATE entities SET type = ?, classes = ?, props = ?, version = version + 1, begin_on = ?, deleted = 0, job_id = ? WHERE id = ?`
	deleteEntitySQL = `UPDATE entities SET version = version + 1, begin_on = ?, deleted = 1, job_id = ? WHERE id = ?`
	insertClassSQL  = `INSERT OR IGNORE INTO entity_classes (entity_id, class) VALUES (?, ?)`
	deleteClassSQL  = `DELETE FROM entity_classes WHERE entity_id = ?`
	touchingSQL     = `SELECT id FROM relationships WHERE from_id = ? AND NOT deleted
		UNION SELECT id FROM relationships WHERE to_id = ? AND NOT deleted`
)

func scanStagedEntity(s scanner, r *row) error { return s.Scan(&r.key, &r.typ, &r.a, &r.b) }

func scanStoredEntity(s scanner, r *row) error {
	return s.Scan(&r.id, &r.key, &r.typ, &r.a, &r.b, &r.version, &r.deleted)
}

// mergeEntities applies the staged entities, then (Replace) deletes unseen
// entities of non-partial types or (Merge) the staged deletes.
func (c *committer) mergeEntities(ctx context.Context) error {
	staged, err := c.s.stage.conn.QueryContext(ctx, stagedEntitySQL)
	if err != nil {
		return fmt.Errorf("read staged entities: %w", err)
	}
	sc := &cursor{rows: staged, scan: scanStagedEntity}
	var stored *cursor
	if c.r != nil {
		rows, err := c.r.QueryContext(ctx, storedEntitySQL, c.scope)
		if err != nil {
			sc.close()
			return c.s.db.wrap("read stored entities", err)
		}
		stored = &cursor{rows: rows, scan: scanStoredEntity}
	}
	unseen := func(ctx context.Context, ex *row) error {
		if ex.deleted || c.partial[ex.typ] {
			return nil
		}
		return c.deleteEntity(ctx, ex)
	}
	if err := c.pair(ctx, sc, stored, c.entityByKey, c.putEntity, unseen); err != nil {
		return fmt.Errorf("merge entities: %w", err)
	}
	err = c.stagedDeletes(ctx, store.KindEntity, func(ctx context.Context, key string) error {
		ex, err := c.entityByKey(ctx, key)
		if err != nil || ex == nil || ex.deleted {
			return err
		}
		return c.deleteEntity(ctx, ex)
	})
	if err != nil {
		return fmt.Errorf("delete entities: %w", err)
	}
	return nil
}

// entityByKey reads a stored entity of the scope through the write
// transaction.
func (c *committer) entityByKey(ctx context.Context, key string) (*row, error) {
	return c.queryRow(ctx, entityByKeySQL, scanStoredEntity, c.scope, key)
}

// putEntity creates, revives, updates or leaves alone one entity.
func (c *committer) putEntity(ctx context.Context, st, ex *row) error {
	switch {
	case ex == nil:
		res, err := c.exec(ctx, insertEntitySQL, c.scope, st.key, st.typ, st.a, st.b, c.now, c.job)
		if err != nil {
			return fmt.Errorf("create entity %s: %w", st.key, err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("create entity %s: %w", st.key, err)
		}
		if err := c.setClasses(ctx, id, st.a, false); err != nil {
			return fmt.Errorf("create entity %s: %w", st.key, err)
		}
		count(c.res.Entities, st.typ, created)
		return c.logChange(ctx, c.scope, store.KindEntity, st.key, st.typ, store.Created, id, 1)
	case !ex.deleted && ex.typ == st.typ && ex.a == st.a && ex.b == st.b:
		count(c.res.Entities, st.typ, unchanged)
		return nil
	}
	if _, err := c.exec(ctx, archiveEntitySQL, c.now, ex.id); err != nil {
		return fmt.Errorf("keep version %d of entity %s: %w", ex.version, ex.key, err)
	}
	if _, err := c.exec(ctx, updateEntitySQL, st.typ, st.a, st.b, c.now, c.job, ex.id); err != nil {
		return fmt.Errorf("update entity %s: %w", st.key, err)
	}
	if ex.a != st.a {
		if err := c.setClasses(ctx, ex.id, st.a, true); err != nil {
			return fmt.Errorf("update entity %s: %w", st.key, err)
		}
	}
	op, pick := store.Updated, updated
	if ex.deleted {
		op, pick = store.Created, created
	}
	count(c.res.Entities, st.typ, pick)
	return c.logChange(ctx, c.scope, store.KindEntity, st.key, st.typ, op, ex.id, ex.version+1)
}

// setClasses writes the entity_classes rows of an entity from its classes
// JSON.
func (c *committer) setClasses(ctx context.Context, id int64, classesJSON string, replace bool) error {
	var classes []string
	if err := json.Unmarshal([]byte(classesJSON), &classes); err != nil {
		return fmt.Errorf("decode classes: %w", err)
	}
	if replace {
		if _, err := c.exec(ctx, deleteClassSQL, id); err != nil {
			return err
		}
	}
	for _, cl := range classes {
		if _, err := c.exec(ctx, insertClassSQL, id, cl); err != nil {
			return err
		}
	}
	return nil
}

// deleteEntity soft-deletes a live entity and every relationship touching
// it, in any scope.
func (c *committer) deleteEntity(ctx context.Context, ex *row) error {
	if _, err := c.exec(ctx, archiveEntitySQL, c.now, ex.id); err != nil {
		return fmt.Errorf("keep version %d of entity %s: %w", ex.version, ex.key, err)
	}
	if _, err := c.exec(ctx, deleteEntitySQL, c.now, c.job, ex.id); err != nil {
		return fmt.Errorf("delete entity %s: %w", ex.key, err)
	}
	count(c.res.Entities, ex.typ, deleted)
	if err := c.logChange(ctx, c.scope, store.KindEntity, ex.key, ex.typ, store.Deleted, ex.id, ex.version+1); err != nil {
		return err
	}
	st, err := c.stmt(ctx, touchingSQL)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(ctx, ex.id, ex.id)
	if err != nil {
		return fmt.Errorf("find relationships of deleted entity %s: %w", ex.key, err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("find relationships of deleted entity %s: %w", ex.key, err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("find relationships of deleted entity %s: %w", ex.key, err)
	}
	for _, id := range ids {
		if err := c.deleteRelationshipByID(ctx, id); err != nil {
			return fmt.Errorf("delete relationships of entity %s: %w", ex.key, err)
		}
	}
	return nil
}
