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

// endpointCacheSize bounds the cache of resolved relationship endpoints.
const endpointCacheSize = 1 << 16

// row is one object as staged or stored. Entities use a=classes and
// b=props; relationships a=class and b=props; mappings a=class and b=body.
type row struct {
	id      int64
	scope   string // set only where a query reads it
	key     string
	typ     string
	a, b    string
	fromID  int64
	toID    int64
	version int64
	deleted bool
	// endpoints of a staged relationship
	fromScope, fromKey, toScope, toKey string
}

// committer applies one session's staged objects inside one write
// transaction.
type committer struct {
	s       *session
	scope   string
	job     string
	now     int64
	w       *sql.Tx // the write transaction
	r       *sql.Tx // a read snapshot taken when w began (Replace mode only)
	res     *store.SyncResult
	partial map[string]bool
	stmts   map[string]*sql.Stmt
	// endpoints caches live entity ids by scope and key; valid for the
	// whole transaction because entities are merged before relationships.
	endpoints map[[2]string]int64
	mapSeq    int64 // last mapping seq handed out; 0 until loaded
	steps     int
}

func (s *session) commit(ctx context.Context, p store.CommitParams) (*store.SyncResult, error) {
	w, err := s.db.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, s.db.wrap("begin write transaction", err)
	}
	defer w.Rollback()
	c := &committer{
		s: s, scope: s.p.Scope, job: s.p.JobID, now: s.now, w: w,
		res: &store.SyncResult{
			Entities:      map[string]store.TypeCounts{},
			Relationships: map[string]store.TypeCounts{},
			Mappings:      map[string]store.TypeCounts{},
		},
		partial:   map[string]bool{},
		stmts:     map[string]*sql.Stmt{},
		endpoints: map[[2]string]int64{},
	}
	defer c.closeStmts()
	for _, t := range p.PartialTypes {
		c.partial[t] = true
	}
	if s.p.Mode == store.Replace {
		// The write lock is held, so this snapshot is the state the commit
		// starts from.
		r, err := s.db.reader.BeginTx(ctx, nil)
		if err != nil {
			return nil, s.db.wrap("begin read snapshot", err)
		}
		defer r.Rollback()
		var n int
		if err := r.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
			return nil, s.db.wrap("begin read snapshot", err)
		}
		c.r = r
	}
	if err := c.mergeEntities(ctx); err != nil {
		return nil, err
	}
	if err := c.mergeRelationships(ctx); err != nil {
		return nil, err
	}
	if err := c.mergeMappings(ctx); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := w.Commit(); err != nil {
		return nil, s.db.wrap("commit write transaction", err)
	}
	return c.res, nil
}

// tick checks for cancellation every 1024 steps.
func (c *committer) tick(ctx context.Context) error {
	c.steps++
	if c.steps&1023 == 0 {
		return ctx.Err()
	}
	return nil
}

// stmt returns the prepared statement for query on the write transaction.
func (c *committer) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	st, err := c.w.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare %q: %w", firstLine(query), err)
	}
	c.stmts[query] = st
	return st, nil
}

// exec runs a prepared statement on the write transaction.
func (c *committer) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", firstLine(query), err)
	}
	return res, nil
}

func (c *committer) closeStmts() {
	for _, st := range c.stmts {
		st.Close()
	}
}

// logChange appends a change-log row.
func (c *committer) logChange(ctx context.Context, scope string, kind store.ObjectKind, key, typ string, op store.ChangeOp, id, version int64) error {
	_, err := c.exec(ctx, `INSERT INTO changes (scope, kind, key, type, op, object_id, version, job_id, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, scope, string(kind), key, typ, string(op), id, version, c.job, c.now)
	if err != nil {
		return fmt.Errorf("log change of %s %s: %w", kind, key, err)
	}
	return nil
}

// count adds one to the counter picked by pick for typ in m.
func count(m map[string]store.TypeCounts, typ string, pick func(*store.TypeCounts)) {
	tc := m[typ]
	pick(&tc)
	m[typ] = tc
}

func created(tc *store.TypeCounts)   { tc.Created++ }
func updated(tc *store.TypeCounts)   { tc.Updated++ }
func unchanged(tc *store.TypeCounts) { tc.Unchanged++ }
func deleted(tc *store.TypeCounts)   { tc.Deleted++ }

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// cursor iterates rows in key order.
type cursor struct {
	rows *sql.Rows
	scan func(scanner, *row) error
	cur  *row
	err  error
}

// next advances the cursor; cur is nil at the end.
func (k *cursor) next() {
	if k.rows == nil || !k.rows.Next() {
		k.cur = nil
		if k.rows != nil {
			k.err = k.rows.Err()
		}
		return
	}
	r := &row{}
	if err := k.scan(k.rows, r); err != nil {
		k.cur, k.err = nil, err
		return
	}
	k.cur = r
}

func (k *cursor) close() {
	if k.rows != nil {
		k.rows.Close()
	}
}

// pair walks staged and stored rows in key order. It calls both(st, ex)
// for every staged row with ex the stored row of the same key or nil, and
// unseen(ex) for every stored row no staged row has. With stored nil (Merge
// mode) it calls lookup to find the stored row of each staged row instead
// and never calls unseen.
func (c *committer) pair(ctx context.Context, staged, stored *cursor,
	lookup func(context.Context, string) (*row, error),
	both func(context.Context, *row, *row) error, unseen func(context.Context, *row) error) error {
	defer staged.close()
	if stored != nil {
		defer stored.close()
		stored.next()
	}
	staged.next()
	for {
		if err := c.tick(ctx); err != nil {
			return err
		}
		st := staged.cur
		if staged.err != nil {
			return fmt.Errorf("read staged objects: %w", staged.err)
		}
		var ex *row
		if stored != nil {
			if stored.err != nil {
				return fmt.Errorf("read stored objects: %w", stored.err)
			}
			ex = stored.cur
		}
		switch {
		case st == nil && ex == nil:
			return nil
		case stored == nil:
			found, err := lookup(ctx, st.key)
			if err != nil {
				return err
			}
			if err := both(ctx, st, found); err != nil {
				return err
			}
			staged.next()
		case st == nil || (ex != nil && ex.key < st.key):
			if err := unseen(ctx, ex); err != nil {
				return err
			}
			stored.next()
		case ex == nil || st.key < ex.key:
			if err := both(ctx, st, nil); err != nil {
				return err
			}
			staged.next()
		default:
			if err := both(ctx, st, ex); err != nil {
				return err
			}
			staged.next()
			stored.next()
		}
	}
}

// stagedDeletes returns the keys of kind staged for deletion (Merge mode).
func (c *committer) stagedDeletes(ctx context.Context, kind store.ObjectKind, fn func(context.Context, string) error) error {
	if c.s.stage.deletes == 0 {
		return nil
	}
	rows, err := c.s.stage.conn.QueryContext(ctx, `SELECT key FROM stage_deletes WHERE kind = ? ORDER BY key`, string(kind))
	if err != nil {
		return fmt.Errorf("read staged deletes: %w", err)
	}
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return fmt.Errorf("read staged deletes: %w", err)
		}
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read staged deletes: %w", err)
	}
	for _, k := range keys {
		if err := c.tick(ctx); err != nil {
			return err
		}
		if err := fn(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// queryRow runs a prepared single-row query on the write transaction;
// it returns nil when there is no row.
func (c *committer) queryRow(ctx context.Context, query string, scan func(scanner, *row) error, args ...any) (*row, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	r := &row{}
	if err := scan(st.QueryRowContext(ctx, args...), r); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, fmt.Errorf("%s: %w", firstLine(query), err)
	}
	return r, nil
}

// isNoRows reports whether err says a single-row query found nothing.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// firstLine returns the first line of a statement, for error messages.
func firstLine(q string) string {
	for i := 0; i < len(q); i++ {
		if q[i] == '\n' {
			return q[:i]
		}
	}
	return q
}
