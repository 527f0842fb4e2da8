package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/qgraph/qgraph/internal/store"
)

// session is an open sync of one scope.
type session struct {
	db    *DB
	p     store.SyncParams
	now   int64 // milliseconds stamped on versions and changes
	stage *stage

	mu     sync.Mutex
	closed bool
}

// BeginSync opens a sync of p.Scope. Only one sync per scope may be open in
// this process; a second gets store.ErrSyncInProgress.
func (db *DB) BeginSync(ctx context.Context, p store.SyncParams) (store.SyncSession, error) {
	if p.Scope == "" {
		return nil, errors.New("begin sync: empty scope")
	}
	if p.Mode != store.Replace && p.Mode != store.Merge {
		return nil, fmt.Errorf("begin sync of %s: unknown sync mode %d", p.Scope, p.Mode)
	}
	db.mu.Lock()
	if db.syncing[p.Scope] {
		db.mu.Unlock()
		return nil, fmt.Errorf("begin sync of %s: %w", p.Scope, store.ErrSyncInProgress)
	}
	db.syncing[p.Scope] = true
	db.mu.Unlock()

	st, err := openStage(ctx, db.sessions)
	if err != nil {
		db.release(p.Scope)
		return nil, fmt.Errorf("begin sync of %s: %w", p.Scope, err)
	}
	now := p.Now
	if now.IsZero() {
		now = time.Now()
	}
	return &session{db: db, p: p, now: now.UnixMilli(), stage: st}, nil
}

// release marks scope as no longer syncing.
func (db *DB) release(scope string) {
	db.mu.Lock()
	delete(db.syncing, scope)
	db.mu.Unlock()
}

// Put validates every object of b and stages the batch. An invalid object
// fails the whole batch, naming each bad object and property; nothing of
// the batch is staged. Within a batch, Deletes apply after the objects.
func (s *session) Put(ctx context.Context, b store.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("put batch into sync of %s: %w", s.p.Scope, store.ErrSyncClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put batch into sync of %s: %w", s.p.Scope, err)
	}
	enc, err := validateBatch(&b)
	if err != nil {
		return fmt.Errorf("put batch into sync of %s: invalid objects:\n%w", s.p.Scope, err)
	}
	if err := s.stage.put(ctx, enc); err != nil {
		return fmt.Errorf("put batch into sync of %s: %w", s.p.Scope, err)
	}
	return nil
}

// Commit applies everything staged in one write transaction. On any error,
// including a cancelled context, nothing is applied and the session is
// closed.
func (s *session) Commit(ctx context.Context, p store.CommitParams) (*store.SyncResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("commit sync of %s: %w", s.p.Scope, store.ErrSyncClosed)
	}
	defer s.finish()
	res, err := s.commit(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("commit sync of %s (job %s): %w", s.p.Scope, s.p.JobID, err)
	}
	return res, nil
}

// Abort discards everything staged. It is safe to call more than once and
// after Commit.
func (s *session) Abort(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.finish()
	return nil
}

// finish closes the session and drops its staging database.
func (s *session) finish() {
	s.closed = true
	if err := s.stage.close(); err != nil {
		s.db.log.Warn("drop sync staging database", "scope", s.p.Scope, "err", err)
	}
	s.db.release(s.p.Scope)
}
