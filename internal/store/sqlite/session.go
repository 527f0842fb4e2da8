package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/qgraph/qgraph/internal/store"
)

// session is an open sync of one scope. Put validates and encodes a batch
// in the caller's goroutine and hands it to a stager goroutine, so the next
// batch is prepared while the previous one is written.
type session struct {
	db    *DB
	p     store.SyncParams
	now   int64 // milliseconds stamped on versions and changes
	stage *stage

	queue       chan *encodedBatch // batches waiting for the stager
	queueClosed bool
	stageDone   chan struct{} // closed when the stager has stopped
	errMu       sync.Mutex
	stageErr    error // the stager's first error

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
	s := &session{db: db, p: p, now: now.UnixMilli(), stage: st,
		queue: make(chan *encodedBatch, 1), stageDone: make(chan struct{})}
	go s.stager(s.queue)
	return s, nil
}

// release marks scope as no longer syncing.
func (db *DB) release(scope string) {
	db.mu.Lock()
	delete(db.syncing, scope)
	db.mu.Unlock()
}

// stager writes queued batches into the staging tables until the queue is
// closed; after an error it drops the rest.
func (s *session) stager(queue <-chan *encodedBatch) {
	defer close(s.stageDone)
	for b := range queue {
		if s.err() != nil {
			continue
		}
		if err := s.stage.put(context.Background(), b); err != nil {
			s.errMu.Lock()
			s.stageErr = err
			s.errMu.Unlock()
		}
	}
}

// err returns the stager's error.
func (s *session) err() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.stageErr
}

// drain stops the stager and waits for it; it is safe to call twice.
func (s *session) drain() {
	select {
	case <-s.stageDone:
		return
	default:
	}
	if !s.queueClosed {
		close(s.queue)
		s.queueClosed = true
	}
	<-s.stageDone
}

// Put validates every object of b and stages the batch. An invalid object
// fails the whole batch, naming each bad object and property; nothing of
// the batch is staged. Within a batch, Deletes apply after the objects.
// Staging happens in the background: a staging failure is reported by the
// next Put or by Commit.
func (s *session) Put(ctx context.Context, b store.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("put batch into sync of %s: %w", s.p.Scope, store.ErrSyncClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put batch into sync of %s: %w", s.p.Scope, err)
	}
	if err := s.err(); err != nil {
		return fmt.Errorf("put batch into sync of %s: stage an earlier batch: %w", s.p.Scope, err)
	}
	enc, err := validateBatch(&b)
	if err != nil {
		return fmt.Errorf("put batch into sync of %s: invalid objects:\n%w", s.p.Scope, err)
	}
	select {
	case s.queue <- enc:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("put batch into sync of %s: %w", s.p.Scope, ctx.Err())
	}
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
	s.drain()
	if err := s.err(); err != nil {
		return nil, fmt.Errorf("commit sync of %s (job %s): stage batches: %w", s.p.Scope, s.p.JobID, err)
	}
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

// finish stops the stager, drops the staging tables and closes the
// session.
func (s *session) finish() {
	s.closed = true
	s.drain()
	if err := s.stage.close(); err != nil {
		s.db.log.Warn("drop sync staging tables", "scope", s.p.Scope, "err", err)
	}
	s.db.release(s.p.Scope)
}
