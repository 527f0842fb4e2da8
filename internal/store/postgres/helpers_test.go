package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// defaultTestDSN is used when QGRAPH_TEST_POSTGRES is not set.
const defaultTestDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// testDSN returns the DSN of the test server.
func testDSN() string {
	if dsn := os.Getenv("QGRAPH_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return defaultTestDSN
}

// requireServer skips the test when no PostgreSQL server answers at the
// test DSN.
func requireServer(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, testDSN())
	if err != nil {
		tb.Skipf("no PostgreSQL server answers at QGRAPH_TEST_POSTGRES (%s): %v", redactDSN(testDSN()), err)
	}
	conn.Close(ctx)
}

// newSchemaName returns a fresh throw-away schema name.
func newSchemaName(tb testing.TB) string {
	tb.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	return "qgraph_test_" + hex.EncodeToString(b[:])
}

// dropSchemaOnCleanup drops schema when the test ends.
func dropSchemaOnCleanup(tb testing.TB, schema string) {
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, testDSN())
		if err != nil {
			tb.Errorf("drop test schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("drop test schema %s: %v", schema, err)
		}
	})
}

// openTest opens a store in a throw-away schema, dropped after the test.
func openTest(tb testing.TB) *DB {
	tb.Helper()
	requireServer(tb)
	schema := newSchemaName(tb)
	dropSchemaOnCleanup(tb, schema)
	db, err := Open(context.Background(), testDSN(), Options{Schema: schema})
	if err != nil {
		tb.Fatalf("open test store: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}
