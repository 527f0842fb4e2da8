package j1ql_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
	"github.com/qgraph/qgraph/internal/store/postgres"
	"github.com/qgraph/qgraph/internal/store/sqlite"
)

// testNow is the clock of the test graph and of date.now in tests.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const day = int64(24 * time.Hour / time.Millisecond)

// testScope is the scope the test graph is synced into.
var testScope = store.InstanceScope("j1ql-test")

// namedStore is a store under test with its name.
type namedStore struct {
	name string
	st   store.Store
}

// openSQLite opens an empty embedded store in a temporary directory.
func openSQLite(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "q.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("open sqlite store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func postgresDSN() string {
	if dsn := os.Getenv("QGRAPH_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// openPostgres opens an empty store in a throw-away schema, or returns nil
// when no server answers.
func openPostgres(t testing.TB) store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, postgresDSN())
	if err != nil {
		t.Logf("PostgreSQL tests skipped: no server answers at QGRAPH_TEST_POSTGRES: %v", err)
		return nil
	}
	conn.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	schema := "j1ql_test_" + hex.EncodeToString(b[:])
	st, err := postgres.Open(context.Background(), postgresDSN(), postgres.Options{Schema: schema})
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
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

// openStores opens both stores loaded with the same graph.
func openStores(t testing.TB, load func(testing.TB, store.Store)) []namedStore {
	t.Helper()
	out := []namedStore{{"sqlite", openSQLite(t)}}
	if pg := openPostgres(t); pg != nil {
		out = append(out, namedStore{"postgres", pg})
	}
	for _, s := range out {
		load(t, s.st)
	}
	return out
}

// syncGraph replaces the test scope with the given objects.
func syncGraph(t testing.TB, st store.Store, at time.Time, ents []graph.Entity, rels []graph.Relationship) {
	t.Helper()
	ctx := context.Background()
	s, err := st.BeginSync(ctx, store.SyncParams{Scope: testScope, JobID: "job-" + at.Format("150405"), Mode: store.Replace, Now: at})
	if err != nil {
		t.Fatalf("begin sync: %v", err)
	}
	if err := s.Put(ctx, store.Batch{Entities: ents, Relationships: rels}); err != nil {
		t.Fatalf("put: %v", err)
	}
	if _, err := s.Commit(ctx, store.CommitParams{}); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

func ent(key, typ, class string, props graph.Properties) graph.Entity {
	p := graph.Properties{"name": key, "displayName": key}
	switch class {
	case "Finding":
		p["category"] = "vulnerability"
	case "Vulnerability":
		p["category"] = "vulnerability"
		p["severity"] = "none"
		p["blocking"] = false
		p["open"] = true
		p["production"] = nil
		p["public"] = nil
	case "Service":
		p["category"] = "security"
		p["function"] = "scanning"
	}
	for k, v := range props {
		p[k] = v
	}
	return graph.Entity{Key: key, Type: typ, Class: []string{class}, Properties: p}
}

func rel(from, class, to string, props graph.Properties) graph.Relationship {
	return graph.Relationship{Key: graph.RelationshipKey(from, class, to), Type: "test_" + class, Class: class, FromKey: from, ToKey: to, Properties: props}
}

// smallGraph is the hand-built graph of the semantic tests.
func smallGraph() ([]graph.Entity, []graph.Relationship) {
	ents := []graph.Entity{
		ent("account-main", "qualys_account", "Account", graph.Properties{"tag.AccountName": "main"}),
		ent("service-vmdr", "qualys_vulnerability_manager", "Service", nil),
		ent("host-web-1", "aws_instance", "Host", graph.Properties{"hostname": "web-1", "platform": "linux", "tag.Production": true, "tags": []any{"CriticalAsset", "web"}, "cpus": int64(4)}),
		ent("host-db-01", "discovered_host", "Host", graph.Properties{"hostname": "db-1", "platform": "windows", "ips": []any{"10.0.0.2", "10.0.0.3"}, "cpus": int64(8)}),
		ent("host-idle-1", "azure_vm", "Host", graph.Properties{"hostname": "idle", "cpus": 2.5}),
		ent("finding-001", "qualys_host_finding", "Finding", graph.Properties{"qid": int64(100), "open": true, "severity": "critical", "numericSeverity": int64(5), "createdOn": testNow.UnixMilli() - 2*day, "port": int64(443)}),
		ent("finding-002", "qualys_host_finding", "Finding", graph.Properties{"qid": int64(200), "open": true, "severity": "high", "numericSeverity": int64(4), "createdOn": testNow.UnixMilli() - 20*day}),
		ent("finding-003", "qualys_host_finding", "Finding", graph.Properties{"qid": int64(100), "open": false, "severity": "critical", "numericSeverity": int64(5), "createdOn": testNow.UnixMilli() - 40*day, "status": "true"}),
		ent("vuln-qid-100", "qualys_vuln", "Vulnerability", graph.Properties{"qid": int64(100), "cvssScoreV3": 9.8, "cveIds": []any{"CVE-2021-1", "CVE-2021-2"}, "title": "Remote code execution"}),
		ent("vuln-qid-200", "qualys_vuln", "Vulnerability", graph.Properties{"qid": int64(200), "cvssScoreV3": 5.0, "title": "Weak cipher"}),
		ent("cve-2021-1", "cve", "Vulnerability", nil),
	}
	rels := []graph.Relationship{
		rel("account-main", "HAS", "service-vmdr", nil),
		rel("service-vmdr", "SCANS", "host-web-1", graph.Properties{"lastScan": int64(10)}),
		rel("service-vmdr", "SCANS", "host-db-01", graph.Properties{"lastScan": int64(20)}),
		rel("service-vmdr", "SCANS", "host-idle-1", nil),
		rel("service-vmdr", "IDENTIFIED", "finding-001", nil),
		rel("service-vmdr", "IDENTIFIED", "finding-002", nil),
		rel("service-vmdr", "IDENTIFIED", "finding-003", nil),
		rel("host-web-1", "HAS", "finding-001", nil),
		rel("host-web-1", "HAS", "finding-002", nil),
		rel("host-db-01", "HAS", "finding-003", nil),
		rel("finding-001", "IS", "vuln-qid-100", nil),
		rel("finding-002", "IS", "vuln-qid-200", nil),
		rel("finding-003", "IS", "vuln-qid-100", nil),
		rel("finding-001", "IS", "cve-2021-1", nil),
	}
	return ents, rels
}

// loadSmallGraph syncs the graph twice: the first time with a host that
// the second sync soft-deletes.
func loadSmallGraph(t testing.TB, st store.Store) {
	ents, rels := smallGraph()
	gone := ent("host-gone-1", "discovered_host", "Host", graph.Properties{"hostname": "gone"})
	syncGraph(t, st, testNow.Add(-48*time.Hour), append(append([]graph.Entity{}, ents...), gone),
		append(append([]graph.Relationship{}, rels...), rel("host-gone-1", "HAS", "finding-001", nil)))
	syncGraph(t, st, testNow.Add(-24*time.Hour), ents, rels)
}
