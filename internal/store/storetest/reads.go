package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/store"
)

// placeholder returns the n-th (1-based) bind placeholder of a dialect.
func placeholder(d store.Dialect, n int) string {
	if d == store.Postgres {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}

func runReadCases(t *testing.T, open Opener) {
	t.Run("not found", func(t *testing.T) {
		s := openStore(t, open)
		ctx := context.Background()
		_, err := s.GetEntity(ctx, scopeA, "no-such-entity")
		wantErrIs(t, err, store.ErrNotFound)
		_, err = s.GetRelationship(ctx, scopeA, "no-such-relationship")
		wantErrIs(t, err, store.ErrNotFound)
		_, err = s.EntityHistory(ctx, scopeA, "no-such-entity")
		wantErrIs(t, err, store.ErrNotFound)
		_, err = s.Neighbors(ctx, scopeA, "no-such-entity", store.NeighborFilter{})
		wantErrIs(t, err, store.ErrNotFound)
		_, err = s.GetJob(ctx, "no-such-job")
		wantErrIs(t, err, store.ErrNotFound)
		var v int
		wantErrIs(t, s.GetState(ctx, scopeA, "nothing", &v), store.ErrNotFound)
	})

	t.Run("list entities", func(t *testing.T) {
		s := openStore(t, open)
		ctx := context.Background()
		sync(t, s, scopeA, 1, store.Batch{Entities: ents(host("1"), host("2"), host("3"), finding("1", 3), finding("2", 5))}, syncOpts{})
		sync(t, s, scopeB, 2, store.Batch{Entities: ents(host("9"))}, syncOpts{})
		sync(t, s, scopeA, 3, store.Batch{Entities: ents(host("1"), host("2"), finding("1", 3), finding("2", 5))}, syncOpts{})
		keys := func(f store.EntityFilter) []string {
			t.Helper()
			got, err := s.ListEntities(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			var last int64
			for _, e := range got {
				if e.ID <= last {
					t.Errorf("ListEntities not ordered by id: %d after %d", e.ID, last)
				}
				last = e.ID
				out = append(out, e.Key[:len(e.Key)-4])
			}
			sort.Strings(out)
			return out
		}
		cases := []struct {
			name string
			f    store.EntityFilter
			want string
		}{
			{"all live", store.EntityFilter{}, "[finding-1 finding-2 host-1 host-2 host-9]"},
			{"with deleted", store.EntityFilter{IncludeDeleted: true}, "[finding-1 finding-2 host-1 host-2 host-3 host-9]"},
			{"scope", store.EntityFilter{Scope: scopeB}, "[host-9]"},
			{"type", store.EntityFilter{Type: "suite_finding"}, "[finding-1 finding-2]"},
			{"class", store.EntityFilter{Class: "Host"}, "[host-1 host-2 host-9]"},
			{"class and scope", store.EntityFilter{Class: "Host", Scope: scopeA}, "[host-1 host-2]"},
			{"property", store.EntityFilter{Properties: map[string]any{"numericSeverity": int64(5)}}, "[finding-2]"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if got := fmt.Sprint(keys(tc.f)); got != tc.want {
					t.Errorf("got %s, want %s", got, tc.want)
				}
			})
		}
		t.Run("limit", func(t *testing.T) {
			if got := keys(store.EntityFilter{Limit: 2}); len(got) != 2 {
				t.Errorf("limit 2 gave %v", got)
			}
		})
		t.Run("paging", func(t *testing.T) {
			var all []string
			var after int64
			for page := 0; page < 10; page++ {
				got, err := s.ListEntities(ctx, store.EntityFilter{AfterID: after, Limit: 2})
				if err != nil {
					t.Fatal(err)
				}
				if len(got) == 0 {
					break
				}
				for _, e := range got {
					all = append(all, e.Key[:len(e.Key)-4])
				}
				after = got[len(got)-1].ID
			}
			sort.Strings(all)
			if fmt.Sprint(all) != "[finding-1 finding-2 host-1 host-2 host-9]" {
				t.Errorf("pages gave %v", all)
			}
		})
	})

	t.Run("neighbors", func(t *testing.T) {
		s := openStore(t, open)
		ctx := context.Background()
		a, b, c := host("a"), host("b"), host("c")
		ab, ca := has(a, b), has(c, a)
		ac := has(a, c)
		ac.Type, ac.Class, ac.Key = "suite_host_uses_host", "USES", "host-a|uses|host-c"
		sync(t, s, scopeA, 1, store.Batch{Entities: ents(a, b, c), Relationships: rels(ab, ca, ac)}, syncOpts{})
		got, err := s.Neighbors(ctx, scopeA, a.Key, store.NeighborFilter{})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]string{}
		for _, n := range got {
			seen[n.Relationship.Key] = fmt.Sprintf("%v %s", n.Outgoing, n.Entity.Key)
		}
		want := map[string]string{ab.Key: "true " + b.Key, ca.Key: "false " + c.Key, ac.Key: "true " + c.Key}
		if fmt.Sprint(seen) != fmt.Sprint(want) {
			t.Errorf("neighbors = %v, want %v", seen, want)
		}
		got, err = s.Neighbors(ctx, scopeA, a.Key, store.NeighborFilter{RelationshipType: ac.Type})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Relationship.Key != ac.Key || got[0].Entity.Type != "suite_host" {
			t.Errorf("type filter gave %+v", got)
		}
		sync(t, s, scopeA, 2, store.Batch{Entities: ents(a, b), Relationships: rels(ab)}, syncOpts{})
		live, err := s.Neighbors(ctx, scopeA, a.Key, store.NeighborFilter{})
		if err != nil {
			t.Fatal(err)
		}
		all, err := s.Neighbors(ctx, scopeA, a.Key, store.NeighborFilter{IncludeDeleted: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(live) != 1 || len(all) != 3 {
			t.Errorf("after deleting c: %d live and %d in all, want 1 and 3", len(live), len(all))
		}
	})

	t.Run("counts", func(t *testing.T) {
		s := openStore(t, open)
		a, b := host("a"), host("b")
		sync(t, s, scopeA, 1, store.Batch{Entities: ents(a, b, finding("1", 3)), Relationships: rels(has(a, b))}, syncOpts{})
		sync(t, s, scopeB, 2, store.Batch{Entities: ents(host("z"))}, syncOpts{})
		sync(t, s, scopeA, 3, store.Batch{Entities: ents(a, b), Relationships: rels(has(a, b))}, syncOpts{})
		ec, rc, err := s.Counts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ec) != "map[suite_host:3]" || fmt.Sprint(rc) != "map[suite_host_has_host:1]" {
			t.Errorf("counts = %v %v", ec, rc)
		}
	})

	t.Run("query over the documented schema", func(t *testing.T) {
		s := openStore(t, open)
		ctx := context.Background()
		a, b := host("a", "port", int64(22)), host("b", "port", int64(443))
		f := finding("1", 4)
		sync(t, s, scopeA, 1, store.Batch{Entities: ents(a, b, f), Relationships: rels(has(a, b))}, syncOpts{})
		d := s.Dialect()
		q := `SELECT e.key, e.version, e.scope FROM entities e
			JOIN entity_classes c ON c.entity_id = e.id
			WHERE c.class = ` + placeholder(d, 1) + ` AND NOT e.deleted ORDER BY e.key`
		var rows [][]any
		err := s.Query(ctx, q, []any{"Host"}, func(row []any) error {
			rows = append(rows, row)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprint([][]any{{a.Key, int64(1), scopeA}, {b.Key, int64(1), scopeA}})
		if fmt.Sprint(rows) != want {
			t.Errorf("rows = %v, want %v", rows, want)
		}
		for _, r := range rows {
			if _, ok := r[1].(int64); !ok {
				t.Errorf("version came back as %T, want int64", r[1])
			}
		}
		q = `SELECT count(*) FROM relationships r JOIN entities f ON f.id = r.from_id JOIN entities t ON t.id = r.to_id
			WHERE r.class = ` + placeholder(d, 1) + ` AND f.key = ` + placeholder(d, 2) + ` AND t.key = ` + placeholder(d, 3)
		var n any
		err = s.Query(ctx, q, []any{"HAS", a.Key, b.Key}, func(row []any) error { n = row[0]; return nil })
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(1) {
			t.Errorf("relationship count = %#v, want int64 1", n)
		}
		if err := s.Query(ctx, `SELECT * FROM no_such_table`, nil, func([]any) error { return nil }); err == nil {
			t.Error("a bad query succeeded")
		}
		write := `DELETE FROM entities`
		if err := s.Query(ctx, write, nil, func([]any) error { return nil }); err == nil {
			t.Error("Query ran a write")
		}
		if got := getEntity(t, s, scopeA, a.Key); got.Deleted {
			t.Error("entity gone after a write through Query")
		}
	})
}

func runStateJobCases(t *testing.T, open Opener) {
	t.Run("state", func(t *testing.T) {
		s := openStore(t, open)
		ctx := context.Background()
		type marks struct {
			Detections time.Time `json:"detections"`
			Pages      int       `json:"pages"`
		}
		in := marks{Detections: t0, Pages: 3}
		if err := s.PutState(ctx, scopeA, "highWater", in); err != nil {
			t.Fatal(err)
		}
		if err := s.PutState(ctx, scopeA, "highWater", marks{Detections: t0.Add(time.Hour), Pages: 4}); err != nil {
			t.Fatal(err)
		}
		var out marks
		if err := s.GetState(ctx, scopeA, "highWater", &out); err != nil {
			t.Fatal(err)
		}
		if !out.Detections.Equal(t0.Add(time.Hour)) || out.Pages != 4 {
			t.Errorf("state = %+v", out)
		}
		wantErrIs(t, s.GetState(ctx, scopeB, "highWater", &out), store.ErrNotFound)
	})

	t.Run("jobs", func(t *testing.T) {
		s := openStore(t, open)
		ctx := context.Background()
		jobs := []store.Job{
			{ID: "job-1", Scope: scopeA, Status: "succeeded", StartedAt: at(1), FinishedAt: at(1).Add(time.Minute), Report: json.RawMessage(`{"entities":3}`)},
			{ID: "job-2", Scope: scopeB, Status: "failed", StartedAt: at(2)},
			{ID: "job-3", Scope: scopeA, Status: "running", StartedAt: at(3)},
		}
		for i := range jobs {
			if err := s.SaveJob(ctx, &jobs[i]); err != nil {
				t.Fatal(err)
			}
		}
		jobs[2].Status, jobs[2].FinishedAt = "succeeded", at(3).Add(time.Second)
		if err := s.SaveJob(ctx, &jobs[2]); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetJob(ctx, "job-1")
		if err != nil {
			t.Fatal(err)
		}
		var report map[string]int
		if err := json.Unmarshal(got.Report, &report); err != nil || report["entities"] != 3 {
			t.Errorf("report = %s (%v)", got.Report, err)
		}
		if got.Scope != scopeA || got.Status != "succeeded" || !got.StartedAt.Equal(at(1)) || !got.FinishedAt.Equal(at(1).Add(time.Minute)) {
			t.Errorf("job = %+v", got)
		}
		list, err := s.ListJobs(ctx, store.JobFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, j := range list {
			ids = append(ids, j.ID+":"+j.Status)
		}
		if fmt.Sprint(ids) != "[job-3:succeeded job-2:failed job-1:succeeded]" {
			t.Errorf("jobs newest first = %v", ids)
		}
		list, err = s.ListJobs(ctx, store.JobFilter{Scope: scopeA, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].ID != "job-3" {
			t.Errorf("scope A limit 1 = %+v", list)
		}
		if j2, err := s.GetJob(ctx, "job-2"); err != nil || !j2.FinishedAt.IsZero() || j2.Report != nil {
			t.Errorf("job-2 = %+v, %v; want no finish time and no report", j2, err)
		}
	})
}
