package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/qgraph/qgraph/internal/store"
)

// lockAttempts and lockPause bound how long BeginSync waits for the lock of
// a sync that has just ended on another connection, or whose process died:
// the server releases the lock when it notices (within
// clientCheckInterval for a long statement).
const (
	lockAttempts        = 30
	lockPause           = 100 * time.Millisecond
	clientCheckInterval = "500"
)

// session is an open sync of one scope. It owns one pooled connection that
// holds the staging tables and the scope's advisory lock.
type session struct {
	// mu serialises the session's operations with DB.Close, which may
	// abort it from another goroutine.
	mu      sync.Mutex
	db      *DB
	conn    *pgxpool.Conn
	netConn net.Conn // the connection's socket, closed by kill
	p       store.SyncParams
	lock    int64
	pending chan error // the result of the COPY in flight, if any
	failed  error      // the first staging error; the sync cannot commit
	ord     int64      // last ord handed out
	deletes int        // deletes staged
	closed  bool
}

// BeginSync opens a sync of p.Scope. It fails with store.ErrSyncInProgress
// when another sync of the scope is open, in this process or another.
func (db *DB) BeginSync(ctx context.Context, p store.SyncParams) (store.SyncSession, error) {
	if p.Scope == "" {
		return nil, errors.New("begin sync: empty scope")
	}
	if err := checkText(p.Scope); err != nil {
		return nil, fmt.Errorf("begin sync: scope %w", err)
	}
	if err := checkText(p.JobID); err != nil {
		return nil, fmt.Errorf("begin sync of %s: job id %w", p.Scope, err)
	}
	if p.Mode != store.Replace && p.Mode != store.Merge {
		return nil, fmt.Errorf("begin sync of %s: unknown sync mode %d", p.Scope, p.Mode)
	}
	// A sync of the scope open in this process is refused at once; one in
	// another process is found by the advisory lock.
	db.mu.Lock()
	_, busy := db.syncing[p.Scope]
	if !busy {
		db.syncing[p.Scope] = nil
	}
	db.mu.Unlock()
	if busy {
		return nil, fmt.Errorf("begin sync of %s: %w", p.Scope, store.ErrSyncInProgress)
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		db.endSync(p.Scope)
		return nil, fmt.Errorf("begin sync of %s: acquire connection: %w", p.Scope, err)
	}
	s := &session{db: db, conn: conn, netConn: conn.Conn().PgConn().Conn(), p: p, lock: db.lockKey("sync", p.Scope)}
	locked := false
	for i := 0; i < lockAttempts && !locked; i++ {
		if i > 0 {
			if err := sleep(ctx, lockPause); err != nil {
				s.discard()
				return nil, fmt.Errorf("begin sync of %s: %w", p.Scope, err)
			}
		}
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", s.lock).Scan(&locked); err != nil {
			s.discard()
			return nil, fmt.Errorf("begin sync of %s: lock scope: %w", p.Scope, err)
		}
	}
	if !locked {
		s.release(ctx, true)
		return nil, fmt.Errorf("begin sync of %s: %w", p.Scope, store.ErrSyncInProgress)
	}
	// Let the server notice a vanished client even in the middle of a long
	// statement, so that a killed process does not keep the lock for long.
	_, _ = conn.Exec(ctx, "SET client_connection_check_interval = "+clientCheckInterval)
	// Keep staging tables in memory longer; this only works before the
	// connection first touches a temporary table, and is harmless if not.
	_, _ = conn.Exec(ctx, "SET temp_buffers = '64MB'")
	if _, err := conn.Exec(ctx, stageSchema); err != nil {
		s.discard()
		return nil, fmt.Errorf("begin sync of %s: create staging tables: %w", p.Scope, err)
	}
	db.mu.Lock()
	db.syncing[p.Scope] = s
	db.mu.Unlock()
	return s, nil
}

// Put validates b and stages it. An invalid object fails the whole batch,
// with every problem named; nothing of the batch is staged then.
//
// The COPY of a valid batch runs in the background while the caller
// prepares the next one; the next Put, Commit or Abort waits for it first.
// Should the server refuse it, every later Put and Commit fails.
func (s *session) Put(ctx context.Context, b store.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.ErrSyncClosed
	}
	ord := s.ord
	sb, err := encodeBatch(&b, s.p.Scope, &ord)
	if err != nil {
		return fmt.Errorf("sync %s: put: %w", s.p.Scope, err)
	}
	if err := s.wait(ctx); err != nil {
		return fmt.Errorf("sync %s: put: %w", s.p.Scope, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sync %s: put: %w", s.p.Scope, err)
	}
	s.ord = ord
	s.deletes += len(sb.deletes)
	done := make(chan error, 1)
	s.pending = done
	stageCtx := context.WithoutCancel(ctx)
	go func() { done <- s.stage(stageCtx, sb) }()
	return nil
}

// wait waits for the background COPY of the previous Put and returns the
// first staging error of the session. When ctx ends first, it stops the
// COPY by closing the connection.
func (s *session) wait(ctx context.Context) error {
	if s.pending != nil {
		var err error
		select {
		case err = <-s.pending:
		case <-ctx.Done():
			_ = s.netConn.Close()
			<-s.pending
			err = ctx.Err()
		}
		s.pending = nil
		if err != nil && s.failed == nil {
			s.failed = err
		}
	}
	return s.failed
}

// stage COPYs one encoded batch into the staging tables, in one
// transaction.
func (s *session) stage(ctx context.Context, sb *stagedBatch) error {
	tx, err := s.conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin staging: %w", err)
	}
	defer tx.Rollback(ctx)
	copies := []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"stage_entities", stageEntityColumns, sb.entities},
		{"stage_relationships", stageRelationshipColumns, sb.relationships},
		{"stage_mappings", stageMappingColumns, sb.mappings},
		{"stage_deletes", stageDeleteColumns, sb.deletes},
	}
	for _, c := range copies {
		if len(c.rows) == 0 {
			continue
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
			return fmt.Errorf("copy into %s: %w", c.table, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit staging: %w", err)
	}
	return nil
}

// Commit applies everything staged in one transaction. Whatever happens,
// the session is closed afterwards.
func (s *session) Commit(ctx context.Context, p store.CommitParams) (*store.SyncResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, store.ErrSyncClosed
	}
	if err := s.wait(ctx); err != nil {
		s.discard()
		return nil, fmt.Errorf("sync %s: commit: staging failed: %w", s.p.Scope, err)
	}
	now := s.p.Now
	if now.IsZero() {
		now = time.Now()
	}
	c := &committer{s: s, now: millis(now), partial: p.PartialTypes}
	if c.partial == nil {
		c.partial = []string{}
	}
	res, err := c.run(ctx)
	if err != nil {
		s.discard()
		return nil, fmt.Errorf("sync %s: commit: %w", s.p.Scope, err)
	}
	s.release(ctx, true)
	return res, nil
}

// Abort discards everything staged. It is safe to call after Commit.
func (s *session) Abort(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.release(ctx, s.wait(ctx) == nil)
	return nil
}

// release ends the session: with clean set it drops the staging tables and
// the lock and returns the connection to the pool; when that fails, or
// without clean, the connection is closed, which makes the server do both.
func (s *session) release(ctx context.Context, clean bool) {
	if s.closed {
		return
	}
	if clean {
		ctx = context.WithoutCancel(ctx)
		if _, err := s.conn.Exec(ctx, "DISCARD TEMP; SELECT pg_advisory_unlock_all()"); err == nil {
			s.closed = true
			s.conn.Release()
			s.db.endSync(s.p.Scope)
			return
		}
	}
	s.discard()
}

// kill aborts the session from DB.Close: closing the socket first makes
// an operation in flight on another goroutine fail at once.
func (s *session) kill() {
	_ = s.netConn.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.wait(context.Background())
	s.discard()
}

// discard closes the session's connection without cleaning it up.
func (s *session) discard() {
	if s.closed {
		return
	}
	s.closed = true
	c := s.conn.Hijack()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Stop whatever the server still runs for this connection, so that
	// the rollback and the lock release do not wait for it to notice.
	if !c.IsClosed() || c.PgConn().PID() != 0 {
		_ = c.PgConn().CancelRequest(ctx)
	}
	_ = c.Close(ctx)
	s.db.endSync(s.p.Scope)
}

// endSync forgets that a sync of scope is open in this process.
func (db *DB) endSync(scope string) {
	db.mu.Lock()
	delete(db.syncing, scope)
	db.mu.Unlock()
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
