package storetest

import (
	"context"
	"testing"

	"github.com/qgraph/qgraph/internal/store"
)

func runRelationshipCases(t *testing.T, open Opener) {
	t.Run("create update and unchanged", func(t *testing.T) {
		s := openStore(t, open)
		a, b, c := host("a"), host("b"), host("c")
		r := has(a, b, "weight", int64(1))
		res := sync(t, s, scopeA, 1, store.Batch{Entities: ents(a, b, c), Relationships: rels(r)}, syncOpts{})
		wantCounts(t, "sync 1", res.Relationships, r.Type, store.TypeCounts{Created: 1})
		got := getRel(t, s, scopeA, r.Key)
		if got.FromKey != a.Key || got.ToKey != b.Key || got.Class != "HAS" || got.Type != r.Type || got.Version != 1 ||
			got.FromScope != "" || got.ToScope != "" || got.Properties["weight"] != int64(1) {
			t.Errorf("stored relationship = %+v", got)
		}
		ea, eb := getEntity(t, s, scopeA, a.Key), getEntity(t, s, scopeA, b.Key)
		if got.FromID != ea.ID || got.ToID != eb.ID {
			t.Errorf("endpoint ids = %d->%d, want %d->%d", got.FromID, got.ToID, ea.ID, eb.ID)
		}

		r2 := has(a, b, "weight", int64(2))
		res = sync(t, s, scopeA, 2, store.Batch{Entities: ents(a, b, c), Relationships: rels(r2)}, syncOpts{})
		wantCounts(t, "properties changed", res.Relationships, r.Type, store.TypeCounts{Updated: 1})
		if got := getRel(t, s, scopeA, r.Key); got.Version != 2 || got.Properties["weight"] != int64(2) {
			t.Errorf("after a property change: version %d weight %v", got.Version, got.Properties["weight"])
		}

		r3 := r2
		r3.ToKey = c.Key
		res = sync(t, s, scopeA, 3, store.Batch{Entities: ents(a, b, c), Relationships: rels(r3)}, syncOpts{})
		wantCounts(t, "endpoint changed", res.Relationships, r.Type, store.TypeCounts{Updated: 1})
		if got := getRel(t, s, scopeA, r.Key); got.Version != 3 || got.ToKey != c.Key {
			t.Errorf("after an endpoint change: version %d to %s", got.Version, got.ToKey)
		}

		res = sync(t, s, scopeA, 4, store.Batch{Entities: ents(a, b, c), Relationships: rels(r3)}, syncOpts{})
		wantCounts(t, "same again", res.Relationships, r.Type, store.TypeCounts{Unchanged: 1})
	})

	t.Run("deleting an entity deletes its relationships in every scope", func(t *testing.T) {
		s := openStore(t, open)
		a, b, c := host("a"), host("b"), host("c")
		ab, bc := has(a, b), has(b, c)
		sync(t, s, scopeA, 1, store.Batch{Entities: ents(a, b, c), Relationships: rels(ab, bc)}, syncOpts{})
		// scope B links its own entity to b of scope A.
		x := finding("x", 3)
		xb := has(x, b)
		xb.ToScope = scopeA
		res := sync(t, s, scopeB, 2, store.Batch{Entities: ents(x), Relationships: rels(xb)}, syncOpts{})
		wantCounts(t, "cross-scope", res.Relationships, xb.Type, store.TypeCounts{Created: 1})
		if got := getRel(t, s, scopeB, xb.Key); got.ToScope != scopeA || got.ToKey != b.Key || got.FromScope != "" {
			t.Errorf("cross-scope relationship reads back as %s/%s -> %s/%s", got.FromScope, got.FromKey, got.ToScope, got.ToKey)
		}

		res = sync(t, s, scopeA, 3, store.Batch{Entities: ents(a, c), Relationships: rels(ab, bc)}, syncOpts{})
		wantCounts(t, "entities", res.Entities, "suite_host", store.TypeCounts{Unchanged: 2, Deleted: 1})
		if res.DanglingCount != 2 {
			t.Errorf("DanglingCount = %d, want 2 (both relationships name the deleted b)", res.DanglingCount)
		}
		for _, k := range []struct{ scope, key string }{{scopeA, ab.Key}, {scopeA, bc.Key}, {scopeB, xb.Key}} {
			if got := getRel(t, s, k.scope, k.key); !got.Deleted || got.Version != 2 {
				t.Errorf("relationship %s of %s = %+v, want deleted as version 2", k.key, k.scope, got.Meta)
			}
		}
		nbs, err := s.Neighbors(context.Background(), scopeA, a.Key, store.NeighborFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(nbs) != 0 {
			t.Errorf("a still has %d live neighbors", len(nbs))
		}
		_, rc, err := s.Counts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for typ, n := range rc {
			if n != 0 {
				t.Errorf("Counts: %d live relationships of %s, want 0", n, typ)
			}
		}
	})

	t.Run("merge delete of an entity cascades", func(t *testing.T) {
		s := openStore(t, open)
		a, b := host("a"), host("b")
		sync(t, s, scopeA, 1, store.Batch{Entities: ents(a, b), Relationships: rels(has(a, b))}, syncOpts{})
		res := sync(t, s, scopeA, 2, store.Batch{}, syncOpts{mode: store.Merge, deletes: []store.ObjectRef{{Kind: store.KindEntity, Key: b.Key}}})
		wantCounts(t, "cascade", res.Relationships, has(a, b).Type, store.TypeCounts{Deleted: 1})
		if got := getRel(t, s, scopeA, has(a, b).Key); !got.Deleted {
			t.Errorf("relationship to a deleted entity is live")
		}
	})

	t.Run("dangling relationships are counted and not stored", func(t *testing.T) {
		s := openStore(t, open)
		a := host("a")
		missing := has(a, host("nowhere"))
		otherScope := has(a, host("b"))
		otherScope.ToScope = scopeB // b exists only in scope A
		res := sync(t, s, scopeA, 1, store.Batch{Entities: ents(a, host("b")), Relationships: rels(missing, otherScope)}, syncOpts{})
		if res.DanglingCount != 2 || len(res.Dangling) != 2 {
			t.Fatalf("dangling = %d %v, want 2", res.DanglingCount, res.Dangling)
		}
		for _, k := range []string{missing.Key, otherScope.Key} {
			if _, err := s.GetRelationship(context.Background(), scopeA, k); err == nil {
				t.Errorf("dangling relationship %s was stored", k)
			} else {
				wantErrIs(t, err, store.ErrNotFound)
			}
		}
		if got := res.Relationships[missing.Type]; got.Created != 0 {
			t.Errorf("dangling relationships counted as created: %+v", got)
		}
	})

	t.Run("relationships follow the revived endpoint", func(t *testing.T) {
		s := openStore(t, open)
		a, b := host("a"), host("b")
		sync(t, s, scopeA, 1, store.Batch{Entities: ents(a, b), Relationships: rels(has(a, b))}, syncOpts{})
		sync(t, s, scopeA, 2, store.Batch{Entities: ents(a)}, syncOpts{})
		res := sync(t, s, scopeA, 3, store.Batch{Entities: ents(a, b), Relationships: rels(has(a, b))}, syncOpts{})
		wantCounts(t, "revive", res.Relationships, has(a, b).Type, store.TypeCounts{Created: 1})
		if got := getRel(t, s, scopeA, has(a, b).Key); got.Deleted || got.Version != 3 {
			t.Errorf("revived relationship = %+v, want live version 3", got.Meta)
		}
	})

	t.Run("unseen relationships of partial types are kept", func(t *testing.T) {
		s := openStore(t, open)
		a, b, c := host("a"), host("b"), host("c")
		ab, ac := has(a, b), has(a, c)
		ac.Type = "suite_host_links_host"
		sync(t, s, scopeA, 1, store.Batch{Entities: ents(a, b, c), Relationships: rels(ab, ac)}, syncOpts{})
		res := sync(t, s, scopeA, 2, store.Batch{Entities: ents(a, b, c)}, syncOpts{partial: []string{ac.Type}})
		wantCounts(t, "partial", res.Relationships, ab.Type, store.TypeCounts{Deleted: 1})
		if got := getRel(t, s, scopeA, ac.Key); got.Deleted {
			t.Errorf("relationship of a partial type was deleted")
		}
	})
}
