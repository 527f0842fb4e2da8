package storetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// Opener opens a fresh, empty store for one test; the store is closed by
// the suite (and may also be closed by t.Cleanup).
type Opener func(t *testing.T) store.Store

// Run runs the whole conformance suite against the stores open returns.
func Run(t *testing.T, open Opener) {
	t.Run("Sync", func(t *testing.T) { runSyncCases(t, open) })
	t.Run("Relationships", func(t *testing.T) { runRelationshipCases(t, open) })
	t.Run("Mappings", func(t *testing.T) { runMappingCases(t, open) })
	t.Run("ChangeLog", func(t *testing.T) { runChangeLogCases(t, open) })
	t.Run("Values", func(t *testing.T) { runValueCases(t, open) })
	t.Run("Atomicity", func(t *testing.T) { runAtomicityCases(t, open) })
	t.Run("Reads", func(t *testing.T) { runReadCases(t, open) })
	t.Run("StateAndJobs", func(t *testing.T) { runStateJobCases(t, open) })
}

// The scopes the suite syncs.
var (
	scopeA = store.InstanceScope("suite-a")
	scopeB = store.InstanceScope("suite-b")
)

// t0 is the clock of the first sync; later syncs add hours.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// at returns the time of sync n (1-based).
func at(n int) time.Time { return t0.Add(time.Duration(n-1) * time.Hour) }

// openStore opens a store and closes it when the test ends.
func openStore(t *testing.T, open Opener) store.Store {
	t.Helper()
	s := open(t)
	t.Cleanup(func() { s.Close() })
	return s
}

// host returns a valid entity of type suite_host with key "host-<id>".
func host(id string, props ...any) graph.Entity {
	p := graph.Properties{"name": "host " + id, "displayName": "Host " + id}
	for i := 0; i+1 < len(props); i += 2 {
		p[props[i].(string)] = props[i+1]
	}
	return graph.Entity{Key: "host-" + id + "-key", Type: "suite_host", Class: []string{"Host"}, Properties: p}
}

// finding returns a valid Finding entity with key "finding-<id>".
func finding(id string, severity int64, props ...any) graph.Entity {
	p := graph.Properties{
		"name": "finding " + id, "displayName": "Finding " + id,
		"category": "vuln", "severity": fmt.Sprint(severity), "numericSeverity": severity, "open": true,
	}
	for i := 0; i+1 < len(props); i += 2 {
		p[props[i].(string)] = props[i+1]
	}
	return graph.Entity{Key: "finding-" + id + "-key", Type: "suite_finding", Class: []string{"Finding"}, Properties: p}
}

// has returns a HAS relationship from one entity to another of the same
// scope.
func has(from, to graph.Entity, props ...any) graph.Relationship {
	p := graph.Properties{}
	for i := 0; i+1 < len(props); i += 2 {
		p[props[i].(string)] = props[i+1]
	}
	return graph.Relationship{
		Key:  graph.RelationshipKey(from.Key, "HAS", to.Key),
		Type: graph.RelationshipType(from.Type, "HAS", to.Type), Class: "HAS",
		FromKey: from.Key, ToKey: to.Key, Properties: p,
	}
}

// syncOpts tunes sync.
type syncOpts struct {
	mode    store.SyncMode
	partial []string
	deletes []store.ObjectRef
}

// sync runs one whole sync of scope with one batch and fails the test on
// error.
func sync(t *testing.T, s store.Store, scope string, n int, b store.Batch, o syncOpts) *store.SyncResult {
	t.Helper()
	res, err := trySync(context.Background(), s, scope, n, b, o)
	if err != nil {
		t.Fatalf("sync %d of %s: %v", n, scope, err)
	}
	return res
}

// trySync runs one whole sync and returns its error.
func trySync(ctx context.Context, s store.Store, scope string, n int, b store.Batch, o syncOpts) (*store.SyncResult, error) {
	sess, err := s.BeginSync(ctx, store.SyncParams{Scope: scope, JobID: fmt.Sprintf("job-%d", n), Mode: o.mode, Now: at(n)})
	if err != nil {
		return nil, err
	}
	defer sess.Abort(context.Background())
	b.Deletes = append(b.Deletes, o.deletes...)
	if err := sess.Put(ctx, b); err != nil {
		return nil, err
	}
	return sess.Commit(ctx, store.CommitParams{PartialTypes: o.partial})
}

// ents and rels build batch slices.
func ents(e ...graph.Entity) []graph.Entity             { return e }
func rels(r ...graph.Relationship) []graph.Relationship { return r }

// getEntity fetches an entity and fails the test when it is missing.
func getEntity(t *testing.T, s store.Store, scope, key string) *store.EntityRecord {
	t.Helper()
	e, err := s.GetEntity(context.Background(), scope, key)
	if err != nil {
		t.Fatalf("GetEntity(%s, %s): %v", scope, key, err)
	}
	return e
}

// getRel fetches a relationship and fails the test when it is missing.
func getRel(t *testing.T, s store.Store, scope, key string) *store.RelationshipRecord {
	t.Helper()
	r, err := s.GetRelationship(context.Background(), scope, key)
	if err != nil {
		t.Fatalf("GetRelationship(%s, %s): %v", scope, key, err)
	}
	return r
}

// wantCounts compares the counts of one _type in a sync result.
func wantCounts(t *testing.T, what string, m map[string]store.TypeCounts, typ string, want store.TypeCounts) {
	t.Helper()
	if got := m[typ]; got != want {
		t.Errorf("%s counts of %s = %+v, want %+v", what, typ, got, want)
	}
}

// sameProps compares properties, treating nil and empty as equal.
func sameProps(a, b graph.Properties) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return a.Equal(b)
}

// Snapshot is everything a store holds that the Store interface can read,
// for comparing a store before and after a sync that must not apply.
type Snapshot struct {
	Entities      []string
	Relationships []string
	Mappings      []string
	Changes       []string
	Counts        string
}

// TakeSnapshot reads every entity (with history), relationship, mapping
// and change of the store, rendered as sorted text.
func TakeSnapshot(ctx context.Context, s store.Store) (*Snapshot, error) {
	snap := &Snapshot{}
	ents, err := s.ListEntities(ctx, store.EntityFilter{IncludeDeleted: true})
	if err != nil {
		return nil, fmt.Errorf("snapshot entities: %w", err)
	}
	for _, e := range ents {
		hist, err := s.EntityHistory(ctx, e.Scope, e.Key)
		if err != nil {
			return nil, fmt.Errorf("snapshot history of %s: %w", e.Key, err)
		}
		for _, h := range hist {
			snap.Entities = append(snap.Entities, renderEntity(h))
		}
		nbs, err := s.Neighbors(ctx, e.Scope, e.Key, store.NeighborFilter{IncludeDeleted: true})
		if err != nil {
			return nil, fmt.Errorf("snapshot neighbors of %s: %w", e.Key, err)
		}
		for _, n := range nbs {
			if n.Outgoing {
				snap.Relationships = append(snap.Relationships, renderRel(n.Relationship))
			}
		}
	}
	maps, err := s.ListMappings(ctx, store.MappingFilter{IncludeDeleted: true})
	if err != nil {
		return nil, fmt.Errorf("snapshot mappings: %w", err)
	}
	for _, m := range maps {
		snap.Mappings = append(snap.Mappings, fmt.Sprintf("%s|%s|%s|v%d|del=%v|seq=%d|%s", m.Scope, m.Key, m.Type, m.Version, m.Deleted, m.Seq, m.SourceKey))
	}
	changes, err := s.Changes(ctx, store.ChangeFilter{})
	if err != nil {
		return nil, fmt.Errorf("snapshot changes: %w", err)
	}
	for _, c := range changes {
		snap.Changes = append(snap.Changes, fmt.Sprintf("%d|%s|%s|%s|%s|%s", c.Seq, c.Scope, c.Kind, c.Key, c.Op, c.JobID))
	}
	ec, rc, err := s.Counts(ctx)
	if err != nil {
		return nil, fmt.Errorf("snapshot counts: %w", err)
	}
	snap.Counts = fmt.Sprint(ec, rc)
	sort.Strings(snap.Entities)
	sort.Strings(snap.Relationships)
	return snap, nil
}

// Diff describes how two snapshots differ, or returns "".
func (s *Snapshot) Diff(o *Snapshot) string {
	var out []string
	cmp := func(what string, a, b []string) {
		if strings.Join(a, "\n") == strings.Join(b, "\n") {
			return
		}
		out = append(out, fmt.Sprintf("%s differ: %d before, %d after; first difference: %s", what, len(a), len(b), firstDiff(a, b)))
	}
	cmp("entities", s.Entities, o.Entities)
	cmp("relationships", s.Relationships, o.Relationships)
	cmp("mappings", s.Mappings, o.Mappings)
	cmp("changes", s.Changes, o.Changes)
	if s.Counts != o.Counts {
		out = append(out, fmt.Sprintf("counts differ: %s before, %s after", s.Counts, o.Counts))
	}
	return strings.Join(out, "\n")
}

func firstDiff(a, b []string) string {
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return fmt.Sprintf("%q vs %q", x, y)
		}
	}
	return "none"
}

func renderEntity(e store.EntityRecord) string {
	props, _ := e.Properties.MarshalJSON()
	return fmt.Sprintf("%s|%s|%s|%v|v%d|del=%v|%d|%d|%s|%s", e.Scope, e.Key, e.Type, e.Class, e.Version, e.Deleted,
		e.BeginOn.UnixMilli(), e.EndOn.UnixMilli(), e.JobID, props)
}

func renderRel(r store.RelationshipRecord) string {
	props, _ := r.Properties.MarshalJSON()
	return fmt.Sprintf("%s|%s|%s|%s|%s/%s->%s/%s|v%d|del=%v|%s", r.Scope, r.Key, r.Type, r.Class,
		r.FromScope, r.FromKey, r.ToScope, r.ToKey, r.Version, r.Deleted, props)
}

// mustSnapshot takes a snapshot or fails the test.
func mustSnapshot(t *testing.T, s store.Store) *Snapshot {
	t.Helper()
	snap, err := TakeSnapshot(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// wantUnchanged fails the test when the store differs from before.
func wantUnchanged(t *testing.T, s store.Store, before *Snapshot) {
	t.Helper()
	if d := before.Diff(mustSnapshot(t, s)); d != "" {
		t.Errorf("store changed:\n%s", d)
	}
}

// wantErrIs fails unless err wraps target.
func wantErrIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("error = %v, want one wrapping %v", err, target)
	}
}
