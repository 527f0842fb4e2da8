package integration

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// Step is one unit of work of a job.
type Step struct {
	// ID is unique within the job, e.g. fetch-host-detections.
	ID string
	// Name is the human-readable name shown in progress and reports.
	Name string
	// DependsOn lists the IDs of the steps that must finish first.
	DependsOn []string
	// Types lists every _type (entity, relationship or mapping) the step
	// produces. They become partial for the job when the step does not
	// succeed.
	Types []string
	// PartialTypes lists types that are partial even when the step
	// succeeds: their objects are upserted, never deleted by this job.
	PartialTypes []string
	// Disabled skips the step; its types are partial, so what earlier
	// jobs stored is kept. DisabledReason says why.
	Disabled       bool
	DisabledReason string
	// Run does the work. Returning an error fails the step.
	Run func(ctx context.Context, s *StepContext) error
}

// Status is how a step or a job ended.
type Status string

// The statuses of steps and jobs.
const (
	// StatusSuccess: the step did all its work.
	StatusSuccess Status = "success"
	// StatusFailed: the step returned an error or a page failed.
	StatusFailed Status = "failed"
	// StatusPartial: the step ran but its data is incomplete, because a
	// dependency failed or the step said so. For a job: committed, with
	// failed or partial steps.
	StatusPartial Status = "partial"
	// StatusDisabled: the step did not run by configuration.
	StatusDisabled Status = "disabled"
	// StatusCancelled: the job was cancelled; nothing was committed.
	StatusCancelled Status = "cancelled"
	// StatusRunning: the job or step has not finished.
	StatusRunning Status = "running"
	// StatusPending: the step has not started.
	StatusPending Status = "pending"
)

// StepContext is what a running step uses to emit objects, share data with
// later steps and report what happened.
type StepContext struct {
	job  *jobRun
	step *Step
	rep  *StepReport
	// Logger logs with the job and step attached.
	Logger *slog.Logger

	mu       sync.Mutex
	buf      store.Batch
	bufKeys  map[string]int // kind+key → index in buf, for merging duplicates
	partial  []string
	marks    map[string]time.Time
	putErrs  []error
	pageErrs int64
}

// Now returns the job's clock reading at its start; steps use it to bound
// their time windows so that every step sees the same "now".
func (s *StepContext) Now() time.Time { return s.job.started }

// Full reports whether the job is a reconcile run that reads everything.
func (s *StepContext) Full() bool { return s.job.spec.Full }

// Store returns the store the job syncs into, so that a step can read what
// earlier jobs committed. Nothing the job emits is visible there before
// the job commits.
func (s *StepContext) Store() store.Store { return s.job.spec.Store }

// Scope returns the scope the job syncs.
func (s *StepContext) Scope() string { return s.job.spec.Scope }

// HighWaterMark returns the dataset's high-water mark from the instance
// state at the start of the job (zero when there is none).
func (s *StepContext) HighWaterMark(dataset string) time.Time {
	return s.job.state.HighWaterMarks[dataset]
}

// SetHighWaterMark proposes a new high-water mark for a dataset. It is
// saved only if the step succeeds and the job commits.
func (s *StepContext) SetHighWaterMark(dataset string, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.marks == nil {
		s.marks = map[string]time.Time{}
	}
	s.marks[dataset] = t.UTC()
}

// Set stores a value under key for later steps.
func (s *StepContext) Set(key string, v any) { s.job.data.Store(key, v) }

// Get returns the value a step stored under key.
func (s *StepContext) Get(key string) (any, bool) { return s.job.data.Load(key) }

// Count adds n to the named counter of the step's report.
func (s *StepContext) Count(name string, n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rep.Counters == nil {
		s.rep.Counters = map[string]int64{}
	}
	s.rep.Counters[name] += n
}

// Note adds a value to a named list of the step's report (for example the
// QIDs the KnowledgeBase did not return). Lists keep the first 1000 values.
func (s *StepContext) Note(list string, values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rep.Lists == nil {
		s.rep.Lists = map[string][]string{}
	}
	cur := s.rep.Lists[list]
	for _, v := range values {
		if len(cur) >= maxListLen {
			break
		}
		cur = append(cur, v)
	}
	s.rep.Lists[list] = cur
}

const maxListLen = 1000

// Event records a message in the step's report and the job log.
func (s *StepContext) Event(level slog.Level, msg string, args ...any) {
	s.Logger.Log(context.Background(), level, msg, args...)
	text := msg
	for i := 0; i+1 < len(args); i += 2 {
		text += fmt.Sprintf(" %v=%v", args[i], args[i+1])
	}
	s.mu.Lock()
	if len(s.rep.Events) < maxListLen {
		s.rep.Events = append(s.rep.Events, Event{Time: time.Now().UTC(), Level: level.String(), Message: text})
	}
	s.mu.Unlock()
	s.job.notify(Progress{Step: s.step.ID, Kind: ProgressEvent, Message: text})
}

// PageFailed records a failed page: the step will end failed, so its types
// are partial and its high-water marks do not move.
func (s *StepContext) PageFailed(err error) {
	s.mu.Lock()
	s.pageErrs++
	s.rep.PagesFailed++
	s.mu.Unlock()
	s.Event(slog.LevelWarn, "page failed", "error", err)
}

// PagesRetried adds to the count of pages that needed a retry.
func (s *StepContext) PagesRetried(n int64) {
	s.mu.Lock()
	s.rep.PagesRetried += n
	s.mu.Unlock()
}

// MarkPartial says the step's data is incomplete for the reason given; the
// step ends partial and its types are partial for the job.
func (s *StepContext) MarkPartial(reason string) {
	s.mu.Lock()
	s.partial = append(s.partial, reason)
	s.mu.Unlock()
	s.Event(slog.LevelWarn, "incomplete data: "+reason)
}

// AddEntities emits entities. The job's entity properties (such as
// tag.AccountName) are added to each.
func (s *StepContext) AddEntities(ctx context.Context, es ...graph.Entity) error {
	for i := range es {
		e := es[i]
		if len(s.job.spec.EntityProperties) > 0 {
			if e.Properties == nil {
				e.Properties = graph.Properties{}
			}
			for k, v := range s.job.spec.EntityProperties {
				e.Properties[k] = v
			}
		}
		if err := s.add(ctx, store.KindEntity, e.Key, e.Type, func(b *store.Batch, at int) int {
			if at >= 0 {
				b.Entities[at] = e
				return at
			}
			b.Entities = append(b.Entities, e)
			return len(b.Entities) - 1
		}); err != nil {
			return err
		}
	}
	return nil
}

// AddRelationships emits direct relationships.
func (s *StepContext) AddRelationships(ctx context.Context, rs ...graph.Relationship) error {
	for i := range rs {
		r := rs[i]
		if err := s.add(ctx, store.KindRelationship, r.Key, r.Type, func(b *store.Batch, at int) int {
			if at >= 0 {
				b.Relationships[at] = r
				return at
			}
			b.Relationships = append(b.Relationships, r)
			return len(b.Relationships) - 1
		}); err != nil {
			return err
		}
	}
	return nil
}

// AddMappings emits mapped relationships for the mapper to resolve.
func (s *StepContext) AddMappings(ctx context.Context, ms ...graph.MappedRelationship) error {
	for i := range ms {
		m := ms[i]
		if err := s.add(ctx, store.KindMapping, m.Key, m.Type, func(b *store.Batch, at int) int {
			if at >= 0 {
				b.Mappings[at] = m
				return at
			}
			b.Mappings = append(b.Mappings, m)
			return len(b.Mappings) - 1
		}); err != nil {
			return err
		}
	}
	return nil
}

// add places one object in the step's buffer, replacing an earlier object
// of the same kind and key, and hands the buffer to the writer when full.
func (s *StepContext) add(ctx context.Context, kind store.ObjectKind, key, typ string, put func(b *store.Batch, at int) int) error {
	s.mu.Lock()
	if s.bufKeys == nil {
		s.bufKeys = map[string]int{}
	}
	k := string(kind[0]) + key
	at, dup := s.bufKeys[k]
	if !dup {
		at = -1
	}
	s.bufKeys[k] = put(&s.buf, at)
	if s.rep.Emitted == nil {
		s.rep.Emitted = map[string]int64{}
	}
	if dup {
		s.rep.Duplicates++
	} else {
		s.rep.Emitted[typ]++
	}
	var full *store.Batch
	if len(s.bufKeys) >= s.job.batchSize {
		b := s.buf
		full = &b
		s.buf = store.Batch{}
		s.bufKeys = nil
	}
	s.mu.Unlock()
	if full != nil {
		return s.job.send(ctx, s, *full, nil)
	}
	return nil
}

// flush hands what is buffered to the writer and waits until every batch
// of the step has been put.
func (s *StepContext) flush(ctx context.Context) {
	s.mu.Lock()
	b := s.buf
	s.buf = store.Batch{}
	s.bufKeys = nil
	s.mu.Unlock()
	done := make(chan struct{})
	if err := s.job.send(ctx, s, b, done); err != nil {
		return
	}
	select {
	case <-done:
	case <-ctx.Done():
	}
}

func (s *StepContext) putFailed(err error) {
	s.mu.Lock()
	s.putErrs = append(s.putErrs, err)
	s.mu.Unlock()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
