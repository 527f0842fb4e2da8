package storetest

import (
	"context"
	"reflect"
	"testing"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// scans returns a mapped relationship from a scanner to the host with the
// given hostId.
func scans(id string, hostID int64) graph.MappedRelationship {
	return graph.MappedRelationship{
		Key: "mapping-" + id + "-key", Type: "suite_scanner_scans_host", Class: "SCANS",
		Direction: graph.Forward, SourceKey: "scanner-0001-key",
		TargetFilterKeys: [][]string{{"_type", "hostId"}, {"_key"}},
		TargetEntity: graph.Entity{
			Key: "host-" + id + "-key", Type: "suite_host", Class: []string{"Host"},
			Properties: graph.Properties{"hostId": hostID, "name": "host " + id},
		},
		Properties: graph.Properties{"since": "2026"},
	}
}

func runMappingCases(t *testing.T, open Opener) {
	t.Run("stored per scope with seq and versions", func(t *testing.T) {
		s := openStore(t, open)
		ctx := context.Background()
		m1, m2, m3 := scans("1", 1), scans("2", 2), scans("3", 3)
		m3.SkipTargetCreation = true
		m3.Direction = graph.Reverse
		res := sync(t, s, scopeA, 1, store.Batch{Mappings: []graph.MappedRelationship{m1, m2, m3}}, syncOpts{})
		wantCounts(t, "sync 1", res.Mappings, m1.Type, store.TypeCounts{Created: 3})
		all, err := s.ListMappings(ctx, store.MappingFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 3 {
			t.Fatalf("ListMappings returned %d, want 3", len(all))
		}
		var last int64
		for _, m := range all {
			if m.Seq <= last {
				t.Errorf("seq %d of %s does not increase", m.Seq, m.Key)
			}
			last = m.Seq
			if m.Scope != scopeA || m.Version != 1 || m.JobID != "job-1" {
				t.Errorf("mapping meta = %+v", m.Meta)
			}
			if m.Key == m3.Key {
				wantMapping(t, m.MappedRelationship, m3)
			}
		}

		// Unchanged: no seq moves. Changed: seq moves past every earlier one.
		m2b := scans("2", 20)
		res = sync(t, s, scopeA, 2, store.Batch{Mappings: []graph.MappedRelationship{m1, m2b, m3}}, syncOpts{})
		wantCounts(t, "sync 2", res.Mappings, m1.Type, store.TypeCounts{Unchanged: 2, Updated: 1})
		after, err := s.ListMappings(ctx, store.MappingFilter{AfterSeq: last})
		if err != nil {
			t.Fatal(err)
		}
		if len(after) != 1 || after[0].Key != m2.Key || after[0].Version != 2 || after[0].TargetEntity.Properties["hostId"] != int64(20) {
			t.Fatalf("mappings after seq %d = %+v, want only the changed %s as version 2", last, after, m2.Key)
		}
		last = after[0].Seq

		// Deleted (unseen in Replace): seq moves, listed only with IncludeDeleted.
		res = sync(t, s, scopeA, 3, store.Batch{Mappings: []graph.MappedRelationship{m1, m2b}}, syncOpts{})
		wantCounts(t, "sync 3", res.Mappings, m1.Type, store.TypeCounts{Unchanged: 2, Deleted: 1})
		live, err := s.ListMappings(ctx, store.MappingFilter{AfterSeq: last})
		if err != nil {
			t.Fatal(err)
		}
		if len(live) != 0 {
			t.Errorf("deleted mapping listed without IncludeDeleted: %+v", live)
		}
		withDeleted, err := s.ListMappings(ctx, store.MappingFilter{AfterSeq: last, IncludeDeleted: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(withDeleted) != 1 || withDeleted[0].Key != m3.Key || !withDeleted[0].Deleted || withDeleted[0].Seq <= last {
			t.Errorf("mappings after seq %d with deleted = %+v, want the deleted %s", last, withDeleted, m3.Key)
		}
		last = withDeleted[0].Seq

		// Revived: counted as created, a new version with a new seq.
		res = sync(t, s, scopeA, 4, store.Batch{Mappings: []graph.MappedRelationship{m1, m2b, m3}}, syncOpts{})
		wantCounts(t, "sync 4", res.Mappings, m1.Type, store.TypeCounts{Unchanged: 2, Created: 1})
		revived, err := s.ListMappings(ctx, store.MappingFilter{AfterSeq: last})
		if err != nil {
			t.Fatal(err)
		}
		if len(revived) != 1 || revived[0].Key != m3.Key || revived[0].Deleted || revived[0].Version != 3 {
			t.Errorf("mappings after seq %d = %+v, want the revived %s as version 3", last, revived, m3.Key)
		}
	})

	t.Run("filters by scope and limit", func(t *testing.T) {
		s := openStore(t, open)
		sync(t, s, scopeA, 1, store.Batch{Mappings: []graph.MappedRelationship{scans("1", 1), scans("2", 2)}}, syncOpts{})
		sync(t, s, scopeB, 2, store.Batch{Mappings: []graph.MappedRelationship{scans("1", 1)}}, syncOpts{})
		got, err := s.ListMappings(context.Background(), store.MappingFilter{Scope: scopeB})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Scope != scopeB {
			t.Errorf("scope filter returned %+v", got)
		}
		got, err = s.ListMappings(context.Background(), store.MappingFilter{Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Errorf("limit 2 returned %d", len(got))
		}
	})

	t.Run("merge mode deletes named mappings", func(t *testing.T) {
		s := openStore(t, open)
		sync(t, s, store.MapperScope, 1, store.Batch{Mappings: []graph.MappedRelationship{scans("1", 1), scans("2", 2)}}, syncOpts{mode: store.Merge})
		res := sync(t, s, store.MapperScope, 2, store.Batch{}, syncOpts{mode: store.Merge,
			deletes: []store.ObjectRef{{Kind: store.KindMapping, Key: scans("1", 1).Key}}})
		wantCounts(t, "merge delete", res.Mappings, scans("1", 1).Type, store.TypeCounts{Deleted: 1})
		got, err := s.ListMappings(context.Background(), store.MappingFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Key != scans("2", 2).Key {
			t.Errorf("live mappings = %+v, want only mapping 2", got)
		}
	})
}

// wantMapping compares a stored mapped relationship with what was put.
func wantMapping(t *testing.T, got, want graph.MappedRelationship) {
	t.Helper()
	if got.Key != want.Key || got.Type != want.Type || got.Class != want.Class || got.Direction != want.Direction ||
		got.SourceKey != want.SourceKey || got.SkipTargetCreation != want.SkipTargetCreation ||
		!reflect.DeepEqual(got.TargetFilterKeys, want.TargetFilterKeys) ||
		got.TargetEntity.Key != want.TargetEntity.Key || got.TargetEntity.Type != want.TargetEntity.Type ||
		!reflect.DeepEqual(got.TargetEntity.Class, want.TargetEntity.Class) ||
		!sameProps(got.TargetEntity.Properties, want.TargetEntity.Properties) || !sameProps(got.Properties, want.Properties) {
		t.Errorf("mapping reads back as\n%+v\nwant\n%+v", got, want)
	}
}
