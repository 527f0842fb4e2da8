package sqlite

import (
	"context"
	"fmt"

	"github.com/qgraph/qgraph/internal/store"
)

const (
	relColumns    = `id, key, type, class, from_id, to_id, props, version, deleted`
	stagedRelSQL  = `SELECT key, type, class, from_scope, from_key, to_scope, to_key, props FROM stage_relationships ORDER BY key`
	storedRelSQL  = `SELECT ` + relColumns + ` FROM relationships WHERE scope = ? ORDER BY key`
	relByKeySQL   = `SELECT ` + relColumns + ` FROM relationships WHERE scope = ? AND key = ?`
	relByIDSQL    = `SELECT ` + relColumns + `, scope FROM relationships WHERE id = ?`
	endpointSQL   = `SELECT id FROM entities WHERE scope = ? AND key = ? AND NOT deleted`
	insertRelSQL  = `INSERT INTO relationships (scope, key, type, class, from_id, to_id, props, version, begin_on, deleted, job_id) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, 0, ?)`
	archiveRelSQL = `INSERT INTO relationship_versions (relationship_id, version, type, class, from_id, to_id, props, begin_on, end_on, deleted, job_id)
		SELECT id, version, type, class, from_id, to_id, props, begin_on, ?, deleted, job_id FROM relationships WHERE id = ?`
	updateRelSQL = `UPDATE relationships SET type = ?, class = ?, from_id = ?, to_id = ?, props = ?, version = version + 1, begin_on = ?, deleted = 0, job_id = ? WHERE id = ?`
	deleteRelSQL = `UPDATE relationships SET version = version + 1, begin_on = ?, deleted = 1, job_id = ? WHERE id = ?`
)

func scanStagedRel(s scanner, r *row) error {
	return s.Scan(&r.key, &r.typ, &r.a, &r.fromScope, &r.fromKey, &r.toScope, &r.toKey, &r.b)
}

func scanStoredRel(s scanner, r *row) error {
	return s.Scan(&r.id, &r.key, &r.typ, &r.a, &r.fromID, &r.toID, &r.b, &r.version, &r.deleted)
}

// mergeRelationships applies the staged relationships after the entities:
// endpoints resolve to live entities or the relationship is dangling.
func (c *committer) mergeRelationships(ctx context.Context) error {
	staged, err := c.s.stage.conn.QueryContext(ctx, stagedRelSQL)
	if err != nil {
		return fmt.Errorf("read staged relationships: %w", err)
	}
	sc := &cursor{rows: staged, scan: scanStagedRel}
	var stored *cursor
	if c.r != nil {
		rows, err := c.r.QueryContext(ctx, storedRelSQL, c.scope)
		if err != nil {
			sc.close()
			return c.s.db.wrap("read stored relationships", err)
		}
		stored = &cursor{rows: rows, scan: scanStoredRel}
	}
	unseen := func(ctx context.Context, ex *row) error {
		if ex.deleted || c.partial[ex.typ] {
			return nil
		}
		return c.deleteRelationshipByID(ctx, ex.id)
	}
	if err := c.pair(ctx, sc, stored, c.relByKey, c.putRelationship, unseen); err != nil {
		return fmt.Errorf("merge relationships: %w", err)
	}
	err = c.stagedDeletes(ctx, store.KindRelationship, func(ctx context.Context, key string) error {
		ex, err := c.relByKey(ctx, key)
		if err != nil || ex == nil || ex.deleted {
			return err
		}
		return c.deleteRelationshipByID(ctx, ex.id)
	})
	if err != nil {
		return fmt.Errorf("delete relationships: %w", err)
	}
	return nil
}

// relByKey reads a stored relationship of the scope through the write
// transaction.
func (c *committer) relByKey(ctx context.Context, key string) (*row, error) {
	return c.queryRow(ctx, relByKeySQL, scanStoredRel, c.scope, key)
}

// endpoint resolves (scope or the sync's scope, key) to a live entity id;
// ok is false when there is none.
func (c *committer) endpoint(ctx context.Context, scope, key string) (int64, bool, error) {
	if scope == "" {
		scope = c.scope
	}
	ck := [2]string{scope, key}
	if id, ok := c.endpoints[ck]; ok {
		return id, true, nil
	}
	st, err := c.stmt(ctx, endpointSQL)
	if err != nil {
		return 0, false, err
	}
	var id int64
	switch err := st.QueryRowContext(ctx, scope, key).Scan(&id); {
	case err == nil:
	case isNoRows(err):
		return 0, false, nil
	default:
		return 0, false, fmt.Errorf("resolve endpoint %s %s: %w", scope, key, err)
	}
	if len(c.endpoints) >= endpointCacheSize {
		clear(c.endpoints)
	}
	c.endpoints[ck] = id
	return id, true, nil
}

// putRelationship creates, revives, updates or leaves alone one
// relationship; a relationship with a missing endpoint is dangling: it is
// counted, not stored, and a stored version of it is deleted.
func (c *committer) putRelationship(ctx context.Context, st, ex *row) error {
	from, okFrom, err := c.endpoint(ctx, st.fromScope, st.fromKey)
	if err != nil {
		return err
	}
	to, okTo, err := c.endpoint(ctx, st.toScope, st.toKey)
	if err != nil {
		return err
	}
	if !okFrom || !okTo {
		c.res.DanglingCount++
		if len(c.res.Dangling) < maxDangling {
			c.res.Dangling = append(c.res.Dangling, st.key)
		}
		if ex != nil && !ex.deleted {
			return c.deleteRelationshipByID(ctx, ex.id)
		}
		return nil
	}
	st.fromID, st.toID = from, to
	same := func(ex *row) bool {
		return !ex.deleted && ex.typ == st.typ && ex.a == st.a && ex.b == st.b && ex.fromID == from && ex.toID == to
	}
	if ex == nil {
		res, err := c.exec(ctx, insertRelSQL, c.scope, st.key, st.typ, st.a, from, to, st.b, c.now, c.job)
		if err != nil {
			return fmt.Errorf("create relationship %s: %w", st.key, err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("create relationship %s: %w", st.key, err)
		}
		count(c.res.Relationships, st.typ, created)
		return c.logChange(ctx, c.scope, store.KindRelationship, st.key, st.typ, store.Created, id, 1)
	}
	// A live stored row with live, equal endpoints cannot have been touched
	// by this commit's cascades, so the snapshot is enough to call it
	// unchanged; anything else is decided on the current row.
	if same(ex) {
		count(c.res.Relationships, st.typ, unchanged)
		return nil
	}
	cur, err := c.queryRow(ctx, relByIDSQL, scanRelWithScope, ex.id)
	if err != nil {
		return err
	}
	if cur == nil {
		return fmt.Errorf("relationship %s vanished during the commit", st.key)
	}
	if same(cur) {
		count(c.res.Relationships, st.typ, unchanged)
		return nil
	}
	if _, err := c.exec(ctx, archiveRelSQL, c.now, cur.id); err != nil {
		return fmt.Errorf("keep version %d of relationship %s: %w", cur.version, cur.key, err)
	}
	if _, err := c.exec(ctx, updateRelSQL, st.typ, st.a, from, to, st.b, c.now, c.job, cur.id); err != nil {
		return fmt.Errorf("update relationship %s: %w", st.key, err)
	}
	op, pick := store.Updated, updated
	if cur.deleted {
		op, pick = store.Created, created
	}
	count(c.res.Relationships, st.typ, pick)
	return c.logChange(ctx, c.scope, store.KindRelationship, st.key, st.typ, op, cur.id, cur.version+1)
}

func scanRelWithScope(s scanner, r *row) error {
	return s.Scan(&r.id, &r.key, &r.typ, &r.a, &r.fromID, &r.toID, &r.b, &r.version, &r.deleted, &r.scope)
}

// deleteRelationshipByID soft-deletes a relationship of any scope unless it
// is deleted already.
func (c *committer) deleteRelationshipByID(ctx context.Context, id int64) error {
	cur, err := c.queryRow(ctx, relByIDSQL, scanRelWithScope, id)
	if err != nil || cur == nil || cur.deleted {
		return err
	}
	if _, err := c.exec(ctx, archiveRelSQL, c.now, id); err != nil {
		return fmt.Errorf("keep version %d of relationship %s: %w", cur.version, cur.key, err)
	}
	if _, err := c.exec(ctx, deleteRelSQL, c.now, c.job, id); err != nil {
		return fmt.Errorf("delete relationship %s: %w", cur.key, err)
	}
	count(c.res.Relationships, cur.typ, deleted)
	return c.logChange(ctx, cur.scope, store.KindRelationship, cur.key, cur.typ, store.Deleted, id, cur.version+1)
}
