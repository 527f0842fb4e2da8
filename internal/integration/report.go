package integration

import (
	"time"

	"github.com/qgraph/qgraph/internal/store"
)

// Report is the job report: what each step did and what the commit changed.
// It is stored as JSON with the job record.
type Report struct {
	JobID      string    `json:"jobId"`
	Scope      string    `json:"scope"`
	Instance   string    `json:"instance,omitempty"`
	Full       bool      `json:"full"`
	Status     Status    `json:"status"`
	Error      string    `json:"error,omitempty"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	// ClockAt is the job clock at the start: the end of the time windows
	// read (it differs from StartedAt against a simulator).
	ClockAt time.Time `json:"clockAt"`
	// DurationMillis is FinishedAt − StartedAt.
	DurationMillis int64 `json:"durationMillis"`
	// CommitMillis is the time the store took to commit, and
	// AfterCommitMillis the time of the after-commit hook (the mapper).
	CommitMillis      int64        `json:"commitMillis"`
	AfterCommitMillis int64        `json:"afterCommitMillis"`
	Steps             []StepReport `json:"steps"`
	// PartialTypes are the types whose unseen objects the commit kept.
	PartialTypes []string `json:"partialTypes"`
	// Sync is what the commit did, per _type (nil when nothing committed).
	Sync *store.SyncResult `json:"sync,omitempty"`
	// HighWaterMarks are the marks saved by this job.
	HighWaterMarks map[string]time.Time `json:"highWaterMarks,omitempty"`
	// AfterCommit holds what the after-commit hook (the mapper) reported.
	AfterCommit any `json:"afterCommit,omitempty"`
	// AfterCommitError is the error of the after-commit hook: the sync is
	// stored, but what the hook adds (the mapped relationships) is not
	// complete until the hook runs again with the next job.
	AfterCommitError string `json:"afterCommitError,omitempty"`
}

// StepReport is one step's part of the report.
type StepReport struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Status         Status `json:"status"`
	Error          string `json:"error,omitempty"`
	DisabledReason string `json:"disabledReason,omitempty"`
	// PartialReasons say why a partial step's data is incomplete.
	PartialReasons []string  `json:"partialReasons,omitempty"`
	StartedAt      time.Time `json:"startedAt"`
	DurationMillis int64     `json:"durationMillis"`
	// Emitted counts objects handed to the store, per _type.
	Emitted map[string]int64 `json:"emitted,omitempty"`
	// Duplicates counts objects that replaced an earlier one with the
	// same key inside a batch.
	Duplicates int64 `json:"duplicates,omitempty"`
	// Objects is what the commit did to the step's types.
	Objects      map[string]store.TypeCounts `json:"objects,omitempty"`
	PagesRetried int64                       `json:"pagesRetried"`
	PagesFailed  int64                       `json:"pagesFailed"`
	Counters     map[string]int64            `json:"counters,omitempty"`
	// Lists holds named lists such as the QIDs missing from the KnowledgeBase.
	Lists  map[string][]string `json:"lists,omitempty"`
	Events []Event             `json:"events,omitempty"`
}

// Event is a message recorded during a step.
type Event struct {
	Time    time.Time `json:"time"`
	Level   string    `json:"level"`
	Message string    `json:"message"`
}

// Failed reports whether any step or the after-commit hook failed, or the
// job did not commit.
func (r *Report) Failed() bool {
	if r.Status != StatusSuccess && r.Status != StatusPartial {
		return true
	}
	if r.AfterCommitError != "" {
		return true
	}
	for _, s := range r.Steps {
		if s.Status == StatusFailed {
			return true
		}
	}
	return false
}

// Step returns the report of the step with the given id, or nil.
func (r *Report) Step(id string) *StepReport {
	for i := range r.Steps {
		if r.Steps[i].ID == id {
			return &r.Steps[i]
		}
	}
	return nil
}

// ProgressKind says what a Progress notification is about.
type ProgressKind string

// The progress notifications.
const (
	ProgressStepStarted  ProgressKind = "step-started"
	ProgressStepFinished ProgressKind = "step-finished"
	ProgressObjects      ProgressKind = "objects"
	ProgressEvent        ProgressKind = "event"
	ProgressCommitting   ProgressKind = "committing"
	ProgressCommitted    ProgressKind = "committed"
)

// Progress is a notification sent while a job runs.
type Progress struct {
	Step    string
	Kind    ProgressKind
	Status  Status
	Message string
	// Objects is the number of objects the step has emitted so far.
	Objects int64
	// Elapsed is the step's running time at step-finished.
	Elapsed time.Duration
}
