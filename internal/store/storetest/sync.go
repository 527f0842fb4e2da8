package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

func runSyncCases(t *testing.T, open Opener) {
	t.Run("create update unchanged and history", func(t *testing.T) {
		s := openStore(t, open)
		a, b := host("a", "ip", "10.0.0.1"), host("b")
		res := sync(t, s, scopeA, 1, store.Batch{Entities: ents(a, b)}, syncOpts{})
		wantCounts(t, "sync 1", res.Entities, "suite_host", store.TypeCounts{Created: 2})

		a2 := host("a", "ip", "10.0.0.2")
		res = sync(t, s, scopeA, 2, store.Batch{Entities: ents(a2, b)}, syncOpts{})
		wantCounts(t, "sync 2", res.Entities, "suite_host", store.TypeCounts{Updated: 1, Unchanged: 1})

		got := getEntity(t, s, scopeA, a.Key)
		if got.Version != 2 || got.Deleted || got.JobID != "job-2" || !got.BeginOn.Equal(at(2)) || !got.EndOn.IsZero() {
			t.Errorf("current version of a = %+v, want version 2 of job-2 begun at %v", got.Meta, at(2))
		}
		if got.Properties["ip"] != "10.0.0.2" {
			t.Errorf("a.ip = %v, want 10.0.0.2", got.Properties["ip"])
		}
		if gb := getEntity(t, s, scopeA, b.Key); gb.Version != 1 || gb.JobID != "job-1" {
			t.Errorf("unchanged b got a new version: %+v", gb.Meta)
		}
		hist, err := s.EntityHistory(context.Background(), scopeA, a.Key)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 2 {
			t.Fatalf("history of a has %d versions, want 2", len(hist))
		}
		v1 := hist[0]
		if v1.Version != 1 || v1.Properties["ip"] != "10.0.0.1" || !v1.BeginOn.Equal(at(1)) || !v1.EndOn.Equal(at(2)) || v1.JobID != "job-1" {
			t.Errorf("version 1 of a = %+v %v, want ip 10.0.0.1 from %v to %v", v1.Meta, v1.Properties, at(1), at(2))
		}
		if hist[1].Version != 2 || !hist[1].EndOn.IsZero() {
			t.Errorf("version 2 of a = %+v, want current", hist[1].Meta)
		}
		if hist[0].ID != hist[1].ID {
			t.Errorf("id changed between versions: %d then %d", hist[0].ID, hist[1].ID)
		}
	})

	t.Run("unchanged re-sync writes nothing", func(t *testing.T) {
		s := openStore(t, open)
		batch := store.Batch{Entities: ents(host("a"), host("b")), Relationships: rels(has(host("a"), host("b")))}
		sync(t, s, scopeA, 1, batch, syncOpts{})
		before := mustSnapshot(t, s)
		res := sync(t, s, scopeA, 2, batch, syncOpts{})
		wantCounts(t, "re-sync", res.Entities, "suite_host", store.TypeCounts{Unchanged: 2})
		wantCounts(t, "re-sync", res.Relationships, "suite_host_has_host", store.TypeCounts{Unchanged: 1})
		wantUnchanged(t, s, before)
	})

	t.Run("a real change of type class or properties makes a version", func(t *testing.T) {
		cases := []struct {
			name   string
			change func(e *graph.Entity)
			want   bool
		}{
			{"same", func(e *graph.Entity) {}, false},
			{"property order and copies do not matter", func(e *graph.Entity) { e.Properties = e.Properties.Clone() }, false},
			{"new property", func(e *graph.Entity) { e.Properties["os"] = "linux" }, true},
			{"removed property", func(e *graph.Entity) { delete(e.Properties, "ip") }, true},
			{"int to float", func(e *graph.Entity) { e.Properties["port"] = 22.0 }, true},
			{"null to missing", func(e *graph.Entity) { delete(e.Properties, "owner") }, true},
			{"type", func(e *graph.Entity) { e.Type = "suite_other_host" }, true},
			{"class", func(e *graph.Entity) { e.Class = []string{"Host", "Device"} }, true},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s := openStore(t, open)
				e := host("a", "ip", "10.0.0.1", "port", int64(22), "owner", nil)
				sync(t, s, scopeA, 1, store.Batch{Entities: ents(e)}, syncOpts{})
				e2 := e
				e2.Properties = e.Properties.Clone()
				tc.change(&e2)
				sync(t, s, scopeA, 2, store.Batch{Entities: ents(e2)}, syncOpts{})
				got := getEntity(t, s, scopeA, e.Key)
				if changed := got.Version == 2; changed != tc.want {
					t.Errorf("version = %d; want a new version: %v", got.Version, tc.want)
				}
				if got.Type != e2.Type || len(got.Class) != len(e2.Class) || !sameProps(got.Properties, e2.Properties) {
					t.Errorf("stored %s %v %v, want %s %v %v", got.Type, got.Class, got.Properties, e2.Type, e2.Class, e2.Properties)
				}
			})
		}
	})

	t.Run("replace soft-deletes unseen objects except partial types", func(t *testing.T) {
		s := openStore(t, open)
		h1, h2, f1, f2 := host("1"), host("2"), finding("1", 3), finding("2", 4)
		sync(t, s, scopeA, 1, store.Batch{Entities: ents(h1, h2, f1, f2)}, syncOpts{})
		res := sync(t, s, scopeA, 2, store.Batch{Entities: ents(h1, f1)}, syncOpts{partial: []string{"suite_finding"}})
		wantCounts(t, "sync 2", res.Entities, "suite_host", store.TypeCounts{Unchanged: 1, Deleted: 1})
		wantCounts(t, "sync 2", res.Entities, "suite_finding", store.TypeCounts{Unchanged: 1})
		if g := getEntity(t, s, scopeA, h2.Key); !g.Deleted || g.Version != 2 || !g.BeginOn.Equal(at(2)) {
			t.Errorf("unseen host = %+v, want deleted as version 2 at %v", g.Meta, at(2))
		}
		if g := getEntity(t, s, scopeA, f2.Key); g.Deleted || g.Version != 1 {
			t.Errorf("unseen finding of a partial type = %+v, want kept", g.Meta)
		}
	})

	t.Run("replace leaves other scopes alone", func(t *testing.T) {
		s := openStore(t, open)
		sync(t, s, scopeA, 1, store.Batch{Entities: ents(host("1"))}, syncOpts{})
		sync(t, s, scopeB, 2, store.Batch{Entities: ents(host("1"), host("2"))}, syncOpts{})
		sync(t, s, scopeA, 3, store.Batch{}, syncOpts{})
		if g := getEntity(t, s, scopeB, host("1").Key); g.Deleted {
			t.Errorf("entity of scope B was deleted by a sync of scope A")
		}
		if g := getEntity(t, s, scopeA, host("1").Key); !g.Deleted {
			t.Errorf("entity of scope A survived an empty replace sync")
		}
	})

	t.Run("same key in two scopes is two objects", func(t *testing.T) {
		s := openStore(t, open)
		sync(t, s, scopeA, 1, store.Batch{Entities: ents(host("1", "where", "a"))}, syncOpts{})
		sync(t, s, scopeB, 2, store.Batch{Entities: ents(host("1", "where", "b"))}, syncOpts{})
		a, b := getEntity(t, s, scopeA, host("1").Key), getEntity(t, s, scopeB, host("1").Key)
		if a.ID == b.ID || a.Properties["where"] != "a" || b.Properties["where"] != "b" {
			t.Errorf("scopes share an object: %+v / %+v", a, b)
		}
	})

	t.Run("merge mode upserts and deletes only what it names", func(t *testing.T) {
		s := openStore(t, open)
		sync(t, s, store.MapperScope, 1, store.Batch{Entities: ents(host("1"), host("2"), host("3"))}, syncOpts{mode: store.Merge})
		res := sync(t, s, store.MapperScope, 2, store.Batch{Entities: ents(host("4"), host("1", "x", int64(1)))}, syncOpts{
			mode:    store.Merge,
			deletes: []store.ObjectRef{{Kind: store.KindEntity, Key: host("2").Key}, {Kind: store.KindEntity, Key: "host-missing-key"}},
		})
		wantCounts(t, "merge", res.Entities, "suite_host", store.TypeCounts{Created: 1, Updated: 1, Deleted: 1})
		for id, wantDeleted := range map[string]bool{"1": false, "2": true, "3": false, "4": false} {
			if g := getEntity(t, s, store.MapperScope, host(id).Key); g.Deleted != wantDeleted {
				t.Errorf("host %s deleted = %v, want %v", id, g.Deleted, wantDeleted)
			}
		}
	})

	t.Run("a delete drops an earlier put and a later put cancels the delete", func(t *testing.T) {
		s := openStore(t, open)
		ctx := context.Background()
		sync(t, s, store.MapperScope, 1, store.Batch{Entities: ents(host("1"), host("2"))}, syncOpts{mode: store.Merge})
		sess, err := s.BeginSync(ctx, store.SyncParams{Scope: store.MapperScope, JobID: "job-2", Mode: store.Merge, Now: at(2)})
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Abort(ctx)
		batches := []store.Batch{
			{Entities: ents(host("3"))},
			{Deletes: []store.ObjectRef{{Kind: store.KindEntity, Key: host("3").Key}, {Kind: store.KindEntity, Key: host("1").Key}}},
			{Entities: ents(host("1", "back", true))},
		}
		for _, b := range batches {
			if err := sess.Put(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		res, err := sess.Commit(ctx, store.CommitParams{})
		if err != nil {
			t.Fatal(err)
		}
		wantCounts(t, "merge", res.Entities, "suite_host", store.TypeCounts{Updated: 1})
		if _, err := s.GetEntity(ctx, store.MapperScope, host("3").Key); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("entity put then deleted in one sync: GetEntity error %v, want ErrNotFound", err)
		}
		if g := getEntity(t, s, store.MapperScope, host("1").Key); g.Deleted || g.Properties["back"] != true {
			t.Errorf("entity deleted then put again = %+v %v, want live with back=true", g.Meta, g.Properties)
		}
		if g := getEntity(t, s, store.MapperScope, host("2").Key); g.Deleted || g.Version != 1 {
			t.Errorf("untouched entity = %+v", g.Meta)
		}
	})

	t.Run("later objects with the same key replace earlier ones", func(t *testing.T) {
		s := openStore(t, open)
		ctx := context.Background()
		sess, err := s.BeginSync(ctx, store.SyncParams{Scope: scopeA, JobID: "job-1", Now: at(1)})
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Abort(ctx)
		for _, v := range []string{"first", "second", "third"} {
			if err := sess.Put(ctx, store.Batch{Entities: ents(host("1", "v", v), host("1", "v", v+"!"))}); err != nil {
				t.Fatal(err)
			}
		}
		res, err := sess.Commit(ctx, store.CommitParams{})
		if err != nil {
			t.Fatal(err)
		}
		wantCounts(t, "dedupe", res.Entities, "suite_host", store.TypeCounts{Created: 1})
		if g := getEntity(t, s, scopeA, host("1").Key); g.Properties["v"] != "third!" || g.Version != 1 {
			t.Errorf("stored %v version %d, want the last put (third!) as version 1", g.Properties["v"], g.Version)
		}
	})

	t.Run("deleted objects that re-appear are revived", func(t *testing.T) {
		s := openStore(t, open)
		sync(t, s, scopeA, 1, store.Batch{Entities: ents(host("1"))}, syncOpts{})
		sync(t, s, scopeA, 2, store.Batch{}, syncOpts{})
		res := sync(t, s, scopeA, 3, store.Batch{Entities: ents(host("1"))}, syncOpts{})
		wantCounts(t, "revive", res.Entities, "suite_host", store.TypeCounts{Created: 1})
		g := getEntity(t, s, scopeA, host("1").Key)
		if g.Deleted || g.Version != 3 || g.JobID != "job-3" {
			t.Errorf("revived entity = %+v, want live version 3", g.Meta)
		}
		hist, err := s.EntityHistory(context.Background(), scopeA, host("1").Key)
		if err != nil {
			t.Fatal(err)
		}
		var flags []bool
		for _, h := range hist {
			flags = append(flags, h.Deleted)
		}
		if len(hist) != 3 || !hist[1].Deleted || hist[0].Deleted || hist[2].Deleted {
			t.Errorf("history deleted flags = %v, want [false true false]", flags)
		}
	})

	t.Run("session misuse", func(t *testing.T) {
		s := openStore(t, open)
		ctx := context.Background()
		sess, err := s.BeginSync(ctx, store.SyncParams{Scope: scopeA, JobID: "job-1"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.BeginSync(ctx, store.SyncParams{Scope: scopeA, JobID: "job-2"})
		wantErrIs(t, err, store.ErrSyncInProgress)
		other, err := s.BeginSync(ctx, store.SyncParams{Scope: scopeB, JobID: "job-3"})
		if err != nil {
			t.Fatalf("sync of another scope while one is open: %v", err)
		}
		other.Abort(ctx)
		if _, err := sess.Commit(ctx, store.CommitParams{}); err != nil {
			t.Fatal(err)
		}
		wantErrIs(t, sess.Put(ctx, store.Batch{Entities: ents(host("1"))}), store.ErrSyncClosed)
		_, err = sess.Commit(ctx, store.CommitParams{})
		wantErrIs(t, err, store.ErrSyncClosed)
		if err := sess.Abort(ctx); err != nil {
			t.Errorf("Abort after Commit: %v", err)
		}
		again, err := s.BeginSync(ctx, store.SyncParams{Scope: scopeA, JobID: "job-4"})
		if err != nil {
			t.Fatalf("sync after a committed one: %v", err)
		}
		again.Abort(ctx)
		if _, err := s.BeginSync(ctx, store.SyncParams{Scope: "", JobID: "job-5"}); err == nil {
			t.Errorf("BeginSync with an empty scope succeeded")
		}
	})

	t.Run("validation errors name the object and property and change nothing", func(t *testing.T) {
		s := openStore(t, open)
		sync(t, s, scopeA, 1, store.Batch{Entities: ents(host("1"))}, syncOpts{})
		before := mustSnapshot(t, s)
		bad := host("2")
		delete(bad.Properties, "displayName")
		badRel := has(host("1"), host("2"))
		badRel.Class = "has"
		_, err := trySync(context.Background(), s, scopeA, 2, store.Batch{
			Entities: ents(host("1", "x", "changed"), bad), Relationships: rels(badRel),
		}, syncOpts{})
		if err == nil {
			t.Fatal("sync with invalid objects succeeded")
		}
		var verr *graph.ValidationError
		if !errors.As(err, &verr) {
			t.Errorf("error %v holds no *graph.ValidationError", err)
		}
		for _, want := range []string{bad.Key, "displayName", badRel.Key, "_class"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %q", err, want)
			}
		}
		wantUnchanged(t, s, before)
	})
}
