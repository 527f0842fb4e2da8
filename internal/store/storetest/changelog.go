package storetest

import (
	"context"
	"testing"

	"github.com/qgraph/qgraph/internal/store"
)

func runChangeLogCases(t *testing.T, open Opener) {
	t.Run("created updated and deleted with old and new values", func(t *testing.T) {
		s := openStore(t, open)
		ctx := context.Background()
		a, b := host("a", "ip", "10.0.0.1"), host("b")
		ab := has(a, b)
		sync(t, s, scopeA, 1, store.Batch{Entities: ents(a, b), Relationships: rels(ab)}, syncOpts{})
		sync(t, s, scopeA, 2, store.Batch{Entities: ents(host("a", "ip", "10.0.0.2"), b), Relationships: rels(ab)}, syncOpts{})
		sync(t, s, scopeA, 3, store.Batch{Entities: ents(host("a", "ip", "10.0.0.2"))}, syncOpts{})

		all, err := s.Changes(ctx, store.ChangeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		type want struct {
			kind     store.ObjectKind
			key      string
			op       store.ChangeOp
			job      string
			oldIP    any
			newIP    any
			hasOld   bool
			hasNew   bool
			syncTime int
		}
		wants := []want{
			{store.KindEntity, a.Key, store.Created, "job-1", nil, "10.0.0.1", false, true, 1},
			{store.KindEntity, b.Key, store.Created, "job-1", nil, nil, false, true, 1},
			{store.KindRelationship, ab.Key, store.Created, "job-1", nil, nil, false, true, 1},
			{store.KindEntity, a.Key, store.Updated, "job-2", "10.0.0.1", "10.0.0.2", true, true, 2},
			{store.KindEntity, b.Key, store.Deleted, "job-3", nil, nil, true, false, 3},
			{store.KindRelationship, ab.Key, store.Deleted, "job-3", nil, nil, true, false, 3},
		}
		if len(all) != len(wants) {
			for _, c := range all {
				t.Logf("change %d: %s %s %s %s", c.Seq, c.Kind, c.Key, c.Op, c.JobID)
			}
			t.Fatalf("%d changes, want %d", len(all), len(wants))
		}
		// Changes within one sync may come in any order; match by identity.
		var last int64
		for _, c := range all {
			if c.Seq <= last {
				t.Errorf("seq %d after %d", c.Seq, last)
			}
			last = c.Seq
			found := false
			for _, w := range wants {
				if w.kind != c.Kind || w.key != c.Key || w.op != c.Op {
					continue
				}
				found = true
				if c.JobID != w.job || !c.At.Equal(at(w.syncTime)) || c.Scope != scopeA {
					t.Errorf("change %s %s %s: job %s at %v scope %s, want %s at %v", c.Kind, c.Key, c.Op, c.JobID, c.At, c.Scope, w.job, at(w.syncTime))
				}
				if (c.Old != nil) != w.hasOld || (c.New != nil) != w.hasNew {
					t.Errorf("change %s %s %s: old %v new %v, want old present %v new present %v", c.Kind, c.Key, c.Op, c.Old, c.New, w.hasOld, w.hasNew)
				}
				if w.oldIP != nil && c.Old["ip"] != w.oldIP {
					t.Errorf("change %s %s: old ip %v, want %v", c.Key, c.Op, c.Old["ip"], w.oldIP)
				}
				if w.newIP != nil && c.New["ip"] != w.newIP {
					t.Errorf("change %s %s: new ip %v, want %v", c.Key, c.Op, c.New["ip"], w.newIP)
				}
				if c.Kind == store.KindEntity && c.Type != "suite_host" {
					t.Errorf("change %s: type %q", c.Key, c.Type)
				}
			}
			if !found {
				t.Errorf("unexpected change %s %s %s", c.Kind, c.Key, c.Op)
			}
		}

		page, err := s.Changes(ctx, store.ChangeFilter{AfterSeq: all[2].Seq, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != 2 || page[0].Seq != all[3].Seq || page[1].Seq != all[4].Seq {
			t.Errorf("page after seq %d limit 2 = %d changes", all[2].Seq, len(page))
		}
		typed, err := s.Changes(ctx, store.ChangeFilter{Type: ab.Type})
		if err != nil {
			t.Fatal(err)
		}
		if len(typed) != 2 {
			t.Errorf("type filter: %d changes, want 2", len(typed))
		}
		other, err := s.Changes(ctx, store.ChangeFilter{Scope: scopeB})
		if err != nil {
			t.Fatal(err)
		}
		if len(other) != 0 {
			t.Errorf("scope filter: %d changes of an unsynced scope", len(other))
		}
	})

	t.Run("cascaded deletes are logged in the relationship's scope", func(t *testing.T) {
		s := openStore(t, open)
		a := host("a")
		sync(t, s, scopeA, 1, store.Batch{Entities: ents(a)}, syncOpts{})
		x := finding("x", 3)
		xa := has(x, a)
		xa.ToScope = scopeA
		sync(t, s, scopeB, 2, store.Batch{Entities: ents(x), Relationships: rels(xa)}, syncOpts{})
		sync(t, s, scopeA, 3, store.Batch{}, syncOpts{})
		got, err := s.Changes(context.Background(), store.ChangeFilter{Scope: scopeB, Type: xa.Type})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[1].Op != store.Deleted || got[1].JobID != "job-3" {
			t.Errorf("changes of the cross-scope relationship = %+v, want created then deleted by job-3", got)
		}
	})
}
