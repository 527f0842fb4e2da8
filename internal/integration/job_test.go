package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// fakeStore keeps what the engine touches in memory: syncs, state, jobs.
type fakeStore struct {
	store.Store
	mu        sync.Mutex
	state     map[string][]byte
	jobs      map[string]store.Job
	puts      []store.Batch
	commits   []store.CommitParams
	aborted   int
	refuseKey string // Put fails for a batch holding an entity with this key
}

func newFakeStore() *fakeStore {
	return &fakeStore{state: map[string][]byte{}, jobs: map[string]store.Job{}}
}

func (f *fakeStore) GetState(ctx context.Context, scope, name string, v any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.state[scope+"/"+name]
	if !ok {
		return store.ErrNotFound
	}
	return json.Unmarshal(b, v)
}

func (f *fakeStore) PutState(ctx context.Context, scope, name string, v any) error {
	b, err := json.Marshal(v)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.state[scope+"/"+name] = b
	return err
}

func (f *fakeStore) SaveJob(ctx context.Context, j *store.Job) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jobs[j.ID] = *j
	return nil
}

func (f *fakeStore) BeginSync(ctx context.Context, p store.SyncParams) (store.SyncSession, error) {
	return &fakeSession{f: f}, nil
}

type fakeSession struct {
	f    *fakeStore
	done bool
}

func (s *fakeSession) Put(ctx context.Context, b store.Batch) error {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	for _, e := range b.Entities {
		if e.Key == s.f.refuseKey {
			return fmt.Errorf("entity %s: invalid", e.Key)
		}
	}
	s.f.puts = append(s.f.puts, b)
	return nil
}

func (s *fakeSession) Commit(ctx context.Context, p store.CommitParams) (*store.SyncResult, error) {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	s.done = true
	s.f.commits = append(s.f.commits, p)
	res := &store.SyncResult{Entities: map[string]store.TypeCounts{}}
	for _, b := range s.f.puts {
		for _, e := range b.Entities {
			c := res.Entities[e.Type]
			c.Created++
			res.Entities[e.Type] = c
		}
	}
	return res, nil
}

func (s *fakeSession) Abort(ctx context.Context) error {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	if !s.done {
		s.f.aborted++
	}
	return nil
}

func (f *fakeStore) entityKeys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var keys []string
	for _, b := range f.puts {
		for _, e := range b.Entities {
			keys = append(keys, e.Key)
		}
	}
	sort.Strings(keys)
	return keys
}

func entity(key, typ string) graph.Entity {
	return graph.Entity{Key: key, Type: typ, Class: []string{"Record"}, Properties: graph.Properties{"name": key, "displayName": key}}
}

func emitStep(id string, deps []string, keys ...string) Step {
	return Step{ID: id, Name: id, DependsOn: deps, Types: []string{"t_" + id}, Run: func(ctx context.Context, s *StepContext) error {
		for _, k := range keys {
			if err := s.AddEntities(ctx, entity(k, "t_"+id)); err != nil {
				return err
			}
		}
		return nil
	}}
}

func TestRunStatusesAndPartialTypes(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name        string
		steps       []Step
		wantStatus  map[string]Status
		wantPartial []string
		wantJob     Status
	}{
		{
			name:       "all succeed",
			steps:      []Step{emitStep("a", nil, "key-aaaaaaaa"), emitStep("b", []string{"a"}, "key-bbbbbbbb")},
			wantStatus: map[string]Status{"a": StatusSuccess, "b": StatusSuccess},
			wantJob:    StatusSuccess,
		},
		{
			name: "failed step makes its types partial and dependents partial",
			steps: []Step{
				{ID: "a", Types: []string{"t_a"}, Run: func(ctx context.Context, s *StepContext) error { return boom }},
				emitStep("b", []string{"a"}, "key-bbbbbbbb"),
				emitStep("c", nil, "key-cccccccc"),
			},
			wantStatus:  map[string]Status{"a": StatusFailed, "b": StatusPartial, "c": StatusSuccess},
			wantPartial: []string{"t_a", "t_b"},
			wantJob:     StatusPartial,
		},
		{
			name: "disabled step and its dependents are disabled, their types partial",
			steps: []Step{
				{ID: "a", Types: []string{"t_a"}, Disabled: true, DisabledReason: "off"},
				emitStep("b", []string{"a"}, "key-bbbbbbbb"),
			},
			wantStatus:  map[string]Status{"a": StatusDisabled, "b": StatusDisabled},
			wantPartial: []string{"t_a", "t_b"},
			wantJob:     StatusSuccess,
		},
		{
			name: "always-partial types",
			steps: []Step{
				{ID: "a", Types: []string{"t_a", "t_f"}, PartialTypes: []string{"t_f"}, Run: func(ctx context.Context, s *StepContext) error { return nil }},
			},
			wantStatus:  map[string]Status{"a": StatusSuccess},
			wantPartial: []string{"t_f"},
			wantJob:     StatusSuccess,
		},
		{
			name: "failed page fails the step",
			steps: []Step{
				{ID: "a", Types: []string{"t_a"}, Run: func(ctx context.Context, s *StepContext) error {
					s.PageFailed(errors.New("page 3: truncated"))
					return nil
				}},
			},
			wantStatus:  map[string]Status{"a": StatusFailed},
			wantPartial: []string{"t_a"},
			wantJob:     StatusPartial,
		},
		{
			name: "panic is a failure",
			steps: []Step{
				{ID: "a", Types: []string{"t_a"}, Run: func(ctx context.Context, s *StepContext) error { panic("bad") }},
			},
			wantStatus:  map[string]Status{"a": StatusFailed},
			wantPartial: []string{"t_a"},
			wantJob:     StatusPartial,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newFakeStore()
			rep, err := Run(context.Background(), JobSpec{Store: st, Scope: "instance:test", Steps: tc.steps})
			if err != nil {
				t.Fatal(err)
			}
			for id, want := range tc.wantStatus {
				if got := rep.Step(id).Status; got != want {
					t.Errorf("step %s: status %s, want %s (%s)", id, got, want, rep.Step(id).Error)
				}
			}
			if fmt.Sprint(rep.PartialTypes) != fmt.Sprint(tc.wantPartial) && !(len(rep.PartialTypes) == 0 && len(tc.wantPartial) == 0) {
				t.Errorf("partial types %v, want %v", rep.PartialTypes, tc.wantPartial)
			}
			if rep.Status != tc.wantJob {
				t.Errorf("job status %s, want %s", rep.Status, tc.wantJob)
			}
			if len(st.commits) != 1 {
				t.Errorf("%d commits", len(st.commits))
			}
			if _, ok := st.jobs[rep.JobID]; !ok {
				t.Error("job record not saved")
			}
		})
	}
}

func TestRunDAGOrderAndParallelism(t *testing.T) {
	var running, peak atomic.Int32
	var order []string
	var mu sync.Mutex
	mk := func(id string, deps ...string) Step {
		return Step{ID: id, DependsOn: deps, Run: func(ctx context.Context, s *StepContext) error {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(20 * time.Millisecond)
			running.Add(-1)
			mu.Lock()
			order = append(order, id)
			mu.Unlock()
			return nil
		}}
	}
	steps := []Step{mk("d", "b", "c"), mk("b", "a"), mk("c", "a"), mk("a")}
	if _, err := Run(context.Background(), JobSpec{Store: newFakeStore(), Scope: "instance:x", Steps: steps}); err != nil {
		t.Fatal(err)
	}
	if order[0] != "a" || order[3] != "d" {
		t.Errorf("order %v", order)
	}
	if peak.Load() < 2 {
		t.Errorf("b and c did not run in parallel (peak %d)", peak.Load())
	}
}

func TestRunBadSpec(t *testing.T) {
	noop := func(ctx context.Context, s *StepContext) error { return nil }
	cases := map[string][]Step{
		"unknown dependency": {{ID: "a", DependsOn: []string{"z"}, Run: noop}},
		"cycle":              {{ID: "a", DependsOn: []string{"b"}, Run: noop}, {ID: "b", DependsOn: []string{"a"}, Run: noop}},
		"duplicate id":       {{ID: "a", Run: noop}, {ID: "a", Run: noop}},
		"no run":             {{ID: "a"}},
	}
	for name, steps := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Run(context.Background(), JobSpec{Store: newFakeStore(), Scope: "instance:x", Steps: steps})
			if !errors.Is(err, ErrBadSpec) {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestBatchingMergesDuplicates(t *testing.T) {
	st := newFakeStore()
	step := Step{ID: "a", Types: []string{"t"}, Run: func(ctx context.Context, s *StepContext) error {
		for i := 0; i < 25; i++ {
			e := entity(fmt.Sprintf("key-%08d", i%3), "t")
			e.Properties["n"] = int64(i)
			if err := s.AddEntities(ctx, e); err != nil {
				return err
			}
		}
		return nil
	}}
	rep, err := Run(context.Background(), JobSpec{Store: st, Scope: "instance:x", Steps: []Step{step}, BatchSize: 7, EntityProperties: graph.Properties{"tag.AccountName": "acme"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range st.puts {
		if len(b.Entities) > 7 {
			t.Errorf("batch of %d > 7", len(b.Entities))
		}
		for _, e := range b.Entities {
			if e.Properties["tag.AccountName"] != "acme" {
				t.Errorf("%s lacks tag.AccountName", e.Key)
			}
		}
	}
	if rep.Step("a").Emitted["t"]+rep.Step("a").Duplicates != 25 {
		t.Errorf("emitted %v + duplicates %d != 25", rep.Step("a").Emitted, rep.Step("a").Duplicates)
	}
	if rep.Step("a").Duplicates == 0 {
		t.Error("no duplicate merged inside a batch")
	}
}

func TestRefusedBatchFailsOnlyItsStep(t *testing.T) {
	st := newFakeStore()
	st.refuseKey = "key-bad-one"
	steps := []Step{emitStep("a", nil, "key-bad-one"), emitStep("b", nil, "key-good-one")}
	rep, err := Run(context.Background(), JobSpec{Store: st, Scope: "instance:x", Steps: steps})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Step("a").Status != StatusFailed || rep.Step("b").Status != StatusSuccess {
		t.Errorf("statuses a=%s b=%s", rep.Step("a").Status, rep.Step("b").Status)
	}
	if !rep.Failed() {
		t.Error("report does not say failed")
	}
}

func TestHighWaterMarksMoveOnlyOnSuccess(t *testing.T) {
	st := newFakeStore()
	t1 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	fail := true
	steps := func() []Step {
		return []Step{
			{ID: "ok", Run: func(ctx context.Context, s *StepContext) error { s.SetHighWaterMark("hosts", t1); return nil }},
			{ID: "bad", Run: func(ctx context.Context, s *StepContext) error {
				s.SetHighWaterMark("detections", t1)
				if fail {
					return errors.New("page failed")
				}
				return nil
			}},
		}
	}
	if _, err := Run(context.Background(), JobSpec{Store: st, Scope: "instance:x", Steps: steps()}); err != nil {
		t.Fatal(err)
	}
	state, err := LoadState(context.Background(), st, "instance:x")
	if err != nil {
		t.Fatal(err)
	}
	if !state.HighWaterMarks["hosts"].Equal(t1) {
		t.Errorf("hosts mark %v", state.HighWaterMarks["hosts"])
	}
	if _, moved := state.HighWaterMarks["detections"]; moved {
		t.Error("failed step moved its mark")
	}
	if state.LastJobStatus != StatusPartial {
		t.Errorf("last status %s", state.LastJobStatus)
	}
	fail = false
	var seen time.Time
	next := steps()
	next[1].Run = func(ctx context.Context, s *StepContext) error {
		seen = s.HighWaterMark("hosts")
		s.SetHighWaterMark("detections", t1)
		return nil
	}
	if _, err := Run(context.Background(), JobSpec{Store: st, Scope: "instance:x", Steps: next}); err != nil {
		t.Fatal(err)
	}
	if !seen.Equal(t1) {
		t.Errorf("step saw hosts mark %v", seen)
	}
	state, _ = LoadState(context.Background(), st, "instance:x")
	if !state.HighWaterMarks["detections"].Equal(t1) {
		t.Errorf("detections mark %v", state.HighWaterMarks["detections"])
	}
}

func TestCancelledJobCommitsNothing(t *testing.T) {
	st := newFakeStore()
	ctx, cancel := context.WithCancel(context.Background())
	step := Step{ID: "a", Types: []string{"t"}, Run: func(ctx context.Context, s *StepContext) error {
		for i := 0; ; i++ {
			if err := s.AddEntities(ctx, entity(fmt.Sprintf("key-%08d", i), "t")); err != nil {
				return err
			}
			if i == 50 {
				cancel()
			}
		}
	}}
	rep, err := Run(ctx, JobSpec{Store: st, Scope: "instance:x", Steps: []Step{step}, BatchSize: 10})
	if err == nil || rep.Status != StatusCancelled {
		t.Fatalf("err %v, status %v", err, rep.Status)
	}
	if len(st.commits) != 0 || st.aborted != 1 {
		t.Errorf("commits %d, aborted %d", len(st.commits), st.aborted)
	}
	if st.jobs[rep.JobID].Status != string(StatusCancelled) {
		t.Errorf("job record status %q", st.jobs[rep.JobID].Status)
	}
}

func TestEventsAndCountersInReport(t *testing.T) {
	step := Step{ID: "a", Run: func(ctx context.Context, s *StepContext) error {
		s.Event(slog.LevelWarn, "page failed", "page", 3, "error", "truncated")
		s.Count("hosts", 2)
		s.Count("hosts", 3)
		s.Note("missing", "7", "9")
		return nil
	}}
	rep, err := Run(context.Background(), JobSpec{Store: newFakeStore(), Scope: "instance:x", Steps: []Step{step}})
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Step("a")
	if len(s.Events) != 1 || s.Events[0].Message != "page failed page=3 error=truncated" || s.Events[0].Level != "WARN" {
		t.Errorf("events %+v", s.Events)
	}
	if s.Counters["hosts"] != 5 || fmt.Sprint(s.Lists["missing"]) != "[7 9]" {
		t.Errorf("counters %v lists %v", s.Counters, s.Lists)
	}
}

// TestAfterCommitHookOutcome checks that a failed after-commit hook (the
// mapper) leaves the commit in place but makes the job partial and failed,
// and that a hook that succeeds leaves the job a success.
func TestAfterCommitHookOutcome(t *testing.T) {
	step := Step{ID: "a", Types: []string{"thing"}, Run: func(ctx context.Context, s *StepContext) error { return nil }}
	cases := []struct {
		name       string
		hookErr    error
		wantStatus Status
		wantFailed bool
	}{
		{"hook succeeds", nil, StatusSuccess, false},
		{"hook fails", errors.New("mapper: context canceled"), StatusPartial, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := newFakeStore()
			rep, err := Run(context.Background(), JobSpec{Store: st, Scope: "instance:x", Steps: []Step{step},
				AfterCommit: func(ctx context.Context) (any, error) { return "hook ran", tc.hookErr }})
			if err != nil {
				t.Fatal(err)
			}
			if len(st.commits) != 1 {
				t.Errorf("%d commits, want 1", len(st.commits))
			}
			if rep.Status != tc.wantStatus || rep.Failed() != tc.wantFailed {
				t.Errorf("status %s, failed %v; want %s, %v", rep.Status, rep.Failed(), tc.wantStatus, tc.wantFailed)
			}
			if (rep.AfterCommitError != "") != (tc.hookErr != nil) || rep.AfterCommit != "hook ran" {
				t.Errorf("after-commit error %q, result %v", rep.AfterCommitError, rep.AfterCommit)
			}
			if rec := st.jobs[rep.JobID]; rec.Status != string(tc.wantStatus) {
				t.Errorf("job record status %q, want %s", rec.Status, tc.wantStatus)
			}
		})
	}
}

// TestSharedTypeCountedOnce checks that a type two steps declare is
// attributed to one of them, the first that emitted it, so the steps'
// counts add up to the commit's.
func TestSharedTypeCountedOnce(t *testing.T) {
	emit := func(id string, deps []string, keys ...string) Step {
		return Step{ID: id, DependsOn: deps, Types: []string{"t_shared"}, Run: func(ctx context.Context, s *StepContext) error {
			for _, k := range keys {
				if err := s.AddEntities(ctx, entity(k, "t_shared")); err != nil {
					return err
				}
			}
			return nil
		}}
	}
	cases := []struct {
		name      string
		steps     []Step
		wantOwner string
	}{
		{"both emit: the first", []Step{emit("a", nil, "key-aaaaaaaa"), emit("b", []string{"a"}, "key-bbbbbbbb")}, "a"},
		{"only the second emits: the second", []Step{emit("a", nil), emit("b", []string{"a"}, "key-bbbbbbbb")}, "b"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Run(context.Background(), JobSpec{Store: newFakeStore(), Scope: "instance:x", Steps: tc.steps})
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"a", "b"} {
				_, has := rep.Step(id).Objects["t_shared"]
				if has != (id == tc.wantOwner) {
					t.Errorf("step %s has t_shared counts: %v, want only step %s", id, has, tc.wantOwner)
				}
			}
		})
	}
}
