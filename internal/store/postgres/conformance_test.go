package postgres

import (
	"context"
	"net/url"
	"os"
	"testing"

	"github.com/qgraph/qgraph/internal/store"
	"github.com/qgraph/qgraph/internal/store/storetest"
)

func TestMain(m *testing.M) {
	storetest.KillChildMain(openDSN)
	os.Exit(m.Run())
}

// openDSN opens the store at dsn, for the kill test's child.
func openDSN(ctx context.Context, dsn string) (store.Store, error) {
	db, err := Open(ctx, dsn, Options{})
	if err != nil {
		return nil, err
	}
	return db, nil
}

// openConformance opens a store in a fresh schema for one conformance case.
func openConformance(t *testing.T) store.Store {
	t.Helper()
	return openTest(t)
}

func TestConformance(t *testing.T) {
	requireServer(t)
	storetest.Run(t, openConformance)
}

func TestKilledSync(t *testing.T) {
	requireServer(t)
	schema := newSchemaName(t)
	dropSchemaOnCleanup(t, schema)
	u, err := url.Parse(testDSN())
	if err != nil {
		t.Fatalf("parse QGRAPH_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	storetest.RunKill(t, u.String(), openDSN)
}
