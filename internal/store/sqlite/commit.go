package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/qgraph/qgraph/internal/store"
)

// maxDangling bounds SyncResult.Dangling.
const maxDangling = 100

// committer applies one session's staged objects in one write transaction
// on the session's connection, with set-based statements from the staging
// tables into the store's tables.
type committer struct {
	s     *session
	conn  *sql.Conn
	scope string
	job   string
	now   int64
	// args are the named parameters every statement may use.
	args []any
	res  *store.SyncResult
	// seqBefore is the last change-log seq before this commit.
	seqBefore int64
}

func (s *session) commit(ctx context.Context, p store.CommitParams) (*store.SyncResult, error) {
	conn := s.stage.conn
	c := &committer{
		s: s, conn: conn, scope: s.p.Scope, job: s.p.JobID, now: s.now,
		args: []any{sql.Named("scope", s.p.Scope), sql.Named("job", s.p.JobID), sql.Named("now", s.now)},
		res: &store.SyncResult{
			Entities:      map[string]store.TypeCounts{},
			Relationships: map[string]store.TypeCounts{},
			Mappings:      map[string]store.TypeCounts{},
		},
	}
	if err := c.setPartialTypes(ctx, p.PartialTypes); err != nil {
		return nil, err
	}
	if err := s.stage.sort(ctx); err != nil {
		return nil, err
	}

	s.db.writeMu.Lock()
	defer s.db.writeMu.Unlock()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return nil, s.db.wrap("begin write transaction", err)
	}
	committed := false
	defer func() {
		if !committed {
			// An interrupted statement may have rolled back already.
			conn.ExecContext(context.Background(), `ROLLBACK`)
		}
	}()
	if err := conn.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM changes`).Scan(&c.seqBefore); err != nil {
		return nil, s.db.wrap("read change-log position", err)
	}
	steps := []struct {
		name string
		run  func(context.Context) error
	}{
		{"merge entities", c.mergeEntities},
		{"merge relationships", c.mergeRelationships},
		{"merge mappings", c.mergeMappings},
		{"count changes", c.countChanges},
	}
	for _, step := range steps {
		if err := step.run(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", step.name, err)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	// Once every statement has run, the commit itself is not cancellable:
	// a cancel arriving during COMMIT must not report as failed a
	// transaction that SQLite made durable.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(context.WithoutCancel(ctx), `COMMIT`); err != nil {
		return nil, s.db.wrap("commit write transaction", err)
	}
	committed = true
	return c.res, nil
}

// setPartialTypes fills the partial_types staging table.
func (c *committer) setPartialTypes(ctx context.Context, types []string) error {
	if _, err := c.conn.ExecContext(ctx, `DELETE FROM temp.partial_types`); err != nil {
		return fmt.Errorf("stage partial types: %w", err)
	}
	for _, t := range types {
		if _, err := c.conn.ExecContext(ctx, `INSERT OR IGNORE INTO temp.partial_types (type) VALUES (?)`, t); err != nil {
			return fmt.Errorf("stage partial type %s: %w", t, err)
		}
	}
	return nil
}

// exec runs one statement with the commit's named parameters plus extra.
func (c *committer) exec(ctx context.Context, what, query string, extra ...any) (int64, error) {
	res, err := c.conn.ExecContext(ctx, query, append(extra, c.args...)...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return n, nil
}

// run runs statements in order, stopping at the first error.
func (c *committer) run(ctx context.Context, what string, queries ...string) error {
	for _, q := range queries {
		if _, err := c.exec(ctx, what, q); err != nil {
			return err
		}
	}
	return nil
}

// countChanges fills the created, updated and deleted counts of entities
// and relationships from the change-log rows this commit wrote, and
// derives unchanged from the staged counts.
func (c *committer) countChanges(ctx context.Context) error {
	rows, err := c.conn.QueryContext(ctx, `SELECT kind, type, op, count(*) FROM changes WHERE seq > ? GROUP BY kind, type, op`, c.seqBefore)
	if err != nil {
		return fmt.Errorf("read change counts: %w", err)
	}
	for rows.Next() {
		var (
			kind, typ, op string
			n             int64
		)
		if err := rows.Scan(&kind, &typ, &op, &n); err != nil {
			rows.Close()
			return fmt.Errorf("read change counts: %w", err)
		}
		m := c.res.Entities
		if store.ObjectKind(kind) == store.KindRelationship {
			m = c.res.Relationships
		}
		tc := m[typ]
		switch store.ChangeOp(op) {
		case store.Created:
			tc.Created += n
		case store.Updated:
			tc.Updated += n
		case store.Deleted:
			tc.Deleted += n
		}
		m[typ] = tc
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read change counts: %w", err)
	}
	staged := []struct {
		m     map[string]store.TypeCounts
		query string
	}{
		{c.res.Entities, `SELECT type, count(*) FROM temp.stage_entities GROUP BY type`},
		{c.res.Relationships, `SELECT s.type, count(*) FROM temp.stage_relationships s JOIN temp.rel_ends x ON x.key = s.key
			WHERE x.from_id IS NOT NULL AND x.to_id IS NOT NULL GROUP BY s.type`},
	}
	for _, st := range staged {
		rows, err := c.conn.QueryContext(ctx, st.query)
		if err != nil {
			return fmt.Errorf("count staged objects: %w", err)
		}
		for rows.Next() {
			var (
				typ string
				n   int64
			)
			if err := rows.Scan(&typ, &n); err != nil {
				rows.Close()
				return fmt.Errorf("count staged objects: %w", err)
			}
			tc := st.m[typ]
			tc.Unchanged = n - tc.Created - tc.Updated
			st.m[typ] = tc
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("count staged objects: %w", err)
		}
	}
	return nil
}

// isNoRows reports whether err says a single-row query found nothing.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }
