package integration

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// JobSpec describes one job.
type JobSpec struct {
	// Store receives the sync and keeps the job record and instance state.
	Store store.Store
	// Scope is the scope synced, e.g. store.InstanceScope(name).
	Scope string
	// Instance is the instance name, for the report.
	Instance string
	// JobID identifies the job; empty means a generated one.
	JobID string
	// Full marks a reconcile run (steps read everything).
	Full  bool
	Steps []Step
	// EntityProperties are set on every entity the steps emit.
	EntityProperties graph.Properties
	// AfterCommit runs after a successful commit (the mapper); its result
	// goes into the report and its error into the report's events.
	AfterCommit func(ctx context.Context) (any, error)
	// OnProgress receives progress notifications; it must not block long.
	OnProgress func(Progress)
	Logger     *slog.Logger
	// Now is the clock the steps' time windows and high-water marks follow
	// (a simulator's clock in tests and the demo); nil means time.Now. Job
	// records, versions and durations use the wall clock.
	Now func() time.Time
	// BatchSize is the number of objects per store batch (default 2000).
	BatchSize int
}

// Validation errors of a JobSpec.
var (
	// ErrBadSpec is wrapped by every JobSpec validation error.
	ErrBadSpec = errors.New("bad job spec")
)

type jobRun struct {
	spec      JobSpec
	started   time.Time
	state     *InstanceState
	data      sync.Map
	batchSize int
	writes    chan write
	progMu    sync.Mutex
}

type write struct {
	step  *StepContext
	batch store.Batch
	done  chan struct{}
}

func (j *jobRun) notify(p Progress) {
	if j.spec.OnProgress == nil {
		return
	}
	j.progMu.Lock()
	defer j.progMu.Unlock()
	j.spec.OnProgress(p)
}

// send queues a batch for the writer; done, if not nil, is closed once the
// batch (and everything queued before it) has been put.
func (j *jobRun) send(ctx context.Context, s *StepContext, b store.Batch, done chan struct{}) error {
	select {
	case j.writes <- write{step: s, batch: b, done: done}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run runs a job: the steps as a DAG, one sync of the scope, then the job
// record and the instance state. The report is returned even when the job
// failed; the error is non-nil only when nothing was committed (cancelled,
// the store refused the sync or the commit, a bad spec).
func Run(ctx context.Context, spec JobSpec) (*Report, error) {
	if err := validateSpec(spec); err != nil {
		return nil, err
	}
	now := spec.Now
	if now == nil {
		now = time.Now
	}
	if spec.Logger == nil {
		spec.Logger = slog.New(slog.DiscardHandler)
	}
	wallStart := time.Now().UTC()
	if spec.JobID == "" {
		spec.JobID = NewJobID(wallStart)
	}
	j := &jobRun{spec: spec, started: now().UTC(), batchSize: spec.BatchSize, writes: make(chan write, 4)}
	if j.batchSize <= 0 {
		j.batchSize = 2000
	}
	rep := &Report{JobID: spec.JobID, Scope: spec.Scope, Instance: spec.Instance, Full: spec.Full, Status: StatusRunning, StartedAt: wallStart, ClockAt: j.started}
	st := spec.Store
	var err error
	if j.state, err = LoadState(ctx, st, spec.Scope); err != nil {
		return nil, err
	}
	if err := saveJob(ctx, st, rep); err != nil {
		return nil, err
	}
	finish := func(status Status, cause error) (*Report, error) {
		rep.Status = status
		if cause != nil {
			rep.Error = cause.Error()
		}
		rep.FinishedAt = time.Now().UTC()
		rep.DurationMillis = rep.FinishedAt.Sub(rep.StartedAt).Milliseconds()
		// The job record must be written even when ctx is cancelled.
		wctx := context.WithoutCancel(ctx)
		j.state.LastJobID, j.state.LastJobStatus, j.state.LastJobAt = rep.JobID, status, rep.StartedAt
		if err := SaveState(wctx, st, spec.Scope, j.state); err != nil && cause == nil {
			cause = err
		}
		if err := saveJob(wctx, st, rep); err != nil && cause == nil {
			cause = err
		}
		if status == StatusCancelled || status == StatusFailed {
			return rep, cause
		}
		return rep, nil
	}

	sess, err := st.BeginSync(ctx, store.SyncParams{Scope: spec.Scope, JobID: spec.JobID, Mode: store.Replace, Now: wallStart})
	if err != nil {
		return finish(StatusFailed, fmt.Errorf("begin sync of %s: %w", spec.Scope, err))
	}
	committed := false
	defer func() {
		if !committed {
			_ = sess.Abort(context.WithoutCancel(ctx))
		}
	}()

	writerDone := make(chan error, 1)
	go func() { writerDone <- j.writer(ctx, sess) }()
	ctxs := j.runSteps(ctx)
	close(j.writes)
	writerErr := <-writerDone

	rep.Steps = make([]StepReport, len(ctxs))
	for i, sc := range ctxs {
		rep.Steps[i] = *sc.rep
	}
	if ctx.Err() != nil {
		return finish(StatusCancelled, fmt.Errorf("job %s cancelled: %w", spec.JobID, ctx.Err()))
	}
	if writerErr != nil {
		return finish(StatusFailed, writerErr)
	}
	rep.PartialTypes = partialTypes(spec.Steps, rep.Steps)
	j.notify(Progress{Kind: ProgressCommitting})
	commitStart := time.Now()
	res, err := sess.Commit(ctx, store.CommitParams{PartialTypes: rep.PartialTypes})
	rep.CommitMillis = time.Since(commitStart).Milliseconds()
	if err != nil {
		if ctx.Err() != nil {
			return finish(StatusCancelled, fmt.Errorf("job %s cancelled during commit: %w", spec.JobID, ctx.Err()))
		}
		return finish(StatusFailed, fmt.Errorf("commit sync of %s: %w", spec.Scope, err))
	}
	committed = true
	rep.Sync = res
	attributeResults(spec.Steps, rep.Steps, res)
	j.notify(Progress{Kind: ProgressCommitted})

	rep.HighWaterMarks = map[string]time.Time{}
	for i, sc := range ctxs {
		if rep.Steps[i].Status != StatusSuccess {
			continue
		}
		for ds, t := range sc.marks {
			j.state.HighWaterMarks[ds] = t
			rep.HighWaterMarks[ds] = t
		}
	}
	if spec.Full {
		j.state.LastFullAt = wallStart
	}
	status := StatusSuccess
	for _, s := range rep.Steps {
		if s.Status == StatusFailed || s.Status == StatusPartial {
			status = StatusPartial
		}
	}
	if spec.AfterCommit != nil {
		hookStart := time.Now()
		out, err := spec.AfterCommit(ctx)
		rep.AfterCommitMillis = time.Since(hookStart).Milliseconds()
		rep.AfterCommit = out
		if err != nil {
			// The sync is stored; what the hook adds is incomplete until
			// the next job runs it again, so the job is partial.
			rep.AfterCommitError = err.Error()
			rep.Error = fmt.Sprintf("after commit: %v", err)
			status = StatusPartial
			spec.Logger.Warn("after-commit hook failed", "job", spec.JobID, "error", err)
		}
	}
	return finish(status, nil)
}

func validateSpec(spec JobSpec) error {
	if spec.Store == nil {
		return fmt.Errorf("%w: no store", ErrBadSpec)
	}
	if spec.Scope == "" {
		return fmt.Errorf("%w: no scope", ErrBadSpec)
	}
	ids := map[string]bool{}
	for i, s := range spec.Steps {
		if s.ID == "" {
			return fmt.Errorf("%w: step %d has no id", ErrBadSpec, i)
		}
		if ids[s.ID] {
			return fmt.Errorf("%w: step id %q used twice", ErrBadSpec, s.ID)
		}
		if s.Run == nil && !s.Disabled {
			return fmt.Errorf("%w: step %q has no Run", ErrBadSpec, s.ID)
		}
		ids[s.ID] = true
	}
	for _, s := range spec.Steps {
		for _, d := range s.DependsOn {
			if !ids[d] {
				return fmt.Errorf("%w: step %q depends on unknown step %q", ErrBadSpec, s.ID, d)
			}
		}
	}
	if cyc := findCycle(spec.Steps); cyc != "" {
		return fmt.Errorf("%w: dependency cycle through step %q", ErrBadSpec, cyc)
	}
	return nil
}

// findCycle returns a step on a dependency cycle, or "".
func findCycle(steps []Step) string {
	deps := map[string][]string{}
	for _, s := range steps {
		deps[s.ID] = s.DependsOn
	}
	const (
		visiting = 1
		done     = 2
	)
	mark := map[string]int{}
	var visit func(id string) string
	visit = func(id string) string {
		switch mark[id] {
		case visiting:
			return id
		case done:
			return ""
		}
		mark[id] = visiting
		for _, d := range deps[id] {
			if c := visit(d); c != "" {
				return c
			}
		}
		mark[id] = done
		return ""
	}
	for _, s := range steps {
		if c := visit(s.ID); c != "" {
			return c
		}
	}
	return ""
}

// runSteps runs every step as soon as its dependencies are done and waits
// for all of them.
func (j *jobRun) runSteps(ctx context.Context) []*StepContext {
	n := len(j.spec.Steps)
	ctxs := make([]*StepContext, n)
	done := map[string]chan struct{}{}
	byID := map[string]*StepContext{}
	for i := range j.spec.Steps {
		step := &j.spec.Steps[i]
		sc := &StepContext{
			job: j, step: step,
			rep:    &StepReport{ID: step.ID, Name: step.Name, Status: StatusPending},
			Logger: j.spec.Logger.With("job", j.spec.JobID, "step", step.ID),
		}
		ctxs[i] = sc
		done[step.ID] = make(chan struct{})
		byID[step.ID] = sc
	}
	var wg sync.WaitGroup
	for i := range ctxs {
		sc := ctxs[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[sc.step.ID])
			var failedDeps, disabledDeps []string
			for _, d := range sc.step.DependsOn {
				select {
				case <-done[d]:
				case <-ctx.Done():
				}
				switch byID[d].rep.Status {
				case StatusDisabled:
					disabledDeps = append(disabledDeps, d)
				case StatusSuccess:
				default:
					failedDeps = append(failedDeps, d)
				}
			}
			j.runStep(ctx, sc, failedDeps, disabledDeps)
		}()
	}
	wg.Wait()
	return ctxs
}

func (j *jobRun) runStep(ctx context.Context, sc *StepContext, failedDeps, disabledDeps []string) {
	rep := sc.rep
	rep.StartedAt = time.Now().UTC()
	switch {
	case sc.step.Disabled:
		rep.Status, rep.DisabledReason = StatusDisabled, sc.step.DisabledReason
	case len(disabledDeps) > 0:
		rep.Status, rep.DisabledReason = StatusDisabled, fmt.Sprintf("depends on disabled step %s", disabledDeps[0])
	case ctx.Err() != nil:
		rep.Status, rep.Error = StatusCancelled, ctx.Err().Error()
	}
	if rep.Status != StatusPending {
		j.notify(Progress{Step: sc.step.ID, Kind: ProgressStepFinished, Status: rep.Status, Message: rep.DisabledReason})
		return
	}
	rep.Status = StatusRunning
	j.notify(Progress{Step: sc.step.ID, Kind: ProgressStepStarted})
	start := time.Now()
	err := safeRun(ctx, sc)
	sc.flush(ctx)
	rep.DurationMillis = time.Since(start).Milliseconds()

	sc.mu.Lock()
	putErrs, pageErrs, partial := sc.putErrs, sc.pageErrs, sc.partial
	sc.mu.Unlock()
	switch {
	case ctx.Err() != nil:
		rep.Status, rep.Error = StatusCancelled, ctx.Err().Error()
	case err != nil:
		rep.Status, rep.Error = StatusFailed, err.Error()
	case len(putErrs) > 0:
		rep.Status, rep.Error = StatusFailed, fmt.Sprintf("store refused a batch: %v", errors.Join(putErrs...))
	case pageErrs > 0:
		rep.Status, rep.Error = StatusFailed, fmt.Sprintf("%d page(s) failed", pageErrs)
	case len(failedDeps) > 0:
		rep.Status = StatusPartial
		rep.PartialReasons = append(partial, fmt.Sprintf("depends on step %s, which did not succeed", failedDeps[0]))
	case len(partial) > 0:
		rep.Status, rep.PartialReasons = StatusPartial, partial
	default:
		rep.Status = StatusSuccess
	}
	if rep.Status == StatusFailed {
		sc.Logger.Error("step failed", "error", rep.Error)
	}
	var total int64
	for _, n := range rep.Emitted {
		total += n
	}
	j.notify(Progress{Step: sc.step.ID, Kind: ProgressStepFinished, Status: rep.Status, Message: rep.Error, Objects: total, Elapsed: time.Since(start)})
}

// safeRun runs a step, turning a panic into an error so one broken step
// cannot take the job down.
func safeRun(ctx context.Context, sc *StepContext) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("step %s panicked: %v\n%s", sc.step.ID, r, debug.Stack())
		}
	}()
	return sc.step.Run(ctx, sc)
}

// writer puts batches in order; a batch the store refuses fails its step,
// not the job. It returns an error only when the session itself broke.
func (j *jobRun) writer(ctx context.Context, sess store.SyncSession) error {
	var fatal error
	for w := range j.writes {
		if fatal == nil && !emptyBatch(w.batch) {
			if err := sess.Put(ctx, w.batch); err != nil {
				if ctx.Err() != nil || errors.Is(err, store.ErrSyncClosed) {
					fatal = fmt.Errorf("put batch: %w", err)
				} else {
					w.step.putFailed(err)
				}
			} else {
				j.notify(Progress{Step: w.step.step.ID, Kind: ProgressObjects, Objects: int64(len(w.batch.Entities) + len(w.batch.Relationships) + len(w.batch.Mappings))})
			}
		}
		if w.done != nil {
			close(w.done)
		}
	}
	return fatal
}

func emptyBatch(b store.Batch) bool {
	return len(b.Entities) == 0 && len(b.Relationships) == 0 && len(b.Mappings) == 0 && len(b.Deletes) == 0
}

// partialTypes is the union of the always-partial types of successful
// steps and all types of the others.
func partialTypes(steps []Step, reps []StepReport) []string {
	set := map[string]bool{}
	for i, s := range steps {
		types := s.PartialTypes
		if reps[i].Status != StatusSuccess {
			types = s.Types
			for _, t := range s.PartialTypes {
				set[t] = true
			}
		}
		for _, t := range types {
			set[t] = true
		}
	}
	return sortedKeys(set)
}

// attributeResults gives each step the commit's counts for its types. A
// type that several steps declare is counted once, for the first of them
// that emitted objects of it (or the first that declares it), so that the
// steps' counts add up to what the commit did.
func attributeResults(steps []Step, reps []StepReport, res *store.SyncResult) {
	if res == nil {
		return
	}
	owner := map[string]int{}
	for i, s := range steps {
		for _, t := range s.Types {
			j, seen := owner[t]
			if !seen || (reps[j].Emitted[t] == 0 && reps[i].Emitted[t] > 0) {
				owner[t] = i
			}
		}
	}
	for i, s := range steps {
		for _, t := range s.Types {
			if owner[t] != i {
				continue
			}
			for _, m := range []map[string]store.TypeCounts{res.Entities, res.Relationships, res.Mappings} {
				if c, ok := m[t]; ok {
					if reps[i].Objects == nil {
						reps[i].Objects = map[string]store.TypeCounts{}
					}
					reps[i].Objects[t] = c
				}
			}
		}
	}
}

func saveJob(ctx context.Context, st store.Store, rep *Report) error {
	b, err := json.Marshal(rep)
	if err != nil {
		return fmt.Errorf("encode report of job %s: %w", rep.JobID, err)
	}
	j := &store.Job{ID: rep.JobID, Scope: rep.Scope, Status: string(rep.Status), StartedAt: rep.StartedAt, FinishedAt: rep.FinishedAt, Report: b}
	if err := st.SaveJob(ctx, j); err != nil {
		return fmt.Errorf("save job %s: %w", rep.JobID, err)
	}
	return nil
}

// NewJobID returns a job id that sorts by start time, with a random
// suffix: 20261203T171500.123Z-4f2a9c.
func NewJobID(t time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%x", t.UTC().Format("20060102T150405.000Z"), b)
}

// ReadReport decodes the report stored with a job record.
func ReadReport(j *store.Job) (*Report, error) {
	var r Report
	if len(j.Report) == 0 {
		return &Report{JobID: j.ID, Scope: j.Scope, Status: Status(j.Status), StartedAt: j.StartedAt, FinishedAt: j.FinishedAt}, nil
	}
	if err := json.Unmarshal(j.Report, &r); err != nil {
		return nil, fmt.Errorf("decode report of job %s: %w", j.ID, err)
	}
	return &r, nil
}
