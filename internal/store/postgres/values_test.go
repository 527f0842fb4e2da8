package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

// testHost returns a valid entity with the given extra properties.
func testHost(key string, props graph.Properties) graph.Entity {
	p := graph.Properties{"name": key, "displayName": key}
	for k, v := range props {
		p[k] = v
	}
	return graph.Entity{Key: key, Type: "test_host", Class: []string{"Host"}, Properties: p}
}

// syncEntities runs one Replace sync of scope with es.
func syncEntities(t *testing.T, db *DB, scope string, es ...graph.Entity) *store.SyncResult {
	t.Helper()
	ctx := context.Background()
	s, err := db.BeginSync(ctx, store.SyncParams{Scope: scope, JobID: "job"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Abort(ctx)
	if err := s.Put(ctx, store.Batch{Entities: es}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Commit(ctx, store.CommitParams{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestFloatsKeepTheirTypeInJSONB covers floats that Go writes with an
// exponent, which jsonb would turn into integers if stored that way.
func TestFloatsKeepTheirTypeInJSONB(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	props := graph.Properties{
		"million": 1e6, "big": 1.5e300, "huge": 1e21, "small": 5e-324, "negative": -2e7,
		"gcp": int64(8765432109876543210), "minInt": int64(-9223372036854775808),
	}
	syncEntities(t, db, "upload:floats", testHost("floats-host", props))
	got, err := db.GetEntity(ctx, "upload:floats", "floats-host")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range props {
		if v := got.Properties[name]; !graph.ValueEqual(v, want) {
			t.Errorf("%s: got %#v (%T), want %#v (%T)", name, v, v, want, want)
		}
	}
	var typ string
	err = db.Query(ctx, "SELECT jsonb_typeof(props -> 'million') FROM entities WHERE key = $1", []any{"floats-host"}, func(row []any) error {
		typ, _ = row[0].(string)
		return nil
	})
	if err != nil || typ != "number" {
		t.Errorf("jsonb_typeof(million) = %q, %v", typ, err)
	}
	res := syncEntities(t, db, "upload:floats", testHost("floats-host", props))
	if c := res.Entities["test_host"]; c.Unchanged != 1 {
		t.Errorf("re-sync of the same floats: %+v, want 1 unchanged", c)
	}
	changed := props.Clone()
	changed["million"] = int64(1000000)
	res = syncEntities(t, db, "upload:floats", testHost("floats-host", changed))
	if c := res.Entities["test_host"]; c.Updated != 1 {
		t.Errorf("float 1e6 replaced by int 1000000: %+v, want 1 updated", c)
	}
}

func TestQueryValueTypes(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	syncEntities(t, db, "upload:q", testHost("query-host-1", graph.Properties{"id": int64(1234567890123456789), "f": 2.5, "tags": []any{"a", int64(2)}}))
	cases := []struct {
		name string
		sql  string
		args []any
		want any
	}{
		{"bigint column", "SELECT version FROM entities", nil, int64(1)},
		{"count", "SELECT count(*) FROM entities", nil, int64(1)},
		{"integer", "SELECT 7::int", nil, int64(7)},
		{"numeric whole", "SELECT sum(version) FROM entities", nil, int64(1)},
		{"numeric fraction", "SELECT avg(version) FROM entities", nil, 1.0},
		{"jsonb big integer", "SELECT props -> 'id' FROM entities", nil, int64(1234567890123456789)},
		{"jsonb float", "SELECT props -> 'f' FROM entities", nil, 2.5},
		{"jsonb array", "SELECT props -> 'tags' FROM entities", nil, []any{"a", int64(2)}},
		{"jsonb text", "SELECT props ->> 'name' FROM entities", nil, "query-host-1"},
		{"bound argument", "SELECT key FROM entities WHERE props -> 'id' = $1::jsonb", []any{"1234567890123456789"}, "query-host-1"},
		{"boolean", "SELECT deleted FROM entities", nil, false},
		{"null", "SELECT props -> 'missing' FROM entities", nil, nil},
		{"real", "SELECT 0.5::float8", nil, 0.5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []any
			err := db.Query(ctx, c.sql, c.args, func(row []any) error {
				got = append(got, row[0])
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || !graph.ValueEqual(got[0], c.want) {
				t.Errorf("got %#v, want %#v", got, c.want)
			}
		})
	}
	t.Run("object", func(t *testing.T) {
		err := db.Query(ctx, "SELECT props FROM entities", nil, func(row []any) error {
			m, ok := row[0].(map[string]any)
			if !ok || m["id"] != int64(1234567890123456789) {
				t.Errorf("props = %#v", row[0])
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("read only", func(t *testing.T) {
		err := db.Query(ctx, "DELETE FROM entities", nil, func([]any) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "read-only") {
			t.Errorf("a DELETE through Query: got %v, want a read-only error", err)
		}
	})
}

// TestSyncLockAcrossHandles checks the advisory lock that refuses a second
// sync of a scope from another process (here, another pool).
func TestSyncLockAcrossHandles(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	other, err := Open(ctx, testDSN(), Options{Schema: db.schema})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	s, err := db.BeginSync(ctx, store.SyncParams{Scope: "instance:locked", JobID: "one"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.BeginSync(ctx, store.SyncParams{Scope: "instance:locked", JobID: "two"}); !errors.Is(err, store.ErrSyncInProgress) {
		t.Fatalf("second sync from another handle: got %v, want store.ErrSyncInProgress", err)
	}
	if err := s.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	s2, err := other.BeginSync(ctx, store.SyncParams{Scope: "instance:locked", JobID: "three"})
	if err != nil {
		t.Fatalf("sync after the first one ended: %v", err)
	}
	s2.Abort(ctx)
}

func TestPutRefusesTextPostgreSQLCannotStore(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	cases := []struct {
		name string
		e    graph.Entity
		want string
	}{
		{"NUL in a property", testHost("nul-host-01", graph.Properties{"x": "a\x00b"}), `property "x"`},
		{"NUL in the key", testHost("nul-host-\x0002", nil), "_key"},
		{"invalid UTF-8", testHost("utf-host-03", graph.Properties{"x": "\xff"}), "UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := db.BeginSync(ctx, store.SyncParams{Scope: "upload:text", JobID: "job"})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Abort(ctx)
			err = s.Put(ctx, store.Batch{Entities: []graph.Entity{testHost("good-host-1", nil), c.e}})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "entity 1") {
				t.Fatalf("Put: got %v, want an error naming entity 1 and %q", err, c.want)
			}
			res, err := s.Commit(ctx, store.CommitParams{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Entities) != 0 {
				t.Errorf("the refused batch was partly staged: %+v", res.Entities)
			}
		})
	}
}

// TestCloseAbortsOpenSyncs checks that Close does not wait for a sync its
// owner never finished, and that the sync applied nothing.
func TestCloseAbortsOpenSyncs(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	s, err := db.BeginSync(ctx, store.SyncParams{Scope: "instance:closed", JobID: "job"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, store.Batch{Entities: []graph.Entity{testHost("closed-host-1", nil)}}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		db.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Close hangs while a sync is open")
	}
	if _, err := s.Commit(ctx, store.CommitParams{}); !errors.Is(err, store.ErrSyncClosed) {
		t.Errorf("Commit after Close: got %v, want store.ErrSyncClosed", err)
	}
	again, err := Open(ctx, testDSN(), Options{Schema: db.schema})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if _, err := again.GetEntity(ctx, "instance:closed", "closed-host-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("entity of the aborted sync: got %v, want store.ErrNotFound", err)
	}
}

// TestBulkLoadRebuildsIndexes runs the bulk-load path (secondary indexes
// dropped and rebuilt) with a low threshold, and its fallback when another
// transaction holds the table.
func TestBulkLoadRebuildsIndexes(t *testing.T) {
	db := openTest(t)
	db.bulkCreates = 10
	ctx := context.Background()
	indexes := func() int {
		var n int
		if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND tablename IN ('entities', 'relationships')`, db.schema).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	want := indexes()
	batch := func(n int, gen string) []graph.Entity {
		var es []graph.Entity
		for i := range n {
			es = append(es, testHost(fmt.Sprintf("bulk-host-%04d", i), graph.Properties{"qid": int64(i), "gen": gen}))
		}
		return es
	}
	res := syncEntities(t, db, "instance:bulk", batch(50, "one")...)
	if c := res.Entities["test_host"]; c.Created != 50 {
		t.Fatalf("bulk load: %+v, want 50 created", c)
	}
	if got := indexes(); got != want {
		t.Errorf("after the bulk load there are %d indexes, want %d", got, want)
	}
	got, err := db.ListEntities(ctx, store.EntityFilter{Properties: map[string]any{"qid": int64(7)}})
	if err != nil || len(got) != 1 || got[0].Key != "bulk-host-0007" {
		t.Errorf("filter on qid after the bulk load: %v, %v", got, err)
	}

	// A reader holding the table makes the next load take the ordinary
	// path instead of waiting.
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE entities IN ACCESS SHARE MODE"); err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	db.log = slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))
	res = syncEntities(t, db, "instance:bulk-2", batch(120, "two")...)
	if c := res.Entities["test_host"]; c.Created != 120 {
		t.Fatalf("load beside a reader: %+v, want 120 created", c)
	}
	if !strings.Contains(logged.String(), "table busy") {
		t.Errorf("the load beside a reader did not fall back to the ordinary path")
	}
	if got := indexes(); got != want {
		t.Errorf("after the second load there are %d indexes, want %d", got, want)
	}
}
