package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/qgraph/qgraph/internal/store"
	"github.com/qgraph/qgraph/internal/store/sqlite"
	"github.com/qgraph/qgraph/internal/store/storetest"
)

// openTemp opens a fresh store in the test's temporary directory.
func openTemp(t *testing.T) store.Store {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "qgraph.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestMain(m *testing.M) {
	storetest.KillChildMain(openDSN)
	os.Exit(m.Run())
}

// openDSN opens the store at a file path, for the kill test's child.
func openDSN(ctx context.Context, path string) (store.Store, error) {
	return sqlite.Open(ctx, path, sqlite.Options{})
}

func TestConformance(t *testing.T) {
	storetest.Run(t, openTemp)
}

func TestKilledSync(t *testing.T) {
	storetest.RunKill(t, filepath.Join(t.TempDir(), "killed.db"), openDSN)
}
