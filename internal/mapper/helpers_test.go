package mapper

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/j1ql"
	"github.com/qgraph/qgraph/internal/store"
	"github.com/qgraph/qgraph/internal/store/postgres"
	"github.com/qgraph/qgraph/internal/store/sqlite"
)

// eachStore runs fn against an empty SQLite store and an empty PostgreSQL
// store (skipped, saying so, when no server answers).
func eachStore(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, openSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, openPostgres(t)) })
}

func postgresDSN() string {
	if dsn := os.Getenv("QGRAPH_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// openPostgres opens an empty store in a throw-away schema, dropped when
// the test ends; it skips the test when no server answers.
func openPostgres(t testing.TB) store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, postgresDSN())
	if err != nil {
		t.Skipf("no PostgreSQL server answers at QGRAPH_TEST_POSTGRES: %v", err)
	}
	conn.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	schema := "mapper_test_" + hex.EncodeToString(b[:])
	st, err := postgres.Open(context.Background(), postgresDSN(), postgres.Options{Schema: schema})
	if err != nil {
		t.Fatalf("open PostgreSQL store: %v", err)
	}
	t.Cleanup(func() {
		st.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, postgresDSN())
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	})
	return st
}

// openSQLite opens an empty SQLite store for one test.
func openSQLite(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "graph.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// clock hands out increasing times so every sync gets its own stamp.
type clock struct{ t time.Time }

func (c *clock) now() time.Time {
	c.t = c.t.Add(time.Second)
	return c.t
}

var testClock = &clock{t: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}

// syncScope makes a scope hold exactly b (Replace mode).
func syncScope(t testing.TB, st store.Store, scope string, b store.Batch) *store.SyncResult {
	t.Helper()
	ctx := context.Background()
	s, err := st.BeginSync(ctx, store.SyncParams{Scope: scope, JobID: fmt.Sprintf("job-%d", time.Now().UnixNano()), Mode: store.Replace, Now: testClock.now()})
	if err != nil {
		t.Fatalf("begin sync of %s: %v", scope, err)
	}
	if err := s.Put(ctx, b); err != nil {
		t.Fatalf("put into %s: %v", scope, err)
	}
	res, err := s.Commit(ctx, store.CommitParams{})
	if err != nil {
		t.Fatalf("commit %s: %v", scope, err)
	}
	return res
}

// resolve runs one Resolve and fails the test on error.
func resolve(t testing.TB, m *Mapper) *Report {
	t.Helper()
	rep, err := m.Resolve(context.Background())
	if err != nil {
		t.Fatalf("resolve: %v", err)
	}
	return rep
}

func newTestMapper(st store.Store, rules []Rule) *Mapper {
	return New(st, Options{Rules: rules, Now: testClock.now})
}

// findingEntity returns a valid host finding with a qid.
func findingEntity(id string, qid any) graph.Entity {
	p := graph.Properties{
		"name": "finding " + id, "displayName": "finding " + id,
		"category": "vuln", "severity": "high", "numericSeverity": int64(4), "open": true,
	}
	if qid != nil {
		p["qid"] = qid
	}
	return graph.Entity{Key: "hostId:" + id + "|qid:x", Type: "qualys_host_finding", Class: []string{"Finding"}, Properties: p}
}

// hostEntity returns a Host entity of a type and key.
func hostEntity(typ, key string, qweb int64) graph.Entity {
	p := graph.Properties{"name": key, "displayName": key}
	if qweb != 0 {
		p["qualysQwebHostId"] = qweb
	}
	return graph.Entity{Key: key, Type: typ, Class: []string{"Host"}, Properties: p}
}

// hostHasFinding is the mapped relationship Host HAS finding, as the
// Qualys converter writes it: reverse, sourced at the finding.
func hostHasFinding(findingKey string, host graph.Entity, filter []string) graph.MappedRelationship {
	return graph.MappedRelationship{
		Key:              graph.RelationshipKey(findingKey, "HAS", host.Key),
		Type:             graph.RelationshipType(host.Type, "HAS", "qualys_host_finding"),
		Class:            "HAS",
		Direction:        graph.Reverse,
		SourceKey:        findingKey,
		TargetFilterKeys: [][]string{filter},
		TargetEntity:     host,
	}
}

// threatIntel returns a ThreatIntel entity with a qid.
func threatIntel(id string, qid any) graph.Entity {
	p := graph.Properties{"name": "intel " + id, "displayName": "intel " + id}
	if qid != nil {
		p["qid"] = qid
	}
	return graph.Entity{Key: "intel-" + id + "-key", Type: "threat_feed_item", Class: []string{"ThreatIntel"}, Properties: p}
}

// entity reads an entity and fails when the read errors.
func entity(t testing.TB, st store.Store, scope, key string) *store.EntityRecord {
	t.Helper()
	e, err := st.GetEntity(context.Background(), scope, key)
	if err != nil {
		t.Fatalf("get entity %s/%s: %v", scope, key, err)
	}
	return e
}

// liveRel returns the live mapper relationship with key, or nil.
func liveRel(t testing.TB, st store.Store, key string) *store.RelationshipRecord {
	t.Helper()
	r, err := st.GetRelationship(context.Background(), store.MapperScope, key)
	if err != nil {
		return nil
	}
	if r.Deleted {
		return nil
	}
	return r
}

// endpoints returns "scope/key -> scope/key" of a relationship, read
// through the query-facing tables.
func endpoints(t testing.TB, st store.Store, r *store.RelationshipRecord) string {
	t.Helper()
	var out string
	q := newQuery(st.Dialect()).sql("SELECT f.scope, f.key, o.scope, o.key FROM relationships r JOIN entities f ON f.id = r.from_id JOIN entities o ON o.id = r.to_id WHERE r.id = ").arg(r.ID)
	err := st.Query(context.Background(), q.String(), q.args, func(row []any) error {
		out = fmt.Sprintf("%s/%s -> %s/%s", row[0], row[1], row[2], row[3])
		return nil
	})
	if err != nil {
		t.Fatalf("read endpoints: %v", err)
	}
	return out
}

// count runs a J1QL query and returns its total count.
func count(t testing.TB, st store.Store, q string) int64 {
	t.Helper()
	res, err := j1ql.Execute(context.Background(), st, q, j1ql.Options{})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return res.TotalCount
}
